/* cell: the config's mounts, placed by fd inside the rootfs.
 *
 * Every destination is resolved with openat2(RESOLVE_IN_ROOT) against the rootfs fd and every mount is attached
 * with move_mount() onto that fd: a symlink planted in the rootfs (even one swapped in after we looked) cannot
 * make a mount land on the host. New filesystems come from fsopen()/fsmount(), binds from open_tree(); flags are
 * set with mount_setattr() on the detached mount, before it becomes visible. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the asan build overrides CFLAGS and loses -D_GNU_SOURCE */
#endif
#include "internal.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

int
cell_mnt_setattr (int fd, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive, const char *what,
                  cell_error_t *err)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr, .propagation = propagation };
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  if (mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return cell_error_errno (err, "mount_setattr '%s'", what);
  return 0;
}

int
cell_mnt_move (int mntfd, int destfd, const char *what, cell_error_t *err)
{
  if (move_mount (mntfd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cell_error_errno (err, "move_mount onto '%s'", what);
  return 0;
}

int
cell_mnt_clone (int dirfd, const char *path, bool recursive, cell_error_t *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (path[0] == '\0')
    flags |= AT_EMPTY_PATH;
  int fd = open_tree (dirfd, path, flags);
  if (fd < 0)
    return cell_error_errno (err, "open_tree '%s'", path[0] ? path : "(fd)");
  return fd;
}

static int
dest_create (int parentfd, const char *last, bool dir, const char *dest, cell_error_t *err)
{
  if (dir)
    {
      if (mkdirat (parentfd, last, 0755) < 0 && errno != EEXIST)
        return cell_error_errno (err, "mkdir '%s'", dest);
      return 0;
    }
  int fd = openat (parentfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0 && errno != EEXIST)
    return cell_error_errno (err, "create '%s'", dest);
  if (fd >= 0)
    close (fd);
  return 0;
}

/* The last component, opened without following a symlink; dir: it must be a directory. */
static int
dest_open_nofollow (int parentfd, const char *last, bool dir, const char *dest, cell_error_t *err)
{
  _cleanup_close_ int fd = openat (parentfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", dest);
  if (fstat (fd, &st) < 0)
    return cell_error_errno (err, "stat '%s'", dest);
  if (S_ISLNK (st.st_mode))
    return cell_error (err, ELOOP, "refusing to mount on symlink '%s'", dest);
  if (dir && !S_ISDIR (st.st_mode))
    return cell_error (err, ENOTDIR, "'%s' is not a directory", dest);
  return TAKE_FD (fd);
}

/* If the last component of dest is a symlink (dangling inside the root), the path it points to, resolved as
 * the kernel would inside the root; NULL otherwise. */
static char *
dangling_target (int parentfd, const char *parent, const char *last)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (parentfd, last, target, sizeof target - 1);
  if (n <= 0)
    return NULL;
  target[n] = '\0';
  if (target[0] == '/')
    return xstrdup (target);
  return xasprintf ("%s/%s", parent, target);
}

static int mnt_dest_once (int rootfd, const char *dest, bool dir, bool nofollow, char **retry, cell_error_t *err);

int
cell_mnt_dest (int rootfd, const char *dest, bool dir, bool nofollow, cell_error_t *err)
{
  _cleanup_free_ char *cur = xstrdup (dest);
  /* Like runc's securejoin: a symlink whose target does not exist yet is followed, inside the root, and the
   * target is created there; 40 hops as the kernel allows. */
  for (int hops = 0; hops < 40; hops++)
    {
      char *next = NULL;
      int fd = mnt_dest_once (rootfd, cur, dir, nofollow, &next, err);
      if (next == NULL)
        return fd;
      free (cur);
      cur = next;
    }
  return cell_error (err, ELOOP, "open '%s'", dest);
}

static int
mnt_dest_once (int rootfd, const char *dest, bool dir, bool nofollow, char **retry, cell_error_t *err)
{
  _cleanup_free_ char *parent = NULL, *last = NULL;
  cell_path_split (dest, &parent, &last);
  if (last[0] == '\0' || strcmp (last, ".") == 0 || strcmp (last, "..") == 0)
    return cell_open_in_root (rootfd, dest, O_PATH, 0, err);
  _cleanup_close_ int parentfd = cell_mkdir_p_in_root (rootfd, parent, 0755, err);
  if (parentfd < 0)
    return -1;
  if (!nofollow)
    {
      int fd = cell_open_in_root (rootfd, dest, O_PATH, 0, NULL);
      if (fd >= 0 || errno != ENOENT)
        return fd >= 0 ? fd : cell_error_errno (err, "open '%s'", dest);
      if ((*retry = dangling_target (parentfd, parent, last)))
        return -1;
    }
  if (dest_create (parentfd, last, dir, dest, err) < 0)
    return -1;
  return dest_open_nofollow (parentfd, last, dir && nofollow, dest, err);
}

/* ---- tmpcopyup: the destination's original contents, copied into the new tmpfs ---- */

static int copy_tree (int srcfd, int dstfd, const char *what, cell_error_t *err);

static int
copy_file (int srcdir, int dstdir, const char *name, const struct stat *st, cell_error_t *err)
{
  _cleanup_close_ int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (in < 0)
    return cell_error_errno (err, "open '%s'", name);
  _cleanup_close_ int out
      = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0)
    return cell_error_errno (err, "create '%s'", name);
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cell_error_errno (err, "read '%s'", name);
      if (n == 0)
        return 0;
      if (cell_write_all (out, buf, (size_t) n, err) < 0)
        return cell_error_prefix (err, "'%s'", name);
    }
}

