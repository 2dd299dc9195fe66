/* cli helpers (signal names, argument counts, numbers, the printed error) and the log sink's line formats. */
#include "unit.h"
#include "cli/common.c"

#include <fcntl.h>
#include <regex.h>
#include <signal.h>

static int
sig (const char *s)
{
  int n = -1;
  cell_error_t err = NULL;
  if (cli_parse_signal (s, &n, &err) < 0)
    {
      cell_error_free (&err);
      return -1;
    }
  return n;
}

TEST (signals)
{
  CHECK (sig ("TERM") == SIGTERM);
  CHECK (sig ("SIGTERM") == SIGTERM);
  CHECK (sig ("sigkill") == SIGKILL);
  CHECK (sig ("kill") == SIGKILL);
  CHECK (sig ("9") == 9);
  CHECK (sig ("0") == 0);
  CHECK (sig ("USR1") == SIGUSR1);
  CHECK (sig ("SIGWINCH") == SIGWINCH);
  CHECK (sig ("RTMIN") == SIGRTMIN);
  CHECK (sig ("SIGRTMIN+2") == SIGRTMIN + 2);
  CHECK (sig ("RTMAX-1") == SIGRTMAX - 1);
  CHECK (sig ("RTMAX+1") == -1);
  CHECK (sig ("FOO") == -1);
  CHECK (sig ("SIG") == -1);
  CHECK (sig ("") == -1);
  CHECK (sig ("99") == -1);
  CHECK (sig ("9x") == -1);
  CHECK (sig ("-9") == -1);
}

static char *
errstr (int r, cell_error_t *err)
{
  char *s = r < 0 ? cell_error_string (*err) : NULL;
  cell_error_free (err);
  return s;
}

TEST (argument_counts)
{
  cell_error_t err = NULL;
  CHECK (cli_check_args ("start", 1, CLI_EXACT, 1, &err) == 0 && err == NULL);
  CHECK (cli_check_args ("exec", 3, CLI_MIN, 1, &err) == 0);
  CHECK (cli_check_args ("kill", 2, CLI_MAX, 2, &err) == 0);
  char *s = errstr (cli_check_args ("create", 0, CLI_EXACT, 1, &err), &err);
  CHECK_STR (s, "\"create\" requires exactly 1 argument(s)");
  free (s);
  s = errstr (cli_check_args ("exec", 0, CLI_MIN, 1, &err), &err);
  CHECK_STR (s, "\"exec\" requires at least 1 argument(s)");
  free (s);
}

TEST (numbers)
{
  cell_error_t err = NULL;
  int n = -1;
  CHECK (cli_parse_uint ("run", "preserve-fds", "3", &n, &err) == 0 && n == 3);
  CHECK (cli_parse_uint ("run", "preserve-fds", "0", &n, &err) == 0 && n == 0);
  CHECK (cli_parse_uint ("run", "preserve-fds", "99999999999", &n, &err) < 0);
  cell_error_free (&err);
  char *s = errstr (cli_parse_uint ("run", "preserve-fds", "-1", &n, &err), &err);
  CHECK_STR (s, "run: invalid value '-1' for --preserve-fds");
  free (s);
}

static char *
read_all (const char *path)
{
  char buf[4096];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return xstrdup (buf);
}

static int
matches (const char *text, const char *re)
{
  regex_t r;
  if (regcomp (&r, re, REG_EXTENDED | REG_NOSUB) != 0)
    return 0;
  int ok = regexec (&r, text, 0, NULL, 0) == 0;
  regfree (&r);
  return ok;
}

#define TIME_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z"

/* --log FILE --log-format json: one object per line; debug lines only with --debug; the CLI's error goes in. */
TEST (json_log_lines)
{
  char path[] = "/tmp/cell-test-log-XXXXXX";
  int tmp = mkstemp (path);
  CHECK (tmp >= 0);
  close (tmp);
  CHECK (cell_log_init (path, CELL_LOG_JSON, false) == 0);
  CHECK (cell_log_fd () >= 0);
  cell_debug ("hidden");
  cell_warning ("quote \" backslash \\ newline \n tab \t bell \a");
  cell_error_t err = NULL;
  cell_error (&err, 2, "open '/x'");
  err->status = 3;
  FILE *saved = stderr;
  stderr = fopen ("/dev/null", "w");
  int status = cli_print_error (err);
  fclose (stderr);
  stderr = saved;
  cell_error_free (&err);
  char *text = read_all (path);
  unlink (path);
  CHECK (status == 3);
  CHECK (text != NULL);
  int ok = matches (text, "^\\{\"level\":\"warning\",\"msg\":\"quote \\\\\" backslash \\\\\\\\ newline \\\\n tab "
                          "\\\\t bell \\\\u0007\",\"time\":\"" TIME_RE "\"\\}\n"
                          "\\{\"level\":\"error\",\"msg\":\"open '/x': No such file or directory\",\"time\":\"" TIME_RE
                          "\"\\}\n$");
  if (!ok)
    fprintf (stderr, "  got: %s", text);
  free (text);
  CHECK (ok);
}

TEST (text_log_lines)
{
  char path[] = "/tmp/cell-test-log-XXXXXX";
  int tmp = mkstemp (path);
  CHECK (tmp >= 0);
  close (tmp);
  CHECK (cell_log_init (path, CELL_LOG_TEXT, true) == 0);
  cell_debug ("n=%d", 5);
  char *text = read_all (path);
  unlink (path);
  int ok = text && matches (text, "^time=\"" TIME_RE "\" level=debug msg=\"n=5\"\n$");
  free (text);
  CHECK (ok);
  CHECK (cell_log_init ("/nonexistent/dir/log", CELL_LOG_TEXT, false) < 0);
}

int
main (void)
{
  RUN (signals);
  RUN (argument_counts);
  RUN (numbers);
  RUN (json_log_lines);
  RUN (text_log_lines);
  UNIT_END ();
}
