#include "cgroups.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/fd.h"
#include "../runtime/base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

static bool
is_cgroup2 (const char *path)
{
  struct statfs s;
  return statfs (path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

const char *
cg_mountpoint (void)
{
  static const char *cached;
  static bool done;
  if (!done)
    {
      if (is_cgroup2 ("/sys/fs/cgroup"))
        cached = "/sys/fs/cgroup";
      else if (is_cgroup2 ("/sys/fs/cgroup/unified"))
        cached = "/sys/fs/cgroup/unified";
      done = true;
    }
  return cached;
}

char *
cg_own_path (cell_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  if (cell_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &buf, NULL, err) < 0)
    return NULL;
  for (char *line = strtok (buf, "\n"); line; line = strtok (NULL, "\n"))
    if (strncmp (line, "0::", 3) == 0)
      return xstrdup (line + 3);
  return xstrdup ("/");
}

static bool
has_dotdot (const char *p)
{
  for (const char *s = p; (s = strstr (s, "..")); s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      return true;
  return false;
}

char *
cg_path_for (const char *cgroups_path, const char *id, cell_error_t *err)
{
  if (cgroups_path && has_dotdot (cgroups_path))
    return cell_error (err, EINVAL, "linux.cgroupsPath: '%s' must not contain '..'", cgroups_path), NULL;
  if (cgroups_path && cgroups_path[0] == '/')
    return xstrdup (cgroups_path);
  _cleanup_free_ char *own = cg_own_path (err);
  if (own == NULL)
    return NULL;
  const char *sep = strcmp (own, "/") == 0 ? "" : "/";
  if (cgroups_path && *cgroups_path)
    return xasprintf ("%s%s%s", own, sep, cgroups_path);
  return xasprintf ("%s%s%s", own, sep, id);
}

static char *
full_path (const char *path, const char *file)
{
  return xasprintf ("%s%s%s%s", cg_mountpoint (), path, file ? "/" : "", file ? file : "");
}

struct pid_list
{
  pid_t *v;
  size_t n, cap;
};

/* Append the pids of dirfd's cgroup.procs (what names it in errors). */
static int
read_procs (int dirfd, const char *what, struct pid_list *l, cell_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  if (cell_read_file_at (dirfd, "cgroup.procs", 16 << 20, &buf, NULL, err) < 0)
    return cell_error_prefix (err, "%s", what);
  char *save = NULL;
  for (char *s = strtok_r (buf, "\n", &save); s; s = strtok_r (NULL, "\n", &save))
    {
      l->v = xgrow (l->v, &l->cap, l->n + 1, sizeof *l->v);
      l->v[l->n++] = (pid_t) atoi (s);
    }
  return 0;
}

/* The container may nest cgroups of its own (with a cgroup namespace and a writable cgroupfs); the walks below
 * hold two fds per level, so they stop at this depth rather than run out of fds. */
#define CG_MAX_DEPTH 128

typedef int (*child_fn) (int parentfd, const char *name, int childfd, int depth, void *data, cell_error_t *err);

/* fn for each child cgroup of dirfd (a cgroup's only subdirectories are its children). */
static int
for_each_child (int dirfd, int depth, child_fn fn, void *data, cell_error_t *err)
{
  if (depth >= CG_MAX_DEPTH)
    return cell_error (err, ELOOP, "cgroup tree deeper than %d levels", CG_MAX_DEPTH);
  int dfd = dup (dirfd);
  DIR *d = dfd < 0 ? NULL : fdopendir (dfd);
  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return cell_error_errno (err, "opendir");
    }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir (d)))
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_close_ int fd = openat (dirfd, de->d_name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        continue; /* removed meanwhile */
      r = fd < 0 ? cell_error_errno (err, "open '%s'", de->d_name) : fn (dirfd, de->d_name, fd, depth + 1, data, err);
    }
  closedir (d);
  return r;
}

static int
collect_pids (int parentfd, const char *name, int fd, int depth, void *data, cell_error_t *err)
{
  cell_error_t e = NULL;
  if (read_procs (fd, name, data, &e) < 0)
    {
      /* A child removed meanwhile reads as ENODEV (or ENOENT): it has no processes left. */
      bool gone = e->code == ENODEV || e->code == ENOENT;
      if (gone)
        cell_error_free (&e);
      else if (err)
        *err = e;
      else
        cell_error_free (&e);
      return gone ? 0 : -1;
    }
  return for_each_child (fd, depth, collect_pids, data, err);
}

/* Depth first: the children of a cgroup go before it (rmdir of a cgroup with children is EBUSY). */
static int
remove_child (int parentfd, const char *name, int fd, int depth, void *data, cell_error_t *err)
{
  if (for_each_child (fd, depth, remove_child, data, err) < 0)
    return -1;
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cell_error_errno (err, "rmdir '%s'", name);
  return 0;
}

pid_t *
cg_pids (const char *path, size_t *n, cell_error_t *err)
{
  _cleanup_free_ char *p = full_path (path, "cgroup.procs");
  _cleanup_free_ char *buf = NULL;
  *n = 0;
  if (cell_read_file_at (AT_FDCWD, p, 16 << 20, &buf, NULL, err) < 0)
    return NULL;
  size_t cap = 0;
  pid_t *v = NULL;
  for (char *s = strtok (buf, "\n"); s; s = strtok (NULL, "\n"))
    {
      v = xgrow (v, &cap, *n + 1, sizeof *v);
      v[(*n)++] = (pid_t) atoi (s);
    }
  return v ? v : xcalloc (1, sizeof *v);
}

