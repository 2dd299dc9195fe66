#include "error.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cell_verror (cell_error_t *err, int code, const char *fmt, va_list ap)
{
  struct cell_error_s *e = xcalloc (1, sizeof *e);
  e->code = code;
  e->msg = xvasprintf (fmt, ap);
  if (err)
    {
      cell_error_free (err);
      *err = e;
    }
  else
    {
      free (e->msg);
      free (e);
    }
  return -1;
}

int
cell_error (cell_error_t *err, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cell_verror (err, code, fmt, ap);
  va_end (ap);
  return -1;
}

int
cell_error_errno (cell_error_t *err, const char *fmt, ...)
{
  int code = errno;
  va_list ap;
  va_start (ap, fmt);
  cell_verror (err, code, fmt, ap);
  va_end (ap);
  return -1;
}

int
cell_error_prefix (cell_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *ctx = xvasprintf (fmt, ap);
  va_end (ap);
  char *msg = xasprintf ("%s: %s", ctx, (*err)->msg);
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

char *
cell_error_string (const cell_error_t err)
{
  if (err == NULL)
    return xstrdup ("unknown error");
  if (err->code)
    return xasprintf ("%s: %s", err->msg, strerror (err->code));
  return xstrdup (err->msg);
}

void
cell_error_free (cell_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
