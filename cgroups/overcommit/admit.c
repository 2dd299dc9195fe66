/* cell: capacity and the admission inequalities (design, "Admission at create"). */
#include "internal.h"
#include "../cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
oc_capacity_compute (const struct oc_policy *p, int64_t cpus, int64_t mem_total, struct oc_capacity *cap)
{
  cap->cpus = cpus;
  cap->mem_total = mem_total;
  cap->cpu = 1000 * cpus - p->reserved_cpu;
  cap->mem = mem_total - oc_size_bytes (&p->reserved_memory, mem_total)
             - oc_size_bytes (&p->memory_headroom, mem_total);
  if (cap->cpu < 0)
    cap->cpu = 0;
  if (cap->mem < 0)
    cap->mem = 0;
}

/* Number of CPUs in a cpulist such as "0-3,8,10-11". */
static int64_t
cpulist_count (const char *s)
{
  int64_t n = 0;
  while (*s)
    {
      char *end;
      long a = strtol (s, &end, 10), b = a;
      if (end == s)
        return 0;
      if (*end == '-')
        {
          s = end + 1;
          b = strtol (s, &end, 10);
          if (end == s)
            return 0;
        }
      n += b >= a ? b - a + 1 : 0;
      s = *end == ',' ? end + 1 : end;
      if (*s == '\n')
        break;
    }
  return n;
}

static int64_t
meminfo_total (void)
{
  char buf[4096];
  if (oc_read_small (AT_FDCWD, "/proc/meminfo", buf, sizeof buf) < 0)
    return -1;
  const char *p = strstr (buf, "MemTotal:");
  return p ? strtoll (p + 9, NULL, 10) * 1024 : -1;
}

/* cpuset.cpus.effective of cgroup_root or its nearest existing ancestor; memory.max of its ancestors. */
static void
tree_limits (const struct oc_policy *p, int64_t *cpus, int64_t *mem)
{
  const char *mount = cg_mountpoint ();
  if (mount == NULL || p->cgroup_root == NULL)
    return;
  _cleanup_free_ char *path = xasprintf ("%s/%s", mount, p->cgroup_root);
  bool self = true;
  for (;;)
    {
      char buf[4096];
      _cleanup_free_ char *f = xasprintf ("%s/cpuset.cpus.effective", path);
      if (*cpus == 0 && oc_read_small (AT_FDCWD, f, buf, sizeof buf) == 0 && cpulist_count (buf) > 0)
        *cpus = cpulist_count (buf);
      free (f);
      /* cgroup_root's own memory.max is ours (the root slice's); the host's ceiling is above it. */
      f = xasprintf ("%s/memory.max", path);
      if (!self && oc_read_small (AT_FDCWD, f, buf, sizeof buf) == 0 && strcmp (buf, "max") != 0)
        {
          int64_t v = strtoll (buf, NULL, 10);
          if (v > 0 && v < *mem)
            *mem = v;
        }
      self = false;
      char *slash = strrchr (path, '/');
      if (slash == NULL || (size_t) (slash - path) < strlen (mount))
        break;
      *slash = '\0';
    }
}

int
oc_capacity_read (const struct oc_policy *p, struct oc_capacity *cap, cell_error_t *err)
{
  int64_t mem = meminfo_total ();
  if (mem <= 0)
    return cell_error (err, EIO, "read MemTotal from /proc/meminfo");
  int64_t cpus = 0;
  tree_limits (p, &cpus, &mem);
  if (cpus == 0)
    {
      cpu_set_t set;
      cpus = sched_getaffinity (0, sizeof set, &set) == 0 ? CPU_COUNT (&set) : 1;
    }
  oc_capacity_compute (p, cpus, mem, cap);
  return 0;
}

static int64_t
lim_or (int64_t v, int64_t unbounded_as)
{
  return v == OC_UNBOUNDED ? unbounded_as : v;
}

