/* cell: a container's intent (requests, limits, QoS class) from its annotations and linux.resources. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define A_CPU_REQ "io.cell.cpu.request"
#define A_CPU_LIM "io.cell.cpu.limit"
#define A_MEM_REQ "io.cell.memory.request"
#define A_MEM_LIM "io.cell.memory.limit"
#define A_QOS "io.cell.qos"
#define A_TENANT "io.cell.tenant"

static const char *const class_names[] = { "Guaranteed", "Burstable", "BestEffort" };
static const char *const class_dirs[] = { "guaranteed", "burstable", "besteffort" };

const char *
oc_class_name (enum oc_class c)
{
  return (unsigned) c < OC_CLASS__MAX ? class_names[c] : "?";
}

const char *
oc_class_dir (enum oc_class c)
{
  return (unsigned) c < OC_CLASS__MAX ? class_dirs[c] : "?";
}

int
oc_class_parse (const char *s, enum oc_class *c)
{
  for (int i = 0; i < OC_CLASS__MAX; i++)
    if (!strcasecmp (s, class_names[i]))
      return *c = (enum oc_class) i, 0;
  return -1;
}

enum oc_class
oc_classify (const struct oc_intent *i)
{
  if (i->cpu_request == 0 && i->mem_request == 0 && (i->cpu_limit == 0 || i->cpu_limit == OC_UNBOUNDED)
      && (i->mem_limit == 0 || i->mem_limit == OC_UNBOUNDED))
    return OC_BESTEFFORT;
  if (i->cpu_request > 0 && i->cpu_request == i->cpu_limit && i->mem_request > 0 && i->mem_request == i->mem_limit)
    return OC_GUARANTEED;
  return OC_BURSTABLE;
}

void
oc_intent_release (struct oc_intent *i)
{
  free (i->tenant);
  i->tenant = NULL;
}

/* One number of the intent: its value and where it came from, for messages. */
struct quantity
{
  int64_t v; /* 0: absent */
  char src[96];
};

static void
fmt_value (char *buf, size_t size, bool cpu, int64_t v)
{
  if (cpu)
    snprintf (buf, size, "%" PRId64 "m", v);
  else
    snprintf (buf, size, "%" PRId64 " bytes", v);
}

/* The annotation, if present, parsed into q. */
static int
from_annotation (const struct cell_config *c, const char *key, bool cpu, struct quantity *q, cell_error_t *err)
{
  const char *s = cell_config_annotation (c, key);
  if (s == NULL)
    return 0;
  int r = cpu ? oc_parse_cpu (s, &q->v, err) : oc_parse_memory (s, &q->v, err);
  if (r < 0)
    return cell_error_prefix (err, "annotations.%s", key);
  snprintf (q->src, sizeof q->src, "%s %s", key, s);
  return 0;
}

/* Merge a value derived from linux.resources into q: refused when the annotation says otherwise. */
static int
merge_derived (struct quantity *q, int64_t derived, const char *what, bool cpu, cell_error_t *err)
{
  if (derived <= 0)
    return 0;
  char dv[48], av[48];
  fmt_value (dv, sizeof dv, cpu, derived);
  if (q->v == 0)
    {
      q->v = derived;
      snprintf (q->src, sizeof q->src, "%s (%s)", what, dv);
      return 0;
    }
  if (q->v == derived)
    return 0;
  fmt_value (av, sizeof av, cpu, q->v);
  return cell_error (err, 0, "annotations.%s (%s) disagrees with %s (%s)", q->src, av, what, dv);
}

static int64_t
ceil_div (uint64_t a, uint64_t b)
{
  return (int64_t) ((a + b - 1) / b);
}

/* A unified memory.min/memory.low value in bytes, 0 when absent or "max". */
static int64_t
unified_bytes (const struct cell_resources *r, const char *key)
{
  for (size_t i = 0; i < r->n_unified; i++)
    if (!strcmp (r->unified[i].key, key))
      {
        char *end;
        unsigned long long v = strtoull (r->unified[i].value, &end, 10);
        return (*end == '\0' || *end == '\n') && v <= INT64_MAX ? (int64_t) v : 0;
      }
  return 0;
}

static int
derive (const struct cell_resources *r, struct quantity q[4], cell_error_t *err)
{
  int64_t cpu_req = 0, cpu_lim = 0, mem_req = 0, mem_lim = 0;
  const char *mem_req_what = "linux.resources.memory.reservation";
  /* Kubernetes writes shares = request * 1024 / 1000, at least 2 (its BestEffort value): the inverse. */
  if (r->cpu.shares_present && r->cpu.shares > 2)
    cpu_req = ceil_div (r->cpu.shares * 1000, 1024);
  if (r->cpu.quota_present && r->cpu.quota > 0)
    cpu_lim = ceil_div ((uint64_t) r->cpu.quota * 1000, r->cpu.period_present && r->cpu.period ? r->cpu.period : 100000);
  if ((mem_req = unified_bytes (r, "memory.min")) > 0)
    mem_req_what = "linux.resources.unified[memory.min]";
  else if ((mem_req = unified_bytes (r, "memory.low")) > 0)
    mem_req_what = "linux.resources.unified[memory.low]";
  else if (r->memory.reservation_present && r->memory.reservation > 0)
    mem_req = r->memory.reservation;
  if (r->memory.limit_present && r->memory.limit > 0)
    mem_lim = r->memory.limit;
  if (merge_derived (&q[0], cpu_req, "linux.resources.cpu.shares", true, err) < 0
      || merge_derived (&q[1], cpu_lim, "linux.resources.cpu.quota/period", true, err) < 0
      || merge_derived (&q[2], mem_req, mem_req_what, false, err) < 0
      || merge_derived (&q[3], mem_lim, "linux.resources.memory.limit", false, err) < 0)
    return -1;
  return 0;
}

