/* cell: the rootfs as a mount point, the pivot into it, and what is done from inside afterwards (sysctl,
 * masked and read-only paths, a read-only root). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the asan build overrides CFLAGS and loses -D_GNU_SOURCE */
#endif
#include "internal.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

static int
root_propagation (const struct cell_config *c, unsigned long *flags, cell_error_t *err)
{
  *flags = MS_SLAVE | MS_REC; /* runc's default: host mounts still reach us, ours never reach the host */
  if (c->linux.rootfs_propagation && cell_propagation_parse (c->linux.rootfs_propagation, flags) < 0)
    return cell_error (err, EINVAL, "linux.rootfsPropagation: invalid value '%s'", c->linux.rootfs_propagation);
  return 0;
}

/* Unescape mountinfo's octal escapes (\040 for a space) in place. */
static void
mountinfo_unescape (char *s)
{
  char *o = s;
  for (char *p = s; *p; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')
        {
          *o++ = (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
          p += 3;
        }
      else
        *o++ = *p;
    }
  *o = '\0';
}

/* pivot_root(2) fails with EINVAL when new_root's parent mount is shared (it would propagate the pivot); with
 * rootfsPropagation "shared" it is, so make that one mount private, as runc's rootfsParentMountPrivate().
 * open_tree(OPEN_TREE_CLONE) fails with EINVAL when the mount it clones from is unbindable ("unbindable" or
 * "runbindable" with the rootfs on "/"): private as well, as crun does; the pivot sets the container's "/" to
 * what the config asks. */
static int
parent_mount_private (const char *rootfs, cell_error_t *err)
{
  struct statx stx;
  if (statx (AT_FDCWD, rootfs, 0, STATX_MNT_ID, &stx) < 0)
    return cell_error_errno (err, "statx '%s'", rootfs);
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return cell_error_errno (err, "open '/proc/self/mountinfo'");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      unsigned long long id;
      char mp[4097];
      if (sscanf (line, "%llu %*u %*s %*s %4096s", &id, mp) != 2 || id != stx.stx_mnt_id)
        continue;
      char *sep = strstr (line, " - ");
      if (sep)
        *sep = '\0'; /* only the optional fields before it count */
      if (strstr (line, " shared:") == NULL && strstr (line, " unbindable") == NULL)
        return 0;
      mountinfo_unescape (mp);
      if (mount (NULL, mp, NULL, MS_PRIVATE, NULL) < 0)
        return cell_error_errno (err, "make '%s' private", mp);
      return 0;
    }
  return 0;
}

/* A rootfs assembled by overlayfs from the io.cell.overlay.{lowerdir,upperdir,workdir} annotations (written by
 * `cell image unpack --cache`, see image/image.h): mounted here, in the container's own mount namespace, so
 * nothing is mounted on the host and delete has nothing to unmount. Returns a detached mount, or -2 when the
 * config asks for none. lowerdir is overlayfs' own syntax (absolute, ':'-separated, top-most first); upperdir
 * and workdir are relative to the bundle or absolute, and both or neither are given. */
static int
overlay_lowers (int fsfd, const char *lower, cell_error_t *err)
{
  /* fsconfig() takes strings of at most 256 bytes: one "lowerdir+" per layer (Linux 6.8), else the whole list
   * at once, which fits when it is short. */
  _cleanup_free_ char *copy = xstrdup (lower);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir+", dir, 0) < 0)
      {
        if (errno == EINVAL && dir == copy && fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) == 0)
          return 0;
        return cell_error_errno (err, "annotations.io.cell.overlay.lowerdir: '%s'", dir);
      }
  return 0;
}