static void
sums_add (struct oc_sums *s, const struct oc_intent *in, const struct oc_capacity *cap, int sign)
{
  enum oc_class c = in->qos < OC_CLASS__MAX ? in->qos : OC_BURSTABLE;
  int64_t cl = lim_or (in->cpu_limit, cap->cpu), ml = lim_or (in->mem_limit, cap->mem);
  s->count[c] += (size_t) sign;
  s->cpu_req[c] += sign * in->cpu_request;
  s->cpu_lim[c] += sign * cl;
  s->mem_req[c] += sign * in->mem_request;
  s->mem_lim[c] += sign * ml;
  s->cpu_req_all += sign * in->cpu_request;
  s->cpu_lim_all += sign * cl;
  s->mem_req_all += sign * in->mem_request;
  s->mem_lim_all += sign * ml;
  if (in->cpu_limit == OC_UNBOUNDED || in->mem_limit == OC_UNBOUNDED)
    s->unbounded += (size_t) sign;
}

void
oc_sums_compute (const struct oc_ledger *l, const struct oc_capacity *cap, struct oc_sums *s)
{
  memset (s, 0, sizeof *s);
  for (size_t i = 0; i < l->n; i++)
    sums_add (s, &l->v[i].in, cap, 1);
}

/* Containers other than the candidate that hold some of a dimension. */
static size_t
holders (const struct oc_ledger *l, const char *id, size_t off)
{
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i].id, id) && *(const int64_t *) ((const char *) &l->v[i].in + off) > 0)
      n++;
  return n;
}

struct dim
{
  const char *what; /* "cpu requests" */
  const char *ratio_name;
  size_t off; /* offset in struct oc_intent */
  bool cpu;
  double ratio;
  int64_t capacity;
};

static void
fmt_q (char *buf, size_t size, bool cpu, double v)
{
  if (cpu)
    oc_fmt_cpu (buf, size, v);
  else
    oc_fmt_bytes (buf, size, v);
}

static int
refuse (const char *id, const struct dim *d, int64_t total, int64_t others, size_t n, cell_error_t *err)
{
  char t[32], lim[32], c[32], o[32];
  fmt_q (t, sizeof t, d->cpu, (double) total);
  fmt_q (lim, sizeof lim, d->cpu, d->ratio * (double) d->capacity);
  fmt_q (c, sizeof c, d->cpu, (double) d->capacity);
  fmt_q (o, sizeof o, d->cpu, (double) others);
  cell_error (err, 0, "refusing \"%s\": %s would be %s > %s (%s %.2f x capacity %s; %zu container%s hold%s %s)",
              id, d->what, t, lim, d->ratio_name, d->ratio, c, n, n == 1 ? "" : "s", n == 1 ? "s" : "", o);
  (*err)->status = OC_EXIT_REFUSED;
  return -1;
}

static int
refuse_unbounded (const char *id, const struct oc_intent *in, cell_error_t *err)
{
  const char *what = in->cpu_limit == OC_UNBOUNDED && in->mem_limit == OC_UNBOUNDED ? "cpu and memory"
                     : in->cpu_limit == OC_UNBOUNDED                              ? "cpu"
                                                                                  : "memory";
  cell_error (err, 0,
              "refusing \"%s\": a %s container without a %s limit is unbounded, and the policy does not allow "
              "unbounded containers (host.allow_unbounded = false)",
              id, oc_class_name (in->qos), what);
  (*err)->status = OC_EXIT_REFUSED;
  return -1;
}

