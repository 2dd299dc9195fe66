/* cell: /dev inside the rootfs: default device nodes, the usual symlinks, linux.devices and /dev/console.
 *
 * Like runc: the defaults and symlinks are made unless the config bind-mounts /dev; in a user namespace
 * (where mknod is refused) a device is an empty file with a node bind-mounted onto it: the host's for the
 * defaults, the one the runtime made for a linux.devices entry (the host need not have that path). Every node
 * is made through an fd of its parent directory, resolved inside the rootfs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the asan build overrides CFLAGS and loses -D_GNU_SOURCE */
#endif
#include "internal.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct dev_node
{
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct dev_node default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

/* In a user namespace: an empty file, with the host's node (same path) bind-mounted onto it, or the node the
 * runtime made for it (mntfd >= 0: a detached mount, taken; cell_mount_sources_send()). */
static int
dev_bind_host (int parentfd, const char *last, const struct dev_node *n, int mntfd_given, cell_error_t *err)
{
  _cleanup_close_ int given = mntfd_given;
  /* Created empty, or what the rootfs has there, never opened for writing: it may be a hard link to a host
   * file on a shared volume. */
  _cleanup_close_ int f = openat (parentfd, last, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0 && errno != EEXIST)
    return cell_error_errno (err, "create '%s'", n->path);
  _cleanup_close_ int destfd = openat (parentfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (destfd < 0 || fstat (destfd, &st) < 0)
    return cell_error_errno (err, "open '%s'", n->path);
  if (S_ISLNK (st.st_mode) || S_ISDIR (st.st_mode))
    return cell_error (err, EEXIST, "'%s' exists and is not a file or device", n->path);
  _cleanup_close_ int mntfd = given >= 0 ? TAKE_FD (given) : cell_mnt_clone (AT_FDCWD, n->path, false, err);
  if (mntfd < 0)
    return -1;
  return cell_mnt_move (mntfd, destfd, n->path, err);
}

/* Owner and exact mode of the node just made, through an O_PATH fd (never following a symlink). */
static int
dev_fix_owner (int parentfd, const char *last, const struct dev_node *n, cell_error_t *err)
{
  _cleanup_close_ int fd = openat (parentfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return cell_error_errno (err, "open '%s'", n->path);
  /* The node we just made, unless something replaced it meanwhile (a shared volume): then not ours to chown. */
  if ((st.st_mode & S_IFMT) != n->type
      || (n->type != S_IFIFO && st.st_rdev != makedev (n->major, n->minor)))
    return cell_error (err, EEXIST, "'%s' exists and is not the expected device", n->path);
  if ((st.st_uid != n->uid || st.st_gid != n->gid) && fchownat (fd, "", n->uid, n->gid, AT_EMPTY_PATH) < 0)
    return cell_error_errno (err, "chown '%s'", n->path);
  /* mknod honours the umask (cell_dev_setup clears it); a chown may have cleared setuid/setgid bits. */
  if ((st.st_mode & 07777) == (n->mode & 07777) && st.st_uid == n->uid && st.st_gid == n->gid)
    return 0;
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (chmod (proc, n->mode & 07777) < 0)
    return cell_error_errno (err, "chmod '%s'", n->path);
  return 0;
}

/* devfd: /dev, already open (the default nodes), or -1 to resolve the node's parent inside the rootfs.
 * mntfd: the node the runtime made for a user namespace (taken), or -1. */
static int
dev_make (struct cell_rootfs *r, int devfd, const struct dev_node *n, int mntfd, cell_error_t *err)
{
  _cleanup_close_ int given = mntfd;
  _cleanup_free_ char *parent = NULL, *last = NULL;
  cell_path_split (n->path, &parent, &last);
  if (last[0] == '\0' || strcmp (last, ".") == 0 || strcmp (last, "..") == 0)
    return cell_error (err, EINVAL, "'%s': not a device path", n->path);
  _cleanup_close_ int own = devfd >= 0 ? -1 : cell_mkdir_p_in_root (r->rootfd, parent, 0755, err);
  if (devfd < 0 && own < 0)
    return -1;
  int parentfd = devfd >= 0 ? devfd : own;
  if (r->userns && n->type != S_IFIFO)
    return dev_bind_host (parentfd, last, n, TAKE_FD (given), err);
  if (mknodat (parentfd, last, n->type | (n->mode & 07777), makedev (n->major, n->minor)) < 0)
    {
      if (errno == EEXIST) /* as runc: what the rootfs already has stays */
        return 0;
      if (errno == EPERM && n->type != S_IFIFO)
        return dev_bind_host (parentfd, last, n, TAKE_FD (given), err);
      return cell_error_errno (err, "mknod '%s'", n->path);
    }
  return dev_fix_owner (parentfd, last, n, err);
}

static int
dev_config_node (struct cell_rootfs *r, size_t i, cell_error_t *err)
{
  const struct cell_device *d = &r->config->linux.devices[i];
  struct dev_node n = {
    .path = d->path,
    .major = (unsigned) d->major,
    .minor = (unsigned) d->minor,
    .mode = d->file_mode_present ? d->file_mode : 0666,
    .uid = d->uid_present ? d->uid : 0,
    .gid = d->gid_present ? d->gid : 0,
  };
  switch (d->type)
    {
    case 'c':
    case 'u':
      n.type = S_IFCHR;
      break;
    case 'b':
      n.type = S_IFBLK;
      break;
    case 'p':
      n.type = S_IFIFO;
      break;
    default:
      return cell_error (err, EINVAL, "linux.devices[%zu].type: invalid device type '%c'", i, d->type);
    }
  if (d->path == NULL || d->path[0] == '\0')
    return cell_error (err, EINVAL, "linux.devices[%zu].path: required", i);
  int mntfd = r->device_fds ? TAKE_FD (r->device_fds[i]) : -1;
  if (dev_make (r, -1, &n, mntfd, err) < 0)
    return cell_error_prefix (err, "linux.devices[%zu]", i);
  return 0;
}

static int
dev_symlinks (int devfd, cell_error_t *err)
{
  static const char *const links[][2] = {
    { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" }, { "core", "/proc/kcore" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (links); i++)
    {
      if (strcmp (links[i][0], "core") == 0 && access ("/proc/kcore", F_OK) < 0)
        continue;
      if (symlinkat (links[i][1], devfd, links[i][0]) < 0 && errno != EEXIST)
        return cell_error_errno (err, "symlink '/dev/%s'", links[i][0]);
    }
  /* /dev/ptmx must be the devpts instance's own (newinstance): a node left by the rootfs would reach the
   * host's. */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return cell_error_errno (err, "remove '/dev/ptmx'");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return cell_error_errno (err, "symlink '/dev/ptmx'");
  return 0;
}

/* The console's mount: the pty fd itself, or (when the pty lives in a mount of another mount namespace, which
 * open_tree refuses to clone) the same node reached through its path in our copy of the host's tree. */
static int
console_clone (int console_fd, cell_error_t *err)
{
  int fd = cell_mnt_clone (console_fd, "", false, NULL);
  if (fd >= 0 || errno != EINVAL)
    return fd >= 0 ? fd : cell_error_errno (err, "open_tree console");
  char proc[64], path[PATH_MAX];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", console_fd);
  ssize_t n = readlink (proc, path, sizeof path - 1);
  if (n < 0)
    return cell_error_errno (err, "readlink '%s'", proc);
  path[n] = '\0';
  struct stat a, b;
  _cleanup_close_ int mntfd = cell_mnt_clone (AT_FDCWD, path, false, err);
  if (mntfd < 0)
    return -1;
  if (fstat (console_fd, &a) < 0 || fstat (mntfd, &b) < 0)
    return cell_error_errno (err, "stat console");
  if (!S_ISCHR (b.st_mode) || a.st_rdev != b.st_rdev)
    return cell_error (err, EINVAL, "'%s' is not the console pty", path);
  return TAKE_FD (mntfd);
}

static int
dev_console (struct cell_rootfs *r, cell_error_t *err)
{
  _cleanup_close_ int destfd = cell_mnt_dest (r->rootfd, "/dev/console", false, true, err);
  if (destfd < 0)
    return -1;
  _cleanup_close_ int mntfd = console_clone (r->console_fd, err);
  if (mntfd < 0)
    return -1;
  return cell_mnt_move (mntfd, destfd, "/dev/console", err);
}

static bool
dev_is_bind_mounted (const struct cell_config *c)
{
  bool bind = false, any = false;
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      bool b;
      if (cell_mount_is_dev (&c->mounts[i], &b))
        any = true, bind = b;
    }
  return any && bind;
}

int
cell_dev_setup (struct cell_rootfs *r, cell_error_t *err)
{
  /* Nodes get their exact modes from mknod: no chmod after each (the process's umask is set at exec). */
  mode_t saved = umask (0);
  int ret = 0;
  if (!dev_is_bind_mounted (r->config))
    {
      /* One fd of /dev for all the defaults (resolved inside the rootfs like any other path). */
      _cleanup_close_ int devfd = cell_mkdir_p_in_root (r->rootfd, "/dev", 0755, err);
      ret = devfd < 0 ? -1 : 0;
      for (size_t i = 0; ret == 0 && i < ARRAY_SIZE (default_devices); i++)
        ret = dev_make (r, devfd, &default_devices[i], -1, err);
      if (ret == 0)
        ret = dev_symlinks (devfd, err);
    }
  for (size_t i = 0; ret == 0 && i < r->config->linux.n_devices; i++)
    ret = dev_config_node (r, i, err);
  umask (saved);
  if (ret < 0)
    return -1;
  if (r->console_fd >= 0 && dev_console (r, err) < 0)
    return cell_error_prefix (err, "/dev/console");
  return 0;
}
