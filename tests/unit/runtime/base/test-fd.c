/* base/fd.c: the verified procfs (CVE-2025-52881 class): symlinks, magic links, ".." and bind mounts over
 * its files are refused. */
#include "base/fd.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int
opens (int procfd, const char *path, int flags)
{
  cell_error_t err = NULL;
  int fd = cell_procfs_openat (procfd, path, flags, &err);
  int e = errno;
  if (fd >= 0)
    close (fd);
  cell_error_free (&err);
  errno = e;
  return fd >= 0;
}

TEST (procfs_open)
{
  cell_error_t err = NULL;
  int procfd = cell_procfs_open (&err);
  CHECK (procfd >= 0);
  CHECK (opens (procfd, "self/oom_score_adj", O_RDONLY));
  CHECK (opens (procfd, "self", O_PATH | O_DIRECTORY));
  CHECK (opens (procfd, "sys/kernel/ostype", O_RDONLY));
  CHECK (!opens (procfd, "mounts", O_RDONLY) && errno == ELOOP);     /* a symlink to self/mounts */
  CHECK (!opens (procfd, "self/exe", O_RDONLY) && errno == ELOOP);   /* a magic link */
  CHECK (!opens (procfd, "self/root/etc/hostname", O_RDONLY));
  CHECK (!opens (procfd, "../etc/hostname", O_RDONLY) && errno == EXDEV);
  close (procfd);
}

/* In a private mount namespace: a file bind-mounted over /proc/self/oom_score_adj (what a container that owns
 * its mount namespace could do to redirect a write) is refused, and /proc itself must be a procfs root. */
static int
child_bind_over (void)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 10;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", getpid ());
  if (mount ("/proc/self/comm", path, NULL, MS_BIND, NULL) < 0)
    return 11;
  int procfd = cell_procfs_open (NULL);
  if (procfd < 0)
    return 12;
  if (opens (procfd, "self/oom_score_adj", O_WRONLY) || errno != EXDEV)
    return 13;
  if (mount ("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
    return 14;
  return cell_procfs_open (NULL) < 0 ? 0 : 15;
}

TEST (procfs_bind_mount_refused)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  if (pid == 0)
    _exit (child_bind_over ());
  int st;
  CHECK (waitpid (pid, &st, 0) == pid);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

int
main (void)
{
  RUN (procfs_open);
  RUN (procfs_bind_mount_refused);
  UNIT_END ();
}