static int
overlay_mount (struct cell_rootfs *r, cell_error_t *err)
{
  const char *lower = cell_config_annotation (r->config, "io.cell.overlay.lowerdir");
  const char *upper = cell_config_annotation (r->config, "io.cell.overlay.upperdir");
  const char *work = cell_config_annotation (r->config, "io.cell.overlay.workdir");
  if (lower == NULL && upper == NULL && work == NULL)
    return -2;
  if (lower == NULL || lower[0] != '/' || strstr (lower, ":/") != strstr (lower, ":"))
    return cell_error (err, EINVAL, "annotations.io.cell.overlay.lowerdir: expected absolute paths separated by ':'");
  if ((upper == NULL) != (work == NULL))
    return cell_error (err, EINVAL, "annotations.io.cell.overlay.upperdir and workdir: give both or neither");
  if (cell_config_namespace (r->config, CELL_NS_MOUNT) == NULL)
    return cell_error (err, EINVAL, "annotations.io.cell.overlay.lowerdir: needs a mount namespace");
  _cleanup_free_ char *up = upper && upper[0] != '/' ? xasprintf ("%s/%s", r->bundle, upper) : NULL;
  _cleanup_free_ char *wk = work && work[0] != '/' ? xasprintf ("%s/%s", r->bundle, work) : NULL;
  _cleanup_close_ int fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return cell_error_errno (err, "fsopen overlay");
  if (overlay_lowers (fsfd, lower, err) < 0)
    return -1;
  if (upper && fsconfig (fsfd, FSCONFIG_SET_STRING, "upperdir", up ? up : upper, 0) < 0)
    return cell_error_errno (err, "annotations.io.cell.overlay.upperdir: '%s'", up ? up : upper);
  if (work && fsconfig (fsfd, FSCONFIG_SET_STRING, "workdir", wk ? wk : work, 0) < 0)
    return cell_error_errno (err, "annotations.io.cell.overlay.workdir: '%s'", wk ? wk : work);
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return cell_error_errno (err, "mount overlay rootfs (annotations.io.cell.overlay.*)");
  int mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mntfd < 0)
    return cell_error_errno (err, "fsmount overlay rootfs");
  return mntfd;
}