/* Kubernetes' defaulting, then request <= limit. */
static int
settle (struct quantity *req, struct quantity *lim, bool cpu, cell_error_t *err)
{
  if (req->v == 0 && lim->v > 0)
    {
      req->v = lim->v;
      snprintf (req->src, sizeof req->src, "%s", lim->src);
    }
  if (lim->v > 0 && req->v > lim->v)
    {
      char rv[48], lv[48];
      fmt_value (rv, sizeof rv, cpu, req->v);
      fmt_value (lv, sizeof lv, cpu, lim->v);
      return cell_error (err, 0, "%s request %s (%s) exceeds its limit %s (%s)", cpu ? "cpu" : "memory",
                         rv, req->src, lv, lim->src);
    }
  return 0;
}

static int
check_tenant (const char *t, cell_error_t *err)
{
  size_t n = strlen (t);
  if (n == 0 || n > 63 || strspn (t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
    return cell_error (err, 0,
                       "annotations." A_TENANT ": '%s' must be 1 to 63 letters, digits, '_', '.' or '-'", t);
  return 0;
}

/* io.cell.cpu.* and io.cell.memory.* keys we do not know are typos: refuse them rather than ignore. */
static int
check_unknown (const struct cell_config *c, cell_error_t *err)
{
  static const char *const known[] = { A_CPU_REQ, A_CPU_LIM, A_MEM_REQ, A_MEM_LIM };
  for (size_t i = 0; i < c->n_annotations; i++)
    {
      const char *k = c->annotations[i].key;
      if (strncmp (k, "io.cell.cpu.", 12) && strncmp (k, "io.cell.memory.", 15))
        continue;
      bool ok = false;
      for (size_t j = 0; j < ARRAY_SIZE (known) && !ok; j++)
        ok = !strcmp (k, known[j]);
      if (!ok)
        return cell_error (err, 0, "annotations.%s: unknown key (expected %s, %s, %s or %s)", k, A_CPU_REQ,
                           A_CPU_LIM, A_MEM_REQ, A_MEM_LIM);
    }
  return 0;
}

static int
check_qos (const struct cell_config *c, const struct oc_intent *in, cell_error_t *err)
{
  const char *s = cell_config_annotation (c, A_QOS);
  enum oc_class asserted;
  if (s == NULL)
    return 0;
  if (oc_class_parse (s, &asserted) < 0)
    return cell_error (err, 0, "annotations." A_QOS ": '%s' is not Guaranteed, Burstable or BestEffort", s);
  if (asserted == in->qos)
    return 0;
  char cr[32] = "none", cl[32] = "none", mr[32] = "none", ml[32] = "none";
  if (in->cpu_request)
    snprintf (cr, sizeof cr, "%" PRId64 "m", in->cpu_request);
  if (in->cpu_limit && in->cpu_limit != OC_UNBOUNDED)
    snprintf (cl, sizeof cl, "%" PRId64 "m", in->cpu_limit);
  if (in->mem_request)
    snprintf (mr, sizeof mr, "%" PRId64, in->mem_request);
  if (in->mem_limit && in->mem_limit != OC_UNBOUNDED)
    snprintf (ml, sizeof ml, "%" PRId64, in->mem_limit);
  return cell_error (err, 0,
                     "annotations." A_QOS " %s contradicts the numbers, which make the container %s "
                     "(cpu request %s, limit %s; memory request %s, limit %s)",
                     s, oc_class_name (in->qos), cr, cl, mr, ml);
}

int
oc_intent_from_config (const struct cell_config *c, struct oc_intent *out, cell_error_t *err)
{
  struct quantity q[4] = { { 0 } }; /* cpu req, cpu lim, mem req, mem lim */
  memset (out, 0, sizeof *out);
  if (check_unknown (c, err) < 0 || from_annotation (c, A_CPU_REQ, true, &q[0], err) < 0
      || from_annotation (c, A_CPU_LIM, true, &q[1], err) < 0 || from_annotation (c, A_MEM_REQ, false, &q[2], err) < 0
      || from_annotation (c, A_MEM_LIM, false, &q[3], err) < 0)
    return -1;
  if (c->linux.resources.present && derive (&c->linux.resources, q, err) < 0)
    return -1;
  if (settle (&q[0], &q[1], true, err) < 0 || settle (&q[2], &q[3], false, err) < 0)
    return -1;
  out->cpu_request = q[0].v;
  out->cpu_limit = q[1].v;
  out->mem_request = q[2].v;
  out->mem_limit = q[3].v;
  out->qos = oc_classify (out);
  /* Outside BestEffort, a missing limit is a container without a ceiling. */
  if (out->qos != OC_BESTEFFORT)
    {
      if (out->cpu_limit == 0)
        out->cpu_limit = OC_UNBOUNDED;
      if (out->mem_limit == 0)
        out->mem_limit = OC_UNBOUNDED;
    }
  if (c->linux.resources.pids.limit_present && c->linux.resources.pids.limit > 0)
    out->pids_limit = c->linux.resources.pids.limit;
  if (check_qos (c, out, err) < 0)
    return -1;
  const char *tenant = cell_config_annotation (c, A_TENANT);
  if (tenant && check_tenant (tenant, err) < 0)
    return -1;
  out->tenant = tenant ? xstrdup (tenant) : NULL;
  return 0;
}
