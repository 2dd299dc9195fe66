/* cell: `exec`, a new process in a running container. It joins every namespace of the container's init with
 * one setns(pidfd, flags), enters its cgroup and root, and goes through the same setup as the init. */
#include "../cgroups/cgroups.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/strv.h"
#include "base/xalloc.h"
#include "process/caps.h"
#include "internal.h"
#include "process/process.h"
#include "runtime.h"
#include "process/seccomp-filter.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void
process_release (struct cell_process *p)
{
  if (p)
    cell_process_free (p);
}

/* Replace or add KEY=VALUE in env. */
static char **
env_set (char **env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen (kv);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], kv, klen) == 0 && env[i][klen] == '=')
      {
        free (env[i]);
        env[i] = xstrdup (kv);
        return env;
      }
  return cell_strv_append (env, kv);
}

static int
parse_id (const char *s, const char *what, uint32_t *out, cell_error_t *err)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
    return cell_error (err, EINVAL, "--user: invalid %s '%s'", what, s);
  *out = (uint32_t) v;
  return 0;
}

static int
apply_user (struct cell_process *p, const char *user, char **gids, cell_error_t *err)
{
  if (user)
    {
      _cleanup_free_ char *copy = xstrdup (user);
      char *colon = strchr (copy, ':');
      if (colon)
        *colon++ = '\0';
      if (parse_id (copy, "uid", &p->user.uid, err) < 0)
        return -1;
      p->user.gid = 0;
      if (colon && parse_id (colon, "gid", &p->user.gid, err) < 0)
        return -1;
    }
  for (size_t i = 0; gids && gids[i]; i++)
    {
      p->user.additional_gids = xrealloc (p->user.additional_gids, (p->user.n_additional_gids + 1) * 4);
      if (parse_id (gids[i], "additional gid", &p->user.additional_gids[p->user.n_additional_gids++], err) < 0)
        return -1;
    }
  return 0;
}

/* exec --cap: into bounding, effective and permitted; into ambient (and inheritable, without which the kernel
 * refuses an ambient capability) only when the config already asks for ambient capabilities. runc does the
 * same, so that no inheritable or ambient capability appears that the config did not ask for. */
static void
add_caps (struct cell_process *p, char **caps)
{
  struct cell_capabilities *c = &p->capabilities;
  bool ambient = c->present && c->ambient && c->ambient[0];
  for (size_t i = 0; caps && caps[i]; i++)
    {
      _cleanup_free_ char *name = strncasecmp (caps[i], "CAP_", 4) ? xasprintf ("CAP_%s", caps[i])
                                                                    : xstrdup (caps[i]);
      for (char *s = name; *s; s++)
        *s = (*s >= 'a' && *s <= 'z') ? *s - 32 : *s;
      char ***sets[] = { &c->bounding, &c->effective, &c->permitted, &c->ambient, &c->inheritable };
      for (size_t k = 0; k < (ambient ? 5 : 3); k++)
        if (!cell_strv_contains (*sets[k], name))
          *sets[k] = cell_strv_append (*sets[k], name);
      c->present = true;
    }
}

/* The process to run: -p FILE as given, or the container's process with args and flags applied (runc); in
 * that case it is moved out of c, which keeps the rest of the config. */
