/* cell: the command line. main.c parses the global options and dispatches through a command table; each verb
 * lives in its own file, parses its options into a struct with getopt_long, makes one call into runtime/ and
 * prints the result. Handlers return the exit status (>= 0) or -1 with *err set; main() prints the one error. */
#ifndef CELL_CLI_H
#define CELL_CLI_H

#include "runtime/base/error.h"
#include "runtime/base/log.h"
#include "runtime/runtime.h"

#include <stdbool.h>

struct cli_global
{
  struct cell_context ctx;
  const char *log_path;
  enum cell_log_format log_format;
  bool systemd_cgroup;
};

/* argv[0] is the verb; argc counts it. */
typedef int (*cli_handler) (struct cli_global *g, int argc, char **argv, cell_error_t *err);

int cli_create (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_start (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_run (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_state (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_list (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_kill (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_delete (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_exec (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_spec (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_features (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_overcommit (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_image (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_pause (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_resume (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_update (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_ps (struct cli_global *g, int argc, char **argv, cell_error_t *err);
int cli_events (struct cli_global *g, int argc, char **argv, cell_error_t *err);

/* create.c: the options create and run share. Returns 1 when --help was printed, 0 or -1. */
int cli_parse_create (int argc, char **argv, bool is_run, struct cell_create_opts *o, cell_error_t *err);

/* common.c */
enum cli_nargs
{
  CLI_EXACT,
  CLI_MIN,
  CLI_MAX,
};
/* runc's checkArgs(): `"create" requires exactly 1 argument(s)`. n is the number of positional arguments. */
int cli_check_args (const char *verb, int n, enum cli_nargs how, int expected, cell_error_t *err);
/* For getopt's '?' and ':' results (optstring begins with ':'): names the option. */
int cli_bad_option (const char *verb, int c, char **argv, cell_error_t *err);
/* A non-negative decimal int option value. */
int cli_parse_uint (const char *verb, const char *opt, const char *s, int *out, cell_error_t *err);
/* Signal by number, or by name with or without SIG, in any case ("TERM", "sigkill", "RTMIN+2"). */
int cli_parse_signal (const char *s, int *sig, cell_error_t *err);
/* Print a verb's usage to stdout; returns 0 (the exit status of --help). */
int cli_usage (const char *usage);
/* Print the error once: "cell: msg" on stderr, and a log line when --log is a file. Returns the exit status. */
int cli_print_error (const cell_error_t err);
/* For verbs whose only argument is the container id (and --help): parses, checks the count and validates the
 * id. Returns 1 when --help was printed, 0 or -1. */
int cli_parse_id_only (const char *verb, const char *usage, int argc, char **argv, const char **id,
                       cell_error_t *err);
/* Print s followed by a newline unless it already ends with one; a write error is returned. */
int cli_print (const char *s, cell_error_t *err);

#endif
