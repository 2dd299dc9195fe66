#include "sync.h"
#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int
cell_sync_send (int sock, enum cell_sync_type type, int32_t code, const void *payload, size_t len, int fd,
                cell_error_t *err)
{
  struct cell_sync_msg h = { .type = type, .code = code, .len = len };
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, len } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
  if (len > CELL_SYNC_MAX_PAYLOAD)
    return cell_error (err, EMSGSIZE, "sync: message too large");
  if (fd >= 0)
    {
      memset (&u, 0, sizeof u);
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof u.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof fd);
    }
  ssize_t r;
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cell_error_errno (err, "sync: send");
  return 0;
}

void
cell_sync_send_error (int sock, const cell_error_t e)
{
  const char *m = e && e->msg ? e->msg : "unknown error";
  size_t len = strlen (m);
  if (len > 65536)
    len = 65536;
  (void) cell_sync_send (sock, SYNC_ERROR, e ? e->code : 0, m, len, -1, NULL);
}

static int
recv_one (int sock, int flags, struct cell_sync_msg *h, char **payload, int *fd, cell_error_t *err)
{
  /* Static, not malloc'd: a quarter megabyte is mmap'd and unmapped by malloc on every message; untouched bss
   * pages cost nothing. cell is single-threaded. */
  static char buf[sizeof (struct cell_sync_msg) + CELL_SYNC_MAX_PAYLOAD + 1];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { buf, sizeof *h + CELL_SYNC_MAX_PAYLOAD };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t r;
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC | flags);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cell_error_errno (err, "sync: receive");
  if (r == 0)
    return 1; /* EOF */
  if ((size_t) r < sizeof *h)
    return cell_error (err, EPROTO, "sync: short message");
  memcpy (h, buf, sizeof *h);
  if (h->len != (size_t) r - sizeof *h)
    return cell_error (err, EPROTO, "sync: bad message length");
  *fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (fd, CMSG_DATA (c), sizeof (int));
  buf[r] = '\0';
  *payload = xstrndup (buf + sizeof *h, h->len);
  return 0;
}

int
cell_sync_expect (int sock, enum cell_sync_type type, int32_t *code, char **payload, size_t *len, int *fd,
                  cell_error_t *err)
{
  struct cell_sync_msg h = { 0 };
  _cleanup_free_ char *p = NULL;
  _cleanup_close_ int rfd = -1;
  int r = recv_one (sock, 0, &h, &p, &rfd, err);
  if (r < 0)
    return -1;
  if (r > 0)
    return cell_error (err, 0, "container init exited unexpectedly");
  if (h.type == SYNC_ERROR)
    return cell_error (err, h.code, "%s", p);
  if (h.type != type)
    return cell_error (err, EPROTO, "sync: expected message %d, got %u", type, h.type);
  if (code)
    *code = h.code;
  if (len)
    *len = h.len;
  if (payload)
    *payload = TAKE_PTR (p);
  if (fd)
    *fd = TAKE_FD (rfd);
  return 0;
}

int
cell_sync_expect_eof (int sock, cell_error_t *err)
{
  struct cell_sync_msg h = { 0 };
  _cleanup_free_ char *p = NULL;
  _cleanup_close_ int rfd = -1;
  int r = recv_one (sock, 0, &h, &p, &rfd, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (h.type == SYNC_ERROR)
    return cell_error (err, h.code, "%s", p);
  return cell_error (err, EPROTO, "sync: expected the end, got message %u", h.type);
}

int
cell_sync_pending_error (int sock, cell_error_t *err)
{
  for (;;)
    {
      struct cell_sync_msg h = { 0 };
      _cleanup_free_ char *p = NULL;
      _cleanup_close_ int rfd = -1;
      cell_error_t ignored = NULL;
      int r = recv_one (sock, MSG_DONTWAIT, &h, &p, &rfd, &ignored);
      if (r != 0)
        {
          cell_error_free (&ignored); /* EAGAIN: nothing queued; EOF; or a broken message */
          return 0;
        }
      if (h.type == SYNC_ERROR)
        return cell_error (err, h.code, "%s", p);
    }
}

int
cell_sync_fork_reporting (int sock, cell_error_t *err)
{
  /* The child waits for EOF on this pipe, which our exit gives, after SYNC_INIT_PID went out. */
  int order[2];
  if (pipe2 (order, O_CLOEXEC) < 0)
    return cell_error_errno (err, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (order[0]);
      close (order[1]);
      return cell_error_errno (err, "fork");
    }
  if (pid == 0)
    {
      char c;
      close (order[1]);
      while (read (order[0], &c, 1) < 0 && errno == EINTR)
        ;
      close (order[0]);
      return 0;
    }
  close (order[0]);
  if (cell_sync_send (sock, SYNC_INIT_PID, pid, NULL, 0, -1, err) < 0)
    {
      kill (pid, SIGKILL);
      cell_sync_send_error (sock, *err);
      _exit (1);
    }
  _exit (0);
}
