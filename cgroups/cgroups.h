/* cell: the cgroup v2 manager (unified hierarchy only). Depends only on the config model.
 *
 * Paths (`path` arguments) are cgroup paths relative to the hierarchy's root, starting with '/'.
 * Resources: cg_plan_resources() turns linux.resources into file writes (pure, unit-tested), cg_apply() enables
 * the controllers the writes need in every ancestor and writes them. Freezer, stats and OOM counters below. */
#ifndef CELL_CGROUPS_H
#define CELL_CGROUPS_H

#include "../runtime/base/error.h"
#include "../runtime/config/config.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Mount point of the unified hierarchy: /sys/fs/cgroup when it is cgroup2, else /sys/fs/cgroup/unified
 * (hybrid hosts), else NULL. */
const char *cg_mountpoint (void);

/* The caller's own cgroup (from /proc/self/cgroup's "0::" line). Caller frees. */
char *cg_own_path (cell_error_t *err);
/* The cgroup path (relative to the hierarchy root, starting with '/') for a container: cgroupsPath when
 * absolute, relative to the caller's own cgroup when relative, else <caller's cgroup>/<id>. Refuses "..".
 * Caller frees. */
char *cg_path_for (const char *cgroups_path, const char *id, cell_error_t *err);

/* mkdir the cgroup (and parents). Returns an O_DIRECTORY fd for CLONE_INTO_CGROUP. A cgroup that exists and
 * holds processes is refused. *created tells whether the leaf was made by us (delete removes only those);
 * *parents_made how many missing ancestors were made (a failed create removes them). */
int cg_create (const char *path, bool *created, int *parents_made, cell_error_t *err);
/* rmdir the n nearest ancestors of path (stops at the first that is busy). */
void cg_remove_parents (const char *path, int n);
/* Move pid into the cgroup (for exec'd processes and the fallback path); pid 0 moves the caller. */
int cg_enter (const char *path, pid_t pid, cell_error_t *err);
/* pids in the cgroup (cgroup.procs); *n set. Caller frees. */
pid_t *cg_pids (const char *path, size_t *n, cell_error_t *err);
/* pids in the cgroup and in every cgroup below it (child cgroups the container made). Caller frees. */
pid_t *cg_pids_tree (const char *path, size_t *n, cell_error_t *err);
/* Signal every process in the cgroup and below it (cgroup.kill for SIGKILL where the kernel has it). */
int cg_kill_all (const char *path, int sig, cell_error_t *err);
/* Kill what is left, wait until empty (bounded), rmdir the child cgroups depth first, then the cgroup.
 * Missing cgroup is not an error. */
int cg_destroy (const char *path, cell_error_t *err);

/* ---- resources ---- */

/* One file write. controller is "memory", "cpu", ... or "cgroup" (core files, always there). When alt_file is
 * set and file does not exist in the cgroup, alt_file/alt_value are written instead (io.bfq.weight, else
 * io.weight). field is the config path for error messages ("linux.resources.memory.limit"). */
struct cg_write
{
  const char *controller;
  char *file, *value;
  char *alt_file, *alt_value;
  char *field;
  bool must_exist; /* unified keys: the file must exist (a typo is an error, not a no-op) */
};

struct cg_plan
{
  struct cg_write *v;
  size_t n;
  const struct cell_device_cgroup *devices; /* the eBPF filter's rules (cg_devices_rules(): the config's + runc's
                                             * defaults); devices_present: replace the filter with them */
  size_t n_devices;
  bool devices_present;
  bool check_before_update; /* memory.checkBeforeUpdate: refuse a memory.max below memory.current */
};

/* Compute the writes for r, as runc and crun map them (shares -> cpu.weight, swap -> memory.swap.max = swap -
 * limit, blkio weight -> io.bfq.weight or io.weight, ...). Unified entries come last. Fails on values that
 * have no cgroup v2 meaning (realtime cpu, swappiness, disableOOMKiller, network), naming the field. */
int cg_plan_resources (const struct cell_resources *r, struct cg_plan *plan, cell_error_t *err);
void cg_plan_free (struct cg_plan *plan);
/* linux.resources.cpu.shares -> cpu.weight, runc >= 1.3.2's and crun >= 1.23's conversion (2 -> 1,
 * 1024 -> 100, 262144 -> 10000); 2..262144 are the valid shares. */
uint64_t cg_cpu_weight_of_shares (uint64_t shares);

/* Flags for cg_apply(). */
enum
{
  CG_IGNORE_MISSING = 1 << 0, /* skip writes whose controller the hierarchy lacks instead of failing */
};

/* Enable the controllers the plan needs in the ancestors' cgroup.subtree_control, then write the plan into
 * the cgroup at path (and attach the device filter). A controller missing from the hierarchy fails with the
 * controller's name and the reason, unless CG_IGNORE_MISSING: then *skipped (when not NULL) gets the skipped
 * controllers, space-separated (caller frees; NULL when none). */
int cg_apply (const char *path, const struct cg_plan *plan, int flags, char **skipped, cell_error_t *err);

/* ---- freezer ---- */

/* Write cgroup.freeze and wait (bounded) until cgroup.events says frozen 1 / 0. */
int cg_freeze (const char *path, bool frozen, cell_error_t *err);
/* cgroup.events "frozen 1". */
bool cg_is_frozen (const char *path);

/* ---- statistics ---- */

/* Stats of the cgroup as the "data" object of runc's `events --stats` (cpu, memory, pids, blkio, hugetlb),
 * written into w. */
struct cell_jsonw;
int cg_stats_write (const char *path, struct cell_jsonw *w, cell_error_t *err);
/* memory.events oom_kill (0 when there is no memory controller). */
uint64_t cg_oom_kills (const char *path);

/* The value N of the line "key N" in a flat keyed file (cpu.stat, memory.events, memory.stat); -1 when absent. */
int64_t cg_flat_key (const char *text, const char *key);

#endif
