/* cell: the lifecycle, parent side: create, start, run, state, list, kill, delete. */
#include "../cgroups/cgroups.h"
#include "../cgroups/devices-bpf.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "hooks.h"
#include "internal.h"
#include "rootfs/rootfs.h"
#include "overcommit.h"
#include "process/process.h"
#include "runtime.h"
#include "process/seccomp-filter.h"
#include "sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONFIG_MAX (4 << 20)

/* Tests only (tests/integration/test_robust.py): CELL_TEST_PAUSE_AT=<point> makes cell stop itself at that
 * point of create, start or delete, so that a test can kill -9 it exactly there. */
static void
test_pause (const char *point)
{
  const char *at = getenv ("CELL_TEST_PAUSE_AT");
  if (at && strcmp (at, point) == 0)
    raise (SIGSTOP);
}

/* A create in progress: everything that must be undone if it fails. */
struct creation
{
  const struct cell_context *ctx;
  const struct cell_create_opts *o;
  struct cell_config *config;
  struct ns_plan plan;
  char *bundle, *rootfs;
  int state_fd;
  bool state_made;
  struct cell_state st;
  int cgroup_fd;
  int cgroup_parents_made; /* ancestors of the cgroup that create made: removed if it fails */
  int sync_fd;
  bool run; /* `run`: keep sync_fd for the start (cell_opened.sync_fd) */
  int pidfd; /* of the init when the clone made it (not staged), else -1 */
  int start_fd;
  bool hooks_ran; /* prestart/createRuntime ran: a failure from here on runs poststop (runtime-spec) */
  pid_t child; /* what clone3 returned (stage-1 on the staging path) */
  pid_t init;
  int master_fd; /* pty master kept for `run` in the foreground */
  struct cell_oc oc; /* overcommit admission (no-op without a policy) */
  struct cell_seccomp_filter seccomp; /* compiled before anything is created; len 0: none */
  int seccomp_agent_fd;               /* connected to linux.seccomp.listenerPath, or -1 */
  struct cell_exe_copy exe; /* read-only copy of cell for the init (exe-seal.c) */
};

static void
creation_abort (struct creation *c)
{
  if (c->init > 0)
    kill (c->init, SIGKILL);
  if (c->child > 0)
    {
      kill (c->child, SIGKILL);
      waitpid (c->child, NULL, 0);
    }
  if (c->init > 0 && c->init != c->child)
    waitpid (c->init, NULL, 0); /* only succeeds when we are its subreaper */
  cell_rootfs_detach_shared (c->rootfs, c->st.rootfs_under_mnt, c->st.rootfs_mntns);
  if (c->st.cgroup && c->st.cgroup_created)
    {
      cell_error_t ignored = NULL;
      if (cg_destroy (c->st.cgroup, &ignored) < 0)
        cell_error_free (&ignored);
      else
        cg_remove_parents (c->st.cgroup, c->cgroup_parents_made);
    }
  if (c->state_made)
    cell_state_remove_dir (c->ctx->root, c->o->id, NULL);
  if (c->oc.admitted)
    cell_oc_release (c->ctx, c->o->id);
  /* runtime-spec lifecycle: a failing prestart, createRuntime or createContainer hook stops the container,
   * which is then destroyed and its poststop hooks run (each failure a warning, the rest still run). */
  if (c->hooks_ran)
    {
      _cleanup_free_ char *state = cell_state_to_json (&c->st, c->config, "stopped", false);
      cell_hooks_run_all (c->config, CELL_HOOK_POSTSTOP, state);
    }
}

static void
creation_release (struct creation *c)
{
  ns_plan_close (&c->plan);
  cell_config_free (c->config);
  free (c->bundle);
  free (c->rootfs);
  cell_state_release (&c->st);
  cell_oc_free (&c->oc);
  if (c->cgroup_fd >= 0)
    close (c->cgroup_fd);
  if (c->sync_fd >= 0)
    close (c->sync_fd);
  if (c->pidfd >= 0)
    close (c->pidfd);
  if (c->start_fd >= 0)
    close (c->start_fd);
  if (c->state_fd >= 0)
    close (c->state_fd);
  if (c->seccomp_agent_fd >= 0)
    close (c->seccomp_agent_fd);
  cell_seccomp_filter_release (&c->seccomp);
  cell_exe_copy_close (&c->exe);
}

