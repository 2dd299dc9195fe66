/* cell: process attributes the container's init (or an exec'd process) sets on itself before execve:
 * rlimits, user and groups, umask, personality, scheduler, I/O priority, oom_score_adj, and the lookup of
 * args[0] through PATH. Names are checked at config time (cell_process_validate) and mapped again here. */
#include "process.h"

#include "base/cleanup.h"
#include "base/fd.h"
#include "base/xalloc.h"
#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* <linux/sched.h> and <linux/sched/types.h> clash with glibc's <sched.h>: the few values we need. */
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

struct cell_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max; /* SCHED_ATTR_SIZE_VER1 */
};

/* From <linux/ioprio.h>, which only glibc-free programs include cleanly. */
#define CELL_IOPRIO_CLASS_SHIFT 13
#define CELL_IOPRIO_WHO_PROCESS 1

struct name_value
{
  const char *name;
  int value;
};

#define NV(x) { #x, x }

static const struct name_value rlimits[] = {
  NV (RLIMIT_AS),     NV (RLIMIT_CORE),   NV (RLIMIT_CPU),        NV (RLIMIT_DATA),
  NV (RLIMIT_FSIZE),  NV (RLIMIT_LOCKS),  NV (RLIMIT_MEMLOCK),    NV (RLIMIT_MSGQUEUE),
  NV (RLIMIT_NICE),   NV (RLIMIT_NOFILE), NV (RLIMIT_NPROC),      NV (RLIMIT_RSS),
  NV (RLIMIT_RTPRIO), NV (RLIMIT_RTTIME), NV (RLIMIT_SIGPENDING), NV (RLIMIT_STACK),
};

static const struct name_value sched_policies[] = {
  NV (SCHED_OTHER), NV (SCHED_FIFO), NV (SCHED_RR),       NV (SCHED_BATCH),
  NV (SCHED_ISO),   NV (SCHED_IDLE), NV (SCHED_DEADLINE),
};

static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 },
  { "IOPRIO_CLASS_BE", 2 },
  { "IOPRIO_CLASS_IDLE", 3 },
};

static int
lookup (const struct name_value *t, size_t n, const char *name)
{
  for (size_t i = 0; name && i < n; i++)
    if (strcmp (t[i].name, name) == 0)
      return t[i].value;
  return -1;
}

int
cell_rlimit_resource (const char *name)
{
  return lookup (rlimits, ARRAY_SIZE (rlimits), name);
}

int
cell_sched_policy_value (const char *name)
{
  return lookup (sched_policies, ARRAY_SIZE (sched_policies), name);
}

int
cell_sched_flag_value (const char *name)
{
  return lookup (sched_flags, ARRAY_SIZE (sched_flags), name);
}

int
cell_ioprio_class_value (const char *name)
{
  return lookup (ioprio_classes, ARRAY_SIZE (ioprio_classes), name);
}

/* ---- validation ---- */

static int
validate_rlimits (const struct cell_process *p, const char *path, cell_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct cell_rlimit *r = &p->rlimits[i];
      if (cell_rlimit_resource (r->type) < 0)
        return cell_error (err, 0, "%s.rlimits[%zu].type: unknown rlimit '%s'", path, i, r->type ? r->type : "");
      for (size_t j = 0; j < i; j++)
        if (strcmp (p->rlimits[j].type, r->type) == 0)
          return cell_error (err, 0, "%s.rlimits[%zu].type: duplicate rlimit '%s'", path, i, r->type);
      if (r->soft > r->hard)
        return cell_error (err, 0, "%s.rlimits[%zu]: soft limit %" PRIu64 " exceeds hard limit %" PRIu64, path, i,
                           r->soft, r->hard);
    }
  return 0;
}

