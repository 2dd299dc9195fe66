/* cell: config.json -> struct cell_config.
 *
 * Table-driven: every spec object has a `struct desc`, a table of its known members (key, kind, where the value
 * lands in the C struct, required or not, integer range) plus an optional check hook for the rules a table
 * cannot say (enum names, absolute paths, duplicates). One engine parses any desc and the same tables drive
 * cell_config_free(), so a field cannot be parsed and then leaked. Unknown members are never looked at.
 * JSON null counts as absent, as in Go's encoding/json (runc), so `"sysctl": null` is accepted.
 * Cross-field rules and "not supported" refusals come last, in cell_config_validate(). */
#include "config.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "base/strv.h"
#include "base/xalloc.h"
#include "process/seccomp-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_SIZE (4 * 1024 * 1024)

/* ---- the engine ---- */

enum fkind
{
  F_STRING,
  F_BOOL,
  F_STRV,   /* array of strings -> NULL-terminated strv (an empty array gives an empty, non-NULL strv) */
  F_INT,    /* integer in [min, max] stored in a `width`-byte (un)signed field */
  F_U64,    /* integer in 0..UINT64_MAX */
  F_U32V,   /* array of uint32 -> uint32_t *, count */
  F_OBJECT, /* nested object; sub-desc offsets are relative to base + off */
  F_ARRAY,  /* array of objects -> element array, count */
  F_MAP,    /* object of objects -> element array, count; the member name lands at key_off */
  F_STRMAP, /* object of strings -> struct cell_kv array, count */
  F_CUSTOM, /* parse() converts the value (enum names); must not allocate */
};

struct desc;
struct field
{
  const char *key;
  enum fkind kind;
  bool required;
  size_t off;
  size_t present; /* offset + 1 of a bool set when the member appears; 0: none */
  unsigned width;
  int64_t min, max;
  const struct desc *sub;
  size_t count_off, elsize, key_off;
  int (*parse) (const struct cell_json *v, const char *path, void *dst, cell_error_t *err);
};

struct desc
{
  const struct field *fields;
  size_t n;
  /* Rules past the table; obj is the filled struct, v its JSON object. */
  int (*check) (void *obj, const struct cell_json *v, const char *path, cell_error_t *err);
};

static int parse_object (const struct desc *d, const struct cell_json *v, const char *path, char *base,
                         cell_error_t *err);
static void free_object (const struct desc *d, char *base);

static char *
path_key (const char *path, const char *key)
{
  return *path ? xasprintf ("%s.%s", path, key) : xstrdup (key);
}

static char *
path_index (const char *path, size_t i)
{
  return xasprintf ("%s[%zu]", path, i);
}

static int
type_error (const char *path, const char *want, const struct cell_json *v, cell_error_t *err)
{
  return cell_error (err, 0, "%s: expected %s, got %s", path, want, cell_json_type_name (v));
}

static bool
is_type (const struct cell_json *v, enum cell_json_type t)
{
  return cell_json_type (v) == t;
}

static int
parse_string (const struct cell_json *v, const char *path, char **dst, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_STRING))
    return type_error (path, "string", v, err);
  *dst = xstrdup (cell_json_string (v));
  return 0;
}

static int
parse_strv (const struct cell_json *v, const char *path, char ***dst, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_ARRAY))
    return type_error (path, "array", v, err);
  size_t n = cell_json_len (v);
  char **strv = *dst = xcalloc (n + 1, sizeof *strv);
  for (size_t i = 0; i < n; i++)
    {
      const struct cell_json *e = cell_json_at (v, i);
      if (!is_type (e, CELL_JSON_STRING))
        {
          _cleanup_free_ char *p = path_index (path, i);
          return type_error (p, "string", e, err);
        }
      strv[i] = xstrdup (cell_json_string (e));
    }
  return 0;
}

/* The integer value of v, within [min, max] (max <= INT64_MAX). */
static int
get_int (const struct cell_json *v, const char *path, int64_t min, int64_t max, int64_t *out, cell_error_t *err)
{
  int64_t i;
  uint64_t u;
  if (!cell_json_is_integer (v))
    return type_error (path, "integer", v, err);
  if (!cell_json_int64 (v, &i))
    {
      cell_json_uint64 (v, &u); /* only a huge positive literal gets here */
      return cell_error (err, 0, "%s: expected integer in %" PRId64 "..%" PRId64 ", got %" PRIu64, path, min, max,
                         u);
    }
  if (i < min || i > max)
    return cell_error (err, 0, "%s: expected integer in %" PRId64 "..%" PRId64 ", got %" PRId64, path, min, max,
                       i);
  *out = i;
  return 0;
}

static void
store_int (void *dst, unsigned width, bool is_signed, int64_t v)
{
  switch (width)
    {
    case 1:
      *(uint8_t *) dst = (uint8_t) v;
      break;
    case 2:
      *(uint16_t *) dst = (uint16_t) v;
      break;
    case 4:
      if (is_signed)
        *(int32_t *) dst = (int32_t) v;
      else
        *(uint32_t *) dst = (uint32_t) v;
      break;
    default:
      *(int64_t *) dst = v;
      break;
    }
}

static int
parse_int (const struct field *f, const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  int64_t i;
  if (get_int (v, path, f->min, f->max, &i, err) < 0)
    return -1;
  store_int (dst, f->width, f->min < 0, i);
  return 0;
}

static int
parse_u64 (const struct cell_json *v, const char *path, uint64_t *dst, cell_error_t *err)
{
  int64_t i = 0;
  if (!cell_json_is_integer (v))
    return type_error (path, "integer", v, err);
  if (!cell_json_uint64 (v, dst))
    {
      cell_json_int64 (v, &i);
      return cell_error (err, 0, "%s: expected integer in 0..%" PRIu64 ", got %" PRId64, path, UINT64_MAX, i);
    }
  return 0;
}

