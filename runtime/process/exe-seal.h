/* cell: the seal on cell's own binary for processes that enter a container (exe-seal.c). */
#ifndef CELL_RUNTIME_EXE_SEAL_H
#define CELL_RUNTIME_EXE_SEAL_H

#include "base/error.h"

#include <stdbool.h>

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

#endif