static struct cell_process *
build_process (const struct cell_exec_opts *o, struct cell_config *c, cell_error_t *err)
{
  struct cell_process *p;
  if (o->process_file)
    {
      _cleanup_free_ char *text = NULL;
      size_t len;
      if (cell_read_file_at (AT_FDCWD, o->process_file, 4 << 20, &text, &len, err) < 0)
        return NULL;
      p = cell_process_parse (text, len, err);
      if (p == NULL)
        return cell_error_prefix (err, "%s", o->process_file), NULL;
    }
  else
    {
      p = xcalloc (1, sizeof *p);
      *p = c->process;
      memset (&c->process, 0, sizeof c->process);
      cell_strv_free (p->args);
      p->args = cell_strv_dup (o->args);
      p->terminal = o->tty;
      p->console_size_present = false;
    }
  if (p->args == NULL || p->args[0] == NULL)
    {
      cell_process_free (p);
      return cell_error (err, EINVAL, "exec: no command given"), NULL;
    }
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (size_t i = 0; o->env && o->env[i]; i++)
    p->env = env_set (p->env, o->env[i]);
  if (o->no_new_privs)
    p->no_new_privileges = true;
  add_caps (p, o->caps);
  if (apply_user (p, o->user, o->additional_gids_str, err) < 0 || cell_process_validate (p, "process", err) < 0)
    {
      cell_process_free (p);
      return NULL;
    }
  return p;
}

/* Namespaces of pid that differ from ours, as CLONE_NEW* flags. */
static unsigned long
ns_flags_of (pid_t pid)
{
  unsigned long flags = 0;
  for (int t = 0; t < CELL_NS__MAX; t++)
    {
      char a[64], b[64];
      struct stat sa, sb;
      snprintf (a, sizeof a, "/proc/%d/ns/%s", pid, ns_proc_name (t));
      snprintf (b, sizeof b, "/proc/self/ns/%s", ns_proc_name (t));
      if (stat (a, &sa) == 0 && stat (b, &sb) == 0 && (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev))
        flags |= ns_clone_flag (t);
    }
  return flags;
}

struct exec_child
{
  const struct cell_process *p;
  const struct cell_state *st;
  const struct cell_personality *pers;
  const char *cgroup; /* the cgroup to enter: the container's, or exec --cgroup's sub-cgroup of it; NULL: none */
  int pidfd, rootfd, sync_fd;
  unsigned long flags;
  int preserve_fds;
  const struct cell_seccomp_filter *seccomp; /* NULL: none */
  int agent_fd;                              /* connected to linux.seccomp.listenerPath, or -1 */
  const char *metadata;                      /* linux.seccomp.listenerMetadata */
  char *state;                               /* state JSON for the agent */
  struct cell_exe_copy exe;
  int procfd; /* the host's /proc (cell_procfs_open), opened before setns */
};

/* exec's notify hand-over: the listener fd goes to `cell exec` (SYNC_SECCOMP_FD), which knows our pid and talks
 * to the agent, then acknowledges. */
static int
exec_send_listener (void *data, int listener, cell_error_t *err)
{
  const struct exec_child *x = data;
  if (cell_sync_send (x->sync_fd, SYNC_SECCOMP_FD, 0, NULL, 0, listener, err) < 0)
    return -1;
  return cell_sync_expect (x->sync_fd, SYNC_SECCOMP_ACK, NULL, NULL, NULL, NULL, err);
}

/* The grandchild: in the container's namespaces; root and setup, then execve. */
_Noreturn static void
exec_final (const struct exec_child *x)
{
  cell_error_t err = NULL;
  _cleanup_free_ char *exe = NULL;
  /* (x->agent_fd, the parent's, went with the caller's other fds in exec_child.) */
  struct cell_exec_seccomp sc = { .filter = x->seccomp, .send_listener = exec_send_listener, .data = (void *) x };
  /* Our own session and process group, as runc's: the caller's group is outside the container's pid
   * namespace, where getpgrp() would return 0 (shells and job control break on it). With a terminal,
   * cell_pty_make_ctty() makes the session. */
  if (!x->p->terminal && setsid () < 0)
    cell_error_errno (&err, "setsid");
  else if (fchdir (x->rootfd) < 0 || chroot (".") < 0)
    cell_error_errno (&err, "enter the container's root");
  else if (x->p->terminal)
    {
      int master = -1, slave = -1;
      _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (cell_pty_open (root, x->p, &master, &slave, &err) == 0)
        {
          cell_sync_send (x->sync_fd, SYNC_CONSOLE_FD, 0, NULL, 0, master, &err);
          close (master);
          if (err == NULL)
            cell_pty_make_ctty (slave, &err);
        }
    }
  close (x->rootfd);
  if (err == NULL)
    exe = cell_process_find_executable (x->p->args[0], x->p->env, &err);
  /* Not dumpable once we run with the container's credentials: no container process may open our
   * /proc/PID/{mem,fd,...} without CAP_SYS_PTRACE; execve resets it. */
  if (err == NULL && cell_process_setup (x->p, x->pers, x->procfd, &sc, &err) == 0
      && (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 || cell_error_errno (&err, "prctl(PR_SET_DUMPABLE)") == 0))
    {
      /* Without a pid namespace to join we are exec_child itself, whose parent-death signal would survive
       * execve and kill a detached process as soon as `cell exec -d` exits. */
      prctl (PR_SET_PDEATHSIG, 0);
      cell_process_exec (x->p, exe, x->preserve_fds, &sc, &err);
    }
  cell_sync_send_error (x->sync_fd, err);
  _exit (1);
}