int
cell_rootfs_prepare (struct cell_rootfs *r, cell_error_t *err)
{
  unsigned long prop;
  r->rootfd = -1;
  if (root_propagation (r->config, &prop, err) < 0)
    return -1;
  /* Sharing the caller's mount namespace: its propagation is not ours to change (runc makes the caller's "/"
   * rslave here), and its parent mount neither; the rbind below is the only change, under the rootfs. */
  if (!r->shared_mntns)
    {
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return cell_error_errno (err, "set propagation of '/'");
      /* Once every mount is made slave or private (rslave, the default, or rprivate) none is shared or
       * unbindable any more and the mountinfo walk can be skipped. */
      bool none_shared = (prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE));
      if (!none_shared && parent_mount_private (r->rootfs, err) < 0)
        return -1;
    }
  int overlay = overlay_mount (r, err);
  if (overlay == -1)
    return -1;
  _cleanup_close_ int tree = overlay >= 0 ? overlay : cell_mnt_clone (AT_FDCWD, r->rootfs, true, err);
  if (tree < 0)
    return cell_error_prefix (err, "rootfs");
  if (move_mount (tree, "", AT_FDCWD, r->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return cell_error_errno (err, "bind rootfs '%s' onto itself", r->rootfs);
  r->rootfd = openat (tree, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfd < 0)
    return cell_error_errno (err, "open rootfs '%s'", r->rootfs);
  return 0;
}

unsigned long long
cell_mnt_id_of (const char *path)
{
  struct statx stx;
  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

unsigned long long
cell_mntns_of_self (void)
{
  struct stat st;
  return stat ("/proc/self/ns/mnt", &st) == 0 ? (unsigned long long) st.st_ino : 0;
}

void
cell_rootfs_detach_shared (const char *rootfs, unsigned long long under_mnt_id, unsigned long long mntns)
{
  if (rootfs == NULL || under_mnt_id == 0 || mntns == 0 || cell_mntns_of_self () != mntns)
    return;
  /* Normally one mount: our rbind. Bounded, in case something mounted on top of it meanwhile. Lazy: processes
   * of the container that outlived it keep what they had open. */
  for (int i = 0; i < 8; i++)
    {
      unsigned long long id = cell_mnt_id_of (rootfs);
      if (id == 0 || id == under_mnt_id || umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
        return;
    }
}

static int
chroot_rootfs (struct cell_rootfs *r, cell_error_t *err)
{
  if (fchdir (r->rootfd) < 0)
    return cell_error_errno (err, "chdir to rootfs");
  if (chroot (".") < 0)
    return cell_error_errno (err, "chroot");
  return 0;
}

static int
pivot_move_root (struct cell_rootfs *r, cell_error_t *err)
{
  /* runc --no-pivot: move the rootfs mount over "/" and chroot into it (for ramfs roots, where pivot_root
   * cannot work). */
  if (fchdir (r->rootfd) < 0)
    return cell_error_errno (err, "chdir to rootfs");
  if (move_mount (r->rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return cell_error_errno (err, "move rootfs to '/'");
  if (chroot (".") < 0)
    return cell_error_errno (err, "chroot");
  return 0;
}

static int
pivot_root_dot (struct cell_rootfs *r, cell_error_t *err)
{
  /* pivot_root(".", "."): the old root ends up stacked under the new one, at "/", and is detached from there.
   * No put_old directory is needed in the rootfs (runc, since 2019). */
  if (fchdir (r->rootfd) < 0)
    return cell_error_errno (err, "chdir to rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return cell_error_errno (err, "pivot_root");
  /* Make the old root rslave first, so our unmount never propagates to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cell_error_errno (err, "make old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return cell_error_errno (err, "unmount old root");
  return 0;
}

int
cell_rootfs_pivot (struct cell_rootfs *r, cell_error_t *err)
{
  /* Without a mount namespace of our own, pivot_root and --no-pivot's move over "/" would both change the root
   * of every process of the caller's mount namespace (the host's): chroot, as runc and crun. */
  int (*jail) (struct cell_rootfs *, cell_error_t *) = r->shared_mntns ? chroot_rootfs
                                                       : r->no_pivot   ? pivot_move_root
                                                                       : pivot_root_dot;
  if (jail (r, err) < 0)
    return -1;
  if (chdir ("/") < 0)
    return cell_error_errno (err, "chdir '/'");
  return 0;
}

/* ---- after the pivot ---- */

static int
sysctl_one (int procfd, const struct cell_kv *kv, cell_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("sys/%s", kv->key);
  for (char *p = path; *p; p++)
    if (*p == '.')
      *p = '/';
  /* No symlink, no "..", no mount crossed: a key cannot write outside /proc/sys (config.c refuses "/" and
   * ".." in keys too). The entries of /proc/sys/{net,kernel,fs} are those of the writer's namespaces. */
  _cleanup_close_ int fd = cell_procfs_openat (procfd, path, O_WRONLY | O_TRUNC, err);
  if (fd < 0)
    return -1;
  return cell_write_all (fd, kv->value, strlen (kv->value), err);
}

static int
sysctl_apply (struct cell_rootfs *r, cell_error_t *err)
{
  const struct cell_linux *l = &r->config->linux;
  if (l->n_sysctl == 0)
    return 0;
  for (size_t i = 0; i < l->n_sysctl; i++)
    if (sysctl_one (r->procfd, &l->sysctl[i], err) < 0)
      return cell_error_prefix (err, "linux.sysctl.%s", l->sysctl[i].key);
  return 0;
}

/* /dev/null of the container, verified to be the real null device (1:3) before it masks anything. */
static int
open_dev_null (int rootfd, cell_error_t *err)
{
  _cleanup_close_ int fd = cell_open_beneath (rootfd, "dev/null", O_PATH, 0, err);
  struct stat st;
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return cell_error_errno (err, "stat '/dev/null'");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return cell_error (err, EINVAL, "'/dev/null' is not the null device");
  return TAKE_FD (fd);
}

/* Masked directories share one empty read-only tmpfs: made for the first, cloned for the others (one
 * superblock instead of one each). *tmpfs is the mount of the first, kept open until all are done. */
static int
mask_dir (int fd, int *tmpfs, const char *path, cell_error_t *err)
{
  if (*tmpfs >= 0)
    {
      _cleanup_close_ int mntfd = cell_mnt_clone (*tmpfs, "", false, err);
      if (mntfd < 0)
        return -1;
      return cell_mnt_move (mntfd, fd, path, err);
    }
  _cleanup_close_ int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return cell_error_errno (err, "fsopen tmpfs for '%s'", path);
  if (fsconfig (fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return cell_error_errno (err, "create tmpfs for '%s'", path);
  _cleanup_close_ int mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
  if (mntfd < 0)
    return cell_error_errno (err, "fsmount tmpfs for '%s'", path);
  if (cell_mnt_move (mntfd, fd, path, err) < 0)
    return -1;
  /* Attached now, in our mount namespace: open_tree can clone it. */
  *tmpfs = TAKE_FD (mntfd);
  return 0;
}

struct mask_fds
{
  int null;  /* the container's /dev/null, opened at first use */
  int tmpfs; /* mask_dir()'s shared tmpfs */
};

static int
mask_one (int rootfd, struct mask_fds *m, const char *path, cell_error_t *err)
{
  _cleanup_close_ int fd = cell_open_in_root (rootfd, path, O_PATH, 0, NULL);
  struct stat st;
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &st) < 0)
    return cell_error_errno (err, "open '%s'", path);
  if (S_ISDIR (st.st_mode))
    return mask_dir (fd, &m->tmpfs, path, err);
  if (m->null < 0 && (m->null = open_dev_null (rootfd, err)) < 0)
    return -1;
  _cleanup_close_ int mntfd = cell_mnt_clone (m->null, "", false, err);
  if (mntfd < 0)
    return -1;
  return cell_mnt_move (mntfd, fd, path, err);
}

static int
masked_paths (struct cell_rootfs *r, cell_error_t *err)
{
  char **v = r->config->linux.masked_paths;
  struct mask_fds m = { -1, -1 };
  int ret = 0;
  for (size_t i = 0; ret == 0 && v && v[i]; i++)
    if ((ret = mask_one (r->rootfd, &m, v[i], err)) < 0)
      cell_error_prefix (err, "linux.maskedPaths[%zu]", i);
  if (m.null >= 0)
    close (m.null);
  if (m.tmpfs >= 0)
    close (m.tmpfs);
  return ret;
}

static int
readonly_one (int rootfd, const char *path, cell_error_t *err)
{
  _cleanup_close_ int fd = cell_open_in_root (rootfd, path, O_PATH, 0, NULL);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  _cleanup_close_ int mntfd = cell_mnt_clone (fd, "", true, err);
  if (mntfd < 0)
    return -1;
  if (cell_mnt_setattr (mntfd, MOUNT_ATTR_RDONLY, 0, 0, true, path, err) < 0)
    return -1;
  return cell_mnt_move (mntfd, fd, path, err);
}

static int
readonly_paths (struct cell_rootfs *r, cell_error_t *err)
{
  char **v = r->config->linux.readonly_paths;
  for (size_t i = 0; v && v[i]; i++)
    if (readonly_one (r->rootfd, v[i], err) < 0)
      return cell_error_prefix (err, "linux.readonlyPaths[%zu]", i);
  return 0;
}

int
cell_rootfs_finalize (struct cell_rootfs *r, cell_error_t *err)
{
  if (sysctl_apply (r, err) < 0)
    return -1;
  if (masked_paths (r, err) < 0)
    return -1;
  if (readonly_paths (r, err) < 0)
    return -1;
  /* Only "/" itself: the mounts the config placed keep their own flags (runc does the same). */
  if (r->config->root.readonly && cell_mnt_setattr (r->rootfd, MOUNT_ATTR_RDONLY, 0, 0, false, "/", err) < 0)
    return cell_error_prefix (err, "root.readonly");
  /* rootfsPropagation on the new "/", now that it cannot reach the host's "/" (as runc), and last: once
   * "runbindable", nothing under "/" could be cloned any more (masking binds /dev/null). */
  if (r->config->linux.rootfs_propagation)
    {
      unsigned long prop;
      if (root_propagation (r->config, &prop, err) < 0)
        return -1;
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return cell_error_errno (err, "set propagation of '/' to %s", r->config->linux.rootfs_propagation);
    }
  return 0;
}

void
cell_rootfs_release (struct cell_rootfs *r)
{
  if (r->rootfd >= 0)
    close (r->rootfd);
  if (r->procfd >= 0)
    close (r->procfd);
  r->rootfd = r->procfd = -1;
  free (r->rootfs);
  free (r->bundle);
  free (r->cgroup_source);
  r->rootfs = r->bundle = r->cgroup_source = NULL;
}
