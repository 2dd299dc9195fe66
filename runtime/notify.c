/* cell: the sd_notify proxy, runc's contract (notify_socket.go). With NOTIFY_SOCKET in the caller's
 * environment (systemd units of Type=notify, podman --sdnotify=container):
 *   create  makes <root>/<id>/notify, binds it read-only at /run/notify in the container and sets
 *           NOTIFY_SOCKET=/run/notify/notify.sock for the container's process;
 *   start   (or run) binds a datagram socket there before the process starts, then waits until the container
 *           sends a READY= line (or its init is gone) and forwards that line to the caller's socket, followed
 *           by MAINPID=<init pid> and BARRIER=1 (sd_notify_barrier: up to 30 s for the caller to close the
 *           pipe sent with it).
 * The container's other messages (STATUS=, ...) are dropped, as runc drops them. */
#include "base/cleanup.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/xalloc.h"
#include "internal.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_DIR "notify"
#define NOTIFY_MOUNT "/run/notify"
#define NOTIFY_ENV "NOTIFY_SOCKET=" NOTIFY_MOUNT "/notify.sock"
#define NOTIFY_POLL_MS 100
#define NOTIFY_BARRIER_MS 30000

const char *
cell_notify_socket (void)
{
  const char *s = getenv ("NOTIFY_SOCKET");
  return s && *s ? s : NULL;
}

/* The caller's socket address: a path, or "@name" for the abstract namespace (as sd_notify reads it). */
static int
host_addr (const char *s, struct sockaddr_un *sa, socklen_t *len, cell_error_t *err)
{
  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  size_t n = strlen (s);
  if (n >= sizeof sa->sun_path)
    return cell_error (err, ENAMETOOLONG, "NOTIFY_SOCKET: '%s' is too long", s);
  memcpy (sa->sun_path, s, n);
  if (s[0] == '@')
    sa->sun_path[0] = '\0';
  *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n + (s[0] == '@' ? 0 : 1));
  return 0;
}

/* The notify directory's absolute path: the bind source (a relative one would be relative to the bundle). */
static char *
notify_dir (const char *root, const char *id)
{
  char abs[PATH_MAX];
  return xasprintf ("%s/%s/" NOTIFY_DIR, realpath (root, abs) ? abs : root, id);
}

int
cell_notify_prepare (const char *root, const char *id, int state_fd, struct cell_config *c, cell_error_t *err)
{
  if (mkdirat (state_fd, NOTIFY_DIR, 0755) < 0)
    return cell_error_errno (err, "mkdir '%s/%s/" NOTIFY_DIR "'", root, id);
  _cleanup_free_ char *sock = notify_dir (root, id);
  c->mounts = xrealloc (c->mounts, (c->n_mounts + 1) * sizeof *c->mounts);
  struct cell_mount *m = &c->mounts[c->n_mounts++];
  memset (m, 0, sizeof *m);
  m->destination = xstrdup (NOTIFY_MOUNT);
  m->type = xstrdup ("bind");
  m->source = TAKE_PTR (sock);
  const char *const options[] = { "bind", "nosuid", "noexec", "nodev", "ro", NULL };
  m->options = cell_strv_dup ((char *const *) options);
  /* The container's NOTIFY_SOCKET is ours, whatever the config said. */
  char **env = c->process.env;
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], "NOTIFY_SOCKET=", 14) == 0)
      {
        free (env[i]);
        env[i] = xstrdup (NOTIFY_ENV);
        return 0;
      }
  c->process.env = cell_strv_append (env, NOTIFY_ENV);
  return 0;
}

int
cell_notify_listen (const char *root, const char *id, cell_error_t *err)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s/" NOTIFY_DIR, root, id);
  _cleanup_close_ int dirfd = open (dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0 && errno == ENOENT)
    return cell_error (err, ENOENT, "NOTIFY_SOCKET is set, but container '%s' was created without it", id);
  if (dirfd < 0)
    return cell_error_errno (err, "open '%s'", dir);
  /* Bound through the directory's fd: the state root's path may be longer than sun_path. */
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/notify.sock", dirfd);
  _cleanup_close_ int s = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return cell_error_errno (err, "socket");
  unlinkat (dirfd, "notify.sock", 0);
  if (bind (s, (struct sockaddr *) &sa, sizeof sa) < 0)
    return cell_error_errno (err, "bind '%s/notify.sock'", dir);
  /* Any user of the container may notify (the directory is mounted read-only). */
  if (fchmodat (dirfd, "notify.sock", 0777, 0) < 0)
    return cell_error_errno (err, "chmod '%s/notify.sock'", dir);
  return TAKE_FD (s);
}

