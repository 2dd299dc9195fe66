/* Unit tests for namespaces/net.c: bring "lo" up in a network namespace that a forked child creates (root
 * only; skipped otherwise). sysfs would show the host's view, so the flags are read with SIOCGIFFLAGS. */
#include "unit.h"

#include "namespaces/namespaces.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int
lo_flags (void)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  int r = ioctl (s, SIOCGIFFLAGS, &ifr);
  close (s);
  return r < 0 ? -1 : ifr.ifr_flags;
}

static int
child (void)
{
  if (unshare (CLONE_NEWNET) < 0)
    return 2;
  int before = lo_flags ();
  if (before < 0 || (before & IFF_UP))
    return 3; /* a fresh namespace starts with lo down */
  cell_error_t err = NULL;
  if (ns_net_loopback_up (&err) < 0)
    {
      fprintf (stderr, "  %s\n", err->msg);
      return 4;
    }
  int after = lo_flags ();
  if (after < 0 || !(after & IFF_UP))
    return 5;
  /* Setting it up again is fine (the kernel acks a no-op change). */
  return ns_net_loopback_up (NULL) == 0 ? 0 : 6;
}

TEST (loopback_up)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    _exit (child ());
  int status;
  CHECK (waitpid (pid, &status, 0) == pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fprintf (stderr, "  child status %d\n", WIFEXITED (status) ? WEXITSTATUS (status) : -WTERMSIG (status));
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* Without CAP_NET_ADMIN the kernel's netlink error comes back as the error code. */
TEST (loopback_error)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNET) < 0 || setresuid (65534, 65534, 65534) < 0)
        _exit (2);
      cell_error_t err = NULL;
      if (ns_net_loopback_up (&err) == 0)
        _exit (3);
      _exit (err->code == EPERM && strcmp (err->msg, "netlink: set 'lo' up") == 0 ? 0 : 4);
    }
  int status;
  CHECK (waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

int
main (void)
{
  RUN (loopback_up);
  RUN (loopback_error);
  UNIT_END ();
}