static int
copy_entry (int srcdir, int dstdir, const char *name, cell_error_t *err)
{
  struct stat st;
  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cell_error_errno (err, "stat '%s'", name);
  if (S_ISDIR (st.st_mode))
    {
      if (mkdirat (dstdir, name, 0700) < 0)
        return cell_error_errno (err, "mkdir '%s'", name);
      _cleanup_close_ int s = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      _cleanup_close_ int d = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return cell_error_errno (err, "open '%s'", name);
      if (copy_tree (s, d, name, err) < 0)
        return -1;
    }
  else if (S_ISREG (st.st_mode))
    {
      if (copy_file (srcdir, dstdir, name, &st, err) < 0)
        return -1;
    }
  else if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (srcdir, name, target, sizeof target - 1);
      if (n < 0)
        return cell_error_errno (err, "readlink '%s'", name);
      target[n] = '\0';
      if (symlinkat (target, dstdir, name) < 0)
        return cell_error_errno (err, "symlink '%s'", name);
    }
  else if (mknodat (dstdir, name, st.st_mode, st.st_rdev) < 0)
    return cell_error_errno (err, "mknod '%s'", name);
  if (fchownat (dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cell_error_errno (err, "chown '%s'", name);
  if (!S_ISLNK (st.st_mode) && fchmodat (dstdir, name, st.st_mode & 07777, 0) < 0)
    return cell_error_errno (err, "chmod '%s'", name);
  return 0;
}

static int
copy_tree (int srcfd, int dstfd, const char *what, cell_error_t *err)
{
  int dfd = dup (srcfd);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return cell_error_errno (err, "opendir '%s'", what);
    }
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir (d)))
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      r = copy_entry (srcfd, dstfd, e->d_name, err);
    }
  closedir (d);
  return r;
}

