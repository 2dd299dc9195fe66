/* cell: small cgroup and /proc files (capacity, PSI, cgroup knobs) for admit.c, plan.c and status.c. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
oc_read_small (int dirfd, const char *file, char *buf, size_t size)
{
  int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  size_t off = 0;
  ssize_t n = 0;
  while (off + 1 < size && (n = read (fd, buf + off, size - 1 - off)) > 0)
    off += (size_t) n;
  int saved = errno;
  close (fd);
  buf[off] = '\0';
  if (n < 0 && off == 0)
    return errno = saved, -1;
  while (off > 0 && buf[off - 1] == '\n')
    buf[--off] = '\0';
  return 0;
}

double
oc_pressure_avg (const char *text, const char *kind, const char *which)
{
  size_t kl = strlen (kind);
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (!strncmp (line, kind, kl) && line[kl] == ' ')
      {
        _cleanup_free_ char *pat = xasprintf (" %s=", which);
        const char *p = strstr (line, pat);
        const char *eol = strchr (line, '\n');
        if (p && (!eol || p < eol))
          return strtod (p + strlen (pat), NULL);
      }
  return -1;
}
