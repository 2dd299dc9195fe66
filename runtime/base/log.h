/* cell: the log sink. The CLI configures it (--log, --log-format, --debug); modules may emit debug and
 * warning lines through it, but errors travel as cell_error_t and are logged once by the CLI. */
#ifndef CELL_BASE_LOG_H
#define CELL_BASE_LOG_H

#include <stdbool.h>

enum cell_log_level
{
  CELL_LOG_ERROR,
  CELL_LOG_WARNING,
  CELL_LOG_INFO,
  CELL_LOG_DEBUG,
};

enum cell_log_format
{
  CELL_LOG_TEXT,
  CELL_LOG_JSON,
};

/* path NULL: stderr. Returns -1 (errno set) when the file cannot be opened. */
int cell_log_init (const char *path, enum cell_log_format fmt, bool debug);
void cell_log (enum cell_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define cell_debug(...) cell_log (CELL_LOG_DEBUG, __VA_ARGS__)
#define cell_warning(...) cell_log (CELL_LOG_WARNING, __VA_ARGS__)
/* The log fd (or -1), so a forked child can close it before execve. */
int cell_log_fd (void);

/* ts as RFC 3339 UTC with nanoseconds (2024-05-01T12:00:00.123456789Z), as runc writes times. */
#define CELL_RFC3339_LEN 40
struct timespec;
void cell_rfc3339_utc (char buf[static CELL_RFC3339_LEN], const struct timespec *ts);

#endif