static int
load_config (struct creation *c, char **text, size_t *len, cell_error_t *err)
{
  char resolved[PATH_MAX];
  const char *b = c->o->bundle ? c->o->bundle : ".";
  if (realpath (b, resolved) == NULL)
    return cell_error_errno (err, "bundle '%s'", b);
  c->bundle = xstrdup (resolved);
  _cleanup_free_ char *path = xasprintf ("%s/config.json", c->bundle);
  if (cell_read_file_at (AT_FDCWD, path, CONFIG_MAX, text, len, err) < 0)
    return -1;
  c->config = cell_config_parse (*text, *len, err);
  if (c->config == NULL || cell_config_validate (c->config, err) < 0)
    return -1;
  const struct cell_config *cfg = c->config;
  if (!cfg->process_present)
    return cell_error (err, EINVAL, "process: required to create a container");
  if (cell_process_validate (&cfg->process, "process", err) < 0 || ns_validate (&cfg->linux, err) < 0
      || cell_personality_validate (&cfg->linux.personality, "linux.personality", err) < 0)
    return -1;
  if (!cfg->root_present || cfg->root.path == NULL)
    return cell_error (err, EINVAL, "root.path: required");
  _cleanup_free_ char *rootfs = cfg->root.path[0] == '/' ? xstrdup (cfg->root.path)
                                                         : xasprintf ("%s/%s", c->bundle, cfg->root.path);
  struct stat sb;
  /* The rootfs path is the caller's (trusted); only what is inside it is hostile. */
  if (realpath (rootfs, resolved) == NULL || stat (resolved, &sb) < 0)
    return cell_error_errno (err, "root.path: '%s'", rootfs);
  if (!S_ISDIR (sb.st_mode))
    return cell_error (err, ENOTDIR, "root.path: '%s' is not a directory", rootfs);
  c->rootfs = xstrdup (resolved);
  if (cfg->process.terminal && c->o->console_socket == NULL && c->o->detach)
    return cell_error (err, EINVAL, "process.terminal: a detached container with a terminal needs --console-socket");
  /* Compiled here, before the state dir exists: a filter libseccomp or the kernel refuses leaves nothing. */
  if (cfg->linux.seccomp.present && cell_seccomp_compile (&cfg->linux.seccomp, c->ctx->root, &c->seccomp, err) < 0)
    return -1;
  return ns_plan_make (&cfg->linux, &c->plan, err);
}

/* Write linux.resources into the container's cgroup, before the init can run anything (the device filter is
 * apply_device_filter's). */
static int
apply_resources (struct creation *c, cell_error_t *err)
{
  struct cg_plan plan;
  _cleanup_free_ char *skipped = NULL;
  if (cg_plan_resources (&c->config->linux.resources, &plan, err) < 0)
    return -1;
  plan.devices_present = false;
  int r = cg_apply (c->st.cgroup, &plan, c->ctx->ignore_missing_controllers ? CG_IGNORE_MISSING : 0, &skipped, err);
  cg_plan_free (&plan);
  if (r == 0 && skipped)
    cell_warning ("container '%s': limits of missing cgroup controllers ignored: %s", c->o->id, skipped);
  return r;
}

/* The device filter, as runc: always, the config's rules followed by the default devices. Loaded and attached
 * right after the clone, while the init sets up the rootfs on another CPU (the BPF verifier is the costliest
 * step of a create): the container's process runs only after `start`, and `exec` only once create returned,
 * so neither ever runs unfiltered. */
static int
apply_device_filter (struct creation *c, cell_error_t *err)
{
  size_t n;
  _cleanup_free_ struct cell_device_cgroup *rules = cg_devices_rules (&c->config->linux, &n);
  return cg_devices_bpf_attach (c->cgroup_fd, rules, n, err);
}

static int
setup_cgroup (struct creation *c, cell_error_t *err)
{
  if (cg_mountpoint () == NULL)
    {
      if (cell_resources_requested (&c->config->linux.resources) && !c->ctx->ignore_missing_controllers)
        return cell_error (err, ENOENT, "linux.resources: no cgroup v2 hierarchy is mounted (/sys/fs/cgroup or "
                                        "/sys/fs/cgroup/unified) to apply them in");
      return 0;
    }
  /* The overcommit layer's managed mode places the container by class. */
  const char *want = c->oc.cgroup ? c->oc.cgroup : c->config->linux.cgroups_path;
  c->st.cgroup = cg_path_for (want, c->o->id, err);
  if (c->st.cgroup == NULL)
    return -1;
  c->cgroup_fd = cg_create (c->st.cgroup, &c->st.cgroup_created, &c->cgroup_parents_made, err);
  /* Before anything runs in it: `delete --force` finds it even if we are killed before state.json. */
  if (c->cgroup_fd >= 0 && c->st.cgroup_created && cell_state_note_cgroup (c->state_fd, c->st.cgroup, err) < 0)
    return -1;
  if (c->cgroup_fd >= 0)
    {
      if (apply_resources (c, err) < 0)
        return -1;
      /* The overcommit layer's leaf files after linux.resources: its linear cpu.weight wins. */
      return cell_oc_apply_leaf (&c->oc, c->cgroup_fd, c->st.cgroup, err);
    }
  if (want || cell_resources_requested (&c->config->linux.resources))
    return -1;
  /* No cgroupsPath asked for and none could be made (a read-only or delegated-elsewhere hierarchy): the
   * container runs in the caller's cgroup, as it would without a cgroup manager. */
  cell_debug ("no cgroup for '%s': %s", c->o->id, (*err)->msg);
  cell_error_free (err);
  free (c->st.cgroup);
  c->st.cgroup = NULL;
  return 0;
}

