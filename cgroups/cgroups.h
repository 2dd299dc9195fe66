/* cell: the cgroup v2 manager (unified hierarchy only). Depends only on the config model.
 *
 * This first version places each container in its own cgroup and removes it on delete; resource limits come
 * with the cgroups issue (config validation refuses linux.resources until then). */
#ifndef CELL_CGROUPS_H
#define CELL_CGROUPS_H

#include "../runtime/base/error.h"

#include <stdbool.h>
#include <sys/types.h>

/* Mount point of the unified hierarchy: /sys/fs/cgroup when it is cgroup2, else /sys/fs/cgroup/unified
 * (hybrid hosts), else NULL. */
const char *cg_mountpoint (void);

/* The cgroup path (relative to the hierarchy root, starting with '/') for a container: cgroupsPath when
 * absolute, relative to the caller's own cgroup when relative, else <caller's cgroup>/<id>. Refuses "..".
 * Caller frees. */
char *cg_path_for (const char *cgroups_path, const char *id, cell_error_t *err);

/* mkdir the cgroup (and parents). Returns an O_DIRECTORY fd for CLONE_INTO_CGROUP. A cgroup that exists and
 * holds processes is refused. *created tells whether the leaf was made by us (delete removes only those). */
int cg_create (const char *path, bool *created, cell_error_t *err);
/* Move pid into the cgroup (for exec'd processes and the fallback path). */
int cg_enter (const char *path, pid_t pid, cell_error_t *err);
/* pids in the cgroup (cgroup.procs); *n set. Caller frees. */
pid_t *cg_pids (const char *path, size_t *n, cell_error_t *err);
/* Signal every process in the cgroup (cgroup.kill for SIGKILL where the kernel has it). */
int cg_kill_all (const char *path, int sig, cell_error_t *err);
/* Kill what is left, wait until empty (bounded), rmdir. Missing cgroup is not an error. */
int cg_destroy (const char *path, cell_error_t *err);

#endif
