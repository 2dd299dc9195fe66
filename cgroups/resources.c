/* cell: linux.resources -> cgroup v2 file writes (pure: no filesystem access).
 *
 * The conversions are runc's and crun's, so that a config means the same thing under each runtime:
 *   cpu.shares        -> cpu.weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares)
 *                        (runc >= 1.3.2, crun >= 1.23: 2 -> 1, 1024 -> 100, 262144 -> 10000)
 *   cpu.quota/period  -> cpu.max "QUOTA PERIOD" ("max" when quota <= 0; period defaults to 100000)
 *   memory.swap       -> memory.swap.max = swap - limit   (v1's swap counts memory + swap, v2's swap only)
 *   blockIO.weight    -> io.bfq.weight as is, or io.weight = 1 + ((weight - 10) * 9999) / 990
 * Fields with no cgroup v2 meaning are refused here with the field's name (see README "cgroups"). */
#include "cgroups.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FIELD "linux.resources."

/* Controllers a unified key may name (the part before the first '.'); "cgroup" is the core. */
static const char *const controllers[] = { "cgroup", "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc" };

static struct cg_write *
add (struct cg_plan *p, const char *controller, const char *file, char *value, const char *field)
{
  p->v = xrealloc (p->v, (p->n + 1) * sizeof *p->v);
  struct cg_write *w = &p->v[p->n++];
  memset (w, 0, sizeof *w);
  w->controller = controller;
  w->file = xstrdup (file);
  w->value = value;
  w->field = xstrdup (field);
  return w;
}

static char *
num_or_max (int64_t v)
{
  return v < 0 ? xstrdup ("max") : xasprintf ("%" PRId64, v);
}

/* runc's ConvertMemorySwapToCgroupV2Value: -1 max, 0 unset, else swap - limit (swap counts memory too). */
static int
swap_value (int64_t swap, int64_t limit, int64_t *out, cell_error_t *err)
{
  if (limit == -1 && swap == 0)
    return *out = -1, 0;
  if (swap == -1 || swap == 0)
    return *out = swap, 0;
  if (limit == 0 || limit == -1)
    return cell_error (err, 0, FIELD "memory.swap: a swap limit needs a memory limit (linux.resources.memory.limit)");
  if (swap < limit)
    return cell_error (err, 0, FIELD "memory.swap: %" PRId64 " is below memory.limit %" PRId64
                       " (swap counts memory + swap, as in cgroup v1)", swap, limit);
  return *out = swap - limit, 0;
}

static int
plan_memory (const struct cell_resources *r, struct cg_plan *p, cell_error_t *err)
{
  if (r->memory.swappiness_present)
    return cell_error (err, 0, FIELD "memory.swappiness: not supported on cgroup v2 (no per-cgroup swappiness)");
  if (r->memory.disable_oom_killer_present && r->memory.disable_oom_killer)
    return cell_error (err, 0, FIELD "memory.disableOOMKiller: not supported on cgroup v2 (no memory.oom_control)");
  /* kernel and kernelTCP are deprecated by the runtime-spec: cgroup v2 counts kernel memory in memory.max.
   * useHierarchy: v2 is always hierarchical. All three are ignored, as runc and crun do. */
  int64_t limit = r->memory.limit_present ? r->memory.limit : 0;
  if (limit != 0)
    add (p, "memory", "memory.max", num_or_max (limit), FIELD "memory.limit");
  if (r->memory.reservation_present && r->memory.reservation != 0)
    add (p, "memory", "memory.low", num_or_max (r->memory.reservation), FIELD "memory.reservation");
  int64_t swap = 0;
  if (swap_value (r->memory.swap_present ? r->memory.swap : 0, limit, &swap, err) < 0)
    return -1;
  /* swap == limit: no swap at all ("0"), as runc writes it. */
  if (swap != 0 || (r->memory.swap_present && r->memory.swap > 0))
    add (p, "memory", "memory.swap.max", num_or_max (swap), FIELD "memory.swap");
  p->check_before_update = r->memory.check_before_update_present && r->memory.check_before_update;
  return 0;
}

/* ln(m) for m in [1, 2): 2 atanh((m - 1) / (m + 1)), whose series in z <= 1/3 converges to a double in ~16
 * terms. Exactly 0 for m = 1. */
static double
ln_1_2 (double m)
{
  double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
  for (int k = 1; k < 64; k += 2, term *= z2)
    sum += term / k;
  return 2 * sum;
}

/* e^x for x in [0, ln 10): Taylor, every term positive (no cancellation). Exactly 1 for x = 0. */
static double
exp_0_ln10 (double x)
{
  double sum = 1, term = 1;
  for (int k = 1; k < 40; k++)
    {
      term *= x / k;
      sum += term;
    }
  return sum;
}