int
oc_check (const struct oc_policy *p, const struct oc_capacity *cap, const struct oc_ledger *l, const char *id,
          const struct oc_intent *cand, double mem_pressure_avg60, cell_error_t *err)
{
  if (p->mode != OC_MODE_MANAGED)
    return 0;
  if (!p->allow_unbounded && cand->qos != OC_BESTEFFORT
      && (cand->cpu_limit == OC_UNBOUNDED || cand->mem_limit == OC_UNBOUNDED))
    return refuse_unbounded (id, cand, err);
  struct oc_sums s;
  oc_sums_compute (l, cap, &s);
  const struct oc_intent *old = NULL;
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp (l->v[i].id, id))
      old = &l->v[i].in;
  struct oc_sums others = s;
  if (old)
    sums_add (&others, old, cap, -1);
  struct oc_sums with = others;
  sums_add (&with, cand, cap, 1);
  const struct dim dims[] = {
    { "cpu requests", "request ratio", offsetof (struct oc_intent, cpu_request), true, p->cpu_request_ratio, cap->cpu },
    { "cpu limits", "limit ratio", offsetof (struct oc_intent, cpu_limit), true, p->cpu_limit_ratio, cap->cpu },
    { "memory requests", "request ratio", offsetof (struct oc_intent, mem_request), false, p->mem_request_ratio,
      cap->mem },
    { "memory limits", "limit ratio", offsetof (struct oc_intent, mem_limit), false, p->mem_limit_ratio, cap->mem },
  };
  const int64_t totals[] = { with.cpu_req_all, with.cpu_lim_all, with.mem_req_all, with.mem_lim_all };
  const int64_t rest[] = { others.cpu_req_all, others.cpu_lim_all, others.mem_req_all, others.mem_lim_all };
  for (size_t i = 0; i < ARRAY_SIZE (dims); i++)
    {
      /* Only a growth is refused: a container that adds nothing (or an update that lowers) always fits. */
      if (totals[i] <= rest[i] + (old ? lim_or (*(const int64_t *) ((const char *) old + dims[i].off),
                                                dims[i].cpu ? cap->cpu : cap->mem)
                                      : 0))
        continue;
      if ((long double) totals[i] > (long double) dims[i].ratio * (long double) dims[i].capacity)
        return refuse (id, &dims[i], totals[i], rest[i], holders (l, id, dims[i].off), err);
    }
  /* Guaranteed requests are never overcommitted, whatever the request ratio says. */
  if (cand->qos == OC_GUARANTEED && with.mem_req[OC_GUARANTEED] > cap->mem
      && with.mem_req[OC_GUARANTEED] > others.mem_req[OC_GUARANTEED] + (old ? old->mem_request : 0))
    {
      const struct dim g = { "Guaranteed memory requests", "Guaranteed ratio", 0, false, 1.0, cap->mem };
      return refuse (id, &g, with.mem_req[OC_GUARANTEED], others.mem_req[OC_GUARANTEED],
                     others.count[OC_GUARANTEED], err);
    }
  if (cand->qos == OC_BESTEFFORT && p->psi_besteffort_gate > 0 && mem_pressure_avg60 > p->psi_besteffort_gate)
    {
      cell_error (err, 0,
                  "refusing \"%s\": BestEffort admission is closed while memory pressure some avg60 is %.2f%% > "
                  "%.2f%% (psi.besteffort_gate_some_avg60)",
                  id, mem_pressure_avg60, p->psi_besteffort_gate);
      (*err)->status = OC_EXIT_REFUSED;
      return -1;
    }
  return 0;
}

/* memory pressure "some avg60" of cgroup_root, else of the host; < 0 unknown. */
double
oc_memory_pressure (const struct oc_policy *p)
{
  char buf[512];
  const char *mount = cg_mountpoint ();
  if (mount)
    {
      _cleanup_free_ char *f = xasprintf ("%s/%s/memory.pressure", mount, p->cgroup_root);
      if (oc_read_small (AT_FDCWD, f, buf, sizeof buf) == 0)
        return oc_pressure_avg (buf, "some", "avg60");
    }
  if (oc_read_small (AT_FDCWD, "/proc/pressure/memory", buf, sizeof buf) == 0)
    return oc_pressure_avg (buf, "some", "avg60");
  return -1;
}
