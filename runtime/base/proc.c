/* cell: facts about processes read from /proc. */
#include "proc.h"
#include "cleanup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned long long
cell_proc_start_time (pid_t pid)
{
  char path[64], buf[1024];
  if (pid <= 0)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parens: fields restart after the last ')'. */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  char state = p[2];
  if (state == 'Z' || state == 'X')
    return 0;
  p += 2;
  for (int field = 3; field < 22 && p; field++)
    p = strchr (p, ' ') ? strchr (p, ' ') + 1 : NULL;
  return p ? strtoull (p, NULL, 10) : 0;
}