static int
tmpcopyup (int destfd, int mntfd, cell_error_t *err)
{
  _cleanup_close_ int src = openat (destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int dst = openat (mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return cell_error_errno (err, "tmpcopyup: open");
  if (copy_tree (src, dst, ".", err) < 0)
    return cell_error_prefix (err, "tmpcopyup");
  return 0;
}

/* ---- new filesystems ---- */

/* The kernel explains fsconfig() failures in the context's log; keep its last line for the error. */
static int
fs_error (int fsfd, cell_error_t *err, const char *what)
{
  int code = errno;
  char buf[512], last[512] = "";
  ssize_t n;
  while ((n = read (fsfd, buf, sizeof buf - 1)) > 0)
    {
      buf[n] = '\0';
      snprintf (last, sizeof last, "%s", buf[0] && buf[1] == ' ' ? buf + 2 : buf);
      last[strcspn (last, "\n")] = '\0';
    }
  if (last[0])
    return cell_error (err, code, "%s (%s)", what, last);
  return cell_error (err, code, "%s", what);
}

static int
fs_set_data (int fsfd, const char *data, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (data);
  char *save = NULL;
  for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (o, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          r = fsconfig (fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
        }
      else
        r = fsconfig (fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
      if (r < 0)
        {
          _cleanup_free_ char *what = xasprintf (eq ? "fsconfig '%s=%s'" : "fsconfig '%s'", o, eq ? eq + 1 : "");
          return fs_error (fsfd, err, what);
        }
    }
  return 0;
}

/* Superblock flags: fs_context's generic keys (fs/fs_context.c common_set_sb_flag). */
static int
fs_set_sb_flags (int fsfd, unsigned long flags, cell_error_t *err)
{
  static const struct
  {
    unsigned long ms;
    const char *key;
  } map[] = { { MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
              { MS_LAZYTIME, "lazytime" }, { MS_MANDLOCK, "mand" } };
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if ((flags & map[i].ms) && fsconfig (fsfd, FSCONFIG_SET_FLAG, map[i].key, NULL, 0) < 0)
      {
        _cleanup_free_ char *what = xasprintf ("fsconfig '%s'", map[i].key);
        return fs_error (fsfd, err, what);
      }
  return 0;
}

/* cell manages only the unified hierarchy: a "cgroup" mount (runc's default spec writes one) is a cgroup2
 * mount, as runc makes it on a cgroup v2 host. */
static const char *
fs_type (const struct cell_mount *m)
{
  return strcmp (m->type, "cgroup") == 0 ? "cgroup2" : m->type;
}

/* fsopen .. fsmount; returns the detached mount fd. ENOSYS/EPERM from fsopen itself are returned as -2 with
 * errno set and no error, so that the caller may fall back to mount(2). */
static int
fs_new (const struct cell_mount *m, const struct cell_mount_plan *plan, cell_error_t *err)
{
  _cleanup_close_ int fsfd = fsopen (fs_type (m), FSOPEN_CLOEXEC);
  if (fsfd < 0 && (errno == ENOSYS || errno == EPERM))
    return -2;
  if (fsfd < 0)
    return cell_error_errno (err, "fsopen '%s'", m->type);
  if (m->source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
    return fs_error (fsfd, err, "fsconfig 'source'");
  if (fs_set_sb_flags (fsfd, plan->flags, err) < 0)
    return -1;
  if (plan->data && fs_set_data (fsfd, plan->data, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      _cleanup_free_ char *what = xasprintf ("mount %s", m->type);
      return fs_error (fsfd, err, what);
    }
  uint64_t set, clr;
  cell_mount_plan_attrs (plan, &set, &clr);
  int mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned) set);
  if (mntfd < 0)
    return cell_error_errno (err, "fsmount %s", m->type);
  return mntfd;
}

/* Old path: mount(2) onto /proc/self/fd/N of the O_PATH destination (still no path walk in the rootfs). */
static int
fs_legacy (const struct cell_mount *m, const struct cell_mount_plan *plan, int destfd, cell_error_t *err)
{
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", destfd);
  unsigned long flags = plan->flags & ~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT);
  if (mount (m->source ? m->source : m->type, proc, fs_type (m), flags, plan->data) < 0)
    return cell_error_errno (err, "mount %s", m->type);
  return 0;
}

/* ---- nothing but proc on /proc (CVE-2019-16884, CVE-2019-19921 classes) ---- */

/* The files lxcfs emulates (runc's list): a bind of a file onto one of them is the one other mount allowed in
 * /proc. */
static const char *const proc_binds[] = {
  "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",    "/proc/stat",           "/proc/swaps",
  "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo",   "/proc/net/dev",        "/proc/sys/kernel/ns_last_pid",
  "/proc/sys/crypto/fips_enabled",
};

static bool
proc_bind_allowed (const char *dest)
{
  for (size_t i = 0; i < ARRAY_SIZE (proc_binds); i++)
    if (strcmp (dest, proc_binds[i]) == 0)
      return true;
  return false;
}

/* A destination (already resolved inside the rootfs, whatever symlinks led there) that is the rootfs' /proc
 * directory or inside a procfs takes no mount but proc (a fake /proc would receive what the runtime and the
 * LSMs write there), except the lxcfs file binds. */
static int
check_not_proc (int rootfd, int destfd, const struct cell_mount *m, bool bind, cell_error_t *err)
{
  struct statfs sfs;
  struct stat d, p;
  if (fstatfs (destfd, &sfs) < 0 || fstat (destfd, &d) < 0)
    return cell_error_errno (err, "stat '%s'", m->destination);
  if (sfs.f_type == PROC_SUPER_MAGIC)
    {
      if (bind && !S_ISDIR (d.st_mode) && proc_bind_allowed (m->destination))
        return 0;
      return cell_error (err, EPERM, "'%s' is inside /proc: only proc may be mounted there", m->destination);
    }
  _cleanup_close_ int proc = openat (rootfd, "proc", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (proc >= 0 && fstat (proc, &p) == 0 && p.st_dev == d.st_dev && p.st_ino == d.st_ino)
    return cell_error (err, EPERM, "'%s' is /proc: only proc may be mounted there", m->destination);
  return 0;
}

/* ---- one mount ---- */

struct mnt_ctx
{
  struct cell_rootfs *r;
  const struct cell_mount *m;
  struct cell_mount_plan plan;
  int source_fd; /* the bind source, already cloned by the runtime (taken), or -1 */
};

static int
bind_source_clone (const struct mnt_ctx *c, const char *source, bool *dir, cell_error_t *err)
{
  _cleanup_free_ char *abs = source[0] == '/' ? xstrdup (source) : xasprintf ("%s/%s", c->r->bundle, source);
  /* In a user namespace the runtime cloned it for us, with its own credentials (cell_mount_sources_send). */
  int fd = c->source_fd >= 0 ? c->source_fd : cell_mnt_clone (AT_FDCWD, abs, (c->plan.flags & MS_REC) != 0, err);
  struct stat st;
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return cell_error_errno (err, "stat '%s'", abs);
    }
  *dir = S_ISDIR (st.st_mode);
  return fd;
}

/* Flags on a detached bind: the plain ones on the top mount only (as runc's remount), r* ones recursively. */
static int
bind_attrs (const struct mnt_ctx *c, int mntfd, cell_error_t *err)
{
  uint64_t set, clr;
  cell_mount_plan_attrs (&c->plan, &set, &clr);
  if (cell_mnt_setattr (mntfd, set, clr, 0, false, c->m->destination, err) < 0)
    return -1;
  if (c->plan.recursive_attrs)
    return cell_mnt_setattr (mntfd, c->plan.attr_set, c->plan.attr_clr, 0, true, c->m->destination, err);
  return 0;
}

static int
place (const struct mnt_ctx *c, int mntfd, int destfd, cell_error_t *err)
{
  if (cell_mnt_move (mntfd, destfd, c->m->destination, err) < 0)
    return -1;
  unsigned long prop = c->plan.propagation;
  return cell_mnt_setattr (mntfd, 0, 0, prop & ~(unsigned long) MS_REC, (prop & MS_REC) != 0, c->m->destination,
                           err);
}

/* Bind source onto the destination; destfd >= 0: already opened by the caller, else opened (and created as a
 * directory or a file, like the source) here. */
static int
mount_bind (const struct mnt_ctx *c, const char *source, int destfd, cell_error_t *err)
{
  bool dir = false;
  _cleanup_close_ int mntfd = bind_source_clone (c, source, &dir, err);
  if (mntfd < 0)
    return -1;
  if (bind_attrs (c, mntfd, err) < 0)
    return -1;
  _cleanup_close_ int owned = -1;
  if (destfd < 0)
    {
      destfd = owned = cell_mnt_dest (c->r->rootfd, c->m->destination, dir, false, err);
      if (destfd < 0 || check_not_proc (c->r->rootfd, destfd, c->m, true, err) < 0)
        return -1;
    }
  return place (c, mntfd, destfd, err);
}

static bool
type_is (const struct cell_mount *m, const char *t)
{
  return m->type && strcmp (m->type, t) == 0;
}

static int
mount_legacy (const struct mnt_ctx *c, int destfd, cell_error_t *err)
{
  if (fs_legacy (c->m, &c->plan, destfd, err) < 0)
    return -1;
  /* Reopen: the walk now ends on the new mount's root. */
  _cleanup_close_ int top = cell_mnt_dest (c->r->rootfd, c->m->destination, true, false, err);
  if (top < 0)
    return -1;
  if (c->plan.recursive_attrs
      && cell_mnt_setattr (top, c->plan.attr_set, c->plan.attr_clr, 0, true, c->m->destination, err) < 0)
    return -1;
  unsigned long prop = c->plan.propagation;
  return cell_mnt_setattr (top, 0, 0, prop & ~(unsigned long) MS_REC, (prop & MS_REC) != 0, c->m->destination,
                           err);
}

static int
mount_fs (const struct mnt_ctx *c, int destfd, cell_error_t *err)
{
  _cleanup_close_ int mntfd = fs_new (c->m, &c->plan, err);
  if (mntfd == -2)
    return mount_legacy (c, destfd, err);
  if (mntfd < 0)
    return -1;
  if (c->plan.recursive_attrs
      && cell_mnt_setattr (mntfd, c->plan.attr_set, c->plan.attr_clr, 0, true, c->m->destination, err) < 0)
    return -1;
  if (c->plan.tmpcopyup && type_is (c->m, "tmpfs") && tmpcopyup (destfd, mntfd, err) < 0)
    return -1;
  return place (c, mntfd, destfd, err);
}

/* The init's own cgroup (the container's: it was cloned into it; r->cgroup_source, found by the lifecycle),
 * bind-mounted with the mount's flags (ro, nosuid, ...), not recursively. */
static int
mount_cgroup_bind (const struct mnt_ctx *c, int destfd, cell_error_t *err)
{
  if (c->r->cgroup_source == NULL)
    return cell_error (err, EPERM, "mount cgroup: not permitted in a user namespace, and no cgroup v2 hierarchy "
                                   "to bind instead");
  struct mnt_ctx bc = *c;
  bc.plan.flags |= MS_BIND;
  bc.plan.flags &= ~(unsigned long) MS_REC;
  return mount_bind (&bc, c->r->cgroup_source, destfd, err);
}

static bool
data_has_key (const char *data, const char *key)
{
  size_t n = strlen (key);
  for (const char *p = data;; p++)
    {
      if (strncmp (p, key, n) == 0 && p[n] == '=')
        return true;
      if ((p = strchr (p, ',')) == NULL)
        return false;
    }
}

/* A tmpfs over a directory that exists keeps that directory's mode unless the options give one (runc's
 * rule since opencontainers/runc#3912, crun's since containers/crun#1331): "mode=<its mode>," goes first,
 * so that a mode= of the options still wins. NULL: nothing to add (no such directory, or mode= given). */
static char *
tmpfs_data_with_mode (const struct mnt_ctx *c)
{
  if (!type_is (c->m, "tmpfs") || (c->plan.data && data_has_key (c->plan.data, "mode")))
    return NULL;
  _cleanup_close_ int fd = cell_open_in_root (c->r->rootfd, c->m->destination, O_PATH, 0, NULL);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    return NULL;
  unsigned mode = st.st_mode & 07777;
  return c->plan.data ? xasprintf ("mode=%o,%s", mode, c->plan.data) : xasprintf ("mode=%o", mode);
}

static int
mount_new (const struct mnt_ctx *c, cell_error_t *err)
{
  struct mnt_ctx tc = *c;
  _cleanup_free_ char *data = tmpfs_data_with_mode (c);
  if (data)
    tc.plan.data = data;
  c = &tc;
  /* proc and sysfs on a symlink were CVE-2019-16884/19921: the last component is never followed for them. */
  bool nofollow = type_is (c->m, "proc") || type_is (c->m, "sysfs");
  _cleanup_close_ int destfd = cell_mnt_dest (c->r->rootfd, c->m->destination, true, nofollow, err);
  if (destfd < 0 || (!type_is (c->m, "proc") && check_not_proc (c->r->rootfd, destfd, c->m, false, err) < 0))
    return -1;
  cell_error_t e = NULL;
  if (mount_fs (c, destfd, &e) == 0)
    return 0;
  if ((type_is (c->m, "cgroup") || type_is (c->m, "cgroup2")) && e->code == EPERM && c->r->userns)
    {
      /* cgroup2 cannot be mounted from a user namespace without a cgroup namespace of its own (the mount
       * would show the host's whole hierarchy): bind the container's own cgroup instead, as runc does. */
      cell_error_free (&e);
      return mount_cgroup_bind (c, destfd, err);
    }
  if (type_is (c->m, "sysfs") && e->code == EPERM)
    {
      /* A user namespace without its own network namespace may not mount sysfs: bind the host's, as runc.
       * Unlike runc, ro/nosuid/nodev/noexec also cover the submounts (the host's cgroup hierarchies). */
      cell_error_free (&e);
      struct mnt_ctx rc = *c;
      uint64_t set, clr;
      rc.plan.flags |= MS_BIND | MS_REC;
      cell_mount_plan_attrs (&rc.plan, &set, &clr);
      rc.plan.attr_set |= set & ~(uint64_t) MOUNT_ATTR__ATIME;
      rc.plan.recursive_attrs = true;
      return mount_bind (&rc, "/sys", destfd, err);
    }
  if (err)
    *err = e;
  else
    cell_error_free (&e);
  return -1;
}

/* "remount": change the flags of what is already mounted at the destination. */
static int
mount_remount (const struct mnt_ctx *c, cell_error_t *err)
{
  _cleanup_close_ int destfd = cell_open_in_root (c->r->rootfd, c->m->destination, O_PATH, 0, err);
  if (destfd < 0)
    return -1;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", destfd);
  if (mount (NULL, proc, NULL, c->plan.flags & ~(unsigned long) MS_REC, c->plan.data) < 0)
    return cell_error_errno (err, "remount");
  if (c->plan.recursive_attrs
      && cell_mnt_setattr (destfd, c->plan.attr_set, c->plan.attr_clr, 0, true, c->m->destination, err) < 0)
    return -1;
  unsigned long prop = c->plan.propagation;
  return cell_mnt_setattr (destfd, 0, 0, prop & ~(unsigned long) MS_REC, (prop & MS_REC) != 0, c->m->destination,
                           err);
}

static int
mount_one (struct cell_rootfs *r, size_t i, cell_error_t *err)
{
  struct mnt_ctx c = { .r = r, .m = &r->config->mounts[i], .source_fd = -1 };
  if (cell_mount_plan (c.m, i, &c.plan, err) < 0)
    return -1;
  int ret;
  if (c.plan.idmap)
    ret = cell_error (err, 0, "mounts[%zu].%s: not supported", i,
                      c.m->n_uid_mappings ? "uidMappings" : "options: idmap");
  else if (c.plan.flags & MS_REMOUNT)
    ret = mount_remount (&c, err);
  else if (c.plan.bind)
    {
      if (r->source_fds)
        c.source_fd = TAKE_FD (r->source_fds[i]);
      ret = mount_bind (&c, c.m->source, -1, err);
    }
  else
    ret = mount_new (&c, err);
  cell_mount_plan_free (&c.plan);
  if (ret < 0 && !c.plan.idmap)
    cell_error_prefix (err, "mounts[%zu] (%s)", i, c.m->destination);
  return ret;
}

int
cell_mounts_apply (struct cell_rootfs *r, cell_error_t *err)
{
  for (size_t i = 0; i < r->config->n_mounts; i++)
    if (mount_one (r, i, err) < 0)
      return -1;
  return 0;
}
