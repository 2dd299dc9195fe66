#include "../cgroups/cgroups.h"
#include "state.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
mkdir_p (const char *path, mode_t mode, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (path);
  for (char *s = copy + 1; (s = strchr (s, '/')); s++)
    {
      *s = '\0';
      if (mkdir (copy, 0755) < 0 && errno != EEXIST)
        return cell_error_errno (err, "mkdir '%s'", copy);
      *s = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return cell_error_errno (err, "mkdir '%s'", copy);
  return 0;
}

static int
lock_dir (int fd, const char *path, cell_error_t *err)
{
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return cell_error_errno (err, "lock '%s'", path);
  return 0;
}

int
cell_state_create_dir (const char *root, const char *id, cell_error_t *err)
{
  if (mkdir_p (root, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *dir = xasprintf ("%s/%s", root, id);
  if (mkdir (dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return cell_error (err, 0, "container '%s' already exists", id);
      return cell_error_errno (err, "mkdir '%s'", dir);
    }
  _cleanup_close_ int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", dir);
  if (lock_dir (fd, dir, err) < 0)
    return -1;
  return TAKE_FD (fd);
}

int
cell_state_open_dir (const char *root, const char *id, cell_error_t *err)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s", root, id);
  _cleanup_close_ int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return cell_error (err, 0, "container '%s' does not exist", id);
      return cell_error_errno (err, "open '%s'", dir);
    }
  if (lock_dir (fd, dir, err) < 0)
    return -1;
  /* Another command may have deleted it while we waited for the lock. */
  if (faccessat (fd, "state.json", F_OK, 0) < 0)
    return cell_error (err, 0, "container '%s' does not exist", id);
  return TAKE_FD (fd);
}

int
cell_state_open_incomplete (const char *root, const char *id, cell_error_t *err)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s", root, id);
  _cleanup_close_ int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? cell_error (err, ENOENT, "container '%s' does not exist", id)
                           : cell_error_errno (err, "open '%s'", dir);
  if (lock_dir (fd, dir, err) < 0)
    return -1;
  if (faccessat (fd, "state.json", F_OK, 0) == 0)
    return cell_error (err, EEXIST, "container '%s' is complete", id);
  return TAKE_FD (fd);
}

int
cell_state_note_rootfs_mount (int dirfd, const struct cell_state *s, cell_error_t *err)
{
  _cleanup_free_ char *target = xasprintf ("%llu:%llu:%s", s->rootfs_under_mnt, s->rootfs_mntns, s->rootfs);
  if (symlinkat (target, dirfd, "rootfs-mount") < 0)
    return cell_error_errno (err, "symlink 'rootfs-mount'");
  return 0;
}

char *
cell_state_noted_rootfs_mount (int dirfd, unsigned long long *under, unsigned long long *mntns)
{
  char buf[PATH_MAX + 64];
  ssize_t n = readlinkat (dirfd, "rootfs-mount", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  char *end, *end2;
  errno = 0;
  *under = strtoull (buf, &end, 10);
  if (errno || end == buf || *end != ':')
    return NULL;
  *mntns = strtoull (end + 1, &end2, 10);
  if (errno || end2 == end + 1 || *end2 != ':' || end2[1] != '/')
    return NULL;
  return xstrdup (end2 + 1);
}

int
cell_state_note_cgroup (int dirfd, const char *cgroup, cell_error_t *err)
{
  if (symlinkat (cgroup, dirfd, "cgroup") < 0)
    return cell_error_errno (err, "symlink 'cgroup'");
  return 0;
}

char *
cell_state_noted_cgroup (int dirfd)
{
  char buf[PATH_MAX];
  ssize_t n = readlinkat (dirfd, "cgroup", buf, sizeof buf - 1);
  return n > 0 ? xstrndup (buf, (size_t) n) : NULL;
}

int
cell_state_write (int dirfd, const struct cell_state *s, cell_error_t *err)
{
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "id", s->id);
  cell_jsonw_kv_string (w, "bundle", s->bundle);
  cell_jsonw_kv_string (w, "rootfs", s->rootfs);
  cell_jsonw_kv_string (w, "created", s->created);
  cell_jsonw_kv_string (w, "owner", s->owner);
  cell_jsonw_kv_int (w, "pid", s->pid);
  cell_jsonw_key (w, "pid_start");
  cell_jsonw_uint (w, s->pid_start);
  cell_jsonw_kv_string (w, "cgroup", s->cgroup);
  cell_jsonw_kv_bool (w, "cgroup_created", s->cgroup_created);
  cell_jsonw_kv_bool (w, "own_pidns", s->own_pidns);
  if (s->rootfs_under_mnt)
    {
      cell_jsonw_key (w, "rootfs_under_mnt");
      cell_jsonw_uint (w, s->rootfs_under_mnt);
      cell_jsonw_key (w, "rootfs_mntns");
      cell_jsonw_uint (w, s->rootfs_mntns);
    }
  cell_jsonw_kv_string (w, "config", s->config);
  cell_jsonw_object_close (w);
  size_t len;
  _cleanup_free_ char *text = cell_jsonw_finish (w, &len);
  return cell_write_file_atomic (dirfd, "state.json", text, len, 0600, err);
}

static char *
dup_str (const struct cell_json *o, const char *k)
{
  const char *s = cell_json_string (cell_json_get (o, k));
  return s ? xstrdup (s) : NULL;
}

int
cell_state_read (int dirfd, struct cell_state *s, cell_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  memset (s, 0, sizeof *s);
  /* state.json holds the config (up to 4 MiB) as a JSON string, escaped: up to 6 bytes for one. */
  if (cell_read_file_at (dirfd, "state.json", CELL_STATE_MAX, &text, &len, err) < 0)
    return -1;
  struct cell_json *j = cell_json_parse (text, len, "state.json", err);
  if (j == NULL)
    return -1;
  int64_t pid = 0;
  uint64_t start = 0, under = 0, mntns = 0;
  s->id = dup_str (j, "id");
  s->bundle = dup_str (j, "bundle");
  s->rootfs = dup_str (j, "rootfs");
  s->created = dup_str (j, "created");
  s->owner = dup_str (j, "owner");
  s->cgroup = dup_str (j, "cgroup");
  cell_json_int64 (cell_json_get (j, "pid"), &pid);
  cell_json_uint64 (cell_json_get (j, "pid_start"), &start);
  s->pid = (pid_t) pid;
  s->pid_start = start;
  cell_json_uint64 (cell_json_get (j, "rootfs_under_mnt"), &under);
  s->rootfs_under_mnt = under;
  cell_json_uint64 (cell_json_get (j, "rootfs_mntns"), &mntns);
  s->rootfs_mntns = mntns;
  s->started = faccessat (dirfd, "start.sock", F_OK, AT_SYMLINK_NOFOLLOW) < 0;
  s->config = dup_str (j, "config");
  s->cgroup_created = cell_json_bool (cell_json_get (j, "cgroup_created"));
  s->own_pidns = cell_json_bool (cell_json_get (j, "own_pidns"));
  cell_json_free (j);
  if (s->id == NULL || s->bundle == NULL || s->config == NULL)
    {
      cell_state_release (s);
      return cell_error (err, EINVAL, "state.json: missing id, bundle or config");
    }
  return 0;
}

void
cell_state_release (struct cell_state *s)
{
  free (s->id);
  free (s->bundle);
  free (s->rootfs);
  free (s->created);
  free (s->owner);
  free (s->cgroup);
  free (s->config);
  memset (s, 0, sizeof *s);
}

int
cell_state_remove_dir (const char *root, const char *id, cell_error_t *err)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s", root, id);
  _cleanup_close_ int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? 0 : cell_error_errno (err, "open '%s'", dir);
  _cleanup_close_ int dfd = dup (fd);
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    return cell_error_errno (err, "opendir '%s'", dir);
  dfd = -1;
  struct dirent *e;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..") && unlinkat (fd, e->d_name, 0) < 0 && errno == EISDIR)
      {
        /* notify/ (notify.c): its socket, then the directory. */
        _cleanup_close_ int sub = openat (fd, e->d_name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0)
          unlinkat (sub, "notify.sock", 0);
        unlinkat (fd, e->d_name, AT_REMOVEDIR);
      }
  closedir (d);
  if (rmdir (dir) < 0 && errno != ENOENT)
    return cell_error_errno (err, "rmdir '%s'", dir);
  return 0;
}

