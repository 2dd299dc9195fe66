/* cell ps [--format table|json] ID [PS_ARGS...]: the processes of a container. table runs ps(1) with PS_ARGS
 * (default -ef) and keeps the header and the lines of the container's pids, as runc does. */
#include "cli.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char usage[] = "usage: cell ps [options] CONTAINER_ID [PS_ARGS...]\n\n"
                            "List the processes of a container.\n\n"
                            "Options:\n"
                            "   --format, -f table|json   table: ps(1) output (PS_ARGS, default -ef) filtered to\n"
                            "                             the container's processes; json: a list of pids\n";

static int
print_json (const pid_t *pids, size_t n, cell_error_t *err)
{
  fputc ('[', stdout);
  for (size_t i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int) pids[i]);
  return cli_print ("]", err);
}

/* Run ps with args; its stdout and stderr (CombinedOutput, as runc) in *out. */
static int
run_ps (char **args, char **out, cell_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cell_error_errno (err, "pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, p[1], 1);
  posix_spawn_file_actions_adddup2 (&fa, p[1], 2);
  pid_t pid;
  int r = posix_spawnp (&pid, "ps", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (p[1]);
  _cleanup_close_ int rd = p[0];
  if (r != 0)
    return errno = r, cell_error_errno (err, "ps: run 'ps'");
  size_t len;
  r = cell_read_all (rd, 64 << 20, out, &len, err);
  int status;
  waitpid (pid, &status, 0);
  if (r < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cell_error (err, 0, "ps: 'ps' failed: %s", *out);
  return 0;
}

/* The column of PID in ps's header line. */
static int
pid_column (const char *header)
{
  _cleanup_free_ char *copy = xstrdup (header);
  int i = 0;
  for (char *save, *f = strtok_r (copy, " \t", &save); f; f = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (f, "PID") == 0)
      return i;
  return -1;
}

static bool
line_pid_in (const char *line, int col, const pid_t *pids, size_t n)
{
  _cleanup_free_ char *copy = xstrdup (line);
  char *save, *f = strtok_r (copy, " \t", &save);
  for (int i = 0; f && i < col; i++)
    f = strtok_r (NULL, " \t", &save);
  if (f == NULL)
    return false;
  long pid = strtol (f, NULL, 10);
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static int
print_table (const pid_t *pids, size_t n, char **ps_args, int n_args, cell_error_t *err)
{
  _cleanup_free_ char **args = xcalloc (n_args + 3, sizeof *args);
  args[0] = (char *) "ps";
  if (n_args == 0)
    args[1] = (char *) "-ef";
  for (int i = 0; i < n_args; i++)
    args[i + 1] = ps_args[i];
  _cleanup_free_ char *out = NULL;
  if (run_ps (args, &out, err) < 0)
    return -1;
  char *save, *header = strtok_r (out, "\n", &save);
  int col = header ? pid_column (header) : -1;
  if (col < 0)
    return cell_error (err, 0, "ps: no PID column in the output of ps");
  printf ("%s\n", header);
  for (char *line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (line_pid_in (line, col, pids, n))
      printf ("%s\n", line);
  if (fflush (stdout) != 0)
    return cell_error_errno (err, "write to stdout");
  return 0;
}

int
cli_ps (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  int c;
  /* '+': stop at the container id; what follows it belongs to ps. */
  while ((c = getopt_long (argc, argv, "+:f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': format = optarg; break;
      case 'h': return cli_usage (usage);
      default: return cli_bad_option ("ps", c, argv, err);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cell_error (err, 0, "ps: invalid value '%s' for --format (table or json)", format);
  if (cli_check_args ("ps", argc - optind, CLI_MIN, 1, err) < 0 || cell_id_validate (argv[optind], err) < 0)
    return -1;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cell_container_pids (&g->ctx, argv[optind], &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    return print_json (pids, n, err);
  return print_table (pids, n, argv + optind + 1, argc - optind - 1, err);
}
