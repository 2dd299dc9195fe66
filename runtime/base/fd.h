/* cell: fd helpers. Every fd cell opens is O_CLOEXEC; work is done with dirfds and *at() calls. */
#ifndef CELL_BASE_FD_H
#define CELL_BASE_FD_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* write(2) until done; EINTR retried. */
int cell_write_all (int fd, const void *buf, size_t len, cell_error_t *err);
/* Read the whole fd into a NUL-terminated buffer (*out, *len without the NUL); refuses more than max bytes. */
int cell_read_all (int fd, size_t max, char **out, size_t *len, cell_error_t *err);
/* Read a file relative to dirfd (AT_FDCWD allowed); max as above. */
int cell_read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, cell_error_t *err);
/* The same for optional files (cgroup and /proc knobs that may be absent): the text, or NULL on any error. */
char *cell_read_file_or_null (int dirfd, const char *path, size_t max);
/* Open an existing file O_WRONLY|O_TRUNC|O_NOFOLLOW and write data (for /proc and /sys knobs). */
int cell_write_file_at (int dirfd, const char *path, const void *data, size_t len, cell_error_t *err);
/* Write name in dirfd atomically: tmp file, then rename (no fsync). */
int cell_write_file_atomic (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            cell_error_t *err);
/* openat2(rootfd, path, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): `path` (absolute or relative) is resolved as
 * if rootfd were "/", so no symlink or ".." can leave it. flags get O_CLOEXEC added. */
int cell_open_in_root (int rootfd, const char *path, int flags, mode_t mode, cell_error_t *err);
/* Like cell_open_in_root() with RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH added: no symlink at all. */
int cell_open_beneath (int dirfd, const char *path, int flags, mode_t mode, cell_error_t *err);
/* CVE-2025-52881 class: /proc writes (oom_score_adj, id maps, timens offsets, sysctl) go through a procfs that
 * cell opened itself, never through a path the container could redirect. cell_procfs_open(): "/proc" of the
 * caller, verified to be the root of a procfs mount (fstatfs PROC_SUPER_MAGIC, STATX_ATTR_MOUNT_ROOT).
 * cell_procfs_openat(): path below it ("self/..." resolved in that procfs) with RESOLVE_BENEATH|
 * RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV, so a symlink or a file bind-mounted over the
 * target is refused. flags get O_CLOEXEC added. */
int cell_procfs_open (cell_error_t *err);
int cell_procfs_openat (int procfd, const char *path, int flags, cell_error_t *err);
/* Make the directory `path` (and its parents) inside rootfd, resolved as with cell_open_in_root(); returns an
 * O_PATH|O_DIRECTORY fd to it. */
int cell_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, cell_error_t *err);
/* Close every fd >= first except those listed (sorted or not); used before execve. */
int cell_close_fds_from (int first, const int *keep, size_t n_keep, cell_error_t *err);
/* Mark every fd >= first close-on-exec. */
int cell_cloexec_fds_from (int first, cell_error_t *err);
int cell_set_cloexec (int fd, bool on, cell_error_t *err);

#endif
