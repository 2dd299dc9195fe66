/* cell: linux.resources value rules (run by cell_config_validate() and by `update`). Types are checked by the
 * parser; here: ranges the kernel would refuse or that make no sense, and names that become file names.
 * Mapping to cgroup files and fields without a cgroup v2 meaning are cgroups/resources.c's business. */
#include "config.h"
#include "base/cleanup.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <string.h>

#define R "linux.resources."

static int
check_bytes (bool present, int64_t v, const char *field, cell_error_t *err)
{
  if (present && v < -1)
    return cell_error (err, 0, R "%s: must be -1 (unlimited), 0 (unset) or a number of bytes, got %" PRId64, field,
                       v);
  return 0;
}

static int
check_memory (const struct cell_resources *r, cell_error_t *err)
{
  if (check_bytes (r->memory.limit_present, r->memory.limit, "memory.limit", err) < 0
      || check_bytes (r->memory.reservation_present, r->memory.reservation, "memory.reservation", err) < 0
      || check_bytes (r->memory.swap_present, r->memory.swap, "memory.swap", err) < 0)
    return -1;
  if (r->memory.swappiness_present && r->memory.swappiness > 100)
    return cell_error (err, 0, R "memory.swappiness: must be 0..100, got %" PRIu64, r->memory.swappiness);
  if (r->memory.limit_present && r->memory.limit > 0 && r->memory.swap_present && r->memory.swap > 0
      && r->memory.swap < r->memory.limit)
    return cell_error (err, 0, R "memory.swap: %" PRId64 " is below memory.limit %" PRId64
                       " (swap counts memory + swap)", r->memory.swap, r->memory.limit);
  return 0;
}

/* "0-3,5,7-8": what cpuset.cpus and cpuset.mems accept. */
static bool
valid_cpu_list (const char *s)
{
  while (*s)
    {
      size_t n = strspn (s, "0123456789");
      if (n == 0)
        return false;
      s += n;
      if (*s == '-')
        {
          n = strspn (++s, "0123456789");
          if (n == 0)
            return false;
          s += n;
        }
      if (*s == ',' && s[1] != '\0')
        s++;
      else if (*s)
        return false;
    }
  return true;
}

static int
check_cpu (const struct cell_resources *r, cell_error_t *err)
{
  const __typeof__ (r->cpu) *c = &r->cpu;
  if (c->shares_present && c->shares != 0 && (c->shares < 2 || c->shares > 262144))
    return cell_error (err, 0, R "cpu.shares: must be 2..262144, got %" PRIu64, c->shares);
  if (c->quota_present && (c->quota < -1 || (c->quota > 0 && c->quota < 1000)))
    return cell_error (err, 0, R "cpu.quota: must be -1 (unlimited) or at least 1000 (microseconds), got %" PRId64,
                       c->quota);
  if (c->period_present && c->period != 0 && (c->period < 1000 || c->period > 1000000))
    return cell_error (err, 0, R "cpu.period: must be 1000..1000000 (microseconds), got %" PRIu64, c->period);
  if (c->burst_present && c->quota_present && c->quota > 0 && c->burst > (uint64_t) c->quota)
    return cell_error (err, 0, R "cpu.burst: %" PRIu64 " exceeds cpu.quota %" PRId64, c->burst, c->quota);
  if (c->idle_present && c->idle != 0 && c->idle != 1)
    return cell_error (err, 0, R "cpu.idle: must be 0 or 1, got %" PRId64, c->idle);
  if (c->cpus && !valid_cpu_list (c->cpus))
    return cell_error (err, 0, R "cpu.cpus: expected a list such as '0-3,5', got '%s'", c->cpus);
  if (c->mems && !valid_cpu_list (c->mems))
    return cell_error (err, 0, R "cpu.mems: expected a list such as '0-1', got '%s'", c->mems);
  return 0;
}

static int
check_weight (uint16_t w, const char *field, cell_error_t *err)
{
  if (w != 0 && (w < 10 || w > 1000))
    return cell_error (err, 0, R "%s: must be 10..1000, got %u", field, (unsigned) w);
  return 0;
}

static int
check_devnum (int64_t major, int64_t minor, const char *field, size_t i, cell_error_t *err)
{
  if (major < 0 || minor < 0 || major > 0xfff || minor > 0xfffff)
    return cell_error (err, 0, R "blockIO.%s[%zu]: invalid device %" PRId64 ":%" PRId64, field, i, major, minor);
  return 0;
}

static int
check_throttles (const struct cell_throttle_device *v, size_t n, const char *field, cell_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (check_devnum (v[i].major, v[i].minor, field, i, err) < 0)
      return -1;
  return 0;
}

