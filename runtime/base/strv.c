#include "strv.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

size_t
cell_strv_length (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void
cell_strv_free (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

char **
cell_strv_dup (char *const *v)
{
  size_t n = cell_strv_length (v);
  char **r = xcalloc (n + 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

char **
cell_strv_push (char **v, char *s)
{
  size_t n = cell_strv_length (v);
  v = xrealloc (v, (n + 2) * sizeof *v);
  v[n] = s;
  v[n + 1] = NULL;
  return v;
}

char **
cell_strv_append (char **v, const char *s)
{
  return cell_strv_push (v, xstrdup (s));
}

bool
cell_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}
