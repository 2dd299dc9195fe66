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

/* The seccomp filter of a container process and where its notify listener fd goes (send_listener is called
 * with it right after the load, when the filter notifies). */
struct cell_seccomp_filter;
struct cell_exec_seccomp
{
  const struct cell_seccomp_filter *filter;
  int (*send_listener) (void *data, int listener, cell_error_t *err);
  void *data;
};

/* The process setup shared by the init and exec, in two steps (procfd: cell_procfs_open(), opened before the
 * process entered the container's mount namespace). setup: rlimits, oom_score_adj, scheduler, io priority,
 * personality, user and groups, capabilities, cwd. exec: no_new_privs, close every fd but stdio and the
 * preserved ones, load the seccomp filter (sc may be NULL), execve. exec returns only on failure, with *err
 * set. Without no_new_privs, setup keeps CAP_SYS_ADMIN for the load and exec drops it right after. */
int cell_process_setup (const struct cell_process *p, const struct cell_personality *pers, int procfd,
                        const struct cell_exec_seccomp *sc, cell_error_t *err);
int cell_process_exec (const struct cell_process *p, const char *exe, int preserve_fds,
                       const struct cell_exec_seccomp *sc, cell_error_t *err);

#endif
