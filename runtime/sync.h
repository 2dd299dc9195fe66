/* cell: the parent <-> container-init protocol.
 *
 * One socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC). Every message is a struct cell_sync_msg header plus
 * `len` bytes of payload, sent as one datagram; fds travel with SCM_RIGHTS. The parent is `cell create`
 * (or run); the child is the container's init (and, on the staging path, the short-lived stage-1 before it).
 *
 *  parent                                             child (stage-1, then init)
 *  ------                                             --------------------------
 *  clone3(new namespaces, CLONE_INTO_CGROUP) ------>  [staging] setns() into joined namespaces
 *                                                     [new user ns] unshare(CLONE_NEWUSER) when staging
 *                   <------------------------------  SYNC_USERNS_MAP_REQ
 *  write uid_map, setgroups, gid_map
 *                   ------------------------------>  SYNC_USERNS_MAP_ACK
 *                                                     [staging] unshare(other new namespaces), write
 *                                                     timens_offsets, fork() the init, stage-1 exits
 *                   <------------------------------  SYNC_INIT_PID {pid_t, as seen by the parent}
 *  write state.json (the init's pid and start time)
 *                   <------------------------------  SYNC_MOUNTS_REQ, in a user namespace with bind mounts or
 *                                                     linux.devices (cell_mount_sources_wanted())
 *  a helper (fork) makes the device nodes on a tmpfs
 *  of its own and clones them, then enters the init's
 *  mount namespace and clones the bind sources there,
 *  with the runtime's credentials
 *                   ------------------------------>  SYNC_MOUNT_FD {code 1: fd attached, 0: none}, once per
 *                                                     bind mount then per device, in config order
 *                   ------------------------------>  SYNC_MOUNTS_ACK
 *                                                     hostname, rootfs, mounts, pty
 *                   <------------------------------  SYNC_CONSOLE_FD (SCM_RIGHTS: pty master), terminal only
 *  send it to --console-socket, or keep it (run)
 *                   ------------------------------>  SYNC_CONSOLE_ACK
 *                                                     /dev
 *                   <------------------------------  SYNC_HOOKS_REQ (before pivot_root)
 *  prestart + createRuntime hooks
 *                   ------------------------------>  SYNC_HOOKS_ACK {code: the init's pid}
 *                                                     (the init builds the state JSON from its copy of it)
 *                                                     createContainer hooks, pivot_root, masked paths,
 *                                                     sysctl, executable lookup
 *                   <------------------------------  SYNC_READY
 *  write --pid-file; exit                             wait on the start socket (accept)
 *
 *  Either side may send SYNC_ERROR {int code; message} instead of the expected message; the child then
 *  _exit(1)s. The child never prints and never calls exit(). When the parent notices the child's death
 *  first (its /proc entry, its namespaces), it reads the SYNC_ERROR still queued (cell_sync_pending_error).
 *
 * exec (exec.c) uses the same messages for its child: SYNC_INIT_PID, SYNC_CONSOLE_FD, SYNC_ERROR, and, when the
 * seccomp filter notifies, SYNC_SECCOMP_FD {listener fd} right after the filter is loaded, answered by
 * SYNC_SECCOMP_ACK once `cell exec` gave the fd to the agent. The init needs neither: `cell create` connects to
 * the agent and the init sends the fd there itself (seccomp-filter.h).
 *
 * start: `cell start` connects to the listening socket <root>/<id>/start.sock that create bound and the init
 * inherited, and sends the state JSON. The init runs the startContainer hooks, finishes the process setup and
 * execs; the accepted connection is close-on-exec, so `start` reads EOF on success, or an error message written
 * by the init when anything after the connect fails.
 * `run` is create and start in one process: it keeps the sync socket and sends SYNC_START {code: the init's pid}
 * instead of connecting (start.sock is still made, and removed, so that the state reads the same); the init,
 * which kept its end (close-on-exec), answers in the same way: EOF once it execs, or SYNC_ERROR. */
#ifndef CELL_RUNTIME_SYNC_H
#define CELL_RUNTIME_SYNC_H

#include "base/error.h"

#include <stddef.h>
#include <stdint.h>

enum cell_sync_type
{
  SYNC_USERNS_MAP_REQ = 1,
  SYNC_USERNS_MAP_ACK,
  SYNC_INIT_PID,
  SYNC_CONSOLE_FD,
  SYNC_CONSOLE_ACK,
  SYNC_HOOKS_REQ,
  SYNC_HOOKS_ACK,
  SYNC_READY,
  SYNC_ERROR,
  SYNC_SECCOMP_FD,  /* exec only: the seccomp notify listener (SCM_RIGHTS), sent just before execve */
  SYNC_SECCOMP_ACK, /* exec only: `cell exec` handed it to the agent at linux.seccomp.listenerPath */
  SYNC_START,       /* run only: start now (code: the init's pid as the runtime sees it) */
  SYNC_MOUNTS_REQ,  /* user namespace: the init asks for its bind sources and device nodes */
  SYNC_MOUNT_FD,    /* one bind source or device node as a detached mount (SCM_RIGHTS; code 0: none) */
  SYNC_MOUNTS_ACK,
};

struct cell_sync_msg
{
  uint32_t type;
  int32_t code; /* SYNC_ERROR: errno; SYNC_INIT_PID: the pid */
  uint32_t len; /* payload bytes that follow */
};

#define CELL_SYNC_MAX_PAYLOAD (256 * 1024)

/* Send a message with an optional payload and an optional fd (fd < 0: none). */
int cell_sync_send (int sock, enum cell_sync_type type, int32_t code, const void *payload, size_t len, int fd,
                    cell_error_t *err);
/* Send an error message built from err (the child's way to report). Never fails loudly. */
void cell_sync_send_error (int sock, const cell_error_t e);
/* Receive one message of the expected type. A SYNC_ERROR becomes *err (message and code of the child);
 * EOF becomes "container init exited unexpectedly". *payload (NUL-terminated, caller frees) and *fd are
 * optional (NULL to ignore). */
int cell_sync_expect (int sock, enum cell_sync_type type, int32_t *code, char **payload, size_t *len, int *fd,
                      cell_error_t *err);

/* Wait for the other end to close (0), e.g. by execve of a close-on-exec socket; a SYNC_ERROR instead becomes
 * *err, any other message is a protocol error. */
int cell_sync_expect_eof (int sock, cell_error_t *err);

/* What a child that died left on the socket: skips queued messages up to a SYNC_ERROR, which becomes *err
 * (returns -1); 0 when none is queued (never waits). The parent's way to report the child's own error rather
 * than its death, which it may see first (/proc, its namespaces) although the error was sent before. */
int cell_sync_pending_error (int sock, cell_error_t *err);

/* Fork the process that really runs (after setns/unshare of a pid namespace, which applies to children). The
 * calling process sends SYNC_INIT_PID with the child's pid and _exits (on failure it kills the child and sends
 * the error). The child returns 0 only once that message is out: the parent expects it before anything the
 * child sends. Returns -1 with *err, in the caller, when the pipe or the fork fails. */
int cell_sync_fork_reporting (int sock, cell_error_t *err);

#endif