/* Bind through /proc/self/fd/N: sun_path is 108 bytes, state roots under test directories are longer. */
static int
start_socket_addr (int dirfd, struct sockaddr_un *sa)
{
  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  return snprintf (sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/start.sock", dirfd);
}

static int
make_start_socket (struct creation *c, cell_error_t *err)
{
  struct sockaddr_un sa;
  start_socket_addr (c->state_fd, &sa);
  c->start_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->start_fd < 0)
    return cell_error_errno (err, "socket");
  if (bind (c->start_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return cell_error_errno (err, "bind '%s/%s/start.sock'", c->ctx->root, c->o->id);
  if (listen (c->start_fd, 1) < 0)
    return cell_error_errno (err, "listen");
  return 0;
}

/* clone3 without CLONE_INTO_CGROUP, falling back to clone(2) where clone3 itself is missing (before 5.3). */
static pid_t
clone_plain (unsigned long flags)
{
  struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
  pid_t pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS)
    pid = syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  return pid;
}

/* Kernels without CLONE_INTO_CGROUP (before 5.7): the parent steps into the container's cgroup, clones (the
 * child starts there, before it can run or fork anything) and steps back. Moving the child afterwards would
 * race with its own forks. The caller's cgroup holds us, so it has no controllers enabled and takes us back. */
static pid_t
clone_via_cgroup (struct creation *c, unsigned long flags, cell_error_t *err)
{
  _cleanup_free_ char *own = cg_own_path (err);
  if (own == NULL || cg_enter (c->st.cgroup, 0, err) < 0)
    return -1;
  pid_t pid = clone_plain (flags);
  if (pid == 0)
    return 0;
  int saved = errno;
  if (cg_enter (own, 0, err) < 0)
    {
      if (pid > 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
        }
      return -1;
    }
  if (pid < 0)
    return errno = saved, cell_error_errno (err, "clone"), -1;
  return pid;
}

static pid_t
clone_child (struct creation *c, unsigned long flags, cell_error_t *err)
{
  struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
  if (c->cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) c->cgroup_fd;
    }
  pid_t pid = getenv ("CELL_DEBUG_NO_CLONE_INTO_CGROUP") ? (errno = ENOSYS, -1)
                                                          : syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && c->cgroup_fd >= 0 && (errno == ENOSYS || errno == EINVAL || errno == E2BIG))
    return clone_via_cgroup (c, flags, err);
  if (pid < 0 && errno == EOPNOTSUPP && c->cgroup_fd >= 0)
    return cell_error (err, 0, "cannot start a process in cgroup '%s': its parent holds processes and has "
                       "controllers enabled (cgroup v2 \"no internal processes\" rule)", c->st.cgroup), -1;
  if (pid < 0)
    return cell_error_errno (err, "clone3"), -1;
  return pid;
}

/* The init died during create (or a step on it failed as it did): it sends SYNC_ERROR before it _exit()s, so
 * its own error may be queued on the sync socket although we saw its death first. That one is reported;
 * otherwise *err as it is, or (NULL) that it exited. Returns -1. */
static int
init_failed (struct creation *c, cell_error_t *err)
{
  cell_error_t child = NULL;
  if (cell_sync_pending_error (c->sync_fd, &child) < 0)
    {
      cell_error_free (err);
      *err = child;
      return -1;
    }
  if (*err == NULL)
    return cell_error (err, ESRCH, "container init exited during create");
  return -1;
}

static bool
init_alive (struct creation *c)
{
  if (c->pidfd < 0)
    return cell_proc_start_time (c->init) == c->st.pid_start;
  /* A pidfd is readable once its process exited (one poll instead of reading /proc/PID/stat). */
  struct pollfd p = { c->pidfd, POLLIN, 0 };
  return poll (&p, 1, 0) == 0;
}

/* "lo" of the network namespace the clone made for the init: through the namespace file of our child (its pid
 * cannot be reused), which every kernel's setns() takes. */