_Noreturn static void
exec_child (struct exec_child *x)
{
  cell_error_t err = NULL;
  cell_signals_reset ();
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Before we enter the container: from now on /proc/self/exe is a read-only copy of cell (exe-seal.c). */
  if (x->exe.fd >= 0 && (cell_exe_remap (x->exe.fd, &err) < 0 || cell_exe_set (x->exe.fd, &err) < 0))
    {
      cell_sync_send_error (x->sync_fd, err);
      _exit (1);
    }
  cell_exe_copy_close (&x->exe);
  /* Our caller's fds past the preserved ones: closed before we enter the container (CVE-2024-21626). */
  int keep[] = { x->sync_fd, x->pidfd, x->rootfd };
  if (cell_close_fds_from (3 + (x->preserve_fds > 0 ? x->preserve_fds : 0), keep, ARRAY_SIZE (keep), &err) < 0
      || (x->procfd = cell_procfs_open (&err)) < 0)
    {
      cell_sync_send_error (x->sync_fd, err);
      _exit (1);
    }
  if (x->cgroup && cg_enter (x->cgroup, getpid (), &err) < 0)
    {
      cell_sync_send_error (x->sync_fd, err);
      _exit (1);
    }
  if (x->flags && setns (x->pidfd, x->flags) < 0)
    {
      cell_error_errno (&err, "setns into container '%s'", x->st->id);
      cell_sync_send_error (x->sync_fd, err);
      _exit (1);
    }
  if (!(x->flags & CLONE_NEWPID))
    exec_final (x);
  /* setns(CLONE_NEWPID) applies to children: fork the process that really runs. */
  if (cell_sync_fork_reporting (x->sync_fd, &err) < 0)
    {
      cell_sync_send_error (x->sync_fd, err);
      _exit (1);
    }
  exec_final (x);
}

/* The parent's side of exec_send_listener(): the listener fd to the agent, with the process state. */
static int
forward_listener (int sock, struct exec_child *x, pid_t pid, cell_error_t *err)
{
  _cleanup_close_ int listener = -1;
  if (cell_sync_expect (sock, SYNC_SECCOMP_FD, NULL, NULL, NULL, &listener, err) < 0)
    return -1;
  if (listener < 0)
    return cell_error (err, EPROTO, "sync: no seccomp listener received");
  _cleanup_free_ char *payload = cell_seccomp_process_state (pid, x->metadata, x->state, err);
  if (payload == NULL || cell_seccomp_send_listener (x->agent_fd, listener, payload, err) < 0)
    return -1;
  /* EOF tells the agent that the message is complete. */
  close (x->agent_fd);
  x->agent_fd = -1;
  return cell_sync_send (sock, SYNC_SECCOMP_ACK, 0, NULL, 0, -1, err);
}

