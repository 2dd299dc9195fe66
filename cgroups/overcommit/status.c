/* cell: `cell overcommit status`: what was promised (the ledger against capacity and each ratio) and whether
 * the promises hold (the live cgroup files: memory, events, pressure, throttling). */
#include "internal.h"
#include "../cgroups.h"
#include "../../runtime/base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
oc_host_read (struct oc_host *h)
{
  char buf[4096];
  h->page_size = sysconf (_SC_PAGESIZE);
  /* /proc/swaps has a header line; any further line is a swap device. zswap needs swap too. */
  h->swap = oc_read_small (AT_FDCWD, "/proc/swaps", buf, sizeof buf) == 0 && strchr (buf, '\n') != NULL;
}

static const char *const psi_res[] = { "cpu", "memory", "io" };

/* Live figures of one cgroup; -1 where the kernel has no such file. */
struct live
{
  bool present;
  int64_t mem_current, mem_peak;
  int64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
  double psi[3][2][2]; /* cpu/memory/io, some/full, avg10/avg60 */
  int64_t nr_periods, nr_throttled, throttled_usec;
};

static int64_t
read_int (int dirfd, const char *file)
{
  char buf[64];
  if (oc_read_small (dirfd, file, buf, sizeof buf) < 0)
    return -1;
  return strcmp (buf, "max") == 0 ? INT64_MAX : strtoll (buf, NULL, 10);
}

static void
live_read (const char *mount, const char *cgroup, struct live *l)
{
  memset (l, 0xff, sizeof *l); /* every int64 -1 */
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 2; k++)
      l->psi[r][k][0] = l->psi[r][k][1] = -1;
  l->present = false;
  if (mount == NULL || cgroup == NULL)
    return;
  _cleanup_free_ char *path = xasprintf ("%s/%s", mount, cgroup[0] == '/' ? cgroup + 1 : cgroup);
  _cleanup_close_ int fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  l->present = true;
  l->mem_current = read_int (fd, "memory.current");
  l->mem_peak = read_int (fd, "memory.peak");
  char buf[2048];
  if (oc_read_small (fd, "memory.events", buf, sizeof buf) == 0)
    {
      l->ev_low = cg_flat_key (buf, "low");
      l->ev_high = cg_flat_key (buf, "high");
      l->ev_max = cg_flat_key (buf, "max");
      l->ev_oom = cg_flat_key (buf, "oom");
      l->ev_oom_kill = cg_flat_key (buf, "oom_kill");
    }
  for (int r = 0; r < 3; r++)
    {
      char file[32];
      snprintf (file, sizeof file, "%s.pressure", psi_res[r]);
      if (oc_read_small (fd, file, buf, sizeof buf) < 0)
        continue;
      for (int k = 0; k < 2; k++)
        {
          l->psi[r][k][0] = oc_pressure_avg (buf, k ? "full" : "some", "avg10");
          l->psi[r][k][1] = oc_pressure_avg (buf, k ? "full" : "some", "avg60");
        }
    }
  if (oc_read_small (fd, "cpu.stat", buf, sizeof buf) == 0)
    {
      l->nr_periods = cg_flat_key (buf, "nr_periods");
      l->nr_throttled = cg_flat_key (buf, "nr_throttled");
      l->throttled_usec = cg_flat_key (buf, "throttled_usec");
    }
}

/* The files of the leaf plan the cgroup lacks (comma-separated, caller frees; NULL when none or no cgroup). */
static char *
leaf_unenforced (const char *mount, const struct oc_policy *p, const struct oc_host *h, const struct oc_entry *e)
{
  if (mount == NULL || e->cgroup == NULL || p->mode != OC_MODE_MANAGED)
    return NULL;
  _cleanup_free_ char *path = xasprintf ("%s%s", mount, e->cgroup);
  _cleanup_close_ int fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct oc_writes w;
  oc_leaf_plan (p, h, &e->in, &w);
  char *list = NULL;
  for (size_t i = 0; i < w.n; i++)
    if (faccessat (fd, w.v[i].file, F_OK, 0) < 0)
      {
        char *n = list ? xasprintf ("%s,%s", list, w.v[i].file) : xstrdup (w.v[i].file);
        free (list);
        list = n;
      }
  oc_writes_free (&w);
  return list;
}