static int
loopback_up (pid_t pid, cell_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", pid);
  _cleanup_close_ int ns = open (path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return cell_error_errno (err, "open '%s'", path);
  return ns_net_loopback_up_of (ns, err);
}

static char *
creating_state (struct creation *c, const char *status)
{
  c->st.pid = c->init;
  return cell_state_to_json (&c->st, c->config, status, false);
}

static int
handle_console (struct creation *c, cell_error_t *err)
{
  _cleanup_close_ int master = -1;
  if (cell_sync_expect (c->sync_fd, SYNC_CONSOLE_FD, NULL, NULL, NULL, &master, err) < 0)
    return -1;
  if (master < 0)
    return cell_error (err, EPROTO, "sync: no pty received");
  if (c->o->console_socket)
    {
      if (cell_console_send (c->o->console_socket, master, err) < 0)
        return -1;
    }
  else
    c->master_fd = TAKE_FD (master);
  return cell_sync_send (c->sync_fd, SYNC_CONSOLE_ACK, 0, NULL, 0, -1, err);
}

static int
handle_hooks (struct creation *c, cell_error_t *err)
{
  if (cell_sync_expect (c->sync_fd, SYNC_HOOKS_REQ, NULL, NULL, NULL, NULL, err) < 0)
    return -1;
  _cleanup_free_ char *state = creating_state (c, "creating");
  c->hooks_ran = true;
  if (cell_hooks_run (c->config, CELL_HOOK_PRESTART, state, err) < 0
      || cell_hooks_run (c->config, CELL_HOOK_CREATE_RUNTIME, state, err) < 0)
    return -1;
  /* Only the pid: the init builds the same state itself (a megabyte of annotations fits no datagram). */
  return cell_sync_send (c->sync_fd, SYNC_HOOKS_ACK, c->init, NULL, 0, -1, err);
}

/* The parent's half of sync.h's diagram. */
static int
drive_child (struct creation *c, cell_error_t *err)
{
  const struct cell_config *cfg = c->config;
  if (c->plan.new_user)
    {
      if (cell_sync_expect (c->sync_fd, SYNC_USERNS_MAP_REQ, NULL, NULL, NULL, NULL, err) < 0)
        return -1;
      char pid[32];
      snprintf (pid, sizeof pid, "%d", c->child);
      _cleanup_close_ int proc = cell_procfs_open (err);
      _cleanup_close_ int procfd = proc < 0 ? -1 : cell_procfs_openat (proc, pid, O_PATH | O_DIRECTORY, err);
      if (procfd < 0)
        return -1;
      if (ns_write_idmaps (procfd, &cfg->linux, geteuid () != 0, err) < 0)
        return -1;
      if (cell_sync_send (c->sync_fd, SYNC_USERNS_MAP_ACK, 0, NULL, 0, -1, err) < 0)
        return -1;
    }
  if (cell_plan_needs_fork (&c->plan))
    {
      int32_t pid;
      if (cell_sync_expect (c->sync_fd, SYNC_INIT_PID, &pid, NULL, NULL, NULL, err) < 0)
        return -1;
      c->init = pid;
      waitpid (c->child, NULL, 0);
      c->child = 0;
    }
  else
    c->init = c->child;
  /* state.json now, while the init sets up: from here on a `delete --force` after our death finds the init
   * (the directory stays locked until we are done, so no one sees it early). */
  c->st.pid = c->init;
  c->st.pid_start = cell_proc_start_time (c->init);
  if (c->st.pid_start == 0)
    return init_failed (c, err);
  if (cell_state_write (c->state_fd, &c->st, err) < 0)
    return -1;
  test_pause ("create:state");
  if (cell_mount_sources_wanted (cfg) && cell_mount_sources_send (cfg, c->bundle, c->init, c->sync_fd, err) < 0)
    return -1;
  if (cfg->process.terminal && handle_console (c, err) < 0)
    return -1;
  if ((cfg->hooks[CELL_HOOK_PRESTART].n || cfg->hooks[CELL_HOOK_CREATE_RUNTIME].n
       || cfg->hooks[CELL_HOOK_CREATE_CONTAINER].n)
      && handle_hooks (c, err) < 0)
    return -1;
  return cell_sync_expect (c->sync_fd, SYNC_READY, NULL, NULL, NULL, NULL, err);
}

static int
create_steps (struct creation *c, const char *text, size_t len, cell_error_t *err)
{
  int sp[2];
  c->state_fd = cell_state_create_dir (c->ctx->root, c->o->id, err);
  if (c->state_fd < 0)
    return -1;
  c->state_made = true;
  if (cell_notify_socket () && cell_notify_prepare (c->ctx->root, c->o->id, c->state_fd, c->config, err) < 0)
    return -1;
  c->st.config = xstrndup (text, len);
  c->st.id = xstrdup (c->o->id);
  c->st.bundle = xstrdup (c->bundle);
  c->st.rootfs = xstrdup (c->rootfs);
  c->st.created = cell_now_rfc3339 ();
  c->st.own_pidns = (c->plan.new_flags & CLONE_NEWPID) != 0;
  /* Without a mount namespace of its own the init's rbind of the rootfs lands in ours: what was there before
   * tells delete what to detach. */
  if (cell_config_namespace (c->config, CELL_NS_MOUNT) == NULL)
    {
      c->st.rootfs_under_mnt = cell_mnt_id_of (c->rootfs);
      c->st.rootfs_mntns = cell_mntns_of_self ();
      if (c->st.rootfs_under_mnt == 0 || c->st.rootfs_mntns == 0)
        return cell_error_errno (err, "root.path: mount id of '%s' or of our mount namespace", c->rootfs);
      /* For `delete --force` should we be killed before state.json. */
      if (cell_state_note_rootfs_mount (c->state_fd, &c->st, err) < 0)
        return -1;
    }
  /* After the state dir (the id is ours), before the cgroup: a refusal leaves nothing behind. */
  if (cell_oc_admit (c->ctx, c->o->id, c->config, &c->oc, err) < 0)
    return -1;
  if (setup_cgroup (c, err) < 0)
    return -1;
  test_pause ("create:cgroup");
  /* `run` starts the init through the sync socket: its start.sock (state "created" until started) is made
   * after the clone, off the init's path. */
  if (!c->run && make_start_socket (c, err) < 0)
    return -1;
  if (cell_exe_copy_open (&c->exe, err) < 0)
    return -1;
  /* The agent must be listening at create: the init hands the listener fd over on this connection. */
  if (c->seccomp.notify)
    {
      c->seccomp_agent_fd = cell_seccomp_agent_connect (c->config->linux.seccomp.listener_path, err);
      if (c->seccomp_agent_fd < 0)
        return -1;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return cell_error_errno (err, "socketpair");
  c->sync_fd = sp[0];
  bool staged = c->plan.needs_staging;
  /* The clone made the network namespace: we set its "lo" up from outside, in parallel with the init's setup
   * (~60 us of the kernel's, off the init's path). Staged or in a new user namespace, the init does it. */
  bool lo_by_parent = !staged && (c->plan.new_flags & CLONE_NEWNET) && !c->plan.new_user && ns_net_can_rejoin ();
  c->child = clone_child (c, staged ? 0 : c->plan.new_flags, err);
  if (c->child < 0)
    {
      close (sp[1]);
      c->child = 0;
      return -1;
    }
  if (c->child == 0)
    {
      /* The state dir fd carries create's flock: the init must not hold it while it waits for start. */
      close (sp[0]);
      close (c->state_fd);
      if (c->cgroup_fd >= 0)
        close (c->cgroup_fd);
      struct cell_init_args a = {
        .config = c->config, .plan = &c->plan, .id = c->o->id, .rootfs = c->rootfs, .bundle = c->bundle,
        .sync_fd = sp[1], .start_fd = c->start_fd, .no_pivot = c->o->no_pivot,
        .no_new_keyring = c->o->no_new_keyring, .preserve_fds = c->o->preserve_fds, .staged = staged,
        .seccomp = c->seccomp.len ? &c->seccomp : NULL, .seccomp_agent_fd = c->seccomp_agent_fd,
        .exe = &c->exe, .st = &c->st, .start_on_sync = c->run, .lo_by_parent = lo_by_parent,
      };
      cell_init_main (&a);
    }
  close (sp[1]);
  /* The init holds the copy now; it is the one to drop it (exe-seal.c). */
  cell_exe_copy_close (&c->exe);
  if (c->run && make_start_socket (c, err) < 0)
    return -1;
  if (!staged)
    c->pidfd = syscall (SYS_pidfd_open, c->child, 0);
  if (lo_by_parent && loopback_up (c->child, err) < 0)
    return init_failed (c, err);
  if (c->cgroup_fd >= 0 && apply_device_filter (c, err) < 0)
    return -1;
  test_pause ("create:child");
  if (drive_child (c, err) < 0)
    return -1;
  test_pause ("create:ready");
  if (!init_alive (c))
    return init_failed (c, err);
  if (c->o->pid_file && cell_write_pid_file (c->o->pid_file, c->init, err) < 0)
    return -1;
  return 0;
}

/* Creates the container; on success *init and *master (pty master kept for run, or -1) are set, and *out (when
 * given) takes the locked state dir, the state and the parsed config, so that `run` need not read them back. */
static int
create_container (const struct cell_context *ctx, const struct cell_create_opts *o, pid_t *init, int *master,
                  struct cell_opened *out, cell_error_t *err)
{
  struct creation c = { .ctx = ctx, .o = o, .run = out != NULL, .state_fd = -1, .cgroup_fd = -1, .sync_fd = -1,
                        .pidfd = -1, .start_fd = -1,
                        .master_fd = -1, .seccomp_agent_fd = -1, .exe = { .fd = -1, .tree = -1 } };
  for (size_t i = 0; i < ARRAY_SIZE (c.plan.joins); i++)
    c.plan.joins[i].fd = -1;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = -1;
  if (cell_id_validate (o->id, err) == 0 && load_config (&c, &text, &len, err) == 0)
    r = create_steps (&c, text, len, err);
  if (r < 0)
    {
      creation_abort (&c);
      if (c.master_fd >= 0)
        close (c.master_fd);
    }
  else
    {
      if (init)
        *init = c.init;
      if (master)
        *master = c.master_fd;
      else if (c.master_fd >= 0)
        close (c.master_fd);
      if (out)
        {
          *out = (struct cell_opened) { .fd = TAKE_FD (c.state_fd), .st = c.st, .config = TAKE_PTR (c.config),
                                        .sync_fd = TAKE_FD (c.sync_fd) };
          memset (&c.st, 0, sizeof c.st);
        }
    }
  creation_release (&c);
  return r;
}

int
cell_container_create (const struct cell_context *ctx, const struct cell_create_opts *o, cell_error_t *err)
{
  struct cell_create_opts copy = *o;
  copy.detach = true;
  return create_container (ctx, &copy, NULL, NULL, NULL, err);
}

void
cell_opened_release (struct cell_opened *op)
{
  if (op->fd >= 0)
    close (op->fd);
  if (op->sync_fd >= 0)
    close (op->sync_fd);
  cell_state_release (&op->st);
  cell_config_free (op->config);
}

int
cell_open_container (const struct cell_context *ctx, const char *id, struct cell_opened *op, cell_error_t *err)
{
  memset (op, 0, sizeof *op);
  op->fd = op->sync_fd = -1;
  if (cell_id_validate (id, err) < 0)
    return -1;
  op->fd = cell_state_open_dir (ctx->root, id, err);
  if (op->fd < 0 || cell_state_read (op->fd, &op->st, err) < 0)
    return -1;
  op->config = cell_config_parse (op->st.config, strlen (op->st.config), err);
  return op->config ? 0 : -1;
}

/* `run`: the init waits on the sync socket (sync.h), which it keeps until execve closes it. */
static int
signal_start_sync (struct cell_opened *op, cell_error_t *err)
{
  unlinkat (op->fd, "start.sock", 0);
  op->st.started = true;
  test_pause ("start:connected");
  if (cell_sync_send (op->sync_fd, SYNC_START, op->st.pid, NULL, 0, -1, err) < 0)
    return -1;
  int r = cell_sync_expect_eof (op->sync_fd, err);
  close (op->sync_fd);
  op->sync_fd = -1;
  return r;
}

static int
signal_start (struct cell_opened *op, cell_error_t *err)
{
  if (op->sync_fd >= 0)
    return signal_start_sync (op, err);
  struct sockaddr_un sa;
  start_socket_addr (op->fd, &sa);
  _cleanup_close_ int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return cell_error_errno (err, "socket");
  if (connect (s, (struct sockaddr *) &sa, sizeof sa) < 0)
    return cell_error_errno (err, "container '%s': connect to its init", op->st.id);
  /* From now on the container counts as started, whatever the init answers. */
  unlinkat (op->fd, "start.sock", 0);
  op->st.started = true;
  test_pause ("start:connected");
  _cleanup_free_ char *state = cell_state_to_json (&op->st, op->config, "created", false);
  if (cell_write_all (s, state, strlen (state), err) < 0)
    return -1;
  shutdown (s, SHUT_WR);
  _cleanup_free_ char *reply = NULL;
  size_t len;
  if (cell_read_all (s, 1 << 16, &reply, &len, err) < 0)
    return -1;
  if (len > 0)
    return cell_error (err, 0, "%s", reply);
  return 0;
}

static int destroy (const struct cell_context *ctx, struct cell_opened *op, cell_error_t *err);

/* With op->sync_fd, `run`: it holds the lock since create checked the init after SYNC_READY; nothing could
 * have started it meanwhile, and an init that died since makes the start fail all the same. */
static int
start_opened (const struct cell_context *ctx, struct cell_opened *op, cell_error_t *err)
{
  const char *status = op->sync_fd >= 0 ? "created" : cell_state_status (&op->st);
  if (strcmp (status, "created") != 0)
    return cell_error (err, EINVAL, "cannot start a container that is %s", status);
  if (signal_start (op, err) < 0)
    return -1;
  if (op->config->hooks[CELL_HOOK_POSTSTART].n == 0)
    return 0;
  _cleanup_free_ char *state = cell_state_to_json (&op->st, op->config, "running", false);
  if (cell_hooks_run (op->config, CELL_HOOK_POSTSTART, state, err) == 0)
    return 0;
  /* runtime-spec 1.3 lifecycle step 9: a failing poststart hook is an error, the container is stopped and the
   * lifecycle goes on at step 12: destroyed (killed, cgroup and state removed), then its poststop hooks. */
  cell_error_t ignored = NULL;
  if (destroy (ctx, op, &ignored) < 0)
    {
      cell_warning ("container '%s': %s", op->st.id, ignored->msg);
      cell_error_free (&ignored);
    }
  return -1;
}

/* Forward the container's READY= to NOTIFY_SOCKET, with the lock released (kill and state must work
 * meanwhile); op->fd is closed. */
static int
notify_forward (struct cell_opened *op, int sock, cell_error_t *err)
{
  close (op->fd);
  op->fd = -1;
  return cell_notify_forward (sock, cell_notify_socket (), op->st.pid, op->st.pid_start, err);
}

int
cell_container_start (const struct cell_context *ctx, const char *id, cell_error_t *err)
{
  struct cell_opened op;
  int r = cell_open_container (ctx, id, &op, err);
  _cleanup_close_ int notify = -1;
  if (r == 0 && cell_notify_socket () && (notify = cell_notify_listen (ctx->root, id, err)) < 0)
    r = -1;
  if (r == 0)
    r = start_opened (ctx, &op, err);
  if (r == 0 && notify >= 0)
    r = notify_forward (&op, notify, err);
  cell_opened_release (&op);
  return r;
}

/* Wait until pid is gone (we are not its parent): pidfd readability means it exited. */
static void
wait_gone (pid_t pid, unsigned long long start)
{
  _cleanup_close_ int pfd = syscall (SYS_pidfd_open, pid, 0);
  if (pfd < 0)
    return;
  if (cell_proc_start_time (pid) != start)
    return;
  struct pollfd p = { pfd, POLLIN, 0 };
  poll (&p, 1, 10000);
}

static int
kill_init (struct cell_opened *op, int sig, cell_error_t *err)
{
  _cleanup_close_ int pfd = syscall (SYS_pidfd_open, op->st.pid, 0);
  /* Opened first, verified second: the pid cannot be reused under the pidfd. */
  if (pfd < 0 || cell_proc_start_time (op->st.pid) != op->st.pid_start)
    return cell_error (err, ESRCH, "container '%s' is not running", op->st.id);
  if (syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
    return cell_error_errno (err, "kill container '%s'", op->st.id);
  return 0;
}

static int
destroy (const struct cell_context *ctx, struct cell_opened *op, cell_error_t *err)
{
  if (strcmp (cell_state_status (&op->st), "stopped") != 0)
    {
      cell_error_t ignored = NULL;
      if (kill_init (op, SIGKILL, &ignored) < 0)
        cell_error_free (&ignored);
      wait_gone (op->st.pid, op->st.pid_start);
    }
  test_pause ("delete:killed");
  cell_rootfs_detach_shared (op->st.rootfs, op->st.rootfs_under_mnt, op->st.rootfs_mntns);
  if (op->st.cgroup)
    {
      cell_error_t e = NULL;
      int r = op->st.cgroup_created ? cg_destroy (op->st.cgroup, &e) : cg_kill_all (op->st.cgroup, SIGKILL, &e);
      if (r < 0)
        {
          cell_warning ("%s", e->msg);
          cell_error_free (&e);
        }
    }
  test_pause ("delete:cgroup");
  _cleanup_free_ char *state = op->config->hooks[CELL_HOOK_POSTSTOP].n == 0
                                   ? NULL
                                   : cell_state_to_json (&op->st, op->config, "stopped", false);
  if (cell_state_remove_dir (ctx->root, op->st.id, err) < 0)
    return -1;
  cell_oc_release (ctx, op->st.id);
  /* runtime-spec 1.3 lifecycle step 13: a failing poststop hook is a warning; the others and delete go on. */
  if (state)
    cell_hooks_run_all (op->config, CELL_HOOK_POSTSTOP, state);
  return 0;
}

/* What a create killed before state.json left (see state.h): its cgroup, with whatever runs in it, the rootfs
 * bind of a container without a mount namespace, and the directory. Nothing else can exist: the init dies with
 * create until state.json names it. */
static int
delete_incomplete (const struct cell_context *ctx, const char *id, cell_error_t *err)
{
  _cleanup_close_ int fd = cell_state_open_incomplete (ctx->root, id, err);
  if (fd < 0)
    return -1;
  _cleanup_free_ char *cgroup = cell_state_noted_cgroup (fd);
  if (cgroup && cg_destroy (cgroup, err) < 0)
    return -1;
  unsigned long long under = 0, mntns = 0;
  _cleanup_free_ char *rootfs = cell_state_noted_rootfs_mount (fd, &under, &mntns);
  cell_rootfs_detach_shared (rootfs, under, mntns);
  return cell_state_remove_dir (ctx->root, id, err);
}

int
cell_container_delete (const struct cell_context *ctx, const char *id, bool force, cell_error_t *err)
{
  struct cell_opened op;
  int r = cell_open_container (ctx, id, &op, err);
  cell_error_t e2 = NULL;
  /* delete --force of a container that does not exist succeeds, as runc's does: podman and conmon run it
   * after a failed create, and would print our error over the create's. */
  if (r < 0 && force && op.fd < 0 && cell_id_validate (id, NULL) == 0
      && (delete_incomplete (ctx, id, &e2) == 0 || e2->code == ENOENT))
    {
      cell_error_free (&e2);
      cell_opened_release (&op);
      cell_error_free (err);
      return 0;
    }
  cell_error_free (&e2);
  if (r == 0)
    {
      const char *status = cell_state_status (&op.st);
      if (!force && (strcmp (status, "running") == 0 || strcmp (status, "paused") == 0))
        r = cell_error (err, EBUSY, "cannot delete container '%s' that is not stopped: %s", id, status);
      else
        r = destroy (ctx, &op, err);
    }
  cell_opened_release (&op);
  return r;
}

int
cell_container_kill (const struct cell_context *ctx, const char *id, int sig, bool all, cell_error_t *err)
{
  struct cell_opened op;
  int r = cell_open_container (ctx, id, &op, err);
  if (r == 0)
    {
      if (strcmp (cell_state_status (&op.st), "stopped") == 0)
        r = cell_error (err, ESRCH, "container '%s' is not running", id);
      else if (all && op.st.cgroup)
        r = cg_kill_all (op.st.cgroup, sig, err);
      else
        r = kill_init (&op, sig, err);
    }
  cell_opened_release (&op);
  return r;
}

char *
cell_container_state (const struct cell_context *ctx, const char *id, cell_error_t *err)
{
  struct cell_opened op;
  char *r = NULL;
  if (cell_open_container (ctx, id, &op, err) == 0)
    r = cell_state_to_json (&op.st, op.config, cell_state_status (&op.st), true);
  cell_opened_release (&op);
  return r;
}

int
cell_container_run (const struct cell_context *ctx, const struct cell_create_opts *o, int *status,
                    cell_error_t *err)
{
  pid_t init = 0;
  _cleanup_close_ int master = -1;
  if (!o->detach)
    {
      /* The init may be our grandchild (staging path): adopt it so that we can wait for it. */
      prctl (PR_SET_CHILD_SUBREAPER, 1);
      cell_signals_block ();
    }
  struct cell_opened op;
  if (create_container (ctx, o, &init, o->detach ? NULL : &master, &op, err) < 0)
    return -1;
  _cleanup_close_ int notify = -1;
  int r = 0;
  if (cell_notify_socket () && (notify = cell_notify_listen (ctx->root, o->id, err)) < 0)
    r = -1;
  if (r == 0)
    r = start_opened (ctx, &op, err);
  /* Release the lock while the container runs: state, kill and exec must work meanwhile. */
  close (op.fd);
  op.fd = -1;
  if (r == 0 && notify >= 0)
    r = notify_forward (&op, notify, err);
  if (r < 0 || o->detach)
    {
      cell_opened_release (&op);
      if (r < 0)
        cell_container_delete (ctx, o->id, true, NULL);
      *status = 0;
      return r;
    }
  r = cell_wait_forward (init, master, status, err);
  /* Lock again and destroy with what create knew (cgroup, pid, config): nothing there changes while it runs. */
  if (r == 0)
    {
      op.fd = cell_state_open_dir (ctx->root, o->id, err);
      r = op.fd < 0 ? -1 : destroy (ctx, &op, err);
    }
  cell_opened_release (&op);
  return r;
}

static char *
owner_of (int dirfd)
{
  struct stat sb;
  if (fstat (dirfd, &sb) < 0)
    return xstrdup ("");
  struct passwd *pw = getpwuid (sb.st_uid);
  return pw ? xstrdup (pw->pw_name) : xasprintf ("#%u", (unsigned) sb.st_uid);
}

static void
list_one (int rootfd, const char *name, struct cell_list_entry *e)
{
  struct cell_state st;
  _cleanup_close_ int fd = openat (rootfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cell_error_t ignored = NULL;
  memset (e, 0, sizeof *e);
  if (fd < 0 || cell_state_read (fd, &st, &ignored) < 0)
    {
      cell_error_free (&ignored);
      return;
    }
  const char *status = cell_state_status (&st);
  e->id = TAKE_PTR (st.id);
  e->pid = strcmp (status, "stopped") ? st.pid : 0;
  e->status = xstrdup (status);
  e->bundle = TAKE_PTR (st.bundle);
  e->created = TAKE_PTR (st.created);
  /* As runc: the owner of the state dir, looked up here rather than at create (no NSS on the start path). An
   * older state.json may still carry the name. */
  e->owner = st.owner ? TAKE_PTR (st.owner) : owner_of (fd);
  e->rootfs = TAKE_PTR (st.rootfs);
  e->config = TAKE_PTR (st.config);
  cell_state_release (&st);
}

int
cell_container_list (const struct cell_context *ctx, struct cell_list_entry **out, size_t *n, cell_error_t *err)
{
  *out = NULL;
  *n = 0;
  _cleanup_close_ int rootfd = open (ctx->root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return errno == ENOENT ? 0 : cell_error_errno (err, "open '%s'", ctx->root);
  DIR *d = fdopendir (dup (rootfd));
  if (d == NULL)
    return cell_error_errno (err, "opendir '%s'", ctx->root);
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || cell_id_validate (de->d_name, NULL) < 0)
        continue;
      struct cell_list_entry e;
      list_one (rootfd, de->d_name, &e);
      if (e.id == NULL)
        continue;
      *out = xgrow (*out, &cap, *n + 1, sizeof **out);
      (*out)[(*n)++] = e;
    }
  closedir (d);
  return 0;
}

void
cell_list_free (struct cell_list_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].id);
      free (v[i].status);
      free (v[i].bundle);
      free (v[i].created);
      free (v[i].owner);
      free (v[i].rootfs);
      free (v[i].config);
    }
  free (v);
}
