/* cell: the "process" object of config.json (and of `exec --process`): user, capabilities, rlimits, console
 * size, scheduler, ioPriority, execCPUAffinity. The engine is config.c. */
#include "internal.h"

#include <sys/resource.h>

/* ---- process ---- */

static const struct name_value rlimit_names[] = {
  NV (RLIMIT_AS),     NV (RLIMIT_CORE),    NV (RLIMIT_CPU),    NV (RLIMIT_DATA),       NV (RLIMIT_FSIZE),
  NV (RLIMIT_LOCKS),  NV (RLIMIT_MEMLOCK), NV (RLIMIT_MSGQUEUE), NV (RLIMIT_NICE),     NV (RLIMIT_NOFILE),
  NV (RLIMIT_NPROC),  NV (RLIMIT_RSS),     NV (RLIMIT_RTPRIO), NV (RLIMIT_RTTIME),     NV (RLIMIT_SIGPENDING),
  NV (RLIMIT_STACK),
};

/* Values from the kernel's uapi/linux/sched.h; glibc does not define all of them. */
static const struct name_value sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",         "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS",     "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX",
};

static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 },
  { "IOPRIO_CLASS_BE", 2 },
  { "IOPRIO_CLASS_IDLE", 3 },
};

#define T struct cell_user
static const struct field user_desc_fields[] = {
  U32 ("uid", uid, REQ_),
  U32 ("gid", gid, REQ_),
  U32 ("umask", umask, P_ (umask_present)),
  U32V ("additionalGids", additional_gids, n_additional_gids),
  STR ("username", username),
};
#undef T
DESC (user_desc, NULL);

static int
check_rlimit (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  struct cell_rlimit *r = obj;
  const struct name_value *e = cfg_check_enum (r->type, rlimit_names, ARRAY_SIZE (rlimit_names), path, "type",
                                               "rlimit", err);
  if (e == NULL)
    return -1;
  r->resource = e->value;
  return 0;
}

#define T struct cell_rlimit
static const struct field rlimit_desc_fields[] = {
  STR ("type", type, REQ_),
  U64 ("soft", soft, REQ_),
  U64 ("hard", hard, REQ_),
};
#undef T
DESC (rlimit_desc, check_rlimit);

#define T struct cell_capabilities
static const struct field caps_desc_fields[] = {
  STRV ("bounding", bounding), STRV ("effective", effective), STRV ("inheritable", inheritable),
  STRV ("permitted", permitted), STRV ("ambient", ambient),
};
#undef T
DESC (caps_desc, NULL);

#define T struct cell_process
static const struct field console_desc_fields[] = {
  U32 ("height", console_height, REQ_),
  U32 ("width", console_width, REQ_),
};
#undef T
DESC (console_desc, NULL);

static int
check_scheduler (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  struct cell_scheduler *s = obj;
  const struct name_value *e = cfg_check_enum (s->policy, sched_policies, ARRAY_SIZE (sched_policies), path,
                                               "policy", "scheduler policy", err);
  if (e == NULL)
    return -1;
  s->policy_value = e->value;
  return cfg_check_names (s->flags, sched_flags, ARRAY_SIZE (sched_flags), path, "flags", "scheduler flag", err);
}

#define T struct cell_scheduler
static const struct field scheduler_desc_fields[] = {
  STR ("policy", policy, REQ_),
  I32 ("nice", nice),
  I32 ("priority", priority),
  STRV ("flags", flags),
  U64 ("runtime", runtime),
  U64 ("deadline", deadline),
  U64 ("period", period),
};
#undef T
DESC (scheduler_desc, check_scheduler);

static int
check_io_priority (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  struct cell_io_priority *p = obj;
  const struct name_value *e = cfg_check_enum (p->class, ioprio_classes, ARRAY_SIZE (ioprio_classes), path, "class",
                                               "I/O priority class", err);
  if (e == NULL)
    return -1;
  p->class_value = e->value;
  return 0;
}

#define T struct cell_io_priority
static const struct field io_priority_desc_fields[] = {
  STR ("class", class, REQ_),
  INT ("priority", priority, 0, 7),
};
#undef T
DESC (io_priority_desc, check_io_priority);

#define T struct cell_cpu_affinity
static const struct field affinity_desc_fields[] = {
  STR ("initial", initial),
  STR ("final", final),
};
#undef T
DESC (affinity_desc, NULL);

static int
check_process (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  struct cell_process *p = obj;
  if (p->args[0] == NULL)
    return cell_error (err, 0, "%s.args: must not be empty", path);
  if (cfg_check_absolute (p->cwd, path, "cwd", err) < 0)
    return -1;
  /* The spec: duplicated rlimit types MUST be an error. */
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        return cell_error (err, 0, "%s.rlimits: duplicate type '%s'", path, p->rlimits[i].type);
  return 0;
}

#define T struct cell_process
static const struct field process_desc_fields[] = {
  BOOL ("terminal", terminal),
  HERE ("consoleSize", console_desc, P_ (console_size_present)),
  OBJ ("user", user, user_desc, REQ_),
  STRV ("args", args, REQ_),
  STRV ("env", env),
  STR ("cwd", cwd, REQ_),
  OBJ ("capabilities", capabilities, caps_desc, P_ (capabilities.present)),
  ARR ("rlimits", rlimits, n_rlimits, struct cell_rlimit, rlimit_desc),
  BOOL ("noNewPrivileges", no_new_privileges),
  STR ("apparmorProfile", apparmor_profile),
  INT ("oomScoreAdj", oom_score_adj, -1000, 1000, P_ (oom_score_adj_present)),
  STR ("selinuxLabel", selinux_label),
  OBJ ("scheduler", scheduler, scheduler_desc, P_ (scheduler.present)),
  OBJ ("ioPriority", io_priority, io_priority_desc, P_ (io_priority.present)),
  OBJ ("execCPUAffinity", exec_cpu_affinity, affinity_desc),
};
#undef T
DESC_EXPORT (process_desc, check_process);
