/* cell: the last steps of every container process (init and exec), shared so both behave the same. */
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/strv.h"
#include "base/xalloc.h"
#include "caps.h"
#include "process.h"
#include "seccomp-filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Without no_new_privs the kernel loads a seccomp filter only for CAP_SYS_ADMIN: keep it until the load. */
static bool
keeps_admin (const struct cell_process *p, const struct cell_exec_seccomp *sc)
{
  return sc && sc->filter && !p->no_new_privileges;
}

int
cell_process_setup (const struct cell_process *p, const struct cell_personality *pers, int procfd,
                    const struct cell_exec_seccomp *sc, cell_error_t *err)
{
  if (cell_process_set_rlimits (p, err) < 0 || cell_process_set_oom_score_adj (procfd, p, err) < 0
      || cell_process_set_scheduler (&p->scheduler, err) < 0
      || cell_process_set_io_priority (&p->io_priority, err) < 0
      || (pers && cell_process_set_personality (pers, err) < 0))
    return -1;
  if (cell_caps_prepare (&p->capabilities, err) < 0 || cell_process_set_user (&p->user, err) < 0)
    return -1;
  if ((keeps_admin (p, sc) ? cell_caps_apply_keep_admin (&p->capabilities, err)
                           : cell_caps_apply (&p->capabilities, err))
      < 0)
    return -1;
  /* The cwd is resolved inside the container's root, magic links refused: "/proc/self/fd/N" cannot name
   * a directory of the host (CVE-2024-21626 class), whatever fd we might still hold. As the container's
   * user, like chdir(2). */
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int cwd = root < 0 ? -1 : cell_open_in_root (root, p->cwd, O_PATH | O_DIRECTORY, 0, NULL);
  if (cwd < 0 || fchdir (cwd) < 0)
    return cell_error_errno (err, "process.cwd: chdir '%s'", p->cwd);
  return 0;
}

/* HOME from the container's /etc/passwd when the config leaves it unset, "/" by default (runc does so). */
static char *
home_of (uid_t uid)
{
  _cleanup_fclose_ FILE *f = fopen ("/etc/passwd", "re");
  char line[1024];
  while (f && fgets (line, sizeof line, f))
    {
      char *fields[7] = { 0 };
      char *s = line;
      for (int i = 0; i < 7 && s; i++)
        fields[i] = strsep (&s, ":");
      if (fields[5] && fields[2] && (uid_t) strtoul (fields[2], NULL, 10) == uid && fields[5][0] == '/')
        return xstrdup (fields[5]);
    }
  return xstrdup ("/");
}

static char **
env_with_home (const struct cell_process *p)
{
  char **env = cell_strv_dup (p->env);
  for (size_t i = 0; env[i]; i++)
    if (strncmp (env[i], "HOME=", 5) == 0)
      return env;
  _cleanup_free_ char *home = home_of (p->user.uid);
  return cell_strv_push (env, xasprintf ("HOME=%s", home));
}

/* The last step before execve, so that the filter sees as few of cell's own syscalls as possible: the hand-over
 * of the listener (sendmsg, close), the final capset without no_new_privs, and execve. */
static int
load_seccomp (const struct cell_process *p, const struct cell_exec_seccomp *sc, cell_error_t *err)
{
  int listener = -1;
  if (cell_seccomp_load (sc->filter, &listener, err) < 0)
    return -1;
  if (listener >= 0)
    {
      int r = sc->send_listener (sc->data, listener, err);
      close (listener);
      if (r < 0)
        return -1;
    }
  if (keeps_admin (p, sc) && cell_caps_settle (&p->capabilities, err) < 0)
    return -1;
  return 0;
}

int
cell_process_exec (const struct cell_process *p, const char *exe, int preserve_fds,
                   const struct cell_exec_seccomp *sc, cell_error_t *err)
{
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cell_error_errno (err, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* Every fd past stdio and the preserved ones is closed at execve, whatever its origin. The preserved ones
   * are the caller's, inherited, so not close-on-exec; a number in that range the caller left free may hold
   * one of our fds, which is close-on-exec and so does not reach the container. */
  unsigned int first = 3 + (unsigned int) (preserve_fds > 0 ? preserve_fds : 0);
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return cell_error_errno (err, "close_range");
  _cleanup_strv_ char **env = env_with_home (p);
  if (sc && sc->filter && load_seccomp (p, sc, err) < 0)
    return -1;
  execve (exe, p->args, env);
  return cell_error_errno (err, "exec '%s'", p->args[0]);
}
