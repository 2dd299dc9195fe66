/* cell: the container's terminal and the parent's wait (terminal.c): a pty inside the container's root, the
 * console socket, and the signal and terminal relay while the parent waits for its child. */
#ifndef CELL_RUNTIME_TERMINAL_H
#define CELL_RUNTIME_TERMINAL_H

#include "base/error.h"
#include "config/config.h"

#include <sys/types.h>

/* Wait for pid (our child or, as subreaper, our descendant) while forwarding signals to it and relaying the
 * terminal (master_fd >= 0) with the caller's stdio. *status: exit code, or 128+N when killed by signal N. */
int cell_wait_forward (pid_t pid, int master_fd, int *status, cell_error_t *err);
/* Send a pty master to the unix socket at path (SCM_RIGHTS), like runc's --console-socket. */
int cell_console_send (const char *path, int master_fd, cell_error_t *err);
/* Open a new pty inside the current root (/dev/pts/ptmx, else /dev/ptmx): master and slave, size applied. */
int cell_pty_open (int rootfd, const struct cell_process *p, int *master, int *slave, cell_error_t *err);
/* Make slave the controlling terminal and stdio of the current process (after setsid). */
int cell_pty_make_ctty (int slave, cell_error_t *err);
/* Block the signals cell_wait_forward() forwards; call before creating the child. */
void cell_signals_block (void);

#endif
