/* cell: what the lifecycle files share inside runtime/ (not a public interface). */
#ifndef CELL_RUNTIME_INTERNAL_H
#define CELL_RUNTIME_INTERNAL_H

#include "../namespaces/namespaces.h"
#include "base/error.h"
#include "config/config.h"
#include "runtime.h"
#include "state.h"

#include <stdbool.h>
#include <sys/types.h>

/* Everything the container's init needs; filled by the parent before clone3. */
struct cell_init_args
{
  const struct cell_config *config;
  const struct ns_plan *plan;
  const char *id;
  const char *rootfs; /* absolute */
  const char *bundle; /* absolute */
  int sync_fd;        /* child's end of the socketpair */
  int start_fd;       /* listening socket of start.sock */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool staged; /* cloned without namespace flags: join/unshare in the child */
  const struct cell_seccomp_filter *seccomp; /* NULL: none */
  int seccomp_agent_fd; /* connected to linux.seccomp.listenerPath when the filter notifies, else -1 */
  struct cell_exe_copy *exe; /* read-only copy of cell's binary (exe->fd -1: none needed) */
  const struct cell_state *st; /* the state as create made it, but for the pid (for the hooks' state) */
  bool start_on_sync; /* `run`: started by SYNC_START on sync_fd, not through start_fd (see sync.h) */
  bool lo_by_parent;  /* the new network namespace's "lo" is set up by `cell create` (container.c) */
};

/* exe-seal.c (CVE-2019-5736): a process that enters a container stops running from cell's binary.
 * Parent: cell_exe_copy_open() opens a copy of the binary that cannot be written (fd: through a read-only
 * detached bind mount, tree; a sealed memfd where mounts are refused); fd is -1 when the running binary needs
 * none (already on a read-only mount, or sealed).
 * Child, before it drops privileges: cell_exe_remap() maps the code from fd and moves the writable segments to
 * anonymous memory, so that nothing maps the host's file; cell_exe_set() makes fd the process's
 * /proc/self/exe (PR_SET_MM_MAP: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in its user namespace);
 * cell_exe_copy_drop() closes the copy, attaching the mount in the caller's own (new) mount namespace first
 * when attach is true. */
struct cell_exe_copy
{
  int fd, tree;
  char *path; /* the binary's path, where the child attaches tree */
};
int cell_exe_copy_open (struct cell_exe_copy *c, cell_error_t *err);
void cell_exe_copy_close (struct cell_exe_copy *c);
void cell_exe_copy_drop (struct cell_exe_copy *c, bool attach);
int cell_exe_remap (int fd, cell_error_t *err);
int cell_exe_set (int fd, cell_error_t *err);

/* The init's body after clone3; never returns. */
_Noreturn void cell_init_main (const struct cell_init_args *a);

/* True when the plan needs a fork after the namespaces are set up (pid/time namespace via unshare/setns). */
bool cell_plan_needs_fork (const struct ns_plan *plan);

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

/* Wait for pid (our child or, as subreaper, our descendant) while forwarding signals to it and relaying the
 * terminal (master_fd >= 0) with the caller's stdio. *status: exit code, or 128+N when killed by signal N. */
int cell_wait_forward (pid_t pid, int master_fd, int *status, cell_error_t *err);
/* Send a pty master to the unix socket at path (SCM_RIGHTS), like runc's --console-socket. */
int cell_console_send (const char *path, int master_fd, cell_error_t *err);
/* Open a new pty inside the current root (/dev/pts/ptmx, else /dev/ptmx): master and slave, size applied. */
int cell_pty_open (int rootfd, const struct cell_process *p, int *master, int *slave, cell_error_t *err);
/* Make slave the controlling terminal and stdio of the current process (after setsid). */
int cell_pty_make_ctty (int slave, cell_error_t *err);

/* An opened container: its locked state dir, state and saved config (container.c). */
struct cell_opened
{
  int fd;
  struct cell_state st;
  struct cell_config *config;
  int sync_fd; /* `run` only: create's sync socket, on which the init waits for SYNC_START; else -1 */
};
/* Open and lock the container's state dir, read its state and parse its saved config. Release in any case. */
int cell_open_container (const struct cell_context *ctx, const char *id, struct cell_opened *op, cell_error_t *err);
void cell_opened_release (struct cell_opened *op);

/* Write pid to path atomically (tmp + rename), as runc does for --pid-file. */
int cell_write_pid_file (const char *path, pid_t pid, cell_error_t *err);

/* Reset signal mask and dispositions (the parent blocks signals it forwards). */
void cell_signals_reset (void);
/* Block the signals cell_wait_forward() forwards; call before creating the child. */
void cell_signals_block (void);

#endif