static int
parse_u32v (const struct cell_json *v, const char *path, uint32_t **dst, size_t *count, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_ARRAY))
    return type_error (path, "array", v, err);
  *count = cell_json_len (v);
  uint32_t *a = *dst = xcalloc (*count, sizeof *a);
  for (size_t i = 0; i < *count; i++)
    {
      _cleanup_free_ char *p = path_index (path, i);
      int64_t x;
      if (get_int (cell_json_at (v, i), p, 0, UINT32_MAX, &x, err) < 0)
        return -1;
      a[i] = (uint32_t) x;
    }
  return 0;
}

/* Arrays and maps of objects: the element array and its count are stored first, zeroed, so that freeing a
 * half-parsed config is always safe. */
static int
parse_array (const struct field *f, const struct cell_json *v, const char *path, char *base, cell_error_t *err)
{
  bool map = f->kind == F_MAP;
  if (!is_type (v, map ? CELL_JSON_OBJECT : CELL_JSON_ARRAY))
    return type_error (path, map ? "object" : "array", v, err);
  size_t n = cell_json_len (v);
  char *elems = xcalloc (n, f->elsize);
  *(char **) (base + f->off) = elems;
  *(size_t *) (base + f->count_off) = n;
  for (size_t i = 0; i < n; i++)
    {
      char *el = elems + i * f->elsize;
      _cleanup_free_ char *p = map ? path_key (path, cell_json_key_at (v, i)) : path_index (path, i);
      if (map)
        *(char **) (el + f->key_off) = xstrdup (cell_json_key_at (v, i));
      if (parse_object (f->sub, cell_json_at (v, i), p, el, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_strmap (const struct field *f, const struct cell_json *v, const char *path, char *base, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_OBJECT))
    return type_error (path, "object", v, err);
  size_t n = cell_json_len (v);
  struct cell_kv *kv = xcalloc (n, sizeof *kv);
  *(struct cell_kv **) (base + f->off) = kv;
  *(size_t *) (base + f->count_off) = n;
  for (size_t i = 0; i < n; i++)
    {
      const struct cell_json *e = cell_json_at (v, i);
      kv[i].key = xstrdup (cell_json_key_at (v, i));
      if (!is_type (e, CELL_JSON_STRING))
        {
          _cleanup_free_ char *p = path_key (path, kv[i].key);
          return type_error (p, "string", e, err);
        }
      kv[i].value = xstrdup (cell_json_string (e));
    }
  return 0;
}

static int
parse_value (const struct field *f, const struct cell_json *v, const char *path, char *base, cell_error_t *err)
{
  void *dst = base + f->off;
  switch (f->kind)
    {
    case F_STRING:
      return parse_string (v, path, dst, err);
    case F_BOOL:
      if (!is_type (v, CELL_JSON_BOOL))
        return type_error (path, "boolean", v, err);
      *(bool *) dst = cell_json_bool (v);
      return 0;
    case F_STRV:
      return parse_strv (v, path, dst, err);
    case F_INT:
      return parse_int (f, v, path, dst, err);
    case F_U64:
      return parse_u64 (v, path, dst, err);
    case F_U32V:
      return parse_u32v (v, path, dst, (size_t *) (base + f->count_off), err);
    case F_OBJECT:
      return parse_object (f->sub, v, path, dst, err);
    case F_ARRAY:
    case F_MAP:
      return parse_array (f, v, path, base, err);
    case F_STRMAP:
      return parse_strmap (f, v, path, base, err);
    case F_CUSTOM:
      return f->parse (v, path, dst, err);
    }
  return 0;
}

static int
parse_member (const struct field *f, const struct cell_json *obj, const char *path, char *base, cell_error_t *err)
{
  const struct cell_json *v = cell_json_get (obj, f->key);
  _cleanup_free_ char *p = path_key (path, f->key);
  if (v == NULL || is_type (v, CELL_JSON_NULL))
    return f->required ? cell_error (err, 0, "%s: required", p) : 0;
  if (f->present)
    *(bool *) (base + f->present - 1) = true;
  return parse_value (f, v, p, base, err);
}

static int
parse_object (const struct desc *d, const struct cell_json *v, const char *path, char *base, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_OBJECT))
    return type_error (path, "object", v, err);
  for (size_t i = 0; i < d->n; i++)
    if (parse_member (&d->fields[i], v, path, base, err) < 0)
      return -1;
  return d->check ? d->check (base, v, path, err) : 0;
}

static void
free_elements (const struct field *f, char *base)
{
  char *elems = *(char **) (base + f->off);
  size_t n = *(size_t *) (base + f->count_off);
  for (size_t i = 0; elems && i < n; i++)
    {
      char *el = elems + i * f->elsize;
      if (f->kind == F_MAP)
        free (*(char **) (el + f->key_off));
      free_object (f->sub, el);
    }
  free (elems);
}

static void
free_member (const struct field *f, char *base)
{
  void *dst = base + f->off;
  switch (f->kind)
    {
    case F_STRING:
    case F_U32V:
      free (*(void **) dst);
      break;
    case F_STRV:
      cell_strv_free (*(char ***) dst);
      break;
    case F_OBJECT:
      free_object (f->sub, dst);
      break;
    case F_ARRAY:
    case F_MAP:
      free_elements (f, base);
      break;
    case F_STRMAP:
      {
        struct cell_kv *kv = *(struct cell_kv **) dst;
        for (size_t i = 0; kv && i < *(size_t *) (base + f->count_off); i++)
          {
            free (kv[i].key);
            free (kv[i].value);
          }
        free (kv);
        break;
      }
    default:
      break;
    }
}

