/* cell: the lifecycle API that cli/ calls. One call per command; each returns 0 or -1 with *err set.
 * Nothing here prints: results come back as values or JSON text, the CLI prints them. */
#ifndef CELL_RUNTIME_RUNTIME_H
#define CELL_RUNTIME_RUNTIME_H

#include "base/error.h"
#include "config/config.h"

#include <stdbool.h>
#include <sys/types.h>

struct cell_context
{
  const char *root; /* state root, default /run/cell */
  bool debug;
  const char *overcommit_policy; /* --overcommit-policy FILE; NULL: /etc/cell/overcommit.conf if it exists */
  bool ignore_missing_controllers; /* limits whose cgroup controller is missing are skipped, not an error */
};

struct cell_create_opts
{
  const char *id;
  const char *bundle;         /* default "." */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds; /* pass fds 3 .. 3+N-1 to the container */
  bool detach;      /* run only */
};

int cell_container_create (const struct cell_context *ctx, const struct cell_create_opts *o, cell_error_t *err);
int cell_container_start (const struct cell_context *ctx, const char *id, cell_error_t *err);
/* create + start; unless o->detach, waits and stores the container's exit status (128+N for signal N) in
 * *status, then deletes the container. */
int cell_container_run (const struct cell_context *ctx, const struct cell_create_opts *o, int *status,
                        cell_error_t *err);
/* runtime-spec state JSON (caller frees). */
char *cell_container_state (const struct cell_context *ctx, const char *id, cell_error_t *err);

struct cell_list_entry
{
  char *id;
  pid_t pid; /* 0 when stopped */
  char *status;
  char *bundle;
  char *created; /* RFC 3339 */
  char *owner;
  char *rootfs;
  char *config; /* config.json text as created (for annotations); may be NULL */
};
int cell_container_list (const struct cell_context *ctx, struct cell_list_entry **out, size_t *n,
                         cell_error_t *err);
void cell_list_free (struct cell_list_entry *v, size_t n);

int cell_container_kill (const struct cell_context *ctx, const char *id, int sig, bool all, cell_error_t *err);
int cell_container_delete (const struct cell_context *ctx, const char *id, bool force, cell_error_t *err);

/* cgroup commands (runtime/manage.c). pause/resume: cgroup.freeze, waiting for the kernel to confirm. */
int cell_container_pause (const struct cell_context *ctx, const char *id, cell_error_t *err);
int cell_container_resume (const struct cell_context *ctx, const char *id, cell_error_t *err);
/* resources: LinuxResources JSON; merged into the saved config's linux.resources (fields not given keep
 * their value), applied to the cgroup, and saved. */
int cell_container_update (const struct cell_context *ctx, const char *id, const char *resources, cell_error_t *err);
/* The pids in the container's cgroup (caller frees *pids). */
int cell_container_pids (const struct cell_context *ctx, const char *id, pid_t **pids, size_t *n, cell_error_t *err);
/* events: one JSON event per call of emit (runc's format: {"type":"stats"|"oom","id":...,"data":...}).
 * stats_once: one stats event. Otherwise stats every interval_ms and an "oom" event per OOM kill, until the
 * container's init is gone (returns 0) or emit fails. */
typedef int (*cell_event_fn) (const char *json, void *data, cell_error_t *err);
int cell_container_events (const struct cell_context *ctx, const char *id, unsigned interval_ms, bool stats_once,
                           cell_event_fn emit, void *data, cell_error_t *err);

struct cell_exec_opts
{
  const char *id;
  const char *process_file; /* -p FILE: a runtime-spec process object; NULL: use args */
  char **args;
  bool tty;
  const char *cwd;
  char **env;       /* KEY=VALUE added/overriding */
  const char *user; /* UID[:GID] */
  char **additional_gids_str;
  char **caps; /* added to bounding, effective, permitted; to ambient and inheritable only when the config has
                * ambient capabilities (runc's rule) */
  bool no_new_privs;
  bool detach;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  const char *cgroup; /* --cgroup: an existing sub-cgroup of the container's, relative to it; NULL: its own */
};
/* Runs a process inside a running container; unless detached, waits and stores its status in *status. */
int cell_container_exec (const struct cell_context *ctx, const struct cell_exec_opts *o, int *status,
                         cell_error_t *err);

/* `cell overcommit status [--json]`: the overcommit layer's report (caller frees). */
char *cell_overcommit_status (const struct cell_context *ctx, bool json, cell_error_t *err);

/* `cell spec`: default config.json text (caller frees). */
char *cell_spec_default (bool rootless);
/* `cell features`: runtime-spec features JSON (caller frees). */
char *cell_features_json (void);
/* `cell --version`: libseccomp's version as "2.5.4" (static storage; defined with the seccomp code in
 * process/seccomp.c, declared here too so that cli/ needs no other header). */
const char *cell_seccomp_library_version (void);

/* Container ids: runc's rule, ^[\w+-\.]+$, not "." or "..", at most 1024 bytes. */
int cell_id_validate (const char *id, cell_error_t *err);

#endif
