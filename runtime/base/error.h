/* cell: the one error type.
 *
 * Contract: a fallible function returns int (< 0 on failure) or a pointer (NULL on failure) and takes
 * `cell_error_t *err` as its last argument; *err is set if and only if the call failed. The error owns a
 * message that says what failed and on what (`open '/run/cell/c1/state.json'`); the errno code is kept apart
 * and strerror() is appended once, when the error is printed. Modules never print. */
#ifndef CELL_BASE_ERROR_H
#define CELL_BASE_ERROR_H

#include <stdarg.h>

struct cell_error_s {
  int code;   /* errno value, 0 when the message says it all */
  int status; /* exit status the CLI should use, 0 = default (1) */
  char *msg;
};
typedef struct cell_error_s *cell_error_t;

/* Set *err (which must be NULL) and return -1. code is an errno value or 0. */
int cell_error (cell_error_t *err, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int cell_verror (cell_error_t *err, int code, const char *fmt, va_list ap);
/* Like cell_error() with code = errno. */
int cell_error_errno (cell_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Prepend context: "context: old message". Returns -1. */
int cell_error_prefix (cell_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* "message: strerror(code)" (or just the message); caller frees. */
char *cell_error_string (const cell_error_t err);
void cell_error_free (cell_error_t *err);

#endif