struct report
{
  const struct oc_policy *p;
  const char *mount;
  struct oc_capacity cap;
  struct oc_sums sums;
  struct oc_host host;
  struct live slice[OC_SLICE__MAX];
  const struct oc_ledger *l;
  struct live *live; /* per entry */
  char **unenforced; /* per entry */
};

/* The inequalities: committed sum, bound and whether it holds. */
struct ineq
{
  const char *name;
  bool cpu;
  int64_t sum;
  double ratio, bound;
};

static size_t
inequalities (const struct report *r, struct ineq out[5])
{
  const struct oc_policy *p = r->p;
  out[0] = (struct ineq){ "cpu requests", true, r->sums.cpu_req_all, p->cpu_request_ratio,
                          p->cpu_request_ratio * (double) r->cap.cpu };
  out[1] = (struct ineq){ "cpu limits", true, r->sums.cpu_lim_all, p->cpu_limit_ratio,
                          p->cpu_limit_ratio * (double) r->cap.cpu };
  out[2] = (struct ineq){ "memory requests", false, r->sums.mem_req_all, p->mem_request_ratio,
                          p->mem_request_ratio * (double) r->cap.mem };
  out[3] = (struct ineq){ "memory limits", false, r->sums.mem_lim_all, p->mem_limit_ratio,
                          p->mem_limit_ratio * (double) r->cap.mem };
  out[4] = (struct ineq){ "Guaranteed memory requests", false, r->sums.mem_req[OC_GUARANTEED], 1.0,
                          (double) r->cap.mem };
  return 5;
}

/* Verdicts for the whole host: NULL-terminated list of static/allocated strings appended to v. */
static void
add (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static char **
host_verdicts (const struct report *r)
{
  char **v = NULL;
  size_t n = 0;
  struct ineq q[5];
  size_t nq = inequalities (r, q);
  for (size_t i = 0; i < nq; i++)
    if ((double) q[i].sum > q[i].bound)
      add (&v, &n, xasprintf ("%s overcommitted beyond the policy", q[i].name));
  /* memory.events low counts reclaims below memory.low: the protection could not be honoured. */
  if (r->slice[OC_SLICE_GUARANTEED].ev_low > 0 || r->slice[OC_SLICE_BURSTABLE].ev_low > 0)
    add (&v, &n, xstrdup ("protection overcommitted (memory.events low > 0 on guaranteed/ or burstable/)"));
  if (r->slice[OC_SLICE_GUARANTEED].ev_oom_kill > 0)
    add (&v, &n, xasprintf ("%" PRId64 " OOM kills in guaranteed/", r->slice[OC_SLICE_GUARANTEED].ev_oom_kill));
  if (n == 0)
    add (&v, &n, xstrdup ("ok"));
  return v;
}

static char **
entry_verdicts (const struct report *r, size_t i)
{
  char **v = NULL;
  size_t n = 0;
  const struct live *l = &r->live[i];
  const struct oc_entry *e = &r->l->v[i];
  if (e->cgroup && !l->present)
    add (&v, &n, xstrdup ("no cgroup"));
  if (l->ev_oom_kill > 0)
    add (&v, &n, xasprintf ("%" PRId64 " OOM kills", l->ev_oom_kill));
  if (e->in.qos != OC_BESTEFFORT && l->ev_low > 0)
    add (&v, &n, xasprintf ("reclaimed below its protection %" PRId64 " times", l->ev_low));
  if (l->nr_periods > 0 && l->nr_throttled > 0)
    add (&v, &n, xasprintf ("throttled in %.1f%% of periods",
                            100.0 * (double) l->nr_throttled / (double) l->nr_periods));
  if (r->unenforced[i])
    add (&v, &n, xasprintf ("not enforced: %s", r->unenforced[i]));
  if (n == 0)
    add (&v, &n, xstrdup ("ok"));
  return v;
}

/* ---- JSON ---- */

static void
json_i64 (struct cell_jsonw *w, const char *key, int64_t v)
{
  cell_jsonw_key (w, key);
  if (v < 0)
    cell_jsonw_null (w);
  else if (v == OC_UNBOUNDED)
    cell_jsonw_string (w, "unbounded");
  else
    cell_jsonw_int (w, v);
}

static void
json_live (struct cell_jsonw *w, const struct live *l)
{
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "present", l->present);
  json_i64 (w, "memory_current", l->mem_current);
  json_i64 (w, "memory_peak", l->mem_peak);
  cell_jsonw_key (w, "memory_events");
  cell_jsonw_object_open (w);
  json_i64 (w, "low", l->ev_low);
  json_i64 (w, "high", l->ev_high);
  json_i64 (w, "max", l->ev_max);
  json_i64 (w, "oom", l->ev_oom);
  json_i64 (w, "oom_kill", l->ev_oom_kill);
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "pressure");
  cell_jsonw_object_open (w);
  for (int r = 0; r < 3; r++)
    {
      cell_jsonw_key (w, psi_res[r]);
      cell_jsonw_object_open (w);
      for (int k = 0; k < 2; k++)
        for (int a = 0; a < 2; a++)
          {
            char key[16];
            snprintf (key, sizeof key, "%s_avg%s", k ? "full" : "some", a ? "60" : "10");
            cell_jsonw_key (w, key);
            if (l->psi[r][k][a] < 0)
              cell_jsonw_null (w);
            else
              cell_jsonw_double (w, l->psi[r][k][a]);
          }
      cell_jsonw_object_close (w);
    }
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "cpu");
  cell_jsonw_object_open (w);
  json_i64 (w, "nr_periods", l->nr_periods);
  json_i64 (w, "nr_throttled", l->nr_throttled);
  json_i64 (w, "throttled_usec", l->throttled_usec);
  cell_jsonw_object_close (w);
  cell_jsonw_object_close (w);
}