static int
check_block_io (const struct cell_resources *r, cell_error_t *err)
{
  const __typeof__ (r->block_io) *b = &r->block_io;
  if ((b->weight_present && check_weight (b->weight, "blockIO.weight", err) < 0)
      || (b->leaf_weight_present && check_weight (b->leaf_weight, "blockIO.leafWeight", err) < 0))
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      _cleanup_free_ char *f = xasprintf ("blockIO.weightDevice[%zu].weight", i);
      if (check_devnum (b->weight_device[i].major, b->weight_device[i].minor, "weightDevice", i, err) < 0
          || (b->weight_device[i].weight_present && check_weight (b->weight_device[i].weight, f, err) < 0))
        return -1;
    }
  return check_throttles (b->throttle_read_bps, b->n_throttle_read_bps, "throttleReadBpsDevice", err) < 0
                 || check_throttles (b->throttle_write_bps, b->n_throttle_write_bps, "throttleWriteBpsDevice", err) < 0
                 || check_throttles (b->throttle_read_iops, b->n_throttle_read_iops, "throttleReadIOPSDevice", err) < 0
                 || check_throttles (b->throttle_write_iops, b->n_throttle_write_iops, "throttleWriteIOPSDevice", err)
                        < 0
             ? -1
             : 0;
}

/* "2MB", "1GB", "64KB": the size part of hugetlb.<size>.max. */
static bool
valid_page_size (const char *s)
{
  size_t n = strspn (s, "0123456789");
  return n > 0 && s[n] && strchr ("KMG", s[n]) && s[n + 1] == 'B' && s[n + 2] == '\0';
}

static int
check_hugetlb_rdma (const struct cell_resources *r, cell_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    if (!valid_page_size (r->hugepage_limits[i].page_size))
      return cell_error (err, 0, R "hugepageLimits[%zu].pageSize: expected a size such as '2MB', got '%s'", i,
                         r->hugepage_limits[i].page_size);
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const char *d = r->rdma[i].device;
      if (*d == '\0' || d[strcspn (d, " \t\n/")] != '\0')
        return cell_error (err, 0, R "rdma: invalid device name '%s'", d);
    }
  return 0;
}

/* Controllers a unified key may name; "cgroup" is the core (cgroup.max.depth, ...). */
static const char *const unified_controllers[]
    = { "cgroup", "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc" };
/* Core files that are not limits: writing them would move, kill or freeze processes behind cell's back. */
static const char *const unified_denied[]
    = { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.freeze", "cgroup.type" };

static int
check_unified_key (const char *key, cell_error_t *err)
{
  const char *dot = strchr (key, '.');
  bool known = false;
  for (size_t i = 0; dot && i < ARRAY_SIZE (unified_controllers); i++)
    known = known
            || (strlen (unified_controllers[i]) == (size_t) (dot - key)
                && strncmp (unified_controllers[i], key, dot - key) == 0);
  if (strchr (key, '/') || strstr (key, ".."))
    return cell_error (err, 0, R "unified.%s: a key names a file of the container's cgroup: no '/' or '..'", key);
  if (!known || dot[1] == '\0')
    return cell_error (err, 0, R "unified.%s: unknown key (expected <controller>.<file> of a cgroup v2 controller: "
                       "cpu, cpuset, io, memory, pids, hugetlb, rdma, misc or cgroup)", key);
  for (size_t i = 0; i < ARRAY_SIZE (unified_denied); i++)
    if (strcmp (key, unified_denied[i]) == 0)
      return cell_error (err, 0, R "unified.%s: not a resource limit (cell manages this file)", key);
  return 0;
}

int
cell_resources_validate (const struct cell_resources *r, cell_error_t *err)
{
  if (check_memory (r, err) < 0 || check_cpu (r, err) < 0 || check_block_io (r, err) < 0
      || check_hugetlb_rdma (r, err) < 0)
    return -1;
  if (r->pids.limit_present && r->pids.limit < -1)
    return cell_error (err, 0, R "pids.limit: must be -1 (unlimited) or a number of tasks, got %" PRId64,
                       r->pids.limit);
  for (size_t i = 0; i < r->n_unified; i++)
    if (check_unified_key (r->unified[i].key, err) < 0)
      return -1;
  return 0;
}

/* A device rule that denies everything is what cell does anyway (runc's default spec carries one). */
static bool
device_rule_is_default (const struct cell_device_cgroup *d)
{
  return !d->allow && (d->type == NULL || strcmp (d->type, "a") == 0) && !d->major_present && !d->minor_present
         && (d->access == NULL || strcmp (d->access, "rwm") == 0);
}

bool
cell_resources_requested (const struct cell_resources *r)
{
  for (size_t i = 0; i < r->n_devices; i++)
    if (!device_rule_is_default (&r->devices[i]))
      return true;
  const __typeof__ (r->memory) *m = &r->memory;
  const __typeof__ (r->cpu) *c = &r->cpu;
  const __typeof__ (r->block_io) *b = &r->block_io;
  return m->limit_present || m->reservation_present || m->swap_present || m->swappiness_present
         || m->disable_oom_killer_present || c->shares_present || c->quota_present || c->burst_present
         || c->period_present || c->realtime_runtime_present || c->realtime_period_present || c->idle_present
         || c->cpus || c->mems || r->pids.limit_present || b->weight_present || b->n_weight_device
         || b->n_throttle_read_bps || b->n_throttle_write_bps || b->n_throttle_read_iops || b->n_throttle_write_iops
         || r->n_hugepage_limits || r->network.class_id_present || r->network.n_priorities || r->n_rdma
         || r->n_unified;
}