static int
spawn (const struct cell_exec_opts *o, struct exec_child *x, pid_t *out, int *master, cell_error_t *err)
{
  int sp[2];
  if (cell_exe_copy_open (&x->exe, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return cell_error_errno (err, "socketpair");
  _cleanup_close_ int sock = sp[0];
  x->sync_fd = sp[1];
  pid_t child = fork ();
  if (child < 0)
    {
      close (sp[1]);
      return cell_error_errno (err, "fork");
    }
  if (child == 0)
    {
      close (sp[0]);
      exec_child (x);
    }
  close (sp[1]);
  /* Not dropped here: our copy is the last one, and its close waits for the unmount (exe-seal.c); exec_in
   * drops it once the process runs. */
  pid_t pid = child;
  int32_t gpid;
  if (x->flags & CLONE_NEWPID)
    {
      if (cell_sync_expect (sock, SYNC_INIT_PID, &gpid, NULL, NULL, NULL, err) < 0)
        {
          waitpid (child, NULL, 0);
          return -1;
        }
      pid = gpid;
      waitpid (child, NULL, 0);
    }
  if (x->p->terminal)
    {
      _cleanup_close_ int m = -1;
      if (cell_sync_expect (sock, SYNC_CONSOLE_FD, NULL, NULL, NULL, &m, err) < 0)
        goto failed;
      if (o->console_socket && cell_console_send (o->console_socket, m, err) < 0)
        goto failed;
      if (!o->console_socket)
        *master = TAKE_FD (m);
    }
  if (x->seccomp && x->seccomp->notify && forward_listener (sock, x, pid, err) < 0)
    goto failed;
  /* EOF: execve happened and closed the socket; a message: the setup failed. */
  struct cell_sync_msg h;
  ssize_t n = recv (sock, &h, sizeof h, MSG_PEEK);
  if (n > 0 && cell_sync_expect (sock, SYNC_READY, NULL, NULL, NULL, NULL, err) < 0)
    goto failed;
  *out = pid;
  return 0;
failed:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return -1;
}

/* The container's filter, compiled here (errors before anything runs), and the agent connection. */
static int
exec_seccomp (const char *root, const struct cell_config *cfg, const struct cell_state *st,
              struct cell_seccomp_filter *f, struct exec_child *x, cell_error_t *err)
{
  const struct cell_seccomp *s = &cfg->linux.seccomp;
  if (!s->present)
    return 0;
  if (cell_seccomp_compile (s, root, f, err) < 0)
    return -1;
  x->seccomp = f;
  if (!f->notify)
    return 0;
  x->metadata = s->listener_metadata;
  x->state = cell_state_to_json (st, cfg, "running", false);
  x->agent_fd = cell_seccomp_agent_connect (s->listener_path, err);
  return x->agent_fd < 0 ? -1 : 0;
}

static int
exec_run (const struct cell_exec_opts *o, struct exec_child *x, int *status, cell_error_t *err)
{
  pid_t pid = 0;
  _cleanup_close_ int master = -1;
  if (!o->detach)
    {
      prctl (PR_SET_CHILD_SUBREAPER, 1);
      cell_signals_block ();
    }
  int r = spawn (o, x, &pid, &master, err);
  cell_exe_copy_close (&x->exe);
  if (r == 0 && o->pid_file)
    r = cell_write_pid_file (o->pid_file, pid, err);
  *status = 0;
  if (r == 0 && !o->detach)
    r = cell_wait_forward (pid, master, status, err);
  return r;
}

/* exec --cgroup SUB: SUB is relative to the container's cgroup (a leading '/' too, as in runc) and must stay
 * inside it and exist; runc 1.1's rule on cgroup v2. *out: the cgroup to enter (NULL: none; caller frees). */
static int
exec_cgroup (const struct cell_exec_opts *o, const struct cell_state *st, char **out, cell_error_t *err)
{
  *out = NULL;
  if (o->cgroup == NULL)
    {
      *out = st->cgroup ? xstrdup (st->cgroup) : NULL;
      return 0;
    }
  if (st->cgroup == NULL || cg_mountpoint () == NULL)
    return cell_error (err, 0, "exec: --cgroup: container '%s' has no cgroup", st->id);
  _cleanup_free_ char *sub = xstrdup (o->cgroup);
  for (char *s = strtok (sub, "/"); s; s = strtok (NULL, "/"))
    if (strcmp (s, "..") == 0)
      return cell_error (err, 0, "exec: --cgroup '%s': not a sub-cgroup of the container's", o->cgroup);
  const char *rel = o->cgroup + strspn (o->cgroup, "/");
  _cleanup_free_ char *path = rel[0] ? xasprintf ("%s/%s", st->cgroup, rel) : xstrdup (st->cgroup);
  _cleanup_free_ char *full = xasprintf ("%s%s", cg_mountpoint (), path);
  struct stat sb;
  if (stat (full, &sb) < 0 || !S_ISDIR (sb.st_mode))
    return cell_error_errno (err, "exec: --cgroup '%s': no such sub-cgroup ('%s')", o->cgroup, full);
  *out = TAKE_PTR (path);
  return 0;
}

static int
exec_in (const char *root, const struct cell_exec_opts *o, const char *text, size_t len,
         const struct cell_state *st, int *status, cell_error_t *err)
{
  struct cell_config *cfg = cell_config_parse (text, len, err);
  if (cfg == NULL)
    return -1;
  struct cell_process *p = build_process (o, cfg, err);
  struct cell_seccomp_filter filter = { 0 };
  int r = -1;
  if (p && p->terminal && o->detach && !o->console_socket)
    cell_error (err, EINVAL, "exec: a detached process with a terminal needs --console-socket");
  else if (p)
    {
      _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, st->pid, 0);
      char rootp[64];
      snprintf (rootp, sizeof rootp, "/proc/%d/root", st->pid);
      _cleanup_close_ int rootfd = open (rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
      _cleanup_free_ char *cgroup = NULL;
      struct exec_child x = { .p = p, .st = st, .pers = &cfg->linux.personality, .pidfd = pidfd,
                              .rootfd = rootfd, .flags = ns_flags_of (st->pid), .preserve_fds = o->preserve_fds,
                              .agent_fd = -1, .exe = { .fd = -1, .tree = -1 } };
      if (pidfd < 0 || rootfd < 0 || cell_proc_start_time (st->pid) != st->pid_start)
        cell_error (err, ESRCH, "container '%s' is not running", st->id);
      else if (exec_cgroup (o, st, &cgroup, err) == 0 && exec_seccomp (root, cfg, st, &filter, &x, err) == 0)
        {
          x.cgroup = cgroup;
          r = exec_run (o, &x, status, err);
        }
      if (x.agent_fd >= 0)
        close (x.agent_fd);
      free (x.state);
    }
  cell_seccomp_filter_release (&filter);
  process_release (p);
  cell_config_free (cfg);
  return r;
}

int
cell_container_exec (const struct cell_context *ctx, const struct cell_exec_opts *o, int *status,
                     cell_error_t *err)
{
  if (cell_id_validate (o->id, err) < 0)
    return -1;
  _cleanup_close_ int fd = cell_state_open_dir (ctx->root, o->id, err);
  if (fd < 0)
    return -1;
  struct cell_state st;
  if (cell_state_read (fd, &st, err) < 0)
    return -1;
  int r;
  if (strcmp (cell_state_status (&st), "stopped") == 0)
    r = cell_error (err, ESRCH, "cannot exec in a stopped container '%s'", o->id);
  else if (strcmp (cell_state_status (&st), "paused") == 0)
    r = cell_error (err, 0, "cannot exec in a paused container '%s' (resume it first)", o->id);
  else
    {
      /* Don't hold the container's lock while the process runs. */
      close (TAKE_FD (fd));
      r = exec_in (ctx->root, o, st.config, strlen (st.config), &st, status, err);
    }
  cell_state_release (&st);
  return r;
}
