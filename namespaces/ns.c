/* cell: namespace names and flags, config checks, and the create/join plan. */
#include "internal.h"

#include "../runtime/base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

struct ns_info
{
  int flag;
  const char *proc;  /* name under /proc/PID/ns */
  const char *label; /* for messages: "network namespace" */
};

static const struct ns_info ns_table[CELL_NS__MAX] = {
  [CELL_NS_PID] = { CLONE_NEWPID, "pid", "pid" },
  [CELL_NS_NETWORK] = { CLONE_NEWNET, "net", "network" },
  [CELL_NS_MOUNT] = { CLONE_NEWNS, "mnt", "mount" },
  [CELL_NS_IPC] = { CLONE_NEWIPC, "ipc", "ipc" },
  [CELL_NS_UTS] = { CLONE_NEWUTS, "uts", "uts" },
  [CELL_NS_USER] = { CLONE_NEWUSER, "user", "user" },
  [CELL_NS_CGROUP] = { CLONE_NEWCGROUP, "cgroup", "cgroup" },
  [CELL_NS_TIME] = { CLONE_NEWTIME, "time", "time" },
};

static bool
ns_type_valid (enum cell_ns_type t)
{
  return (unsigned) t < CELL_NS__MAX;
}

int
ns_clone_flag (enum cell_ns_type t)
{
  return ns_type_valid (t) ? ns_table[t].flag : 0;
}

const char *
ns_proc_name (enum cell_ns_type t)
{
  return ns_type_valid (t) ? ns_table[t].proc : NULL;
}

static const char *
ns_label (enum cell_ns_type t)
{
  return ns_type_valid (t) ? ns_table[t].label : "unknown";
}

/* ---- config checks ---- */

static int
validate_namespaces (const struct cell_linux *l, cell_error_t *err)
{
  bool seen[CELL_NS__MAX] = { false };
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      enum cell_ns_type t = l->namespaces[i].type;
      if (!ns_type_valid (t))
        return cell_error (err, 0, "linux.namespaces[%zu].type: unknown namespace type", i);
      if (seen[t])
        return cell_error (err, 0, "linux.namespaces[%zu].type: duplicate %s namespace", i, ns_label (t));
      seen[t] = true;
      const char *path = l->namespaces[i].path;
      if (path && path[0] != '/')
        return cell_error (err, 0, "linux.namespaces[%zu].path: '%s' is not an absolute path", i, path);
    }
  return 0;
}

static const struct cell_namespace *
find_ns (const struct cell_linux *l, enum cell_ns_type t)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].type == t)
      return &l->namespaces[i];
  return NULL;
}

static int
validate_time_offset (const struct cell_time_offset *o, const char *name, cell_error_t *err)
{
  if (o->present && o->nanosecs >= 1000000000u)
    return cell_error (err, 0, "linux.timeOffsets.%s.nanosecs: %u is not below 1000000000", name, o->nanosecs);
  return 0;
}

static int
validate_time_offsets (const struct cell_linux *l, cell_error_t *err)
{
  if (!l->time_monotonic.present && !l->time_boottime.present)
    return 0;
  /* Offsets can only be written into a time namespace that no process has entered yet, i.e. one we create. */
  const struct cell_namespace *ns = find_ns (l, CELL_NS_TIME);
  if (ns == NULL || ns->path)
    return cell_error (err, 0, "linux.timeOffsets: requires a new time namespace");
  if (validate_time_offset (&l->time_monotonic, "monotonic", err) < 0)
    return -1;
  return validate_time_offset (&l->time_boottime, "boottime", err);
}

static int
validate_mappings (const struct cell_linux *l, cell_error_t *err)
{
  if ((l->n_uid_mappings || l->n_gid_mappings) && find_ns (l, CELL_NS_USER) == NULL)
    return cell_error (err, 0, "linux.%s: requires a user namespace",
                       l->n_uid_mappings ? "uidMappings" : "gidMappings");
  if (ns_validate_idmap (l->uid_mappings, l->n_uid_mappings, "linux.uidMappings", err) < 0)
    return -1;
  return ns_validate_idmap (l->gid_mappings, l->n_gid_mappings, "linux.gidMappings", err);
}

int
ns_validate (const struct cell_linux *l, cell_error_t *err)
{
  if (validate_namespaces (l, err) < 0)
    return -1;
  if (validate_mappings (l, err) < 0)
    return -1;
  return validate_time_offsets (l, err);
}

/* ---- the plan ---- */

static int
open_ns (size_t i, const struct cell_namespace *ns, cell_error_t *err)
{
  _cleanup_close_ int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cell_error_errno (err, "linux.namespaces[%zu].path: open '%s'", i, ns->path);
  int type = ioctl (fd, NS_GET_NSTYPE);
  /* ENOTTY/EINVAL: not an nsfs file at all (a regular file, /dev/null, ...). */
  if (type < 0 && errno != ENOTTY && errno != EINVAL)
    return cell_error_errno (err, "linux.namespaces[%zu].path: ioctl NS_GET_NSTYPE '%s'", i, ns->path);
  if (type != ns_clone_flag (ns->type))
    return cell_error (err, 0, "linux.namespaces[%zu].path: '%s' is not a %s namespace", i, ns->path,
                       ns_label (ns->type));
  return TAKE_FD (fd);
}

static void
plan_init (struct ns_plan *plan)
{
  memset (plan, 0, sizeof *plan);
  for (size_t i = 0; i < CELL_NS__MAX; i++)
    plan->joins[i].fd = -1;
}

/* Joining the user namespace first gives us its capabilities over the namespaces it owns, which the others
 * normally are (runc's nsexec and crun do the same). */
static int
plan_add_joins (const struct cell_linux *l, struct ns_plan *plan, bool user, cell_error_t *err)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      const struct cell_namespace *ns = &l->namespaces[i];
      if (ns->path == NULL || (ns->type == CELL_NS_USER) != user)
        continue;
      int fd = open_ns (i, ns, err);
      if (fd < 0)
        return -1;
      plan->joins[plan->n_joins].type = ns->type;
      plan->joins[plan->n_joins++].fd = fd;
    }
  return 0;
}

int
ns_plan_make (const struct cell_linux *l, struct ns_plan *plan, cell_error_t *err)
{
  plan_init (plan);
  if (validate_namespaces (l, err) < 0)
    return -1;
  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].path == NULL)
      plan->new_flags |= (unsigned long) ns_clone_flag (l->namespaces[i].type);
  if (plan_add_joins (l, plan, true, err) < 0 || plan_add_joins (l, plan, false, err) < 0)
    {
      ns_plan_close (plan);
      return -1;
    }
  plan->new_user = (plan->new_flags & CLONE_NEWUSER) != 0;
  plan->needs_staging = plan->n_joins > 0 || (plan->new_flags & CLONE_NEWTIME) != 0;
  return 0;
}

void
ns_plan_close (struct ns_plan *plan)
{
  for (size_t i = 0; i < plan->n_joins; i++)
    if (plan->joins[i].fd >= 0)
      {
        close (plan->joins[i].fd);
        plan->joins[i].fd = -1;
      }
  plan->n_joins = 0;
}

int
ns_plan_join (const struct ns_plan *plan, cell_error_t *err)
{
  for (size_t i = 0; i < plan->n_joins; i++)
    {
      const struct ns_join *j = &plan->joins[i];
      if (setns (j->fd, ns_clone_flag (j->type)) < 0)
        return cell_error_errno (err, "setns into the %s namespace", ns_label (j->type));
    }
  return 0;
}