/* sd_notify_barrier: BARRIER=1 with the write end of a pipe; the caller closes it once it has processed
 * everything before. A caller that does not know the protocol never does: after 30 s, a warning. */
static int
barrier (int host, cell_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cell_error_errno (err, "pipe");
  _cleanup_close_ int rd = p[0];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  char msg[] = "BARRIER=1";
  struct iovec iov = { msg, sizeof msg - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &p[1], sizeof (int));
  ssize_t n = sendmsg (host, &mh, MSG_NOSIGNAL);
  close (p[1]);
  if (n < 0)
    return cell_error_errno (err, "NOTIFY_SOCKET: send BARRIER=1");
  struct pollfd pfd = { rd, POLLIN, 0 };
  int r = poll (&pfd, 1, NOTIFY_BARRIER_MS);
  char c;
  if (r == 0)
    cell_warning ("NOTIFY_SOCKET: no answer to BARRIER=1 within 30 s, ignored");
  else if (r > 0 && read (rd, &c, 1) != 0)
    return cell_error (err, EPROTO, "NOTIFY_SOCKET: unexpected data on the barrier pipe");
  return 0;
}

static int
send_line (int host, const char *line, size_t len, cell_error_t *err)
{
  _cleanup_free_ char *msg = xasprintf ("%.*s\n", (int) len, line);
  if (send (host, msg, strlen (msg), MSG_NOSIGNAL) < 0)
    return cell_error_errno (err, "NOTIFY_SOCKET: send");
  return 0;
}

/* The READY= line of a datagram, or NULL. */
static const char *
ready_line (const char *buf, size_t n, size_t *len)
{
  for (const char *p = buf; p < buf + n;)
    {
      const char *nl = memchr (p, '\n', (size_t) (buf + n - p));
      size_t l = nl ? (size_t) (nl - p) : (size_t) (buf + n - p);
      if (l >= 6 && memcmp (p, "READY=", 6) == 0)
        {
          *len = l;
          return p;
        }
      p += l + 1;
    }
  return NULL;
}

int
cell_notify_forward (int sock, const char *host_socket, pid_t pid, unsigned long long start, cell_error_t *err)
{
  struct sockaddr_un sa;
  socklen_t salen = 0;
  if (host_addr (host_socket, &sa, &salen, err) < 0)
    return -1;
  _cleanup_close_ int host = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (host < 0)
    return cell_error_errno (err, "socket");
  if (connect (host, (struct sockaddr *) &sa, salen) < 0)
    return cell_error_errno (err, "NOTIFY_SOCKET: connect to '%s'", host_socket);
  char buf[4096];
  while (true)
    {
      struct pollfd pfd = { sock, POLLIN, 0 };
      int r = poll (&pfd, 1, NOTIFY_POLL_MS);
      if (r < 0 && errno != EINTR)
        return cell_error_errno (err, "poll");
      if (r <= 0)
        {
          /* Gone without READY: nothing to forward (runc returns quietly too). */
          if (cell_proc_start_time (pid) != start)
            return 0;
          continue;
        }
      ssize_t n = recv (sock, buf, sizeof buf, 0);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          return cell_error_errno (err, "notify socket: receive");
        }
      size_t len;
      const char *line = ready_line (buf, (size_t) n, &len);
      if (line == NULL)
        continue;
      _cleanup_free_ char *mainpid = xasprintf ("MAINPID=%d", pid);
      if (send_line (host, line, len, err) < 0 || send_line (host, mainpid, strlen (mainpid), err) < 0)
        return -1;
      return barrier (host, err);
    }
}
