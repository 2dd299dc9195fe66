/* cell: what the lifecycle files share inside runtime/ (not a public interface). */
#ifndef CELL_RUNTIME_INTERNAL_H
#define CELL_RUNTIME_INTERNAL_H

#include "../namespaces/namespaces.h"
#include "base/error.h"
#include "config/config.h"
#include "runtime.h"
#include "state.h"
#include "process/exe-seal.h"
#include "process/process.h"
#include "process/terminal.h"

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

/* The init's body after clone3; never returns. */
_Noreturn void cell_init_main (const struct cell_init_args *a);

/* True when the plan needs a fork after the namespaces are set up (pid/time namespace via unshare/setns). */
bool cell_plan_needs_fork (const struct ns_plan *plan);

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

/* mount-sources.c: in a user namespace, bind sources are opened and device nodes made with the runtime's
 * credentials, not the container's (a source under a directory only the host's root may enter; mknod is refused in a user
 * namespace; sync.h's SYNC_MOUNTS_REQ). wanted(): the config needs that (both sides decide with it).
 * send(): the parent's side, once the init's pid is known; a helper process does the work, and anything it
 * cannot open is sent as "none", so that the init tries itself and reports the error as before. receive():
 * the init's side, into r->source_fds and r->device_fds, before the mounts; release() closes what is left. */
struct cell_rootfs;
bool cell_mount_sources_wanted (const struct cell_config *c);
int cell_mount_sources_send (const struct cell_config *c, const char *bundle, pid_t init, int sync_fd,
                             cell_error_t *err);
int cell_mount_sources_receive (struct cell_rootfs *r, int sync_fd, cell_error_t *err);
void cell_mount_sources_release (struct cell_rootfs *r);

/* notify.c: the sd_notify proxy (runc's). socket(): NOTIFY_SOCKET of our environment, or NULL. prepare()
 * (create): <root>/<id>/notify, its read-only bind at /run/notify and the process's NOTIFY_SOCKET in c.
 * listen() (start, run): the datagram socket in it, bound before the process starts (an error, as in runc
 * and crun, when the container was created without NOTIFY_SOCKET). forward(): wait for the container's READY= line (or the init
 * to be gone: 0) and pass it on with MAINPID and BARRIER=1. */
const char *cell_notify_socket (void);
int cell_notify_prepare (const char *root, const char *id, int state_fd, struct cell_config *c, cell_error_t *err);
int cell_notify_listen (const char *root, const char *id, cell_error_t *err);
int cell_notify_forward (int sock, const char *host_socket, pid_t pid, unsigned long long start, cell_error_t *err);

/* Reset signal mask and dispositions (the parent blocks signals it forwards; init.c). */
void cell_signals_reset (void);

#endif
