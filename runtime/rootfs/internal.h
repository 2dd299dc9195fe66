/* cell: helpers shared by mounts.c, mount-plan.c, dev.c and rootfs.c. Same error contract as rootfs.h.
 * "mntfd" is a mount fd from fsmount()/open_tree(OPEN_TREE_CLONE); "destfd" an O_PATH fd of where it goes. */
#ifndef CELL_RUNTIME_MOUNTS_INTERNAL_H
#define CELL_RUNTIME_MOUNTS_INTERNAL_H

#include "rootfs.h"

#include <stdbool.h>
#include <stdint.h>

/* The per-mount MS_* flags of plan (ro, nosuid, nodev, noexec, nodiratime, nosymfollow, atime mode) as
 * MOUNT_ATTR_* to set and clear; the atime mode is only touched when an atime option was given. */
void cell_mount_plan_attrs (const struct cell_mount_plan *plan, uint64_t *set, uint64_t *clr);
/* "rslave" -> MS_SLAVE|MS_REC etc.; -1 on an unknown name. */
int cell_propagation_parse (const char *name, unsigned long *flags);

/* mount_setattr(fd, "", AT_EMPTY_PATH [|AT_RECURSIVE]); propagation is one of MS_SHARED/SLAVE/PRIVATE/
 * UNBINDABLE or 0. what names the mount in the error. */
int cell_mnt_setattr (int fd, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive, const char *what,
                      cell_error_t *err);
/* move_mount(mntfd -> destfd), both by fd. */
int cell_mnt_move (int mntfd, int destfd, const char *what, cell_error_t *err);
/* open_tree(dirfd, path, OPEN_TREE_CLONE [|AT_RECURSIVE]); path "" means dirfd itself. */
int cell_mnt_clone (int dirfd, const char *path, bool recursive, cell_error_t *err);
/* Open (creating if missing: a directory, or an empty file when !dir) the mount destination `dest` inside
 * rootfd; parents are created. nofollow: the last component must not be a symlink (proc, sysfs: CVE-2019-19921);
 * otherwise a symlink is followed, inside the root. Returns an O_PATH fd. */
int cell_mnt_dest (int rootfd, const char *dest, bool dir, bool nofollow, cell_error_t *err);
/* Split dest into its parent and last component (both owned); last is "" for the root itself. */
void cell_path_split (const char *dest, char **parent, char **last);

/* True when mount m is "/dev" (any spelling) and is a bind mount (then /dev is not ours to populate). */
bool cell_mount_is_dev (const struct cell_mount *m, bool *bind);

#endif
