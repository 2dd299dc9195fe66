/* cell: terminals and waiting. The pty is allocated inside the container (its devpts), the master goes to
 * --console-socket or is relayed to the caller's terminal by `run`/`exec` in the foreground. */
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int
cell_pty_open (int rootfd, const struct cell_process *p, int *master, int *slave, cell_error_t *err)
{
  cell_error_t e1 = NULL;
  _cleanup_close_ int m = cell_open_in_root (rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, &e1);
  if (m < 0)
    {
      cell_error_free (&e1);
      m = cell_open_in_root (rootfd, "/dev/ptmx", O_RDWR | O_NOCTTY, 0, err);
      if (m < 0)
        return cell_error_prefix (err, "process.terminal");
    }
  int unlock = 0;
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return cell_error_errno (err, "process.terminal: unlockpt");
  /* TIOCGPTPEER opens the peer of this very master: no path lookup the container could redirect. */
  int s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return cell_error_errno (err, "process.terminal: open pty peer");
  if (p->console_size_present)
    {
      struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
      ioctl (s, TIOCSWINSZ, &ws);
    }
  *master = TAKE_FD (m);
  *slave = s;
  return 0;
}

int
cell_pty_make_ctty (int slave, cell_error_t *err)
{
  if (setsid () < 0)
    return cell_error_errno (err, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return cell_error_errno (err, "ioctl(TIOCSCTTY)");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return cell_error_errno (err, "dup2 pty to %d", fd);
  if (slave > 2)
    close (slave);
  return 0;
}

int
cell_console_send (const char *path, int master_fd, cell_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return cell_error (err, ENAMETOOLONG, "console socket '%s': path too long", path);
  strcpy (sa.sun_path, path);
  _cleanup_close_ int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return cell_error_errno (err, "socket");
  if (connect (s, (struct sockaddr *) &sa, sizeof sa) < 0)
    return cell_error_errno (err, "connect to console socket '%s'", path);
  char name[] = "/dev/ptmx";
  struct iovec iov = { name, sizeof name - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master_fd, sizeof (int));
  if (sendmsg (s, &msg, MSG_NOSIGNAL) < 0)
    return cell_error_errno (err, "send pty to console socket '%s'", path);
  return 0;
}

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };

static void
forward_set (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGCHLD);
  for (size_t i = 0; i < ARRAY_SIZE (forwarded); i++)
    sigaddset (set, forwarded[i]);
}

void
cell_signals_block (void)
{
  sigset_t set;
  forward_set (&set);
  sigprocmask (SIG_BLOCK, &set, NULL);
}

static int
status_of (int ws)
{
  if (WIFEXITED (ws))
    return WEXITSTATUS (ws);
  if (WIFSIGNALED (ws))
    return 128 + WTERMSIG (ws);
  return 255;
}

/* Reap every exited child; returns true when pid was among them. */
static bool
reap (pid_t pid, int *status)
{
  bool done = false;
  int ws;
  pid_t r;
  while ((r = waitpid (-1, &ws, WNOHANG)) > 0)
    if (r == pid)
      {
        *status = status_of (ws);
        done = true;
      }
  return done;
}

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Move what is readable from `from` to `to`; false at EOF/error of `from`. */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  (void) cell_write_all (to, buf, n, NULL);
  return true;
}

struct tty_guard
{
  bool raw;
  struct termios saved;
};

static void
tty_raw (struct tty_guard *g, int master)
{
  if (master < 0 || !isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &g->saved) < 0)
    return;
  struct termios t = g->saved;
  cfmakeraw (&t);
  if (tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0)
    g->raw = true;
  copy_winsize (STDIN_FILENO, master);
}

int
cell_wait_forward (pid_t pid, int master_fd, int *status, cell_error_t *err)
{
  sigset_t set;
  forward_set (&set);
  sigprocmask (SIG_BLOCK, &set, NULL);
  _cleanup_close_ int sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return cell_error_errno (err, "signalfd");
  struct tty_guard g = { 0 };
  tty_raw (&g, master_fd);
  bool in_open = master_fd >= 0, out_open = master_fd >= 0, done = reap (pid, status);
  while (!done)
    {
      struct pollfd fds[3] = { { sfd, POLLIN, 0 }, { in_open ? STDIN_FILENO : -1, POLLIN, 0 },
                               { out_open ? master_fd : -1, POLLIN, 0 } };
      if (poll (fds, 3, -1) < 0 && errno != EINTR)
        break;
      if (fds[1].revents)
        in_open = pump (STDIN_FILENO, master_fd);
      if (fds[2].revents)
        out_open = pump (master_fd, STDOUT_FILENO);
      if (!(fds[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      if (read (sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD)
        done = reap (pid, status);
      else if (si.ssi_signo == SIGWINCH && master_fd >= 0)
        copy_winsize (STDIN_FILENO, master_fd);
      else
        kill (pid, si.ssi_signo);
    }
  /* Whatever the process wrote last is still in the pty. */
  if (out_open)
    {
      fcntl (master_fd, F_SETFL, fcntl (master_fd, F_GETFL) | O_NONBLOCK);
      while (pump (master_fd, STDOUT_FILENO))
        {
          struct pollfd pf = { master_fd, POLLIN, 0 };
          if (poll (&pf, 1, 0) <= 0)
            break;
        }
    }
  if (g.raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &g.saved);
  return done ? 0 : cell_error_errno (err, "wait for process %d", pid);
}
