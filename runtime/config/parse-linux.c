/* cell: the "linux" object of config.json: namespaces, devices, time offsets, personality, memoryPolicy,
 * netDevices, and the table that ties in linux.resources (parse-resources.c) and linux.seccomp
 * (parse-seccomp.c). */
#include "internal.h"

#include <string.h>

/* ---- linux: namespaces, devices, time ---- */

static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

static const char *const mpol_modes[] = {
  "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
  "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
};

static const char *const mpol_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES" };

static const char *const personality_domains[] = { "LINUX", "LINUX32" };

static int
parse_ns_type (const struct cell_json *v, const char *path, void *dst, cell_error_t *err)
{
  if (!cfg_is_type (v, CELL_JSON_STRING))
    return cfg_type_error (path, "string", v, err);
  for (int t = 0; t < CELL_NS__MAX; t++)
    if (strcmp (cell_ns_type_name (t), cell_json_string (v)) == 0)
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
    return cfg_type_error (path, "string", v, err);
  if (strlen (s) != 1 || strchr ("cbup", s[0]) == NULL)
    return cell_error (err, 0, "%s: unknown device type '%s' (c, b, u or p)", path, s);
  *(char *) dst = s[0];
  return 0;
}

static int
check_device (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_device *d = obj;
  if (cfg_check_absolute (d->path, path, "path", err) < 0)
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

/* ---- linux: the rest ---- */

static int
check_personality (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_personality *p = obj;
  return cfg_check_string_in (p->domain, personality_domains, ARRAY_SIZE (personality_domains), path, "domain",
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
  if (cfg_check_string_in (m->mode, mpol_modes, ARRAY_SIZE (mpol_modes), path, "mode", "memory policy mode", err) < 0)
    return -1;
  return cfg_check_names (m->flags, mpol_flags, ARRAY_SIZE (mpol_flags), path, "flags", "memory policy flag", err);
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
        return cell_error (err, 0, "%s.namespaces: duplicate type '%s'", path,
                           cell_ns_type_name (l->namespaces[i].type));
  return cfg_check_string_in (l->rootfs_propagation, propagations, ARRAY_SIZE (propagations), path,
                              "rootfsPropagation", "propagation", err);
}

#define T struct cell_linux
static const struct field linux_desc_fields[] = {
  ARR ("namespaces", namespaces, n_namespaces, struct cell_namespace, namespace_desc),
  ARR ("uidMappings", uid_mappings, n_uid_mappings, struct cell_id_mapping, cfg_idmap_desc),
  ARR ("gidMappings", gid_mappings, n_gid_mappings, struct cell_id_mapping, cfg_idmap_desc),
  HERE ("timeOffsets", time_offsets_desc),
  ARR ("devices", devices, n_devices, struct cell_device, device_desc),
  STR ("cgroupsPath", cgroups_path),
  OBJ ("resources", resources, cfg_resources_desc, P_ (resources.present)),
  STR ("rootfsPropagation", rootfs_propagation),
  OBJ ("seccomp", seccomp, cfg_seccomp_desc, P_ (seccomp.present)),
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
DESC_EXPORT (linux_desc, check_linux);
