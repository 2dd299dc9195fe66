/* cell: process attributes the container's init (or an exec'd process) sets on itself before execve. */
#ifndef CELL_RUNTIME_PROCESS_H
#define CELL_RUNTIME_PROCESS_H

#include "base/error.h"
#include "config/config.h"

#include <sys/types.h>

int cell_process_set_rlimits (const struct cell_process *p, cell_error_t *err);
/* setgroups(additionalGids), setresgid, setresuid, umask (default 0022). */
int cell_process_set_user (const struct cell_user *u, cell_error_t *err);
int cell_process_set_personality (const struct cell_personality *p, cell_error_t *err);
int cell_process_set_scheduler (const struct cell_scheduler *s, cell_error_t *err);
int cell_process_set_io_priority (const struct cell_io_priority *p, cell_error_t *err);
/* Writes oom_score_adj of the calling process through procfd (cell_procfs_open), only when present. */
int cell_process_set_oom_score_adj (int procfd, const struct cell_process *p, cell_error_t *err);
/* Resolve args[0] through PATH from env (default PATH when unset) in the current root; caller frees. Errors
 * like runc: "exec: \"foo\": executable file not found in $PATH". */
char *cell_process_find_executable (const char *arg0, char *const *env, cell_error_t *err);
/* Validate names/values at config time: rlimit types (known, unique, soft <= hard), scheduler (policy, flags,
 * nice -20..19, priority 1..99 only for SCHED_FIFO/SCHED_RR, runtime/deadline/period only for SCHED_DEADLINE),
 * ioPriority (class, priority 0..7), oomScoreAdj (-1000..1000), capabilities (cell_caps_validate). path is the
 * JSON path of the object, "process"; errors say "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'". */
int cell_process_validate (const struct cell_process *p, const char *path, cell_error_t *err);
/* linux.personality: domain LINUX or LINUX32, no flags (none is defined); path is "linux.personality". */
int cell_personality_validate (const struct cell_personality *p, const char *path, cell_error_t *err);

/* Name -> value lookups used at apply time (config.h's int fields are not filled in); -1 when unknown. */
int cell_rlimit_resource (const char *name);     /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
int cell_sched_policy_value (const char *name);  /* "SCHED_FIFO" -> SCHED_FIFO */
int cell_sched_flag_value (const char *name);    /* "SCHED_FLAG_RESET_ON_FORK" -> 0x01 */
int cell_ioprio_class_value (const char *name);  /* "IOPRIO_CLASS_RT" -> 1 */

#endif