#define LN2 0.693147180559945309417232121458176568
#define LN10 2.30258509299404568401799145468436421

/* The quadratic in log space through (2, 1), (1024, 100) and (262144, 10000): the default shares map to the
 * default weight. The old linear formula (1024 -> 39) made every container with default shares, and every
 * Kubernetes pod whose shares come from its requests, weigh less than an unconfined process.
 * https://github.com/opencontainers/cgroups/pull/20, https://github.com/containers/crun/pull/1767
 * Computed here without libm (one more shared object to load on every start, and its archive cannot go into
 * a PIE); tests/unit/cgroups/test-resources.c checks every shares value against libm's log2/pow/ceil. */
uint64_t
cg_cpu_weight_of_shares (uint64_t shares)
{
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  int k = 63 - __builtin_clzll (shares);
  double l = k + ln_1_2 ((double) shares / (double) (1ULL << k)) / LN2;
  double e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0; /* in (0, 4) */
  static const double pow10[] = { 1, 10, 100, 1000 };
  int n = (int) e;
  double v = pow10[n] * exp_0_ln10 ((e - n) * LN10);
  uint64_t w = (uint64_t) v;
  return (double) w < v ? w + 1 : w;
}

static int
plan_cpu (const struct cell_resources *r, struct cg_plan *p, cell_error_t *err)
{
  const __typeof__ (r->cpu) *c = &r->cpu;
  if (c->realtime_runtime_present && c->realtime_runtime != 0)
    return cell_error (err, 0, FIELD "cpu.realtimeRuntime: not supported on cgroup v2 (no realtime group scheduling)");
  if (c->realtime_period_present && c->realtime_period != 0)
    return cell_error (err, 0, FIELD "cpu.realtimePeriod: not supported on cgroup v2 (no realtime group scheduling)");
  if (c->shares_present && c->shares != 0)
    add (p, "cpu", "cpu.weight", xasprintf ("%" PRIu64, cg_cpu_weight_of_shares (c->shares)), FIELD "cpu.shares");
  int64_t quota = c->quota_present ? c->quota : 0;
  uint64_t period = c->period_present ? c->period : 0;
  if (quota != 0 || period != 0)
    {
      char *v = quota > 0 ? xasprintf ("%" PRId64 " %" PRIu64, quota, period ? period : 100000)
                          : xasprintf ("max %" PRIu64, period ? period : 100000);
      add (p, "cpu", "cpu.max", v, c->quota_present ? FIELD "cpu.quota" : FIELD "cpu.period");
    }
  if (c->burst_present)
    add (p, "cpu", "cpu.max.burst", xasprintf ("%" PRIu64, c->burst), FIELD "cpu.burst");
  if (c->idle_present)
    add (p, "cpu", "cpu.idle", xasprintf ("%" PRId64, c->idle), FIELD "cpu.idle");
  if (c->cpus && *c->cpus)
    add (p, "cpuset", "cpuset.cpus", xstrdup (c->cpus), FIELD "cpu.cpus");
  if (c->mems && *c->mems)
    add (p, "cpuset", "cpuset.mems", xstrdup (c->mems), FIELD "cpu.mems");
  return 0;
}

static unsigned
io_weight (unsigned blkio)
{
  return 1 + ((blkio - 10) * 9999) / 990;
}

static void
add_weight (struct cg_plan *p, const char *prefix, unsigned weight, const char *field)
{
  struct cg_write *w = add (p, "io", "io.bfq.weight", xasprintf ("%s%u", prefix, weight), field);
  w->alt_file = xstrdup ("io.weight");
  w->alt_value = xasprintf ("%s%u", prefix, io_weight (weight));
}

static void
add_throttles (struct cg_plan *p, const struct cell_throttle_device *v, size_t n, const char *key,
               const char *field)
{
  for (size_t i = 0; i < n; i++)
    {
      char *value = v[i].rate ? xasprintf ("%" PRId64 ":%" PRId64 " %s=%" PRIu64, v[i].major, v[i].minor, key, v[i].rate)
                              : xasprintf ("%" PRId64 ":%" PRId64 " %s=max", v[i].major, v[i].minor, key);
      _cleanup_free_ char *f = xasprintf ("%s[%zu]", field, i);
      add (p, "io", "io.max", value, f);
    }
}

