/* cell image/: tar entry names (pure): normalisation and whiteouts. */
#include "internal.h"
#include "runtime/base/xalloc.h"

#include <string.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh."

char *
img_entry_normalize (const char *name)
{
  if (name == NULL || name[0] == '/')
    return NULL;
  size_t len = strlen (name);
  char *out = xmalloc (len + 1), *o = out;
  const char *p = name;
  while (*p)
    {
      size_t n = strcspn (p, "/");
      if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          free (out);
          return NULL;
        }
      if (n > 0 && !(n == 1 && p[0] == '.'))
        {
          if (o != out)
            *o++ = '/';
          memcpy (o, p, n);
          o += n;
        }
      p += n;
      while (*p == '/')
        p++;
    }
  *o = '\0';
  return out;
}

enum img_whiteout
img_whiteout_parse (const char *path, char **target)
{
  *target = NULL;
  const char *slash = strrchr (path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t dirlen = slash ? (size_t) (slash - path) : 0;
  if (strncmp (base, WH_PREFIX, strlen (WH_PREFIX)) != 0)
    return IMG_WH_NONE;
  if (strcmp (base, WH_OPAQUE) == 0)
    {
      *target = xstrndup (path, dirlen);
      return IMG_WH_OPAQUE;
    }
  if (strncmp (base, WH_META, strlen (WH_META)) == 0)
    return IMG_WH_META;
  const char *name = base + strlen (WH_PREFIX);
  /* ".wh." alone, ".wh..", ".wh..." name nothing that may be removed. */
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return IMG_WH_META;
  *target = slash ? xasprintf ("%.*s/%s", (int) dirlen, path, name) : xstrdup (name);
  return IMG_WH_FILE;
}
