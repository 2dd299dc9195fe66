/* cell: OCI hooks. Each hook runs as a child of the caller with the container state JSON on stdin (a pipe),
 * the runtime's stdout and stderr passed through, its own args and env, and an optional timeout.
 *
 * The parent waits on a pidfd so that one poll() covers feeding stdin, the hook's exit and the timeout: a hook
 * that never reads its stdin cannot block us on a full pipe, and a hook that runs too long is SIGKILLed. */
#include "hooks.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A running hook: its pid, a pidfd, the write end of its stdin. */
struct hook_child
{
  pid_t pid;
  int pidfd;
  int stdin_fd;
};

static void
hook_child_kill (struct hook_child *h)
{
  if (h->pid > 0)
    {
      kill (h->pid, SIGKILL);
      while (waitpid (h->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      h->pid = 0;
    }
  cleanup_closep (&h->pidfd);
  cleanup_closep (&h->stdin_fd);
}

/* In the forked child: stdin from the pipe, nothing else inherited, default signal state, execve. Only
 * async-signal-safe calls; on failure the errno goes to the parent over errfd. */
static void __attribute__ ((noreturn))
hook_exec_child (const struct cell_hook *h, int stdin_fd, int errfd)
{
  char *default_argv[] = { h->path, NULL };
  char **argv = h->args && h->args[0] ? h->args : default_argv;
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  /* Move the error pipe above 2 first so that the dup2 onto stdin cannot clobber it. */
  if (errfd < 3 && (errfd = fcntl (errfd, F_DUPFD_CLOEXEC, 3)) < 0)
    _exit (127);
  if (stdin_fd == STDIN_FILENO ? fcntl (stdin_fd, F_SETFD, 0) < 0 : dup2 (stdin_fd, STDIN_FILENO) < 0)
    goto fail;
  /* Only 0-2 and the cloexec error pipe survive: the hook must not inherit the runtime's fds. */
  if (errfd > 3)
    syscall (SYS_close_range, 3U, (unsigned) errfd - 1, 0U);
  syscall (SYS_close_range, (unsigned) errfd + 1, ~0U, 0U);
  execve (h->path, argv, h->env ? h->env : environ);
fail:;
  int e = errno;
  (void) !write (errfd, &e, sizeof e);
  _exit (127);
}

/* Fork the hook; reports an execve failure as an error naming the path. */
static int
hook_spawn (const struct cell_hook *h, struct hook_child *out, cell_error_t *err)
{
  int in[2], ep[2];
  if (pipe2 (in, O_CLOEXEC) < 0)
    return cell_error_errno (err, "pipe");
  if (pipe2 (ep, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (in[0]);
      close (in[1]);
      return cell_error (err, e, "pipe");
    }
  pid_t pid = fork ();
  if (pid == 0)
    hook_exec_child (h, in[0], ep[1]);
  int fork_errno = errno;
  close (in[0]);
  close (ep[1]);
  _cleanup_close_ int errfd = ep[0];
  out->stdin_fd = in[1];
  out->pid = pid;
  if (pid < 0)
    return cell_error (err, fork_errno, "fork");
  int child_errno = 0;
  ssize_t n;
  while ((n = read (errfd, &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
    ;
  if (n > 0)
    {
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      out->pid = 0;
      return cell_error (err, child_errno, "exec");
    }
  out->pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (out->pidfd < 0)
    return cell_error_errno (err, "pidfd_open");
  if (fcntl (out->stdin_fd, F_SETFL, O_NONBLOCK) < 0)
    return cell_error_errno (err, "fcntl");
  return 0;
}

/* Write what the pipe takes now. Returns bytes written; a hook that closed its stdin (EPIPE) is not an error,
 * as with runc. SIGPIPE is blocked around the write and a pending one consumed, so the runtime survives. */
static ssize_t
hook_feed (int fd, const char *buf, size_t len, bool *done)
{
  sigset_t pipe_set, old;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write (fd, buf, len);
  int e = errno;
  if (n < 0 && e == EPIPE)
    {
      const struct timespec zero = { 0, 0 };
      sigtimedwait (&pipe_set, NULL, &zero);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (n < 0)
    {
      *done = e != EAGAIN && e != EINTR;
      return 0;
    }
  *done = (size_t) n == len;
  return n;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Feed the state and wait for the exit. Returns 1 on exit (status in *wstatus), 0 on timeout, -1 on error. */
static int
hook_wait (struct hook_child *c, const char *state, int timeout_s, int *wstatus, cell_error_t *err)
{
  size_t off = 0, len = state ? strlen (state) : 0;
  long long deadline = timeout_s > 0 ? now_ms () + timeout_s * 1000LL : -1;
  bool done = len == 0;
  for (;;)
    {
      if (done && c->stdin_fd >= 0)
        close (TAKE_FD (c->stdin_fd)); /* EOF for the hook */
      struct pollfd p[2] = { { .fd = c->pidfd, .events = POLLIN }, { .fd = c->stdin_fd, .events = POLLOUT } };
      long long left = deadline < 0 ? -1 : deadline - now_ms ();
      if (deadline >= 0 && left <= 0)
        return 0;
      int r = poll (p, c->stdin_fd >= 0 ? 2 : 1, left > 0x7fffffff ? 0x7fffffff : (int) left);
      if (r < 0 && errno != EINTR)
        return cell_error_errno (err, "poll");
      if (r > 0 && p[0].revents)
        break;
      if (r > 0 && p[1].revents)
        off += hook_feed (c->stdin_fd, state + off, len - off, &done);
    }
  pid_t pid = c->pid;
  c->pid = 0;
  while (waitpid (pid, wstatus, 0) < 0)
    if (errno != EINTR)
      return cell_error_errno (err, "waitpid");
  return 1;
}

static int
hook_run_one (const struct cell_hook *h, const char *state, cell_error_t *err)
{
  struct hook_child c = { .pid = 0, .pidfd = -1, .stdin_fd = -1 };
  int status = 0;
  if (h->path == NULL || h->path[0] != '/')
    return cell_error (err, 0, "path must be absolute");
  int r = hook_spawn (h, &c, err);
  if (r == 0)
    r = hook_wait (&c, state, h->timeout_present ? h->timeout : 0, &status, err);
  hook_child_kill (&c);
  if (r < 0)
    return -1;
  if (r == 0)
    return cell_error (err, 0, "timed out after %d s", h->timeout);
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return cell_error (err, 0, "exited with status %d", WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return cell_error (err, 0, "killed by signal %d", WTERMSIG (status));
  return 0;
}

static int
hook_run_named (const struct cell_config *c, enum cell_hook_kind kind, size_t i, const char *state_json,
                cell_error_t *err)
{
  const struct cell_hook *h = &c->hooks[kind].v[i];
  if (hook_run_one (h, state_json, err) < 0)
    return cell_error_prefix (err, "hook %s[%zu] (%s)", cell_hook_kind_name (kind), i, h->path ? h->path : "");
  return 0;
}

int
cell_hooks_run (const struct cell_config *c, enum cell_hook_kind kind, const char *state_json, cell_error_t *err)
{
  if (kind < 0 || kind >= CELL_HOOK__MAX)
    return cell_error (err, EINVAL, "invalid hook kind %d", (int) kind);
  for (size_t i = 0; i < c->hooks[kind].n; i++)
    if (hook_run_named (c, kind, i, state_json, err) < 0)
      return -1;
  return 0;
}

size_t
cell_hooks_run_all (const struct cell_config *c, enum cell_hook_kind kind, const char *state_json)
{
  size_t failed = 0;
  if (kind < 0 || kind >= CELL_HOOK__MAX)
    return 0;
  for (size_t i = 0; i < c->hooks[kind].n; i++)
    {
      cell_error_t err = NULL;
      if (hook_run_named (c, kind, i, state_json, &err) < 0)
        {
          _cleanup_free_ char *msg = cell_error_string (err);
          cell_warning ("%s", msg);
          cell_error_free (&err);
          failed++;
        }
    }
  return failed;
}
