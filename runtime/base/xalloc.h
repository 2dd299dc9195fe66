/* cell: allocation that cannot fail. Out of memory aborts; it is never an error value. */
#ifndef CELL_BASE_XALLOC_H
#define CELL_BASE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t size);
void *xrealloc (void *p, size_t n);
/* Grow an array of `size`-byte elements to hold at least `need` elements; *cap tracks capacity. */
void *xgrow (void *p, size_t *cap, size_t need, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *xvasprintf (const char *fmt, va_list ap);

#endif
