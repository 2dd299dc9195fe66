/* cell: the container's filesystem view. Runs in the container's init, in its new mount namespace.
 *
 * Every path under the rootfs is resolved with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) against an fd of
 * the rootfs and mounted by fd (open_tree/move_mount/mount_setattr, fsopen for new filesystems), so a symlink in
 * a hostile rootfs can never make a mount, a device node or a file land outside it.
 *
 * Compute is separate from apply: cell_mount_plan() turns one config mount into flags (pure, unit-tested);
 * the *_apply/setup functions act. */
#ifndef CELL_RUNTIME_MOUNTS_H
#define CELL_RUNTIME_MOUNTS_H

#include "base/error.h"
/* gnu11 predefines `linux` as 1, which would eat config.h's `struct cell_linux linux` field. */
#undef linux
#include "config/config.h"

#include <stdbool.h>
#include <stdint.h>

struct cell_mount_plan
{
  unsigned long flags;         /* MS_* for mount(2) (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...) */
  unsigned long clear_flags;   /* flags explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation;   /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (+MS_REC), 0 = none */
  uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* for recursive options (rro, rnosuid, ...) via mount_setattr */
  bool recursive_attrs;
  char *data; /* comma-joined filesystem-specific options, NULL if none; owned */
  bool bind;
  bool idmap; /* "idmap"/"ridmap" or uidMappings present */
  bool idmap_recursive; /* "ridmap" */
  bool tmpcopyup;
};

/* Options of config mount m (index i for error paths "mounts[3].options[1]") into a plan. */
int cell_mount_plan (const struct cell_mount *m, size_t i, struct cell_mount_plan *plan, cell_error_t *err);
void cell_mount_plan_free (struct cell_mount_plan *plan);

struct cell_rootfs
{
  const struct cell_config *config;
  char *rootfs;    /* absolute host path of the rootfs; owned, freed by cell_rootfs_release() */
  char *bundle;    /* absolute bundle path (relative bind sources are relative to it); owned */
  int rootfd;      /* O_PATH|O_DIRECTORY fd of the rootfs mount point after cell_rootfs_prepare() */
  bool userns;     /* running in a new user namespace: no mknod, bind devices instead */
  bool no_pivot;
  bool shared_mntns; /* no mount namespace of its own: the caller's is shared, so chroot, never pivot */
  int console_fd;  /* pty slave to mount on /dev/console, or -1; not owned */
  int procfd;      /* cell_procfs_open() before the pivot: sysctl is written through it; owned */
  int *source_fds; /* user namespace: a detached mount per config mount (its bind source) or -1; owned */
  int *device_fds; /* user namespace: a detached mount per linux.devices node (made by the runtime) or -1 */
  char *cgroup_source; /* user namespace without a cgroup namespace: the host path of the container's cgroup,
                        * bound where cgroup2 cannot be mounted; or NULL. Owned */
};

/* Make the mount tree per linux.rootfsPropagation (default rslave, as runc), make the rootfs' parent mount
 * private if it is shared (pivot_root refuses shared parents) or unbindable (open_tree refuses to clone from it),
 * then rbind the rootfs onto itself so it is a mount point; fills r->rootfd. With r->shared_mntns the caller's
 * mount tree is left as it is: only the rbind is made, the container's mounts go under it, and
 * cell_rootfs_detach_shared() removes it all at delete. */
int cell_rootfs_prepare (struct cell_rootfs *r, cell_error_t *err);
/* config mounts, in order. Errors name the mount: "mounts[3] (/proc): mount proc". A failing sysfs mount (a
 * user namespace without its own network namespace) falls back to an rbind of the host's /sys, as runc does.
 * idmapped mounts are refused ("not supported"). */
int cell_mounts_apply (struct cell_rootfs *r, cell_error_t *err);
/* /dev: default devices (null zero full random urandom tty), symlinks (fd stdin stdout stderr core ptmx),
 * linux.devices, /dev/console from r->console_fd. Defaults and symlinks unless the config bind-mounts /dev
 * (runc's rule; existing nodes are kept); linux.devices always. In a user namespace, devices are bind mounts of
 * the host's nodes (defaults) or of those the runtime made (r->device_fds). Runs before the pivot (the host's
 * device nodes are still reachable). */
int cell_dev_setup (struct cell_rootfs *r, cell_error_t *err);
/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot; chroot alone with r->shared_mntns, where a
 * pivot would take the root of every process of the caller's mount namespace); afterwards "/" is the rootfs
 * and the cwd. */
int cell_rootfs_pivot (struct cell_rootfs *r, cell_error_t *err);
/* After pivot: linux.sysctl (through r->procfd, as the container's namespaces see it), maskedPaths, readonlyPaths,
 * root.readonly, then linux.rootfsPropagation on the new "/" (after the pivot so that it cannot reach the host,
 * last so that "runbindable" cannot refuse the masks' binds). Missing masked/readonly paths are ignored. */
int cell_rootfs_finalize (struct cell_rootfs *r, cell_error_t *err);
/* A container without a mount namespace of its own leaves its rbind of the rootfs (with its mounts under it)
 * in the caller's mount namespace: detach whatever is stacked on rootfs above the mount that was there before
 * the create (under_mnt_id, statx STATX_MNT_ID). Only in that same mount namespace (mntns, the inode of
 * /proc/self/ns/mnt at create): in another one the path may hold other mounts, with other ids, that are not
 * ours. Runs in the parent, at delete or when a create fails; rootfs is the caller's resolved path (trusted).
 * Best effort. */
void cell_rootfs_detach_shared (const char *rootfs, unsigned long long under_mnt_id, unsigned long long mntns);
/* The mount id of path (statx STATX_MNT_ID), 0 when it cannot be read. */
unsigned long long cell_mnt_id_of (const char *path);
/* The inode of our mount namespace (/proc/self/ns/mnt), 0 when it cannot be read. */
unsigned long long cell_mntns_of_self (void);
/* Close rootfd, free rootfs and bundle. */
void cell_rootfs_release (struct cell_rootfs *r);

#endif