const char *
cell_state_status (const struct cell_state *s)
{
  if (s->pid <= 0 || cell_proc_start_time (s->pid) != s->pid_start)
    return "stopped";
  if (!s->started)
    return "created";
  /* A frozen cgroup is what `pause` leaves behind: no separate record to go stale. */
  return s->cgroup && cg_is_frozen (s->cgroup) ? "paused" : "running";
}

char *
cell_state_to_json (const struct cell_state *s, const struct cell_config *c, const char *status, bool pretty)
{
  struct cell_jsonw *w = cell_jsonw_new (pretty);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "ociVersion", "1.3.0");
  cell_jsonw_kv_string (w, "id", s->id);
  cell_jsonw_kv_string (w, "status", status);
  cell_jsonw_kv_int (w, "pid", strcmp (status, "stopped") == 0 ? 0 : s->pid);
  cell_jsonw_kv_string (w, "bundle", s->bundle);
  cell_jsonw_kv_string (w, "rootfs", s->rootfs);
  cell_jsonw_kv_string (w, "created", s->created);
  cell_jsonw_kv_string (w, "owner", s->owner ? s->owner : "");
  if (c && c->n_annotations)
    {
      cell_jsonw_key (w, "annotations");
      cell_jsonw_object_open (w);
      for (size_t i = 0; i < c->n_annotations; i++)
        cell_jsonw_kv_string (w, c->annotations[i].key, c->annotations[i].value);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_object_close (w);
  return cell_jsonw_finish (w, NULL);
}

char *
cell_now_rfc3339 (void)
{
  struct timespec ts;
  char buf[CELL_RFC3339_LEN];
  clock_gettime (CLOCK_REALTIME, &ts);
  cell_rfc3339_utc (buf, &ts);
  return xstrdup (buf);
}

int
cell_write_pid_file (const char *path, pid_t pid, cell_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%d", pid);
  char resolved[PATH_MAX];
  /* Atomic: write next to it and rename, as runc does; a shim may be watching for it. */
  _cleanup_free_ char *copy = xstrdup (path);
  char *slash = strrchr (copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  const char *name = slash ? strrchr (path, '/') + 1 : path;
  if (realpath (dir, resolved) == NULL)
    return cell_error_errno (err, "--pid-file '%s'", path);
  _cleanup_close_ int dfd = open (resolved, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return cell_error_errno (err, "open '%s'", resolved);
  if (cell_write_file_atomic (dfd, name, buf, len, 0644, err) < 0)
    return cell_error_prefix (err, "--pid-file");
  return 0;
}
