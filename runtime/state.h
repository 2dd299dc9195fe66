/* cell: the state directory <root>/<id>/ of a container.
 *   state.json   written once, atomically, by create: cell's bookkeeping and the config as created (exec and
 *                delete read it; the bundle may change afterwards)
 *   start.sock   the socket `cell start` connects to (see sync.h); start removes it, so "started" is its
 *                absence and start writes nothing
 * Every command holds flock(LOCK_EX) on the directory while it works, which serialises commands on one
 * container. */
#ifndef CELL_RUNTIME_STATE_H
#define CELL_RUNTIME_STATE_H

#include "base/error.h"
#include "base/proc.h" /* cell_proc_start_time() */
#include "config/config.h"

#include <stdbool.h>
#include <sys/types.h>

/* The largest state.json (and state JSON sent to the init at start) we read: a 4 MiB config, escaped. */
#define CELL_STATE_MAX (32 << 20)

struct cell_state
{
  char *id;
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  pid_t pid;
  unsigned long long pid_start; /* /proc/PID/stat field 22: defeats pid reuse */
  bool started; /* derived when read: start.sock is gone */
  char *cgroup; /* path in the unified hierarchy, NULL when none */
  bool cgroup_created;
  bool own_pidns; /* the container has its own pid namespace: killing init kills all */
  /* No mount namespace of its own: the mount id at rootfs before the create; delete detaches what the
   * container stacked on it (cell_rootfs_detach_shared). 0 otherwise. */
  unsigned long long rootfs_under_mnt;
  unsigned long long rootfs_mntns; /* ... and the inode of the mount namespace it is in */
  char *config;   /* config.json text as created */
};

/* mkdir <root>/<id> (refusing an existing one) and lock it. Returns the locked dirfd. */
int cell_state_create_dir (const char *root, const char *id, cell_error_t *err);
/* Open and lock an existing container's directory ("container 'x' does not exist"). */
int cell_state_open_dir (const char *root, const char *id, cell_error_t *err);
int cell_state_write (int dirfd, const struct cell_state *s, cell_error_t *err);
/* What a create killed before it wrote state.json leaves: the directory and, once the container's cgroup was
 * made, the symlink "cgroup" -> its path (cell_state_note_cgroup; one syscall, before anything runs in it).
 * open_incomplete() locks such a directory (an error when state.json exists); noted_cgroup() reads the link
 * (NULL: none; caller frees). `delete --force` removes both. */
int cell_state_open_incomplete (const char *root, const char *id, cell_error_t *err);
int cell_state_note_cgroup (int dirfd, const char *cgroup, cell_error_t *err);
char *cell_state_noted_cgroup (int dirfd);
/* The same for a container without a mount namespace of its own, before its clone: the symlink "rootfs-mount" ->
 * "<rootfs_under_mnt>:<rootfs_mntns>:<rootfs>", so that `delete --force` detaches what the init stacked on the
 * rootfs (cell_rootfs_detach_shared). noted_rootfs_mount() returns the path (caller frees) and sets *under and
 * *mntns, or NULL. */
int cell_state_note_rootfs_mount (int dirfd, const struct cell_state *s, cell_error_t *err);
char *cell_state_noted_rootfs_mount (int dirfd, unsigned long long *under, unsigned long long *mntns);
int cell_state_read (int dirfd, struct cell_state *s, cell_error_t *err);
void cell_state_release (struct cell_state *s);
/* Remove the directory and its files. */
int cell_state_remove_dir (const char *root, const char *id, cell_error_t *err);

/* "created", "running", "paused" or "stopped", from the init's liveness (pid + start time), s->started and
 * the cgroup's freezer. */
const char *cell_state_status (const struct cell_state *s);
/* runtime-spec state JSON (ociVersion, id, status, pid, bundle, annotations) + rootfs, created, owner. */
char *cell_state_to_json (const struct cell_state *s, const struct cell_config *c, const char *status, bool pretty);
/* Current time in RFC 3339 with nanoseconds (caller frees). */
char *cell_now_rfc3339 (void);

/* Write pid to path atomically (tmp + rename), as runc does for --pid-file. */
int cell_write_pid_file (const char *path, pid_t pid, cell_error_t *err);

#endif