static void
plan_block_io (const struct cell_resources *r, struct cg_plan *p)
{
  const __typeof__ (r->block_io) *b = &r->block_io;
  /* leafWeight has no v2 counterpart (v1's CFQ only); ignored as runc does. */
  if (b->weight_present && b->weight != 0)
    add_weight (p, "", b->weight, FIELD "blockIO.weight");
  for (size_t i = 0; i < b->n_weight_device; i++)
    if (b->weight_device[i].weight_present)
      {
        _cleanup_free_ char *prefix = xasprintf ("%" PRId64 ":%" PRId64 " ", b->weight_device[i].major,
                                                 b->weight_device[i].minor);
        _cleanup_free_ char *field = xasprintf (FIELD "blockIO.weightDevice[%zu].weight", i);
        add_weight (p, prefix, b->weight_device[i].weight, field);
      }
  add_throttles (p, b->throttle_read_bps, b->n_throttle_read_bps, "rbps", FIELD "blockIO.throttleReadBpsDevice");
  add_throttles (p, b->throttle_write_bps, b->n_throttle_write_bps, "wbps", FIELD "blockIO.throttleWriteBpsDevice");
  add_throttles (p, b->throttle_read_iops, b->n_throttle_read_iops, "riops", FIELD "blockIO.throttleReadIOPSDevice");
  add_throttles (p, b->throttle_write_iops, b->n_throttle_write_iops, "wiops",
                 FIELD "blockIO.throttleWriteIOPSDevice");
}

static void
plan_hugetlb_rdma (const struct cell_resources *r, struct cg_plan *p)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.max", r->hugepage_limits[i].page_size);
      _cleanup_free_ char *field = xasprintf (FIELD "hugepageLimits[%zu]", i);
      add (p, "hugetlb", file, xasprintf ("%" PRIu64, r->hugepage_limits[i].limit), field);
    }
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const struct cell_rdma_limit *l = &r->rdma[i];
      if (!l->hca_handles_present && !l->hca_objects_present)
        continue;
      _cleanup_free_ char *h = l->hca_handles_present ? xasprintf (" hca_handle=%" PRIu32, l->hca_handles) : xstrdup ("");
      _cleanup_free_ char *o = l->hca_objects_present ? xasprintf (" hca_object=%" PRIu32, l->hca_objects) : xstrdup ("");
      _cleanup_free_ char *field = xasprintf (FIELD "rdma.%s", l->device);
      add (p, "rdma", "rdma.max", xasprintf ("%s%s%s", l->device, h, o), field);
    }
}

/* The controller a unified key belongs to; NULL when the key is not "<controller>.<file>". */
static const char *
unified_controller (const char *key)
{
  const char *dot = strchr (key, '.');
  if (dot == NULL || dot[1] == '\0')
    return NULL;
  for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
    if (strlen (controllers[i]) == (size_t) (dot - key) && strncmp (controllers[i], key, dot - key) == 0)
      return controllers[i];
  return NULL;
}

static int
plan_unified (const struct cell_resources *r, struct cg_plan *p, cell_error_t *err)
{
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *key = r->unified[i].key;
      const char *ctl = unified_controller (key);
      if (ctl == NULL || strchr (key, '/') || strstr (key, ".."))
        return cell_error (err, 0, FIELD "unified.%s: not a cgroup v2 interface file", key);
      _cleanup_free_ char *field = xasprintf (FIELD "unified.%s", key);
      add (p, ctl, key, xstrdup (r->unified[i].value), field)->must_exist = true;
    }
  return 0;
}

int
cg_plan_resources (const struct cell_resources *r, struct cg_plan *plan, cell_error_t *err)
{
  memset (plan, 0, sizeof *plan);
  if (r->network.class_id_present || r->network.n_priorities)
    return cell_error (err, 0, FIELD "network: not supported on cgroup v2 (net_cls and net_prio are v1 controllers)");
  if (plan_memory (r, plan, err) < 0 || plan_cpu (r, plan, err) < 0)
    goto fail;
  if (r->pids.limit_present)
    add (plan, "pids", "pids.max", num_or_max (r->pids.limit > 0 ? r->pids.limit : -1), FIELD "pids.limit");
  plan_block_io (r, plan);
  plan_hugetlb_rdma (r, plan);
  if (plan_unified (r, plan, err) < 0)
    goto fail;
  plan->devices = r->devices;
  plan->n_devices = r->n_devices;
  plan->devices_present = r->n_devices > 0;
  return 0;
fail:
  cg_plan_free (plan);
  return -1;
}

void
cg_plan_free (struct cg_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      free (plan->v[i].file);
      free (plan->v[i].value);
      free (plan->v[i].alt_file);
      free (plan->v[i].alt_value);
      free (plan->v[i].field);
    }
  free (plan->v);
  memset (plan, 0, sizeof *plan);
}
