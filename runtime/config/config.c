/* cell: config.json -> struct cell_config.
 *
 * Table-driven: every spec object has a `struct desc`, a table of its known members (key, kind, where the value
 * lands in the C struct, required or not, integer range) plus an optional check hook for the rules a table
 * cannot say (enum names, absolute paths, duplicates). One engine parses any desc and the same tables drive
 * cell_config_free(), so a field cannot be parsed and then leaked. Unknown members are never looked at.
 * JSON null counts as absent, as in Go's encoding/json (runc), so `"sysctl": null` is accepted.
 * Cross-field rules and "not supported" refusals come last, in cell_config_validate().
 *
 * This file: the engine, the names it shares, cell_config_validate() and the accessors. The tables are in
 * parse-<section>.c, the document and the entry points (parse, load, free) in document.c; internal.h is what
 * they share. */
#include "internal.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "base/strv.h"
#include "base/xalloc.h"
#include "process/seccomp-filter.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- the engine ---- */

static int parse_object (const struct desc *d, const struct cell_json *v, const char *path, char *base,
                         cell_error_t *err);

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

int
cfg_type_error (const char *path, const char *want, const struct cell_json *v, cell_error_t *err)
{
  return cell_error (err, 0, "%s: expected %s, got %s", path, want, cell_json_type_name (v));
}

bool
cfg_is_type (const struct cell_json *v, enum cell_json_type t)
{
  return cell_json_type (v) == t;
}

static int
parse_string (const struct cell_json *v, const char *path, char **dst, cell_error_t *err)
{
  if (!cfg_is_type (v, CELL_JSON_STRING))
    return cfg_type_error (path, "string", v, err);
  *dst = xstrdup (cell_json_string (v));
  return 0;
}