pid_t *
cg_pids_tree (const char *path, size_t *n, cell_error_t *err)
{
  _cleanup_free_ char *full = full_path (path, NULL);
  _cleanup_close_ int fd = open (full, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  struct pid_list l = { NULL, 0, 0 };
  *n = 0;
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", full), NULL;
  if (read_procs (fd, full, &l, err) < 0 || for_each_child (fd, 0, collect_pids, &l, err) < 0)
    {
      free (l.v);
      return NULL;
    }
  *n = l.n;
  return l.v ? l.v : xcalloc (1, sizeof (pid_t));
}

/* mkdir the missing ancestors of full; *made counts those we made (the deepest ones). */
static int
mkdir_parents (const char *full, int *made, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (full);
  size_t base = strlen (cg_mountpoint ());
  for (char *s = copy + base + 1; (s = strchr (s, '/')); s++)
    {
      *s = '\0';
      if (mkdir (copy, 0755) == 0)
        ++*made;
      else if (errno != EEXIST)
        return cell_error_errno (err, "mkdir '%s'", copy);
      *s = '/';
    }
  return 0;
}

void
cg_remove_parents (const char *path, int n)
{
  if (cg_mountpoint () == NULL)
    return;
  _cleanup_free_ char *full = full_path (path, NULL);
  for (char *slash; n > 0 && (slash = strrchr (full, '/')); n--)
    {
      *slash = '\0';
      if (rmdir (full) < 0)
        return;
    }
}

static int
check_empty (const char *path, cell_error_t *err)
{
  size_t n;
  _cleanup_free_ pid_t *pids = cg_pids (path, &n, err);
  if (pids == NULL)
    return -1;
  if (n > 0)
    return cell_error (err, 0, "cgroup '%s' already holds processes", path);
  return 0;
}

int
cg_create (const char *path, bool *created, int *parents_made, cell_error_t *err)
{
  if (cg_mountpoint () == NULL)
    return cell_error (err, ENOENT, "no cgroup v2 hierarchy is mounted");
  _cleanup_free_ char *full = full_path (path, NULL);
  *created = false;
  *parents_made = 0;
  int fd = -1;
  if (mkdir_parents (full, parents_made, err) < 0)
    {
      /* The deepest ancestors made are those just above the one that failed. */
      _cleanup_free_ char *above = xstrdup (path);
      char *cut = strrchr (above, '/');
      for (int depth = 0; cut && depth < *parents_made; cut = strrchr (above, '/'))
        {
          *cut = '\0';
          _cleanup_free_ char *f = full_path (above, NULL);
          depth += rmdir (f) == 0;
        }
      return -1;
    }
  int r = 0;
  if (mkdir (full, 0755) == 0)
    *created = true;
  else if (errno != EEXIST)
    r = cell_error_errno (err, "mkdir '%s'", full);
  else
    r = check_empty (path, err);
  if (r == 0 && (fd = open (full, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0)
    cell_error_errno (err, "open '%s'", full);
  if (fd >= 0)
    return fd;
  if (*created)
    rmdir (full);
  cg_remove_parents (path, *parents_made);
  *created = false;
  return -1;
}

int
cg_enter (const char *path, pid_t pid, cell_error_t *err)
{
  _cleanup_free_ char *p = full_path (path, "cgroup.procs");
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%d", pid);
  return cell_write_file_at (AT_FDCWD, p, buf, len, err);
}

int
cg_kill_all (const char *path, int sig, cell_error_t *err)
{
  if (sig == SIGKILL)
    {
      _cleanup_free_ char *k = full_path (path, "cgroup.kill");
      if (access (k, F_OK) == 0)
        return cell_write_file_at (AT_FDCWD, k, "1", 1, err);
    }
  size_t n;
  _cleanup_free_ pid_t *pids = cg_pids_tree (path, &n, err);
  if (pids == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return cell_error_errno (err, "kill %d", pids[i]);
  return 0;
}

int
cg_destroy (const char *path, cell_error_t *err)
{
  if (cg_mountpoint () == NULL)
    return 0;
  _cleanup_free_ char *full = full_path (path, NULL);
  if (access (full, F_OK) < 0)
    return 0;
  cell_error_t child = NULL;
  for (int i = 0; i < 1000; i++)
    {
      if (rmdir (full) == 0 || errno == ENOENT)
        {
          cell_error_free (&child);
          return 0;
        }
      if (errno != EBUSY)
        {
          cell_error_free (&child);
          return cell_error_errno (err, "rmdir '%s'", full);
        }
      /* Busy: processes left (cgroup.kill kills the whole subtree), or child cgroups the container made. */
      cell_error_t ignored = NULL;
      if (cg_kill_all (path, SIGKILL, &ignored) < 0)
        cell_error_free (&ignored);
      cell_error_free (&child);
      _cleanup_close_ int fd = open (full, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && for_each_child (fd, 0, remove_child, NULL, &child) == 0
          && (rmdir (full) == 0 || errno == ENOENT))
        return 0;
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  size_t n = 0;
  free (cg_pids_tree (path, &n, NULL));
  if (n > 0 || child == NULL)
    {
      cell_error_free (&child);
      return cell_error (err, EBUSY, "rmdir '%s': processes did not exit", full);
    }
  int r = cell_error (err, child->code, "rmdir '%s': child cgroup: %s", full, child->msg);
  cell_error_free (&child);
  return r;
}
