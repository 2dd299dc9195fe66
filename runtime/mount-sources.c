/* cell: bind sources and device nodes for a container in a user namespace, opened and made with the runtime's
 * credentials and handed to the init over the sync socket (sync.h: SYNC_MOUNTS_REQ). The protocol is the
 * lifecycle's; the mounts themselves are rootfs/'s (the init places what it receives, mounts.c and dev.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"
#include "rootfs/internal.h"
#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"
#include "sync.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- bind sources and device nodes for a user namespace, opened with the runtime's credentials ---- */

/* A config mount whose source the runtime clones (the same test as mount_one's). */
static bool
wants_source (const struct cell_mount *m, size_t i)
{
  struct cell_mount_plan plan;
  if (cell_mount_plan (m, i, &plan, NULL) < 0)
    return false;
  bool bind = plan.bind && !(plan.flags & MS_REMOUNT) && !plan.idmap;
  cell_mount_plan_free (&plan);
  return bind;
}

static bool
wants_node (const struct cell_device *d)
{
  return d->type == 'c' || d->type == 'u' || d->type == 'b';
}

bool
cell_mount_sources_wanted (const struct cell_config *c)
{
  if (cell_config_namespace (c, CELL_NS_USER) == NULL)
    return false;
  for (size_t i = 0; i < c->n_mounts; i++)
    if (wants_source (&c->mounts[i], i))
      return true;
  for (size_t i = 0; i < c->linux.n_devices; i++)
    if (wants_node (&c->linux.devices[i]))
      return true;
  return false;
}

/* The host id of container id `id` in /proc/PID/{uid,gid}_map; 0 (root, as the container shows an unmapped
 * owner as nobody) when it is not mapped. */
static unsigned
host_id (pid_t pid, const char *map, uint32_t id)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, map);
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  unsigned long inside, outside, count;
  while (f && fscanf (f, "%lu %lu %lu", &inside, &outside, &count) == 3)
    if (id >= inside && id - inside < count)
      return (unsigned) (outside + (id - inside));
  return 0;
}

/* Helper, in a mount namespace of its own: one tmpfs (without nodev, made by the host's root, so that its
 * nodes open) holds the nodes; each is cloned into a detached mount of its own. The tmpfs goes with the
 * helper's namespace. fds[i] stays -1 for what fails: the init then tries the host's node as before. */
