/* cell: the container's init, from clone3 to execve. Runs in the child; see sync.h for the protocol. It never
 * prints and never calls exit(): errors go to the parent (before READY) or to `cell start` (after), then
 * _exit(1). */
#include "../cgroups/cgroups.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "hooks.h"
#include "internal.h"
#include "rootfs/rootfs.h"
#include "process/process.h"
#include "process/seccomp-filter.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

bool
cell_plan_needs_fork (const struct ns_plan *plan)
{
  if (!plan->needs_staging)
    return false;
  if (plan->new_flags & (CLONE_NEWPID | CLONE_NEWTIME))
    return true;
  for (size_t i = 0; i < plan->n_joins; i++)
    if (plan->joins[i].type == CELL_NS_PID || plan->joins[i].type == CELL_NS_TIME)
      return true;
  return false;
}

void
cell_signals_reset (void)
{
  sigset_t all;
  sigemptyset (&all);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
  sigprocmask (SIG_SETMASK, &all, NULL);
}

_Noreturn static void
fail (int sock, cell_error_t *err)
{
  cell_sync_send_error (sock, *err);
  _exit (1);
}

static int
map_user (const struct cell_init_args *a, cell_error_t *err)
{
  if (cell_sync_send (a->sync_fd, SYNC_USERNS_MAP_REQ, 0, NULL, 0, -1, err) < 0)
    return -1;
  if (cell_sync_expect (a->sync_fd, SYNC_USERNS_MAP_ACK, NULL, NULL, NULL, NULL, err) < 0)
    return -1;
  /* Become root of the new namespace; our host uid need not be mapped at all. */
  if (setresgid (0, 0, 0) < 0)
    return cell_error_errno (err, "setresgid(0) in the user namespace");
  if (setresuid (0, 0, 0) < 0)
    return cell_error_errno (err, "setresuid(0) in the user namespace");
  /* Changing credentials cleared "dumpable", which makes the files of /proc/self owned by the (unmapped) host root and
   * so unwritable for us (timens_offsets, oom_score_adj). execve sets it again by its own rules. */
  if (prctl (PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    return cell_error_errno (err, "prctl(PR_SET_DUMPABLE)");
  return 0;
}

/* Staging path: join, unshare, and fork the real init when a pid or time namespace applies only to children.
 * Returns in the process that goes on as init. */
static int
stage_namespaces (const struct cell_init_args *a, int procfd, cell_error_t *err)
{
  const struct ns_plan *plan = a->plan;
  if (ns_plan_join (plan, err) < 0)
    return -1;
  if (plan->new_user)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        return cell_error_errno (err, "unshare user namespace");
      if (map_user (a, err) < 0)
        return -1;
    }
  unsigned long rest = plan->new_flags & ~(unsigned long) CLONE_NEWUSER;
  if (rest && unshare (rest) < 0)
    return cell_error_errno (err, "unshare namespaces");
  if (rest & CLONE_NEWTIME)
    {
      _cleanup_close_ int self = cell_procfs_openat (procfd, "self", O_PATH | O_DIRECTORY, err);
      if (self < 0)
        return -1;
      if (ns_write_time_offsets (self, &a->config->linux, err) < 0)
        return -1;
    }
  if (!cell_plan_needs_fork (plan))
    return 0;
  /* stage-1 reports the init's pid (in our, the caller's, pid namespace) and goes. */
  return cell_sync_fork_reporting (a->sync_fd, err);
}

static int
setup_uts_net (const struct cell_init_args *a, cell_error_t *err)
{
  const struct cell_config *c = a->config;
  const struct cell_namespace *uts = cell_config_namespace (c, CELL_NS_UTS);
  const struct cell_namespace *net = cell_config_namespace (c, CELL_NS_NETWORK);
  if (c->hostname && uts && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return cell_error_errno (err, "hostname: sethostname '%s'", c->hostname);
  if (c->domainname && uts && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return cell_error_errno (err, "domainname: setdomainname '%s'", c->domainname);
  if (net && net->path == NULL && !a->lo_by_parent && ns_net_loopback_up (err) < 0)
    return -1;
  if (!a->no_new_keyring)
    {
      _cleanup_free_ char *name = xasprintf ("_ses.%s", a->id);
      /* EPERM/ENOSYS: keyrings disabled or restricted; runc goes on without one too. */
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS && errno != EPERM
          && errno != EACCES)
        return cell_error_errno (err, "join session keyring");
    }
  return 0;
}

/* A user namespace without a cgroup namespace of its own cannot mount cgroup2 (it would show the host's whole
 * hierarchy): a cgroup mount then binds the container's own cgroup instead, as runc does. Its host path, when
 * the config has such a mount; NULL otherwise, or when there is no cgroup v2 hierarchy. */
static char *
cgroup_bind_source (const struct cell_config *c)
{
  bool wanted = false;
  for (size_t i = 0; i < c->n_mounts && !wanted; i++)
    wanted = c->mounts[i].type
             && (strcmp (c->mounts[i].type, "cgroup") == 0 || strcmp (c->mounts[i].type, "cgroup2") == 0);
  const char *hierarchy = wanted ? cg_mountpoint () : NULL;
  if (hierarchy == NULL)
    return NULL;
  _cleanup_free_ char *own = cg_own_path (NULL);
  if (own == NULL)
    return NULL;
  return xasprintf ("%s%s", hierarchy, strcmp (own, "/") == 0 ? "" : own);
}

static bool
has_hooks (const struct cell_config *c, enum cell_hook_kind k)
{
  return c->hooks[k].n > 0;
}

/* Everything up to SYNC_READY: namespaces, rootfs, hooks, pivot. Leaves *exe and *slave for later. */
static int
prepare (const struct cell_init_args *a, const struct cell_exec_seccomp *sc, struct cell_rootfs *r, char **exe,
         int *slave, cell_error_t *err)
{
  const struct cell_config *c = a->config;
  const struct cell_process *p = &c->process;
  /* Opened before the container can exist, in our copy of the host's mounts, kept past pivot_root: every
   * /proc write of ours goes through it (CVE-2025-52881 class). */
  r->procfd = cell_procfs_open (err);
  if (r->procfd < 0)
    return -1;
  if (a->staged)
    {
      if (stage_namespaces (a, r->procfd, err) < 0)
        return -1;
    }
  else if (a->plan->new_user && map_user (a, err) < 0)
    return -1;
  /* From now on /proc/self/exe is a read-only copy of cell (exe-seal.c); still with every capability, so
   * that no container process could have reached us before. */
  if (a->exe->fd >= 0
      && (cell_exe_remap (a->exe->fd, err) < 0 || cell_exe_set (a->exe->fd, err) < 0))
    return -1;
  cell_exe_copy_drop (a->exe, (a->plan->new_flags & CLONE_NEWNS) != 0);
  if (setup_uts_net (a, err) < 0)
    return -1;

  r->config = c;
  r->rootfs = xstrdup (a->rootfs);
  r->bundle = xstrdup (a->bundle);
  r->userns = a->plan->new_user || cell_config_namespace (c, CELL_NS_USER) != NULL;
  r->no_pivot = a->no_pivot;
  r->shared_mntns = cell_config_namespace (c, CELL_NS_MOUNT) == NULL;
  r->console_fd = -1;
  if (r->userns && cell_config_namespace (c, CELL_NS_CGROUP) == NULL)
    r->cgroup_source = cgroup_bind_source (c);
  if (cell_rootfs_prepare (r, err) < 0 || cell_mount_sources_receive (r, a->sync_fd, err) < 0
      || cell_mounts_apply (r, err) < 0)
    return -1;
  if (p->terminal)
    {
      _cleanup_close_ int master = -1;
      if (cell_pty_open (r->rootfd, p, &master, slave, err) < 0)
        return -1;
      r->console_fd = *slave;
      if (cell_sync_send (a->sync_fd, SYNC_CONSOLE_FD, 0, NULL, 0, master, err) < 0)
        return -1;
      if (cell_sync_expect (a->sync_fd, SYNC_CONSOLE_ACK, NULL, NULL, NULL, NULL, err) < 0)
        return -1;
    }
  int dev = cell_dev_setup (r, err);
  cell_mount_sources_release (r);
  if (dev < 0)
    return -1;
  if (has_hooks (c, CELL_HOOK_PRESTART) || has_hooks (c, CELL_HOOK_CREATE_RUNTIME)
      || has_hooks (c, CELL_HOOK_CREATE_CONTAINER))
    {
      int32_t pid;
      if (cell_sync_send (a->sync_fd, SYNC_HOOKS_REQ, 0, NULL, 0, -1, err) < 0)
        return -1;
      if (cell_sync_expect (a->sync_fd, SYNC_HOOKS_ACK, &pid, NULL, NULL, NULL, err) < 0)
        return -1;
      struct cell_state st = *a->st;
      st.pid = pid;
      _cleanup_free_ char *state = cell_state_to_json (&st, c, "creating", false);
      if (cell_hooks_run (c, CELL_HOOK_CREATE_CONTAINER, state, err) < 0)
        return -1;
    }
  if (cell_rootfs_pivot (r, err) < 0)
    return -1;
  /* runc creates a missing cwd (before / turns read-only); resolved inside the new root. */
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int cwd = root < 0 ? -1 : cell_mkdir_p_in_root (root, p->cwd, 0755, err);
  if (cwd < 0)
    return root < 0 ? cell_error_errno (err, "open '/'") : cell_error_prefix (err, "process.cwd");
  if (cell_rootfs_finalize (r, err) < 0)
    return -1;
  *exe = cell_process_find_executable (p->args[0], p->env, err);
  if (*exe == NULL)
    return -1;
  if (*slave >= 0 && cell_pty_make_ctty (*slave, err) < 0)
    return -1;
  /* Without a terminal too, a session and process group of our own (as runc's and crun's init): the caller's
   * are outside the pid namespace, where getpgrp() and getsid() would return 0. */
  if (*slave < 0 && setsid () < 0)
    return cell_error_errno (err, "setsid");
  if (cell_process_setup (p, &c->linux.personality, r->procfd, sc, err) < 0)
    return -1;
  /* We wait for `start` with the container's credentials, visible to `cell exec` processes: not dumpable, so
   * that none of them may open /proc/1/{mem,fd,exe,...} without CAP_SYS_PTRACE; execve resets it. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return cell_error_errno (err, "prctl(PR_SET_DUMPABLE)");
  return 0;
}

/* After `cell start` connected: read its state JSON (it shuts down its write side). */
static char *
read_start_request (int conn, cell_error_t *err)
{
  char *buf = NULL;
  size_t len;
  if (cell_read_all (conn, CELL_STATE_MAX, &buf, &len, err) < 0)
    return NULL;
  return buf;
}

/* conn < 0: started by `run` (SYNC_START), which takes errors on the sync socket. */
_Noreturn static void
fail_start (const struct cell_init_args *a, int conn, cell_error_t *err)
{
  if (conn < 0)
    {
      cell_sync_send_error (a->sync_fd, *err);
      _exit (1);
    }
  /* With strerror: `start` prints the text as it is. */
  _cleanup_free_ char *msg = cell_error_string (*err);
  (void) cell_write_all (conn, msg, strlen (msg), NULL);
  _exit (1);
}

/* Wait for `start`: a connection on the start socket, which sends the state JSON, or (run) SYNC_START, after
 * which we build the same state ourselves. Returns the state; *conn is the connection or -1. */
static char *
await_start (const struct cell_init_args *a, int *conn, cell_error_t *err)
{
  *conn = -1;
  if (a->start_on_sync)
    {
      close (a->start_fd);
      int32_t pid;
      /* EOF: `run` died before starting us; nothing to report to. */
      if (cell_sync_expect (a->sync_fd, SYNC_START, &pid, NULL, NULL, NULL, err) < 0)
        _exit (1);
      struct cell_state st = *a->st;
      st.pid = pid;
      return cell_state_to_json (&st, a->config, "created", false);
    }
  close (a->sync_fd);
  do
    *conn = accept4 (a->start_fd, NULL, NULL, SOCK_CLOEXEC);
  while (*conn < 0 && errno == EINTR);
  if (*conn < 0)
    _exit (1);
  close (a->start_fd);
  return read_start_request (*conn, err);
}

/* The seccomp notify hand-over of the init: `cell create` connected to the agent; the message is the
 * containerProcessState built from the state `cell start` sent (its pid is the runtime's view of ours). */
struct init_listener
{
  const struct cell_init_args *a;
  const char *state;
};

static int
init_send_listener (void *data, int listener, cell_error_t *err)
{
  const struct init_listener *l = data;
  const struct cell_config *c = l->a->config;
  _cleanup_free_ char *payload = NULL;
  struct cell_json *st = cell_json_parse (l->state, strlen (l->state), "state", err);
  if (st == NULL)
    return -1;
  int64_t pid = 0;
  cell_json_int64 (cell_json_get (st, "pid"), &pid);
  cell_json_free (st);
  payload = cell_seccomp_process_state ((pid_t) pid, c->linux.seccomp.listener_metadata, l->state, err);
  if (payload == NULL || cell_seccomp_send_listener (l->a->seccomp_agent_fd, listener, payload, err) < 0)
    return -1;
  close (l->a->seccomp_agent_fd);
  return 0;
}

/* Every fd our caller left open past the preserved ones: closed now, not at execve, since a process `cell
 * exec`s into the created container could otherwise reach them through /proc/1/fd (CVE-2024-21626 class).
 * The preserved ones stay as they are; fds of ours among them are close-on-exec. */
static int
close_inherited (const struct cell_init_args *a, cell_error_t *err)
{
  int keep[5 + CELL_NS__MAX];
  size_t n = 0;
  keep[n++] = a->sync_fd;
  keep[n++] = a->seccomp_agent_fd;
  keep[n++] = a->start_fd;
  keep[n++] = a->exe->fd;
  keep[n++] = a->exe->tree;
  for (size_t i = 0; i < a->plan->n_joins; i++)
    keep[n++] = a->plan->joins[i].fd;
  return cell_close_fds_from (3 + (a->preserve_fds > 0 ? a->preserve_fds : 0), keep, n, err);
}

_Noreturn void
cell_init_main (const struct cell_init_args *a)
{
  cell_error_t err = NULL;
  struct cell_rootfs r = { .rootfd = -1, .console_fd = -1, .procfd = -1 };
  _cleanup_free_ char *exe = NULL;
  int slave = -1;
  struct init_listener listener = { .a = a };
  struct cell_exec_seccomp sc = { .filter = a->seccomp, .send_listener = init_send_listener, .data = &listener };

  cell_signals_reset ();
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
    {
      cell_error_errno (&err, "prctl(PR_SET_PDEATHSIG)");
      fail (a->sync_fd, &err);
    }
  if (close_inherited (a, &err) < 0)
    fail (a->sync_fd, &err);
  if (prepare (a, &sc, &r, &exe, &slave, &err) < 0)
    fail (a->sync_fd, &err);
  cell_rootfs_release (&r);
  /* From here on the parent (`cell create`) exits: we must outlive it. */
  prctl (PR_SET_PDEATHSIG, 0);
  if (cell_sync_send (a->sync_fd, SYNC_READY, 0, NULL, 0, -1, &err) < 0)
    _exit (1);

  int conn;
  _cleanup_free_ char *state = await_start (a, &conn, &err);
  if (state == NULL)
    fail_start (a, conn, &err);
  if (cell_hooks_run (a->config, CELL_HOOK_START_CONTAINER, state, &err) < 0)
    fail_start (a, conn, &err);
  listener.state = state;
  cell_process_exec (&a->config->process, exe, a->preserve_fds, &sc, &err);
  fail_start (a, conn, &err);
}
