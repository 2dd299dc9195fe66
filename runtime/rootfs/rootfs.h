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
  int console_fd;  /* pty slave to mount on /dev/console, or -1; not owned */
  int procfd;      /* cell_procfs_open() before the pivot: sysctl is written through it; owned */
};

/* Make the mount tree per linux.rootfsPropagation (default rslave, as runc), make the rootfs' parent mount
 * private if it is shared (pivot_root refuses shared parents), then rbind the rootfs onto itself so it is a mount
 * point; fills r->rootfd. */
int cell_rootfs_prepare (struct cell_rootfs *r, cell_error_t *err);
/* config mounts, in order. Errors name the mount: "mounts[3] (/proc): mount proc". A failing sysfs mount (a
 * user namespace without its own network namespace) falls back to an rbind of the host's /sys, as runc does.
 * idmapped mounts are refused ("not supported"). */
int cell_mounts_apply (struct cell_rootfs *r, cell_error_t *err);
/* /dev: default devices (null zero full random urandom tty), symlinks (fd stdin stdout stderr core ptmx),
 * linux.devices, /dev/console from r->console_fd. Defaults and symlinks unless the config bind-mounts /dev
 * (runc's rule; existing nodes are kept); linux.devices always. In a user namespace, devices are bind mounts of
 * the host's nodes. Runs before the pivot (the host's device nodes are still reachable). */
int cell_dev_setup (struct cell_rootfs *r, cell_error_t *err);
/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot); afterwards "/" is the rootfs and the cwd.
 * Then linux.rootfsPropagation, if set, is applied to the new "/" (as runc, after the pivot so that it cannot
 * reach the host). */
int cell_rootfs_pivot (struct cell_rootfs *r, cell_error_t *err);
/* After pivot: linux.sysctl (through r->procfd, as the container's namespaces see it), maskedPaths, readonlyPaths,
 * then root.readonly. Missing masked/readonly paths are ignored. */
int cell_rootfs_finalize (struct cell_rootfs *r, cell_error_t *err);
/* Close rootfd, free rootfs and bundle. */
void cell_rootfs_release (struct cell_rootfs *r);

#endif
