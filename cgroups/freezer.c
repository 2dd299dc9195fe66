/* cell: the cgroup v2 freezer (cgroup.freeze, Linux 5.2+). Needs no controller: it works on a hierarchy
 * without any, such as a hybrid host's. */
#include "cgroups.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Freezing waits for every task to reach the signal-delivery path; a task in an uninterruptible sleep delays
 * it. Bounded so that `pause` never hangs. */
#define FREEZE_TIMEOUT_MS 10000

/* The "frozen" value of cgroup.events read from fd: 0, 1, or -1 when unreadable. */
static int
events_frozen (int fd)
{
  char buf[512];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  const char *f = strstr (buf, "frozen ");
  return f ? f[7] == '1' : -1;
}

bool
cg_is_frozen (const char *path)
{
  if (cg_mountpoint () == NULL || path == NULL)
    return false;
  _cleanup_free_ char *p = xasprintf ("%s%s/cgroup.events", cg_mountpoint (), path);
  _cleanup_close_ int fd = open (p, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && events_frozen (fd) == 1;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
cg_freeze (const char *path, bool frozen, cell_error_t *err)
{
  if (cg_mountpoint () == NULL)
    return cell_error (err, 0, "no cgroup v2 hierarchy is mounted");
  _cleanup_free_ char *freeze = xasprintf ("%s%s/cgroup.freeze", cg_mountpoint (), path);
  _cleanup_free_ char *events = xasprintf ("%s%s/cgroup.events", cg_mountpoint (), path);
  _cleanup_close_ int efd = open (events, O_RDONLY | O_CLOEXEC);
  if (efd < 0)
    return cell_error_errno (err, "open '%s'", events);
  _cleanup_close_ int ffd = open (freeze, O_WRONLY | O_CLOEXEC);
  if (ffd < 0 && errno == ENOENT)
    return cell_error (err, 0, "'%s': no cgroup freezer (Linux 5.2 or later is needed)", freeze);
  if (ffd < 0)
    return cell_error_errno (err, "open '%s'", freeze);
  if (write (ffd, frozen ? "1" : "0", 1) < 0)
    return cell_error_errno (err, "write '%s'", freeze);
  /* cgroup.events signals a change with POLLPRI (kernfs_notify); the timeout is a safety net. */
  long long deadline = now_ms () + FREEZE_TIMEOUT_MS;
  int state;
  while ((state = events_frozen (efd)) != frozen)
    {
      long long left = deadline - now_ms ();
      if (state < 0)
        return cell_error_errno (err, "read '%s'", events);
      if (left <= 0)
        return cell_error (err, 0, "'%s': the cgroup did not become %s within %d s", path,
                           frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS / 1000);
      struct pollfd p = { efd, POLLPRI, 0 };
      poll (&p, 1, left < 50 ? (int) left : 50);
    }
  return 0;
}