static void
json_intent (struct cell_jsonw *w, const struct oc_intent *in)
{
  json_i64 (w, "cpu_request", in->cpu_request);
  json_i64 (w, "cpu_limit", in->cpu_limit);
  json_i64 (w, "memory_request", in->mem_request);
  json_i64 (w, "memory_limit", in->mem_limit);
}

static void
json_verdicts (struct cell_jsonw *w, char **v)
{
  cell_jsonw_key (w, "verdicts");
  cell_jsonw_array_open (w);
  for (size_t i = 0; v && v[i]; i++)
    cell_jsonw_string (w, v[i]);
  cell_jsonw_array_close (w);
}

static char *
format_json (const struct report *r, char **hv)
{
  const struct oc_policy *p = r->p;
  struct cell_jsonw *w = cell_jsonw_new (true);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "mode", oc_mode_name (p->mode));
  cell_jsonw_kv_string (w, "policy", p->path);
  cell_jsonw_kv_string (w, "cgroup_root", p->cgroup_root);
  cell_jsonw_key (w, "capacity");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "cpus", r->cap.cpus);
  cell_jsonw_kv_int (w, "memory_total", r->cap.mem_total);
  cell_jsonw_kv_int (w, "cpu", r->cap.cpu);
  cell_jsonw_kv_int (w, "memory", r->cap.mem);
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "inequalities");
  cell_jsonw_array_open (w);
  struct ineq q[5];
  size_t nq = inequalities (r, q);
  for (size_t i = 0; i < nq; i++)
    {
      cell_jsonw_object_open (w);
      cell_jsonw_kv_string (w, "name", q[i].name);
      cell_jsonw_kv_int (w, "committed", q[i].sum);
      cell_jsonw_key (w, "ratio");
      cell_jsonw_double (w, q[i].ratio);
      cell_jsonw_kv_int (w, "bound", (int64_t) q[i].bound);
      cell_jsonw_kv_bool (w, "holds", (double) q[i].sum <= q[i].bound);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_array_close (w);
  cell_jsonw_kv_int (w, "worst_case_shortfall", r->sums.mem_lim_all - r->cap.mem);
  cell_jsonw_kv_int (w, "unbounded", (int64_t) r->sums.unbounded);
  cell_jsonw_key (w, "classes");
  cell_jsonw_object_open (w);
  for (int c = 0; c < OC_CLASS__MAX; c++)
    {
      cell_jsonw_key (w, oc_class_dir ((enum oc_class) c));
      cell_jsonw_object_open (w);
      cell_jsonw_kv_int (w, "count", (int64_t) r->sums.count[c]);
      cell_jsonw_kv_int (w, "cpu_request", r->sums.cpu_req[c]);
      cell_jsonw_kv_int (w, "cpu_limit", r->sums.cpu_lim[c]);
      cell_jsonw_kv_int (w, "memory_request", r->sums.mem_req[c]);
      cell_jsonw_kv_int (w, "memory_limit", r->sums.mem_lim[c]);
      cell_jsonw_key (w, "live");
      json_live (w, &r->slice[c + 1]);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "root_slice");
  json_live (w, &r->slice[OC_SLICE_ROOT]);
  cell_jsonw_key (w, "containers");
  cell_jsonw_array_open (w);
  for (size_t i = 0; i < r->l->n; i++)
    {
      const struct oc_entry *e = &r->l->v[i];
      cell_jsonw_object_open (w);
      cell_jsonw_kv_string (w, "id", e->id);
      cell_jsonw_kv_string (w, "state", e->state == OC_ACTIVE ? "active" : "reserving");
      cell_jsonw_kv_string (w, "class", oc_class_name (e->in.qos));
      cell_jsonw_kv_string (w, "tenant", e->in.tenant);
      cell_jsonw_kv_string (w, "cgroup", e->cgroup);
      json_intent (w, &e->in);
      cell_jsonw_key (w, "live");
      json_live (w, &r->live[i]);
      cell_jsonw_kv_string (w, "unenforced", r->unenforced[i]);
      char **v = entry_verdicts (r, i);
      json_verdicts (w, v);
      cell_strv_free (v);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_array_close (w);
  json_verdicts (w, hv);
  cell_jsonw_object_close (w);
  return cell_jsonw_finish (w, NULL);
}

/* ---- text ---- */

static char *
q_str (char *buf, size_t size, bool cpu, int64_t v)
{
  if (v == OC_UNBOUNDED)
    snprintf (buf, size, "unbounded");
  else if (v < 0)
    snprintf (buf, size, "-");
  else if (cpu)
    oc_fmt_cpu (buf, size, (double) v);
  else
    oc_fmt_bytes (buf, size, (double) v);
  return buf;
}

static char *
format_text (const struct report *r, char **hv)
{
  const struct oc_policy *p = r->p;
  char *out = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&out, &size);
  char a[32], b[32], c[32], d[32], e2[32], g[32];
  fprintf (f, "overcommit: %s (policy %s, cgroup root %s)\n", oc_mode_name (p->mode), p->path ? p->path : "-",
           p->cgroup_root);
  fprintf (f, "capacity: cpu %s (%" PRId64 " CPUs), memory %s (of %s)\n", q_str (a, sizeof a, true, r->cap.cpu),
           r->cap.cpus, q_str (b, sizeof b, false, r->cap.mem), q_str (c, sizeof c, false, r->cap.mem_total));
  fprintf (f, "\n%-28s %12s %12s %6s  %s\n", "INEQUALITY", "COMMITTED", "BOUND", "RATIO", "HOLDS");
  struct ineq q[5];
  size_t nq = inequalities (r, q);
  for (size_t i = 0; i < nq; i++)
    fprintf (f, "%-28s %12s %12s %6.2f  %s\n", q[i].name, q_str (a, sizeof a, q[i].cpu, q[i].sum),
             q_str (b, sizeof b, q[i].cpu, (int64_t) q[i].bound), q[i].ratio,
             (double) q[i].sum <= q[i].bound ? "yes" : "NO");
  int64_t short_by = r->sums.mem_lim_all - r->cap.mem;
  fprintf (f, "worst-case shortfall: %s (memory limits %s against capacity %s)\n",
           short_by > 0 ? q_str (a, sizeof a, false, short_by) : "none", q_str (b, sizeof b, false, r->sums.mem_lim_all),
           q_str (c, sizeof c, false, r->cap.mem));
  fprintf (f, "\n%-11s %5s %9s %9s %10s %10s %10s %6s %8s\n", "CLASS", "COUNT", "CPU REQ", "CPU LIM", "MEM REQ",
           "MEM LIM", "MEM NOW", "LOW", "OOM_KILL");
  for (int k = 0; k < OC_CLASS__MAX; k++)
    {
      const struct live *l = &r->slice[k + 1];
      fprintf (f, "%-11s %5zu %9s %9s %10s %10s %10s %6s %8s\n", oc_class_dir ((enum oc_class) k), r->sums.count[k],
               q_str (a, sizeof a, true, r->sums.cpu_req[k]), q_str (b, sizeof b, true, r->sums.cpu_lim[k]),
               q_str (c, sizeof c, false, r->sums.mem_req[k]), q_str (d, sizeof d, false, r->sums.mem_lim[k]),
               q_str (e2, sizeof e2, false, l->mem_current), l->ev_low >= 0 ? (snprintf (g, sizeof g, "%" PRId64, l->ev_low), g) : "-",
               l->ev_oom_kill >= 0 ? (snprintf (a, sizeof a, "%" PRId64, l->ev_oom_kill), a) : "-");
    }
  if (r->l->n)
    fprintf (f, "\n%-24s %-10s %-10s %-10s %9s %9s %10s %10s %10s  %s\n", "CONTAINER", "STATE", "CLASS", "TENANT",
             "CPU REQ", "CPU LIM", "MEM REQ", "MEM LIM", "MEM NOW", "VERDICT");
  for (size_t i = 0; i < r->l->n; i++)
    {
      const struct oc_entry *e = &r->l->v[i];
      char **v = entry_verdicts (r, i);
      fprintf (f, "%-24s %-10s %-10s %-10s %9s %9s %10s %10s %10s  ", e->id, e->state == OC_ACTIVE ? "active" : "reserving",
               oc_class_name (e->in.qos), e->in.tenant ? e->in.tenant : "-", q_str (a, sizeof a, true, e->in.cpu_request),
               q_str (b, sizeof b, true, e->in.cpu_limit), q_str (c, sizeof c, false, e->in.mem_request),
               q_str (d, sizeof d, false, e->in.mem_limit), q_str (e2, sizeof e2, false, r->live[i].mem_current));
      for (size_t j = 0; v[j]; j++)
        fprintf (f, "%s%s", j ? "; " : "", v[j]);
      fputc ('\n', f);
      cell_strv_free (v);
    }
  fputs ("\nverdict: ", f);
  for (size_t j = 0; hv[j]; j++)
    fprintf (f, "%s%s", j ? "; " : "", hv[j]);
  fputc ('\n', f);
  fclose (f);
  return out;
}

