/* cell: the tables of linux.seccomp. Names libseccomp knows are checked by cell_seccomp_validate(). */
#include "internal.h"

#include <string.h>

/* ---- linux.seccomp ---- */

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY",
};

static const struct name_value seccomp_ops[] = {
  { "SCMP_CMP_NE", CELL_SCMP_CMP_NE }, { "SCMP_CMP_LT", CELL_SCMP_CMP_LT },
  { "SCMP_CMP_LE", CELL_SCMP_CMP_LE }, { "SCMP_CMP_EQ", CELL_SCMP_CMP_EQ },
  { "SCMP_CMP_GE", CELL_SCMP_CMP_GE }, { "SCMP_CMP_GT", CELL_SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", CELL_SCMP_CMP_MASKED_EQ },
};

static int
parse_seccomp_op (const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  const char *s = cell_json_string (v);
  if (s == NULL)
    return cfg_type_error (path, "string", v, err);
  const struct name_value *e = cfg_lookup (seccomp_ops, ARRAY_SIZE (seccomp_ops), s);
  if (e == NULL)
    return cell_error (err, 0, "%s: unknown operator '%s'", path, s);
  *(enum cell_seccomp_op *) dst = e->value;
  return 0;
}

#define T struct cell_seccomp_arg
static const struct field seccomp_arg_desc_fields[] = {
  U32 ("index", index, REQ_),
  U64 ("value", value, REQ_),
  U64 ("valueTwo", value_two),
  CUSTOM ("op", op, parse_seccomp_op, REQ_),
};
#undef T
DESC (seccomp_arg_desc, NULL);

static int
check_syscall (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_seccomp_syscall *s = obj;
  if (s->names[0] == NULL)
    return cell_error (err, 0, "%s.names: must not be empty", path);
  return cfg_check_string_in (s->action, seccomp_actions, ARRAY_SIZE (seccomp_actions), path, "action", "action",
                              err);
}

#define T struct cell_seccomp_syscall
static const struct field seccomp_syscall_desc_fields[] = {
  STRV ("names", names, REQ_),
  STR ("action", action, REQ_),
  U32 ("errnoRet", errno_ret, P_ (errno_ret_present)),
  ARR ("args", args, n_args, struct cell_seccomp_arg, seccomp_arg_desc),
};
#undef T
DESC (seccomp_syscall_desc, check_syscall);

static int
check_seccomp (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_seccomp *s = obj;
  return cfg_check_string_in (s->default_action, seccomp_actions, ARRAY_SIZE (seccomp_actions), path,
                              "defaultAction", "action", err);
}

#define T struct cell_seccomp
static const struct field seccomp_desc_fields[] = {
  STR ("defaultAction", default_action, REQ_),
  U32 ("defaultErrnoRet", default_errno_ret, P_ (default_errno_ret_present)),
  STRV ("architectures", architectures),
  STRV ("flags", flags),
  STR ("listenerPath", listener_path),
  STR ("listenerMetadata", listener_metadata),
  ARR ("syscalls", syscalls, n_syscalls, struct cell_seccomp_syscall, seccomp_syscall_desc),
};
#undef T
DESC_EXPORT (seccomp_desc, check_seccomp);