static int
validate_sched_values (const struct cell_scheduler *s, int policy, const char *path, cell_error_t *err)
{
  if (s->nice < -20 || s->nice > 19)
    return cell_error (err, 0, "%s.scheduler.nice: %" PRId32 " is not in -20..19", path, s->nice);
  bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
  if (rt && (s->priority < 1 || s->priority > 99))
    return cell_error (err, 0, "%s.scheduler.priority: %" PRId32 " is not in 1..99", path, s->priority);
  if (!rt && s->priority != 0)
    return cell_error (err, 0, "%s.scheduler.priority: only for SCHED_FIFO and SCHED_RR", path);
  if (policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
    return cell_error (err, 0, "%s.scheduler: runtime, deadline and period are only for SCHED_DEADLINE", path);
  return 0;
}

static int
validate_scheduler (const struct cell_scheduler *s, const char *path, cell_error_t *err)
{
  if (!s->present)
    return 0;
  int policy = cell_sched_policy_value (s->policy);
  if (policy < 0)
    return cell_error (err, 0, "%s.scheduler.policy: unknown policy '%s'", path, s->policy ? s->policy : "");
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    if (cell_sched_flag_value (s->flags[i]) < 0)
      return cell_error (err, 0, "%s.scheduler.flags[%zu]: unknown flag '%s'", path, i, s->flags[i]);
  return validate_sched_values (s, policy, path, err);
}

static int
validate_io_priority (const struct cell_io_priority *io, const char *path, cell_error_t *err)
{
  if (!io->present)
    return 0;
  if (cell_ioprio_class_value (io->class) < 0)
    return cell_error (err, 0, "%s.ioPriority.class: unknown class '%s'", path, io->class ? io->class : "");
  if (io->priority < 0 || io->priority > 7)
    return cell_error (err, 0, "%s.ioPriority.priority: %" PRId32 " is not in 0..7", path, io->priority);
  return 0;
}

int
cell_process_validate (const struct cell_process *p, const char *path, cell_error_t *err)
{
  if (validate_rlimits (p, path, err) < 0 || validate_scheduler (&p->scheduler, path, err) < 0
      || validate_io_priority (&p->io_priority, path, err) < 0)
    return -1;
  if (p->oom_score_adj_present && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return cell_error (err, 0, "%s.oomScoreAdj: %d is not in -1000..1000", path, p->oom_score_adj);
  _cleanup_free_ char *caps_path = xasprintf ("%s.capabilities", path);
  return cell_caps_validate (&p->capabilities, caps_path, err);
}

static int
personality_value (const char *domain)
{
  if (domain && strcmp (domain, "LINUX") == 0)
    return PER_LINUX;
  if (domain && strcmp (domain, "LINUX32") == 0)
    return PER_LINUX32;
  return -1;
}

int
cell_personality_validate (const struct cell_personality *p, const char *path, cell_error_t *err)
{
  if (!p->present)
    return 0;
  if (personality_value (p->domain) < 0)
    return cell_error (err, 0, "%s.domain: unknown domain '%s'", path, p->domain ? p->domain : "");
  if (p->flags && p->flags[0])
    return cell_error (err, 0, "%s.flags[0]: unsupported flag '%s'", path, p->flags[0]);
  return 0;
}

/* ---- apply ---- */

int
cell_process_set_rlimits (const struct cell_process *p, cell_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct cell_rlimit *r = &p->rlimits[i];
      int resource = cell_rlimit_resource (r->type);
      if (resource < 0)
        return cell_error (err, EINVAL, "process.rlimits[%zu] (%s): unknown rlimit", i, r->type);
      struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (setrlimit (resource, &rl) < 0)
        return cell_error_errno (err, "process.rlimits[%zu] (%s): setrlimit", i, r->type);
    }
  return 0;
}

_Static_assert (sizeof (gid_t) == sizeof (uint32_t), "gid_t is 32 bits");

int
cell_process_set_user (const struct cell_user *u, cell_error_t *err)
{
  /* In a user namespace whose setgroups is "deny" the call fails with EPERM; with no additional groups that
   * only means the (empty or inherited) list stays, which is what a rootless container gets anyway. */
  if (setgroups (u->n_additional_gids, (const gid_t *) u->additional_gids) < 0
      && !(errno == EPERM && u->n_additional_gids == 0))
    return cell_error_errno (err, "setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return cell_error_errno (err, "setresgid %" PRIu32, u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return cell_error_errno (err, "setresuid %" PRIu32, u->uid);
  umask (u->umask_present ? (mode_t) u->umask : 0022);
  return 0;
}

int
cell_process_set_personality (const struct cell_personality *p, cell_error_t *err)
{
  if (!p->present)
    return 0;
  int persona = personality_value (p->domain);
  if (persona < 0)
    return cell_error (err, EINVAL, "linux.personality.domain: unknown domain '%s'", p->domain ? p->domain : "");
  if (p->flags && p->flags[0])
    return cell_error (err, EINVAL, "linux.personality.flags[0]: unsupported flag '%s'", p->flags[0]);
  if (personality ((unsigned long) persona) < 0)
    return cell_error_errno (err, "personality %s", p->domain);
  return 0;
}

static int
sched_attr_make (const struct cell_scheduler *s, struct cell_sched_attr *a, cell_error_t *err)
{
  memset (a, 0, sizeof *a);
  a->size = sizeof *a;
  int policy = cell_sched_policy_value (s->policy);
  if (policy < 0)
    return cell_error (err, EINVAL, "process.scheduler.policy: unknown policy '%s'", s->policy ? s->policy : "");
  a->sched_policy = (uint32_t) policy;
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      int flag = cell_sched_flag_value (s->flags[i]);
      if (flag < 0)
        return cell_error (err, EINVAL, "process.scheduler.flags[%zu]: unknown flag '%s'", i, s->flags[i]);
      a->sched_flags |= (uint64_t) flag;
    }
  a->sched_nice = s->nice;
  a->sched_priority = (uint32_t) s->priority;
  a->sched_runtime = s->runtime;
  a->sched_deadline = s->deadline;
  a->sched_period = s->period;
  return 0;
}

int
cell_process_set_scheduler (const struct cell_scheduler *s, cell_error_t *err)
{
  if (!s->present)
    return 0;
  struct cell_sched_attr a;
  if (sched_attr_make (s, &a, err) < 0)
    return -1;
  if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
    return cell_error_errno (err, "sched_setattr %s", s->policy);
  return 0;
}

int
cell_process_set_io_priority (const struct cell_io_priority *p, cell_error_t *err)
{
  if (!p->present)
    return 0;
  int class = cell_ioprio_class_value (p->class);
  if (class < 0)
    return cell_error (err, EINVAL, "process.ioPriority.class: unknown class '%s'", p->class ? p->class : "");
  int value = (class << CELL_IOPRIO_CLASS_SHIFT) | (p->priority & 7);
  if (syscall (SYS_ioprio_set, CELL_IOPRIO_WHO_PROCESS, 0, value) < 0)
    return cell_error_errno (err, "ioprio_set %s %" PRId32, p->class, p->priority);
  return 0;
}

int
cell_process_set_oom_score_adj (int procfd, const struct cell_process *p, cell_error_t *err)
{
  if (!p->oom_score_adj_present)
    return 0;
  char buf[16];
  int len = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
  _cleanup_close_ int fd = cell_procfs_openat (procfd, "self/oom_score_adj", O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (write (fd, buf, (size_t) len) != len)
    return cell_error_errno (err, "write 'oom_score_adj'");
  return 0;
}

/* ---- args[0] lookup ---- */

/* 0 when path is a regular file this process may execute; else -1 with errno (EACCES, ENOENT, ...). */
static int
check_executable (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -1;
  if (!S_ISREG (st.st_mode))
    {
      errno = EACCES;
      return -1;
    }
  /* AT_EACCESS: the effective IDs, which are the container user's by now. */
  return faccessat (AT_FDCWD, path, X_OK, AT_EACCESS);
}

static const char *
env_path (char *const *env)
{
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], "PATH=", 5) == 0)
      return env[i] + 5;
  return DEFAULT_PATH;
}

char *
cell_process_find_executable (const char *arg0, char *const *env, cell_error_t *err)
{
  if (arg0 == NULL || arg0[0] == '\0')
    {
      cell_error (err, 0, "exec: \"\": executable file not found in $PATH");
      return NULL;
    }
  if (strchr (arg0, '/'))
    {
      if (check_executable (arg0) < 0)
        {
          cell_error_errno (err, "exec: \"%s\"", arg0);
          return NULL;
        }
      return xstrdup (arg0);
    }
  for (const char *dir = env_path (env);;)
    {
      size_t len = strcspn (dir, ":");
      /* An empty entry would mean the current directory (execvp); like Go's exec.LookPath in runc we do not
       * resolve a command name to a file of the working directory by accident. */
      if (len > 0)
        {
          _cleanup_free_ char *cand = xasprintf ("%.*s/%s", (int) len, dir, arg0);
          if (check_executable (cand) == 0)
            return TAKE_PTR (cand);
        }
      if (dir[len] == '\0')
        break;
      dir += len + 1;
    }
  cell_error (err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
  return NULL;
}