static void
free_object (const struct desc *d, char *base)
{
  for (size_t i = 0; i < d->n; i++)
    free_member (&d->fields[i], base);
}

/* ---- table helpers: T names the struct a table describes ---- */

#define FIELD_(k, kind_, m, ...) { .key = (k), .kind = (kind_), .off = offsetof (T, m), __VA_ARGS__ }
#define P_(p) .present = offsetof (T, p) + 1
#define REQ_ .required = true
#define STR(k, m, ...) FIELD_ (k, F_STRING, m, __VA_ARGS__)
#define BOOL(k, m, ...) FIELD_ (k, F_BOOL, m, __VA_ARGS__)
#define STRV(k, m, ...) FIELD_ (k, F_STRV, m, __VA_ARGS__)
#define INT(k, m, lo, hi, ...)                                                                                    \
  FIELD_ (k, F_INT, m, .width = sizeof (((T *) 0)->m), .min = (lo), .max = (hi), __VA_ARGS__)
#define U16(k, m, ...) INT (k, m, 0, UINT16_MAX, __VA_ARGS__)
#define U32(k, m, ...) INT (k, m, 0, UINT32_MAX, __VA_ARGS__)
#define I32(k, m, ...) INT (k, m, INT32_MIN, INT32_MAX, __VA_ARGS__)
#define I64(k, m, ...) INT (k, m, INT64_MIN, INT64_MAX, __VA_ARGS__)
#define U64(k, m, ...) FIELD_ (k, F_U64, m, __VA_ARGS__)
#define U32V(k, m, cnt) FIELD_ (k, F_U32V, m, .count_off = offsetof (T, cnt))
#define OBJ(k, m, sub_, ...) FIELD_ (k, F_OBJECT, m, .sub = &(sub_), __VA_ARGS__)
/* A JSON object whose members live directly in T (consoleSize -> process.console_*). */
#define HERE(k, sub_, ...) { .key = (k), .kind = F_OBJECT, .off = 0, .sub = &(sub_), __VA_ARGS__ }
#define ARR(k, m, cnt, ET, sub_, ...)                                                                             \
  FIELD_ (k, F_ARRAY, m, .count_off = offsetof (T, cnt), .elsize = sizeof (ET), .sub = &(sub_), __VA_ARGS__)
#define MAP(k, m, cnt, ET, keym, sub_)                                                                            \
  FIELD_ (k, F_MAP, m, .count_off = offsetof (T, cnt), .elsize = sizeof (ET), .key_off = offsetof (ET, keym),    \
          .sub = &(sub_))
#define STRMAP(k, m, cnt) FIELD_ (k, F_STRMAP, m, .count_off = offsetof (T, cnt))
#define CUSTOM(k, m, fn, ...) FIELD_ (k, F_CUSTOM, m, .parse = (fn), __VA_ARGS__)
#define DESC(name, check_)                                                                                        \
  static const struct desc name = { name##_fields, ARRAY_SIZE (name##_fields), check_ }

/* ---- names ---- */

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value *
lookup (const struct name_value *t, size_t n, const char *name)
{
  for (size_t i = 0; name && i < n; i++)
    if (strcmp (t[i].name, name) == 0)
      return &t[i];
  return NULL;
}

static bool
in_list (const char *const *list, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (list[i], s) == 0)
      return true;
  return false;
}

/* Every entry of strv `v` (member `key` of `path`) must be in list. */
static int
check_names (char *const *v, const char *const *list, size_t n, const char *path, const char *key,
             const char *what, cell_error_t *err)
{
  for (size_t i = 0; v && v[i]; i++)
    if (!in_list (list, n, v[i]))
      return cell_error (err, 0, "%s.%s[%zu]: unknown %s '%s'", path, key, i, what, v[i]);
  return 0;
}

static int
check_absolute (const char *s, const char *path, const char *key, cell_error_t *err)
{
  if (s && s[0] != '/')
    return cell_error (err, 0, "%s.%s: must be an absolute path, got '%s'", path, key, s);
  return 0;
}

#define NV(x) { #x, x }
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

static const char *const ns_names[CELL_NS__MAX] = {
  [CELL_NS_PID] = "pid",       [CELL_NS_NETWORK] = "network", [CELL_NS_MOUNT] = "mount",
  [CELL_NS_IPC] = "ipc",       [CELL_NS_UTS] = "uts",         [CELL_NS_USER] = "user",
  [CELL_NS_CGROUP] = "cgroup", [CELL_NS_TIME] = "time",
};

static const char *const hook_names[CELL_HOOK__MAX] = {
  [CELL_HOOK_PRESTART] = "prestart",
  [CELL_HOOK_CREATE_RUNTIME] = "createRuntime",
  [CELL_HOOK_CREATE_CONTAINER] = "createContainer",
  [CELL_HOOK_START_CONTAINER] = "startContainer",
  [CELL_HOOK_POSTSTART] = "poststart",
  [CELL_HOOK_POSTSTOP] = "poststop",
};

static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

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

static const char *const mpol_modes[] = {
  "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
  "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
};

static const char *const mpol_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES" };

static const char *const personality_domains[] = { "LINUX", "LINUX32" };

/* A string member that must name an entry of a name_value table; returns the entry. */
static const struct name_value *
check_enum (const char *s, const struct name_value *t, size_t n, const char *path, const char *key,
            const char *what, cell_error_t *err)
{
  const struct name_value *e = lookup (t, n, s);
  if (e == NULL)
    cell_error (err, 0, "%s.%s: unknown %s '%s'", path, key, what, s);
  return e;
}

