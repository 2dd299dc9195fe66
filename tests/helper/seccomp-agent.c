/* seccomp-agent: a small seccomp notify agent for the tests (runtime-spec "listenerPath").
 *
 *   seccomp-agent SOCKET OUTDIR
 *
 * Listens on the unix socket SOCKET. Each connection brings one seccomp listener fd (SCM_RIGHTS) and the
 * containerProcessState JSON, saved as OUTDIR/state-N.json. Then it answers notifications on every fd it got:
 * mkdir and mkdirat succeed without doing anything (return 0), every other syscall goes on as if unfiltered
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Each notification is logged as "NAME pid" to OUTDIR/notified. Prints
 * "ready" on stdout once listening; runs until killed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

static const char *outdir;
static int n_states;

static void
die (const char *what)
{
  perror (what);
  exit (1);
}

/* Receive the listener fd and the payload; save the payload. Returns the fd or -1. The message ends at EOF or
 * when nothing more comes for 200 ms: runc and crun keep the connection open while their exec runs. */
static int
receive (int conn)
{
  char buf[65536];
  size_t len = 0;
  int fd = -1;
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  for (;;)
    {
      struct iovec iov = { buf + len, sizeof buf - 1 - len };
      struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
      ssize_t n = recvmsg (conn, &m, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      struct cmsghdr *c = CMSG_FIRSTHDR (&m);
      if (c && c->cmsg_type == SCM_RIGHTS && fd < 0)
        memcpy (&fd, CMSG_DATA (c), sizeof fd);
      len += (size_t) n;
      struct pollfd more = { .fd = conn, .events = POLLIN };
      if (len >= sizeof buf - 1 || poll (&more, 1, 200) <= 0)
        break;
    }
  char path[4096];
  snprintf (path, sizeof path, "%s/state-%d.json", outdir, n_states++);
  FILE *f = fopen (path, "we");
  if (f)
    {
      fwrite (buf, 1, len, f);
      fprintf (f, "\n");
      fclose (f);
    }
  return fd;
}

static const char *
syscall_name (int nr)
{
#ifdef SYS_mkdir
  if (nr == SYS_mkdir)
    return "mkdir";
#endif
  if (nr == SYS_mkdirat)
    return "mkdirat";
  return NULL;
}

static void
answer (int fd)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset (&req, 0, sizeof req);
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return; /* ENOENT: the process went away meanwhile */
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  const char *name = syscall_name (req.data.nr);
  if (name == NULL)
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  char path[4096];
  snprintf (path, sizeof path, "%s/notified", outdir);
  FILE *f = fopen (path, "ae");
  if (f)
    {
      fprintf (f, "%s %d\n", name ? name : "other", req.pid);
      fclose (f);
    }
  ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    {
      fprintf (stderr, "usage: seccomp-agent SOCKET OUTDIR\n");
      return 2;
    }
  outdir = argv[2];
  int srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (srv < 0 || strlen (argv[1]) >= sizeof sa.sun_path)
    die ("socket");
  strcpy (sa.sun_path, argv[1]);
  unlink (argv[1]);
  if (bind (srv, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (srv, 16) < 0)
    die ("bind/listen");
  printf ("ready\n");
  fflush (stdout);
  struct pollfd p[MAX_FDS + 1];
  int n = 0;
  p[n++] = (struct pollfd) { .fd = srv, .events = POLLIN };
  for (;;)
    {
      if (poll (p, (nfds_t) n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      for (int i = n - 1; i >= 1; i--)
        {
          if (p[i].revents & POLLIN)
            answer (p[i].fd);
          else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
            {
              close (p[i].fd);
              p[i] = p[--n];
            }
        }
      if (p[0].revents & POLLIN)
        {
          int conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC);
          if (conn < 0)
            continue;
          int fd = receive (conn);
          close (conn);
          if (fd >= 0 && n <= MAX_FDS)
            p[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
        }
    }
}