static int
parse_strv (const struct cell_json *v, const char *path, char ***dst, cell_error_t *err)
{
  if (!cfg_is_type (v, CELL_JSON_ARRAY))
    return cfg_type_error (path, "array", v, err);
  size_t n = cell_json_len (v);
  char **strv = *dst = xcalloc (n + 1, sizeof *strv);
  for (size_t i = 0; i < n; i++)
    {
      const struct cell_json *e = cell_json_at (v, i);
      if (!cfg_is_type (e, CELL_JSON_STRING))
        {
          _cleanup_free_ char *p = path_index (path, i);
          return cfg_type_error (p, "string", e, err);
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
    return cfg_type_error (path, "integer", v, err);
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
    return cfg_type_error (path, "integer", v, err);
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
  if (!cfg_is_type (v, CELL_JSON_ARRAY))
    return cfg_type_error (path, "array", v, err);
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
  if (!cfg_is_type (v, map ? CELL_JSON_OBJECT : CELL_JSON_ARRAY))
    return cfg_type_error (path, map ? "object" : "array", v, err);
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
  if (!cfg_is_type (v, CELL_JSON_OBJECT))
    return cfg_type_error (path, "object", v, err);
  size_t n = cell_json_len (v);
  struct cell_kv *kv = xcalloc (n, sizeof *kv);
  *(struct cell_kv **) (base + f->off) = kv;
  *(size_t *) (base + f->count_off) = n;
  for (size_t i = 0; i < n; i++)
    {
      const struct cell_json *e = cell_json_at (v, i);
      kv[i].key = xstrdup (cell_json_key_at (v, i));
      if (!cfg_is_type (e, CELL_JSON_STRING))
        {
          _cleanup_free_ char *p = path_key (path, kv[i].key);
          return cfg_type_error (p, "string", e, err);
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
      if (!cfg_is_type (v, CELL_JSON_BOOL))
        return cfg_type_error (path, "boolean", v, err);
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
  if (v == NULL || cfg_is_type (v, CELL_JSON_NULL))
    return f->required ? cell_error (err, 0, "%s: required", p) : 0;
  if (f->present)
    *(bool *) (base + f->present - 1) = true;
  return parse_value (f, v, p, base, err);
}

static int
parse_object (const struct desc *d, const struct cell_json *v, const char *path, char *base, cell_error_t *err)
{
  if (!cfg_is_type (v, CELL_JSON_OBJECT))
    return cfg_type_error (path, "object", v, err);
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
      cfg_free_object (f->sub, el);
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
      cfg_free_object (f->sub, dst);
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

void
cfg_free_object (const struct desc *d, char *base)
{
  for (size_t i = 0; i < d->n; i++)
    free_member (&d->fields[i], base);
}

/* ---- names ---- */

const struct name_value *
cfg_lookup (const struct name_value *t, size_t n, const char *name)
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
int
cfg_check_names (char *const *v, const char *const *list, size_t n, const char *path, const char *key,
                 const char *what, cell_error_t *err)
{
  for (size_t i = 0; v && v[i]; i++)
    if (!in_list (list, n, v[i]))
      return cell_error (err, 0, "%s.%s[%zu]: unknown %s '%s'", path, key, i, what, v[i]);
  return 0;
}

int
cfg_check_absolute (const char *s, const char *path, const char *key, cell_error_t *err)
{
  if (s && s[0] != '/')
    return cell_error (err, 0, "%s.%s: must be an absolute path, got '%s'", path, key, s);
  return 0;
}

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

/* A string member that must name an entry of a name_value table; returns the entry. */
const struct name_value *
cfg_check_enum (const char *s, const struct name_value *t, size_t n, const char *path, const char *key,
                const char *what, cell_error_t *err)
{
  const struct name_value *e = cfg_lookup (t, n, s);
  if (e == NULL)
    cell_error (err, 0, "%s.%s: unknown %s '%s'", path, key, what, s);
  return e;
}

int
cfg_check_string_in (const char *s, const char *const *list, size_t n, const char *path, const char *key,
                     const char *what, cell_error_t *err)
{
  if (s && !in_list (list, n, s))
    return cell_error (err, 0, "%s.%s: unknown %s '%s'", path, key, what, s);
  return 0;
}

/* Parse text as a JSON object described by d into base (zeroed, sizeof the struct); on failure base holds a
 * partial result the caller frees with cfg_free_object(). */
int
cfg_parse_document (const struct desc *d, const char *text, size_t len, const char *what, const char *path,
                    void *base, cell_error_t *err)
{
  struct cell_json *root = cell_json_parse (text, len, what, err);
  if (root == NULL)
    return -1;
  int r;
  if (!cfg_is_type (root, CELL_JSON_OBJECT))
    r = cfg_type_error (what, "object", root, err);
  else
    r = parse_object (d, root, path, base, err);
  cell_json_free (root);
  return r;
}

bool
cell_path_has_dotdot (const char *p)
{
  for (const char *s = p; (s = strstr (s, "..")); s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      return true;
  return false;
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

int
cfg_check_process_supported (const struct cell_process *p, cell_error_t *err)
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
  if (c->process_present && cfg_check_process_supported (&c->process, err) < 0)
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
      /* The hostname and domainname fields own these two (as in runc, which refuses kernel.hostname): a
       * sysctl would silently override or be overridden by the field, depending on the order of writes. */
      if (strcmp (dotted, "kernel.hostname") == 0 || strcmp (dotted, "kernel.domainname") == 0)
        return cell_error (err, 0, "linux.sysctl.%s: not allowed, the %s field sets it", key, dotted + 7);
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
  /* A uts namespace joined by path counts, as in runc and crun: the name is set in that namespace. Without one
   * it would be the host's. */
  if (c->hostname && *c->hostname && cell_config_namespace (c, CELL_NS_UTS) == NULL)
    return cell_error (err, 0, "hostname: requires a uts namespace");
  if (c->domainname && *c->domainname && cell_config_namespace (c, CELL_NS_UTS) == NULL)
    return cell_error (err, 0, "domainname: requires a uts namespace");
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