static int
check_string_in (const char *s, const char *const *list, size_t n, const char *path, const char *key,
                 const char *what, cell_error_t *err)
{
  if (s && !in_list (list, n, s))
    return cell_error (err, 0, "%s.%s: unknown %s '%s'", path, key, what, s);
  return 0;
}

/* ---- process ---- */

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
  const struct name_value *e = check_enum (r->type, rlimit_names, ARRAY_SIZE (rlimit_names), path, "type",
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
  const struct name_value *e = check_enum (s->policy, sched_policies, ARRAY_SIZE (sched_policies), path,
                                           "policy", "scheduler policy", err);
  if (e == NULL)
    return -1;
  s->policy_value = e->value;
  return check_names (s->flags, sched_flags, ARRAY_SIZE (sched_flags), path, "flags", "scheduler flag", err);
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
  const struct name_value *e = check_enum (p->class, ioprio_classes, ARRAY_SIZE (ioprio_classes), path, "class",
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
  if (check_absolute (p->cwd, path, "cwd", err) < 0)
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
DESC (process_desc, check_process);

/* ---- root, mounts, hooks ---- */

#define T struct cell_root
static const struct field root_desc_fields[] = {
  STR ("path", path, REQ_),
  BOOL ("readonly", readonly),
};
#undef T
DESC (root_desc, NULL);

#define T struct cell_id_mapping
static const struct field idmap_desc_fields[] = {
  U32 ("containerID", container_id, REQ_),
  U32 ("hostID", host_id, REQ_),
  INT ("size", size, 1, UINT32_MAX, REQ_),
};
#undef T
DESC (idmap_desc, NULL);

/* A relative destination is accepted (runc does, for old configs) and taken as relative to "/". */
#define T struct cell_mount
static const struct field mount_desc_fields[] = {
  STR ("destination", destination, REQ_),
  STR ("type", type),
  STR ("source", source),
  STRV ("options", options),
  ARR ("uidMappings", uid_mappings, n_uid_mappings, struct cell_id_mapping, idmap_desc),
  ARR ("gidMappings", gid_mappings, n_gid_mappings, struct cell_id_mapping, idmap_desc),
};
#undef T
DESC (mount_desc, NULL);

static int
check_hook (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_hook *h = obj;
  return check_absolute (h->path, path, "path", err);
}

#define T struct cell_hook
static const struct field hook_desc_fields[] = {
  STR ("path", path, REQ_),
  STRV ("args", args),
  STRV ("env", env),
  INT ("timeout", timeout, 1, INT32_MAX, P_ (timeout_present)),
};
#undef T
DESC (hook_desc, check_hook);

#define T struct cell_config
#define HOOKS(k, kind) ARR (k, hooks[kind].v, hooks[kind].n, struct cell_hook, hook_desc)
static const struct field hooks_desc_fields[] = {
  HOOKS ("prestart", CELL_HOOK_PRESTART),
  HOOKS ("createRuntime", CELL_HOOK_CREATE_RUNTIME),
  HOOKS ("createContainer", CELL_HOOK_CREATE_CONTAINER),
  HOOKS ("startContainer", CELL_HOOK_START_CONTAINER),
  HOOKS ("poststart", CELL_HOOK_POSTSTART),
  HOOKS ("poststop", CELL_HOOK_POSTSTOP),
};
#undef HOOKS
#undef T
DESC (hooks_desc, NULL);

/* ---- linux: namespaces, devices, time ---- */

static int
parse_ns_type (const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  if (!is_type (v, CELL_JSON_STRING))
    return type_error (path, "string", v, err);
  for (int t = 0; t < CELL_NS__MAX; t++)
    if (strcmp (ns_names[t], cell_json_string (v)) == 0)
      {
        *(enum cell_ns_type *) dst = t;
        return 0;
      }
  return cell_error (err, 0, "%s: unknown namespace type '%s'", path, cell_json_string (v));
}

static int
check_namespace (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  struct cell_namespace *ns = obj;
  /* runc treats "path": "" as "create a new one". */
  if (ns->path && ns->path[0] == '\0')
    {
      free (ns->path);
      ns->path = NULL;
    }
  return 0;
}

#define T struct cell_namespace
static const struct field namespace_desc_fields[] = {
  CUSTOM ("type", type, parse_ns_type, REQ_),
  STR ("path", path),
};
#undef T
DESC (namespace_desc, check_namespace);

static int
parse_dev_type (const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  const char *s = cell_json_string (v);
  if (s == NULL)
    return type_error (path, "string", v, err);
  if (strlen (s) != 1 || strchr ("cbup", s[0]) == NULL)
    return cell_error (err, 0, "%s: unknown device type '%s' (c, b, u or p)", path, s);
  *(char *) dst = s[0];
  return 0;
}

static int
check_device (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_device *d = obj;
  if (check_absolute (d->path, path, "path", err) < 0)
    return -1;
  if (d->type == 'p')
    return 0;
  if (cell_json_get (v, "major") == NULL)
    return cell_error (err, 0, "%s.major: required for type '%c'", path, d->type);
  if (cell_json_get (v, "minor") == NULL)
    return cell_error (err, 0, "%s.minor: required for type '%c'", path, d->type);
  return 0;
}

#define T struct cell_device
static const struct field device_desc_fields[] = {
  CUSTOM ("type", type, parse_dev_type, REQ_),
  STR ("path", path, REQ_),
  I64 ("major", major),
  I64 ("minor", minor),
  U32 ("fileMode", file_mode, P_ (file_mode_present)),
  U32 ("uid", uid, P_ (uid_present)),
  U32 ("gid", gid, P_ (gid_present)),
};
#undef T
DESC (device_desc, check_device);

#define T struct cell_time_offset
static const struct field time_offset_desc_fields[] = {
  I64 ("secs", secs),
  INT ("nanosecs", nanosecs, 0, 999999999),
};
#undef T
DESC (time_offset_desc, NULL);

/* timeOffsets is a map keyed by clock; the kernel has offsets for these two only. */
static int
check_time_offsets (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  for (size_t i = 0; i < cell_json_len (v); i++)
    {
      const char *k = cell_json_key_at (v, i);
      if (strcmp (k, "monotonic") != 0 && strcmp (k, "boottime") != 0)
        return cell_error (err, 0, "%s.%s: unknown clock (monotonic or boottime)", path, k);
    }
  return 0;
}

#define T struct cell_linux
static const struct field time_offsets_desc_fields[] = {
  OBJ ("monotonic", time_monotonic, time_offset_desc, P_ (time_monotonic.present)),
  OBJ ("boottime", time_boottime, time_offset_desc, P_ (time_boottime.present)),
};
#undef T
DESC (time_offsets_desc, check_time_offsets);

/* ---- linux.resources ---- */

static int
check_device_cgroup (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_device_cgroup *d = obj;
  static const char *const types[] = { "a", "c", "b" };
  if (check_string_in (d->type, types, ARRAY_SIZE (types), path, "type", "device type", err) < 0)
    return -1;
  if (d->access && d->access[strspn (d->access, "rwm")] != '\0')
    return cell_error (err, 0, "%s.access: expected a subset of 'rwm', got '%s'", path, d->access);
  return 0;
}

#define T struct cell_device_cgroup
static const struct field device_cgroup_desc_fields[] = {
  BOOL ("allow", allow, REQ_),
  STR ("type", type),
  I64 ("major", major, P_ (major_present)),
  I64 ("minor", minor, P_ (minor_present)),
  STR ("access", access),
};
#undef T
DESC (device_cgroup_desc, check_device_cgroup);

#define T struct cell_resources
static const struct field memory_desc_fields[] = {
  I64 ("limit", memory.limit, P_ (memory.limit_present)),
  I64 ("reservation", memory.reservation, P_ (memory.reservation_present)),
  I64 ("swap", memory.swap, P_ (memory.swap_present)),
  I64 ("kernel", memory.kernel, P_ (memory.kernel_present)),
  I64 ("kernelTCP", memory.kernel_tcp, P_ (memory.kernel_tcp_present)),
  U64 ("swappiness", memory.swappiness, P_ (memory.swappiness_present)),
  BOOL ("disableOOMKiller", memory.disable_oom_killer, P_ (memory.disable_oom_killer_present)),
  BOOL ("useHierarchy", memory.use_hierarchy, P_ (memory.use_hierarchy_present)),
  BOOL ("checkBeforeUpdate", memory.check_before_update, P_ (memory.check_before_update_present)),
};
DESC (memory_desc, NULL);

static const struct field cpu_desc_fields[] = {
  U64 ("shares", cpu.shares, P_ (cpu.shares_present)),
  I64 ("quota", cpu.quota, P_ (cpu.quota_present)),
  U64 ("burst", cpu.burst, P_ (cpu.burst_present)),
  U64 ("period", cpu.period, P_ (cpu.period_present)),
  I64 ("realtimeRuntime", cpu.realtime_runtime, P_ (cpu.realtime_runtime_present)),
  U64 ("realtimePeriod", cpu.realtime_period, P_ (cpu.realtime_period_present)),
  STR ("cpus", cpu.cpus),
  STR ("mems", cpu.mems),
  I64 ("idle", cpu.idle, P_ (cpu.idle_present)),
};
DESC (cpu_desc, NULL);

static const struct field pids_desc_fields[] = {
  I64 ("limit", pids.limit, P_ (pids.limit_present)),
};
DESC (pids_desc, NULL);
#undef T

#define T struct cell_weight_device
static const struct field weight_device_desc_fields[] = {
  I64 ("major", major, REQ_),
  I64 ("minor", minor, REQ_),
  U16 ("weight", weight, P_ (weight_present)),
  U16 ("leafWeight", leaf_weight, P_ (leaf_weight_present)),
};
#undef T
DESC (weight_device_desc, NULL);

#define T struct cell_throttle_device
static const struct field throttle_device_desc_fields[] = {
  I64 ("major", major, REQ_),
  I64 ("minor", minor, REQ_),
  U64 ("rate", rate, REQ_),
};
#undef T
DESC (throttle_device_desc, NULL);

#define T struct cell_resources
#define THROTTLE(k, m) ARR (k, block_io.m, block_io.n_##m, struct cell_throttle_device, throttle_device_desc)
static const struct field block_io_desc_fields[] = {
  U16 ("weight", block_io.weight, P_ (block_io.weight_present)),
  U16 ("leafWeight", block_io.leaf_weight, P_ (block_io.leaf_weight_present)),
  ARR ("weightDevice", block_io.weight_device, block_io.n_weight_device, struct cell_weight_device,
       weight_device_desc),
  THROTTLE ("throttleReadBpsDevice", throttle_read_bps),
  THROTTLE ("throttleWriteBpsDevice", throttle_write_bps),
  THROTTLE ("throttleReadIOPSDevice", throttle_read_iops),
  THROTTLE ("throttleWriteIOPSDevice", throttle_write_iops),
};
#undef THROTTLE
DESC (block_io_desc, NULL);
#undef T

#define T struct cell_hugepage_limit
static const struct field hugepage_desc_fields[] = {
  STR ("pageSize", page_size, REQ_),
  U64 ("limit", limit, REQ_),
};
#undef T
DESC (hugepage_desc, NULL);

#define T struct cell_net_priority
static const struct field net_priority_desc_fields[] = {
  STR ("name", name, REQ_),
  U32 ("priority", priority, REQ_),
};
#undef T
DESC (net_priority_desc, NULL);

#define T struct cell_resources
static const struct field network_desc_fields[] = {
  U32 ("classID", network.class_id, P_ (network.class_id_present)),
  ARR ("priorities", network.priorities, network.n_priorities, struct cell_net_priority, net_priority_desc),
};
#undef T
DESC (network_desc, NULL);

#define T struct cell_rdma_limit
static const struct field rdma_desc_fields[] = {
  U32 ("hcaHandles", hca_handles, P_ (hca_handles_present)),
  U32 ("hcaObjects", hca_objects, P_ (hca_objects_present)),
};
#undef T
DESC (rdma_desc, NULL);

#define T struct cell_resources
static const struct field resources_desc_fields[] = {
  ARR ("devices", devices, n_devices, struct cell_device_cgroup, device_cgroup_desc),
  HERE ("memory", memory_desc, P_ (memory.present)),
  HERE ("cpu", cpu_desc, P_ (cpu.present)),
  HERE ("pids", pids_desc, P_ (pids.present)),
  HERE ("blockIO", block_io_desc, P_ (block_io.present)),
  ARR ("hugepageLimits", hugepage_limits, n_hugepage_limits, struct cell_hugepage_limit, hugepage_desc),
  HERE ("network", network_desc, P_ (network.present)),
  MAP ("rdma", rdma, n_rdma, struct cell_rdma_limit, device, rdma_desc),
  STRMAP ("unified", unified, n_unified),
};
#undef T
DESC (resources_desc, NULL);

/* ---- linux.seccomp ---- */

static int
parse_seccomp_op (const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  const char *s = cell_json_string (v);
  if (s == NULL)
    return type_error (path, "string", v, err);
  const struct name_value *e = lookup (seccomp_ops, ARRAY_SIZE (seccomp_ops), s);
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
  return check_string_in (s->action, seccomp_actions, ARRAY_SIZE (seccomp_actions), path, "action", "action",
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
  return check_string_in (s->default_action, seccomp_actions, ARRAY_SIZE (seccomp_actions), path,
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
DESC (seccomp_desc, check_seccomp);

/* ---- linux: the rest ---- */

static int
check_personality (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_personality *p = obj;
  return check_string_in (p->domain, personality_domains, ARRAY_SIZE (personality_domains), path, "domain",
                          "personality domain", err);
}

#define T struct cell_personality
static const struct field personality_desc_fields[] = {
  STR ("domain", domain, REQ_),
  STRV ("flags", flags),
};
#undef T
DESC (personality_desc, check_personality);

static int
check_memory_policy (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_memory_policy *m = obj;
  if (check_string_in (m->mode, mpol_modes, ARRAY_SIZE (mpol_modes), path, "mode", "memory policy mode", err) < 0)
    return -1;
  return check_names (m->flags, mpol_flags, ARRAY_SIZE (mpol_flags), path, "flags", "memory policy flag", err);
}

#define T struct cell_memory_policy
static const struct field memory_policy_desc_fields[] = {
  STR ("mode", mode, REQ_),
  STR ("nodes", nodes),
  STRV ("flags", flags),
};
#undef T
DESC (memory_policy_desc, check_memory_policy);

#define T struct cell_net_device
static const struct field net_device_desc_fields[] = {
  STR ("name", name),
};
#undef T
DESC (net_device_desc, NULL);

/* intelRdt is only recorded as present (validate refuses it). */
static const struct desc presence_desc = { NULL, 0, NULL };

static int
check_linux (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_linux *l = obj;
  for (size_t i = 0; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        return cell_error (err, 0, "%s.namespaces: duplicate type '%s'", path, ns_names[l->namespaces[i].type]);
  return check_string_in (l->rootfs_propagation, propagations, ARRAY_SIZE (propagations), path,
                          "rootfsPropagation", "propagation", err);
}

#define T struct cell_linux
static const struct field linux_desc_fields[] = {
  ARR ("namespaces", namespaces, n_namespaces, struct cell_namespace, namespace_desc),
  ARR ("uidMappings", uid_mappings, n_uid_mappings, struct cell_id_mapping, idmap_desc),
  ARR ("gidMappings", gid_mappings, n_gid_mappings, struct cell_id_mapping, idmap_desc),
  HERE ("timeOffsets", time_offsets_desc),
  ARR ("devices", devices, n_devices, struct cell_device, device_desc),
  STR ("cgroupsPath", cgroups_path),
  OBJ ("resources", resources, resources_desc, P_ (resources.present)),
  STR ("rootfsPropagation", rootfs_propagation),
  OBJ ("seccomp", seccomp, seccomp_desc, P_ (seccomp.present)),
  STRMAP ("sysctl", sysctl, n_sysctl),
  STRV ("maskedPaths", masked_paths),
  STRV ("readonlyPaths", readonly_paths),
  STR ("mountLabel", mount_label),
  OBJ ("personality", personality, personality_desc, P_ (personality.present)),
  HERE ("intelRdt", presence_desc, P_ (intel_rdt_present)),
  OBJ ("memoryPolicy", memory_policy, memory_policy_desc, P_ (memory_policy.present)),
  MAP ("netDevices", net_devices, n_net_devices, struct cell_net_device, host_name, net_device_desc),
};
#undef T
DESC (linux_desc, check_linux);

/* ---- the document ---- */

#define T struct cell_config
static const struct field config_desc_fields[] = {
  STR ("ociVersion", oci_version, REQ_),
  OBJ ("process", process, process_desc, P_ (process_present)),
  OBJ ("root", root, root_desc, P_ (root_present)),
  STR ("hostname", hostname),
  STR ("domainname", domainname),
  ARR ("mounts", mounts, n_mounts, struct cell_mount, mount_desc),
  HERE ("hooks", hooks_desc),
  STRMAP ("annotations", annotations, n_annotations),
  OBJ ("linux", linux, linux_desc, P_ (linux_present)),
};
#undef T
DESC (config_desc, NULL);

/* ---- API ---- */

/* Parse text as a JSON object described by d into base (zeroed, sizeof the struct); on failure base holds a
 * partial result the caller frees with free_object(). */
static int
parse_document (const struct desc *d, const char *text, size_t len, const char *what, const char *path,
                void *base, cell_error_t *err)
{
  struct cell_json *root = cell_json_parse (text, len, what, err);
  if (root == NULL)
    return -1;
  int r;
  if (!is_type (root, CELL_JSON_OBJECT))
    r = type_error (what, "object", root, err);
  else
    r = parse_object (d, root, path, base, err);
  cell_json_free (root);
  return r;
}

struct cell_config *
cell_config_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_config *c = xcalloc (1, sizeof *c);
  if (parse_document (&config_desc, text, len, "config.json", "", c, err) < 0)
    {
      cell_config_free (c);
      return NULL;
    }
  return c;
}

void
cell_config_free (struct cell_config *c)
{
  if (c == NULL)
    return;
  free_object (&config_desc, (char *) c);
  free (c);
}

static int check_process_supported (const struct cell_process *p, cell_error_t *err);

struct cell_process *
cell_process_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_process *p = xcalloc (1, sizeof *p);
  if (parse_document (&process_desc, text, len, "process.json", "process", p, err) < 0
      || check_process_supported (p, err) < 0)
    {
      cell_process_free (p);
      return NULL;
    }
  return p;
}

struct cell_resources *
cell_resources_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_resources *r = xcalloc (1, sizeof *r);
  if (parse_document (&resources_desc, text, len, "resources", "linux.resources", r, err) < 0
      || cell_resources_validate (r, err) < 0)
    {
      cell_resources_free (r);
      return NULL;
    }
  return r;
}

void
cell_resources_free (struct cell_resources *r)
{
  if (r == NULL)
    return;
  free_object (&resources_desc, (char *) r);
  free (r);
}

bool
cell_path_has_dotdot (const char *p)
{
  for (const char *s = p; (s = strstr (s, "..")); s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      return true;
  return false;
}

void
cell_process_free (struct cell_process *p)
{
  if (p == NULL)
    return;
  free_object (&process_desc, (char *) p);
  free (p);
}

static int
read_config (const char *path, char **out, size_t *len, cell_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return cell_error_errno (err, "stat '%s'", path);
  if (!S_ISREG (st.st_mode))
    return cell_error (err, 0, "'%s': not a regular file", path);
  _cleanup_free_ char *buf = xmalloc (CONFIG_MAX_SIZE + 1);
  size_t n = 0;
  /* Read one byte past the limit so that a file that grew after fstat() is still caught. */
  while (n <= CONFIG_MAX_SIZE)
    {
      ssize_t r = read (fd, buf + n, CONFIG_MAX_SIZE + 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return cell_error_errno (err, "read '%s'", path);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (n > CONFIG_MAX_SIZE)
    return cell_error (err, EFBIG, "'%s': larger than %d MiB", path, CONFIG_MAX_SIZE >> 20);
  *out = xrealloc (TAKE_PTR (buf), n + 1);
  (*out)[n] = '\0';
  *len = n;
  return 0;
}

struct cell_config *
cell_config_load (const char *bundle, cell_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_config (path, &text, &len, err) < 0)
    return NULL;
  struct cell_config *c = cell_config_parse (text, len, err);
  if (c == NULL)
    return NULL;
  if (cell_config_validate (c, err) < 0)
    {
      cell_config_free (c);
      return NULL;
    }
  return c;
}

const struct cell_namespace *
cell_config_namespace (const struct cell_config *c, enum cell_ns_type t)
{
  for (size_t i = 0; i < c->linux.n_namespaces; i++)
    if (c->linux.namespaces[i].type == t)
      return &c->linux.namespaces[i];
  return NULL;
}

const char *
cell_config_annotation (const struct cell_config *c, const char *key)
{
  for (size_t i = 0; i < c->n_annotations; i++)
    if (strcmp (c->annotations[i].key, key) == 0)
      return c->annotations[i].value;
  return NULL;
}

const char *
cell_ns_type_name (enum cell_ns_type t)
{
  return (unsigned) t < CELL_NS__MAX ? ns_names[t] : "unknown";
}

const char *
cell_hook_kind_name (enum cell_hook_kind k)
{
  return (unsigned) k < CELL_HOOK__MAX ? hook_names[k] : "unknown";
}

/* ---- validate: "not supported yet" refusals, then cross-field rules ---- */

static int
unsupported (cell_error_t *err, const char *path)
{
  return cell_error (err, 0, "%s: not supported", path);
}

static int
check_process_supported (const struct cell_process *p, cell_error_t *err)
{
  if (p->apparmor_profile && *p->apparmor_profile)
    return unsupported (err, "process.apparmorProfile");
  if (p->selinux_label && *p->selinux_label)
    return unsupported (err, "process.selinuxLabel");
  if (p->exec_cpu_affinity.initial || p->exec_cpu_affinity.final)
    return unsupported (err, "process.execCPUAffinity");
  return 0;
}

static int
check_supported (const struct cell_config *c, cell_error_t *err)
{
  const struct cell_linux *l = &c->linux;
  if (c->process_present && check_process_supported (&c->process, err) < 0)
    return -1;
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].n_uid_mappings || c->mounts[i].n_gid_mappings)
      return cell_error (err, 0, "mounts[%zu].%s: not supported (id-mapped mounts)", i,
                         c->mounts[i].n_uid_mappings ? "uidMappings" : "gidMappings");
  if (cell_resources_validate (&l->resources, err) < 0)
    return -1;
  if (l->cgroups_path && cell_path_has_dotdot (l->cgroups_path))
    return cell_error (err, 0, "linux.cgroupsPath: '%s' must not contain '..'", l->cgroups_path);
  if (cell_seccomp_validate (&l->seccomp, "linux.seccomp", err) < 0)
    return -1;
  if (l->intel_rdt_present)
    return unsupported (err, "linux.intelRdt");
  if (l->memory_policy.present)
    return unsupported (err, "linux.memoryPolicy");
  if (l->n_net_devices)
    return unsupported (err, "linux.netDevices");
  if (l->mount_label && *l->mount_label)
    return unsupported (err, "linux.mountLabel");
  return 0;
}

static bool
new_namespace (const struct cell_config *c, enum cell_ns_type t)
{
  const struct cell_namespace *ns = cell_config_namespace (c, t);
  return ns && ns->path == NULL;
}

static int
check_user_namespace (const struct cell_config *c, cell_error_t *err)
{
  const struct cell_linux *l = &c->linux;
  bool new_user = new_namespace (c, CELL_NS_USER);
  if (!new_user && l->n_uid_mappings)
    return cell_error (err, 0, "linux.uidMappings: requires a new user namespace");
  if (!new_user && l->n_gid_mappings)
    return cell_error (err, 0, "linux.gidMappings: requires a new user namespace");
  if (new_user && !l->n_uid_mappings)
    return cell_error (err, 0, "linux.uidMappings: required with a new user namespace");
  if (new_user && !l->n_gid_mappings)
    return cell_error (err, 0, "linux.gidMappings: required with a new user namespace");
  return 0;
}

static const char *const ipc_sysctls[] = {
  "kernel.msgmax", "kernel.msgmnb",  "kernel.msgmni",          "kernel.sem",
  "kernel.shmall", "kernel.shmmax",  "kernel.shmmni",          "kernel.shm_rmid_forced",
};

/* The namespace a sysctl belongs to (runc's rule); -1 when it is global and writing it would change the
 * host. key uses '.' separators. */
static int
sysctl_namespace (const char *key)
{
  if (in_list (ipc_sysctls, ARRAY_SIZE (ipc_sysctls), key) || strncmp (key, "fs.mqueue.", 10) == 0)
    return CELL_NS_IPC;
  if (strncmp (key, "net.", 4) == 0)
    return CELL_NS_NETWORK;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return CELL_NS_UTS;
  return -1;
}

static int
check_sysctl (const struct cell_config *c, cell_error_t *err)
{
  for (size_t i = 0; i < c->linux.n_sysctl; i++)
    {
      const char *key = c->linux.sysctl[i].key;
      /* The key becomes a path under /proc/sys: nothing that could climb out of it. */
      if (key[0] == '\0' || key[0] == '/' || strstr (key, ".."))
        return cell_error (err, 0, "linux.sysctl: invalid key '%s'", key);
      _cleanup_free_ char *dotted = xstrdup (key);
      for (char *s = dotted; *s; s++)
        if (*s == '/')
          *s = '.';
      int ns = sysctl_namespace (dotted);
      if (ns < 0)
        return cell_error (err, 0, "linux.sysctl.%s: not namespaced (it would change the host)", key);
      /* Joining a namespace by path counts: the sysctl then applies to that namespace. */
      if (cell_config_namespace (c, ns) == NULL)
        return cell_error (err, 0, "linux.sysctl.%s: requires a %s namespace", key, ns_names[ns]);
    }
  return 0;
}

static int
check_cross_fields (const struct cell_config *c, cell_error_t *err)
{
  const struct cell_linux *l = &c->linux;
  if (check_user_namespace (c, err) < 0)
    return -1;
  if ((l->time_monotonic.present || l->time_boottime.present) && !new_namespace (c, CELL_NS_TIME))
    return cell_error (err, 0, "linux.timeOffsets: requires a new time namespace");
  if (c->hostname && *c->hostname && !new_namespace (c, CELL_NS_UTS))
    return cell_error (err, 0, "hostname: requires a new uts namespace");
  if (c->domainname && *c->domainname && !new_namespace (c, CELL_NS_UTS))
    return cell_error (err, 0, "domainname: requires a new uts namespace");
  /* The kernel's limit (__NEW_UTS_LEN); refused here rather than by sethostname in the child. */
  if (c->hostname && strlen (c->hostname) > 64)
    return cell_error (err, 0, "hostname: longer than 64 bytes");
  if (c->domainname && strlen (c->domainname) > 64)
    return cell_error (err, 0, "domainname: longer than 64 bytes");
  return check_sysctl (c, err);
}

int
cell_config_validate (const struct cell_config *c, cell_error_t *err)
{
  if (!c->root_present)
    return cell_error (err, 0, "root: required");
  if (check_supported (c, err) < 0)
    return -1;
  return check_cross_fields (c, err);
}
