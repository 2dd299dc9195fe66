/* cell: NULL-terminated string vectors (char **). The vector and its strings are owned together. */
#ifndef CELL_BASE_STRV_H
#define CELL_BASE_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t cell_strv_length (char *const *v);
void cell_strv_free (char **v);
char **cell_strv_dup (char *const *v);
/* Append a copy of s; returns the (possibly moved) vector. v may be NULL. */
char **cell_strv_append (char **v, const char *s);
/* Append s, taking ownership. */
char **cell_strv_push (char **v, char *s);
bool cell_strv_contains (char *const *v, const char *s);

#endif
