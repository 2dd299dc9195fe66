/* cell: linux.seccomp through libseccomp (process/seccomp.c is the only file that includes <seccomp.h>).
 *
 * The filter is compiled in the runtime process (create, exec) before anything is created, so that every error
 * comes early and leaves nothing behind: libseccomp builds the BPF program, which is exported to memory. The
 * container's process loads it itself with seccomp(2) as its last step before execve (cell_seccomp_load()),
 * which needs no allocation and lets cell pass any kernel flag, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * included, whatever libseccomp version it was built with.
 *
 * Seccomp notify (SCMP_ACT_NOTIFY): the filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener
 * fd goes to the agent at linux.seccomp.listenerPath over a unix socket (SCM_RIGHTS), with the runtime-spec
 * "containerProcessState" JSON as the message (cell_seccomp_process_state()).
 *
 * Errors follow base/error.h; config errors name the JSON path ("linux.seccomp.flags[0]: unknown flag 'X'"). */
#ifndef CELL_RUNTIME_SECCOMP_H
#define CELL_RUNTIME_SECCOMP_H

#include "base/error.h"
#include "base/json.h"
#include "config/config.h"

#include <stdbool.h>
#include <sys/types.h>

/* A compiled filter: a BPF program for seccomp(SECCOMP_SET_MODE_FILTER) and the flags to load it with. */
struct cell_seccomp_filter
{
  void *insns;          /* struct sock_filter[len] */
  unsigned short len;
  unsigned int flags;   /* SECCOMP_FILTER_FLAG_*, SECCOMP_FILTER_FLAG_NEW_LISTENER included when notify */
  bool notify;          /* some rule uses SCMP_ACT_NOTIFY */
};

/* Names only, no kernel involved (config validation, fixtures): actions and operators are checked by the
 * parser; here architectures (known to libseccomp), flags (one of the four of the runtime-spec), args[].index
 * (0..5), SCMP_ACT_NOTIFY (not the default action, not on sendmsg, which cell uses to hand the listener over,
 * and only with listenerPath). path is "linux.seccomp". */
int cell_seccomp_validate (const struct cell_seccomp *s, const char *path, cell_error_t *err);
/* True when a rule of s uses SCMP_ACT_NOTIFY. */
bool cell_seccomp_uses_notify (const struct cell_seccomp *s);

/* Build the filter (parent side). Syscall names libseccomp does not know are skipped with a debug line, as
 * runc and crun do. A flag the running kernel lacks is an error naming it. With cache_root (the state root),
 * the program is kept in and taken from cache_root/.cache/seccomp/ (see seccomp.c). Release with
 * cell_seccomp_filter_release(). */
int cell_seccomp_compile (const struct cell_seccomp *s, const char *cache_root, struct cell_seccomp_filter *f,
                          cell_error_t *err);
void cell_seccomp_filter_release (struct cell_seccomp_filter *f);

/* Load f into the calling process (child side, just before execve; no allocation). *listener gets the notify
 * fd when f->notify, else -1. Without no_new_privs the kernel wants CAP_SYS_ADMIN. */
int cell_seccomp_load (const struct cell_seccomp_filter *f, int *listener, cell_error_t *err);

/* Connect to the agent at listenerPath (SOCK_STREAM unix socket, like runc); returns the socket. */
int cell_seccomp_agent_connect (const char *path, cell_error_t *err);
/* The runtime-spec containerProcessState: {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"};
 * state_json is the container's state document, copied in. Caller frees. */
char *cell_seccomp_process_state (pid_t pid, const char *metadata, const char *state_json, cell_error_t *err);
/* Send payload with the listener fd (SCM_RIGHTS) in one message on sock. */
int cell_seccomp_send_listener (int sock, int listener, const char *payload, cell_error_t *err);

/* `features`: "seccomp": {enabled, actions, operators, archs, knownFlags, supportedFlags} of this build and
 * kernel. */
void cell_seccomp_write_features (struct cell_jsonw *w);
/* `spec`: the default profile (seccomp-profile.c), written as the value of "seccomp". */
void cell_seccomp_write_default_profile (struct cell_jsonw *w);

/* libseccomp's version as "2.5.4" (static storage). */
const char *cell_seccomp_library_version (void);

#endif