static void
helper_nodes (const struct cell_config *c, pid_t init, int *fds)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return;
  _cleanup_close_ int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0 || fsconfig (fsfd, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return;
  _cleanup_close_ int mnt = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  /* Attached (over "/" of this private namespace; reached only through the fd): open_tree clones only from
   * a mount of the caller's namespace. */
  if (mnt < 0 || move_mount (mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return;
  umask (0);
  for (size_t i = 0; i < c->linux.n_devices; i++)
    {
      const struct cell_device *d = &c->linux.devices[i];
      if (!wants_node (d))
        continue;
      char name[32];
      snprintf (name, sizeof name, "%zu", i);
      mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
      mode_t mode = (d->file_mode_present ? d->file_mode : 0666) & 07777;
      if (mknodat (mnt, name, type | mode, makedev ((unsigned) d->major, (unsigned) d->minor)) < 0
          || fchownat (mnt, name, host_id (init, "uid_map", d->uid_present ? d->uid : 0),
                       host_id (init, "gid_map", d->gid_present ? d->gid : 0), AT_SYMLINK_NOFOLLOW)
                 < 0)
        continue;
      fds[c->n_mounts + i] = cell_mnt_clone (mnt, name, false, NULL);
    }
}

/* Helper, in the init's mount namespace (whose mounts are locked copies of the host's, so that the clones keep
 * those locks): the bind sources, resolved as the init would, with the runtime's credentials. */
static void
helper_sources (const struct cell_config *c, const char *bundle, int mntns, int *fds)
{
  if (mntns < 0 || setns (mntns, CLONE_NEWNS) < 0)
    return; /* e.g. a rootless runtime: the init opens them itself, with the same credentials */
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct cell_mount *m = &c->mounts[i];
      if (!wants_source (m, i) || m->source == NULL)
        continue;
      struct cell_mount_plan plan;
      if (cell_mount_plan (m, i, &plan, NULL) < 0)
        continue;
      _cleanup_free_ char *abs = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
      fds[i] = cell_mnt_clone (AT_FDCWD, abs, (plan.flags & MS_REC) != 0, NULL);
      cell_mount_plan_free (&plan);
    }
}

_Noreturn static void
helper_main (const struct cell_config *c, const char *bundle, pid_t init, int mntns, int sock)
{
  size_t n = c->n_mounts + c->linux.n_devices;
  int *fds = xmalloc ((n ? n : 1) * sizeof *fds);
  for (size_t i = 0; i < n; i++)
    fds[i] = -1;
  helper_nodes (c, init, fds);
  helper_sources (c, bundle, mntns, fds);
  for (size_t i = 0; i < n; i++)
    {
      bool wanted = i < c->n_mounts ? wants_source (&c->mounts[i], i) : wants_node (&c->linux.devices[i - c->n_mounts]);
      if (wanted && cell_sync_send (sock, SYNC_MOUNT_FD, fds[i] >= 0, NULL, 0, fds[i], NULL) < 0)
        _exit (1);
    }
  _exit (0);
}

int
cell_mount_sources_send (const struct cell_config *c, const char *bundle, pid_t init, int sync_fd,
                         cell_error_t *err)
{
  if (cell_sync_expect (sync_fd, SYNC_MOUNTS_REQ, NULL, NULL, NULL, NULL, err) < 0)
    return -1;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", init);
  _cleanup_close_ int mntns = open (path, O_RDONLY | O_CLOEXEC);
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return cell_error_errno (err, "socketpair");
  _cleanup_close_ int sock = sp[0];
  pid_t helper = fork ();
  if (helper < 0)
    {
      close (sp[1]);
      return cell_error_errno (err, "fork");
    }
  if (helper == 0)
    {
      close (sp[0]);
      close (sync_fd);
      helper_main (c, bundle, init, mntns, sp[1]);
    }
  close (sp[1]);
  int r = 0;
  size_t n = c->n_mounts + c->linux.n_devices;
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      bool wanted = i < c->n_mounts ? wants_source (&c->mounts[i], i) : wants_node (&c->linux.devices[i - c->n_mounts]);
      if (!wanted)
        continue;
      int32_t have = 0;
      _cleanup_close_ int fd = -1;
      r = cell_sync_expect (sock, SYNC_MOUNT_FD, &have, NULL, NULL, &fd, err);
      if (r == 0)
        r = cell_sync_send (sync_fd, SYNC_MOUNT_FD, fd >= 0, NULL, 0, fd, err);
    }
  if (r < 0)
    kill (helper, SIGKILL);
  waitpid (helper, NULL, 0);
  if (r < 0)
    return cell_error_prefix (err, "bind sources and devices for the user namespace");
  return cell_sync_send (sync_fd, SYNC_MOUNTS_ACK, 0, NULL, 0, -1, err);
}

int
cell_mount_sources_receive (struct cell_rootfs *r, int sync_fd, cell_error_t *err)
{
  const struct cell_config *c = r->config;
  if (!cell_mount_sources_wanted (c))
    return 0;
  if (cell_sync_send (sync_fd, SYNC_MOUNTS_REQ, 0, NULL, 0, -1, err) < 0)
    return -1;
  r->source_fds = xmalloc ((c->n_mounts ? c->n_mounts : 1) * sizeof (int));
  r->device_fds = xmalloc ((c->linux.n_devices ? c->linux.n_devices : 1) * sizeof (int));
  for (size_t i = 0; i < c->n_mounts; i++)
    r->source_fds[i] = -1;
  for (size_t i = 0; i < c->linux.n_devices; i++)
    r->device_fds[i] = -1;
  for (size_t i = 0; i < c->n_mounts + c->linux.n_devices; i++)
    {
      bool mnt = i < c->n_mounts;
      if (!(mnt ? wants_source (&c->mounts[i], i) : wants_node (&c->linux.devices[i - c->n_mounts])))
        continue;
      int *slot = mnt ? &r->source_fds[i] : &r->device_fds[i - c->n_mounts];
      if (cell_sync_expect (sync_fd, SYNC_MOUNT_FD, NULL, NULL, NULL, slot, err) < 0)
        return -1;
    }
  return cell_sync_expect (sync_fd, SYNC_MOUNTS_ACK, NULL, NULL, NULL, NULL, err);
}

void
cell_mount_sources_release (struct cell_rootfs *r)
{
  const struct cell_config *c = r->config;
  for (size_t i = 0; r->source_fds && i < c->n_mounts; i++)
    if (r->source_fds[i] >= 0)
      close (r->source_fds[i]);
  for (size_t i = 0; r->device_fds && i < c->linux.n_devices; i++)
    if (r->device_fds[i] >= 0)
      close (r->device_fds[i]);
  free (r->source_fds);
  free (r->device_fds);
  r->source_fds = r->device_fds = NULL;
}
