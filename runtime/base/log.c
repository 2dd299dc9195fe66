/* cell: the log sink. Text lines on stderr look like "cell: warning: msg"; in a log file they follow logrus
 * (time="..." level=... msg="..."), and the json format writes one {"level","msg","time"} object per line, the
 * form containerd's runc shim reads back from --log to find the error of a failed command. */
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1; /* -1: stderr */
static enum cell_log_format log_format = CELL_LOG_TEXT;
static bool log_debug = false;

static const char *const level_names[] = {
  [CELL_LOG_ERROR] = "error",
  [CELL_LOG_WARNING] = "warning",
  [CELL_LOG_INFO] = "info",
  [CELL_LOG_DEBUG] = "debug",
};

int
cell_log_init (const char *path, enum cell_log_format fmt, bool debug)
{
  log_format = fmt;
  log_debug = debug;
  if (path == NULL)
    return 0;
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  if (log_fd >= 0)
    close (log_fd);
  log_fd = fd;
  return 0;
}

int
cell_log_fd (void)
{
  return log_fd;
}

/* RFC 3339 with nanoseconds, UTC: 2024-05-01T12:00:00.123456789Z. Civil date from the day count by hand:
 * gmtime_r() would read the zoneinfo file on first use (glibc's tzset), on every `cell create`. */
void
cell_rfc3339_utc (char buf[static CELL_RFC3339_LEN], const struct timespec *ts)
{
  long long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
  if (secs < 0)
    secs += 86400, days--;
  /* Days since 0000-03-01 in 400-year eras of 146097 days; March-based years put the leap day last. */
  days += 719468;
  long long era = (days >= 0 ? days : days - 146096) / 146097;
  long long doe = days - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  int day = (int) (doy - (153 * mp + 2) / 5 + 1);
  int month = (int) (mp < 10 ? mp + 3 : mp - 9);
  long long year = yoe + era * 400 + (month <= 2);
  snprintf (buf, CELL_RFC3339_LEN, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%09ldZ", year, month, day, secs / 3600,
            secs / 60 % 60, secs % 60, (long) ts->tv_nsec);
}

/* Append s to out as the inside of a JSON string (also right for logrus's quoted text values). */
static void
append_escaped (FILE *out, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (out, "\\%c", *p);
      else if (*p == '\n')
        fputs ("\\n", out);
      else if (*p == '\t')
        fputs ("\\t", out);
      else if (*p < 0x20 || *p == 0x7f)
        fprintf (out, "\\u%04x", *p);
      else
        fputc (*p, out);
    }
}

static char *
format_line (enum cell_log_level level, const char *msg)
{
  char *line = NULL, now[CELL_RFC3339_LEN];
  struct timespec ts;
  size_t len = 0;
  FILE *out = open_memstream (&line, &len);
  if (out == NULL)
    abort ();
  clock_gettime (CLOCK_REALTIME, &ts);
  cell_rfc3339_utc (now, &ts);
  if (log_format == CELL_LOG_JSON)
    fprintf (out, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
  else if (log_fd >= 0)
    fprintf (out, "time=\"%s\" level=%s msg=\"", now, level_names[level]);
  else if (level == CELL_LOG_ERROR)
    fputs ("cell: ", out);
  else
    fprintf (out, "cell: %s: ", level_names[level]);

  if (log_format == CELL_LOG_JSON || log_fd >= 0)
    append_escaped (out, msg);
  else
    fputs (msg, out);

  if (log_format == CELL_LOG_JSON)
    fprintf (out, "\",\"time\":\"%s\"}\n", now);
  else if (log_fd >= 0)
    fputs ("\"\n", out);
  else
    fputc ('\n', out);
  if (fclose (out) != 0)
    abort ();
  return line;
}

void
cell_log (enum cell_log_level level, const char *fmt, ...)
{
  if (level == CELL_LOG_DEBUG && !log_debug)
    return;
  if ((unsigned) level >= sizeof level_names / sizeof level_names[0])
    level = CELL_LOG_ERROR;
  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  char *msg = xvasprintf (fmt, ap);
  va_end (ap);
  char *line = format_line (level, msg);
  /* One write(2) per line so that concurrent writers (runtime and container init) never interleave. */
  (void) !write (log_fd >= 0 ? log_fd : STDERR_FILENO, line, strlen (line));
  free (line);
  free (msg);
  errno = saved;
}