char *
oc_status (const char *root, const struct oc_policy *p, const char *mount, bool json, cell_error_t *err)
{
  struct oc_locked lk;
  /* Under the lock only to read a consistent ledger (and let recovery tidy it); the live files after. */
  if (oc_lock (root, p->lock_timeout_ms, false, &lk, err) < 0)
    return NULL;
  if (lk.dirfd >= 0)
    oc_recover (&lk, root);
  if ((lk.dropped || lk.promoted) && oc_ledger_save (&lk, err) < 0)
    {
      oc_unlock (&lk);
      return NULL;
    }
  /* Leftover leaves of creators killed mid-create go too, so that the report matches the cgroups. */
  if (lk.dirfd >= 0 && p->mode == OC_MODE_MANAGED && mount)
    oc_gc_leaves (mount, p, &lk.ledger);
  struct oc_ledger ledger = lk.ledger;
  memset (&lk.ledger, 0, sizeof lk.ledger);
  oc_unlock (&lk);

  struct report r = { .p = p, .mount = mount, .l = &ledger };
  if (oc_capacity_read (p, &r.cap, err) < 0)
    {
      oc_ledger_release (&ledger);
      return NULL;
    }
  oc_host_read (&r.host);
  oc_sums_compute (&ledger, &r.cap, &r.sums);
  for (int s = 0; s < OC_SLICE__MAX; s++)
    {
      _cleanup_free_ char *rel = s == OC_SLICE_ROOT ? xstrdup (p->cgroup_root)
                                                    : xasprintf ("%s/%s", p->cgroup_root, oc_class_dir ((enum oc_class) (s - 1)));
      live_read (p->mode == OC_MODE_MANAGED ? mount : NULL, rel, &r.slice[s]);
    }
  r.live = xcalloc (ledger.n + 1, sizeof *r.live);
  r.unenforced = xcalloc (ledger.n + 1, sizeof *r.unenforced);
  for (size_t i = 0; i < ledger.n; i++)
    {
      live_read (mount, ledger.v[i].cgroup, &r.live[i]);
      r.unenforced[i] = leaf_unenforced (mount, p, &r.host, &ledger.v[i]);
    }
  char **hv = host_verdicts (&r);
  char *text = json ? format_json (&r, hv) : format_text (&r, hv);
  cell_strv_free (hv);
  for (size_t i = 0; i < ledger.n; i++)
    free (r.unenforced[i]);
  free (r.unenforced);
  free (r.live);
  oc_ledger_release (&ledger);
  return text;
}
