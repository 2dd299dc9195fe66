/* cell: helpers the verbs share. */
#include "cli.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
cli_check_args (const char *verb, int n, enum cli_nargs how, int expected, cell_error_t *err)
{
  static const char *const words[] = { [CLI_EXACT] = "exactly", [CLI_MIN] = "at least", [CLI_MAX] = "at most" };
  bool ok = how == CLI_EXACT ? n == expected : how == CLI_MIN ? n >= expected : n <= expected;
  if (ok)
    return 0;
  return cell_error (err, 0, "\"%s\" requires %s %d argument(s)", verb, words[how], expected);
}

int
cli_bad_option (const char *verb, int c, char **argv, cell_error_t *err)
{
  const char *arg = argv[optind - 1];
  if (c == ':')
    return cell_error (err, 0, "%s: option '%s' requires an argument", verb, arg);
  if (optopt && strncmp (arg, "--", 2) != 0)
    return cell_error (err, 0, "%s: unknown option '-%c'", verb, optopt);
  return cell_error (err, 0, "%s: unknown option '%s'", verb, arg);
}

int
cli_parse_uint (const char *verb, const char *opt, const char *s, int *out, cell_error_t *err)
{
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (*s < '0' || *s > '9' || *end || errno || v > INT_MAX)
    return cell_error (err, 0, "%s: invalid value '%s' for --%s", verb, s, opt);
  *out = (int) v;
  return 0;
}

/* "RTMIN", "RTMIN+3", "RTMAX-2" (without SIG). */
static int
parse_rt_signal (const char *name)
{
  bool min = strncmp (name, "RTMIN", 5) == 0;
  if (!min && strncmp (name, "RTMAX", 5) != 0)
    return 0;
  const char *rest = name + 5;
  int base = min ? SIGRTMIN : SIGRTMAX, off = 0;
  if (*rest)
    {
      char *end;
      long v = strtol (rest + 1, &end, 10);
      if ((*rest != '+' && *rest != '-') || rest[1] < '0' || rest[1] > '9' || *end)
        return 0;
      off = (int) (*rest == '+' ? v : -v);
    }
  return base + off >= SIGRTMIN && base + off <= SIGRTMAX ? base + off : 0;
}

int
cli_parse_signal (const char *s, int *sig, cell_error_t *err)
{
  if (*s >= '0' && *s <= '9')
    {
      int n;
      if (cli_parse_uint ("kill", "signal", s, &n, NULL) == 0 && n >= 0 && n < NSIG)
        return *sig = n, 0;
      return cell_error (err, 0, "invalid signal '%s'", s);
    }
  _cleanup_free_ char *name = xstrdup (strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s);
  for (char *p = name; *p; p++)
    *p = (*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p;
  for (int i = 1; i < SIGRTMIN; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcmp (abbrev, name) == 0)
        return *sig = i, 0;
    }
  if ((*sig = parse_rt_signal (name)) > 0)
    return 0;
  return cell_error (err, 0, "unknown signal '%s'", s);
}

int
cli_usage (const char *usage)
{
  fputs (usage, stdout);
  return 0;
}

int
cli_print_error (const cell_error_t err)
{
  _cleanup_free_ char *msg = cell_error_string (err);
  /* With --log the error belongs in the file too: containerd's shim reads it back from there. */
  if (cell_log_fd () >= 0)
    cell_log (CELL_LOG_ERROR, "%s", msg);
  fprintf (stderr, "cell: %s\n", msg);
  return err && err->status ? err->status : 1;
}

int
cli_print (const char *s, cell_error_t *err)
{
  size_t len = strlen (s);
  fputs (s, stdout);
  if (len == 0 || s[len - 1] != '\n')
    fputc ('\n', stdout);
  if (fflush (stdout) != 0 || ferror (stdout))
    return cell_error_errno (err, "write to stdout");
  return 0;
}

int
cli_parse_id_only (const char *verb, const char *usage, int argc, char **argv, const char **id, cell_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, ":h", opts, NULL)) != -1)
    {
      if (c == 'h')
        return cli_usage (usage), 1;
      return cli_bad_option (verb, c, argv, err);
    }
  if (cli_check_args (verb, argc - optind, CLI_EXACT, 1, err) < 0)
    return -1;
  *id = argv[optind];
  return cell_id_validate (*id, err);
}
