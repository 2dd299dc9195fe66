/* cell: the managed layout's cgroup files. Compute (pure: oc_leaf_plan, oc_slice_plan), then write
 * (oc_apply_writes, oc_slices_apply), probing what the kernel has and reporting what it lacks. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- write lists ---- */

void
oc_writes_add (struct oc_writes *w, bool optional, const char *file, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  w->v = xrealloc (w->v, (w->n + 1) * sizeof *w->v);
  w->v[w->n++] = (struct oc_write){ .file = xstrdup (file), .value = xvasprintf (fmt, ap), .optional = optional };
  va_end (ap);
}

void
oc_writes_free (struct oc_writes *w)
{
  for (size_t i = 0; i < w->n; i++)
    {
      free (w->v[i].file);
      free (w->v[i].value);
    }
  free (w->v);
  w->v = NULL;
  w->n = 0;
}

const char *
oc_writes_get (const struct oc_writes *w, const char *file)
{
  for (size_t i = 0; i < w->n; i++)
    if (!strcmp (w->v[i].file, file))
      return w->v[i].value;
  return NULL;
}

/* ---- formulas ---- */

uint64_t
oc_cpu_weight (int64_t millicores, uint64_t weight_per_cpu)
{
  if (millicores <= 0)
    return 1;
  unsigned __int128 w = ((unsigned __int128) millicores * weight_per_cpu + 999) / 1000;
  return w < 1 ? 1 : w > 10000 ? 10000 : (uint64_t) w;
}

static bool
bounded (int64_t v)
{
  return v > 0 && v != OC_UNBOUNDED;
}

/* cpu.max quota for a limit: limit * period / 1000, at least 1000us (the kernel's minimum). */
static int64_t
cpu_quota (int64_t limit, uint64_t period)
{
  unsigned __int128 q = ((unsigned __int128) limit * period + 999) / 1000;
  return q < 1000 ? 1000 : q > INT64_MAX ? INT64_MAX : (int64_t) q;
}

void
oc_leaf_plan (const struct oc_policy *p, const struct oc_host *h, const struct oc_intent *in, struct oc_writes *out)
{
  enum oc_class c = in->qos;
  int64_t page = h->page_size > 0 ? h->page_size : 4096;
  memset (out, 0, sizeof *out);
  /* 1. limits */
  if (bounded (in->mem_limit))
    oc_writes_add (out, false, "memory.max", "%" PRId64, in->mem_limit);
  else
    oc_writes_add (out, false, "memory.max", "max");
  if (c == OC_GUARANTEED)
    oc_writes_add (out, true, "memory.swap.max", "0");
  else if (c == OC_BESTEFFORT)
    oc_writes_add (out, true, "memory.swap.max", "%" PRId64, oc_size_bytes (&p->swap_besteffort, 0));
  /* memory.high throttles by reclaim: only where reclaim can progress (swap or zswap), else it just stalls. */
  if (c == OC_BURSTABLE && p->high_factor >= 0 && h->swap && bounded (in->mem_limit))
    {
      double high = (double) in->mem_request + p->high_factor * (double) (in->mem_limit - in->mem_request);
      oc_writes_add (out, true, "memory.high", "%" PRId64, (int64_t) (high / (double) page) * page);
    }
  if (in->pids_limit > 0)
    oc_writes_add (out, false, "pids.max", "%" PRId64, in->pids_limit);
  else if (p->pids_default_limit > 0)
    oc_writes_add (out, false, "pids.max", "%" PRId64, p->pids_default_limit);
  if (bounded (in->cpu_limit))
    {
      int64_t quota = cpu_quota (in->cpu_limit, p->period);
      oc_writes_add (out, false, "cpu.max", "%" PRId64 " %" PRIu64, quota, p->period);
      if (c == OC_BURSTABLE && p->burst_fraction > 0)
        oc_writes_add (out, true, "cpu.max.burst", "%" PRId64, (int64_t) (p->burst_fraction * (double) quota));
    }
  else
    oc_writes_add (out, false, "cpu.max", "max %" PRIu64, p->period);
  /* 2. protections */
  if (c == OC_GUARANTEED)
    oc_writes_add (out, false, "memory.min", "%" PRId64, in->mem_request);
  if (c == OC_BURSTABLE && in->mem_request > 0)
    oc_writes_add (out, false, "memory.low", "%" PRId64, in->mem_request);
  if (p->oom_group)
    oc_writes_add (out, true, "memory.oom.group", "1");
  /* 3. CPU: linear weights keep shares proportional to requests. */
  oc_writes_add (out, false, "cpu.weight", "%" PRIu64, oc_cpu_weight (in->cpu_request, p->weight_per_cpu));
  if (c == OC_BESTEFFORT && p->besteffort_idle)
    oc_writes_add (out, true, "cpu.idle", "1");
}

int
oc_oom_score_adj (const struct oc_intent *in, const struct oc_capacity *cap)
{
  if (in->qos == OC_GUARANTEED)
    return -998;
  if (in->qos == OC_BESTEFFORT)
    return 1000;
  int64_t v = cap->mem > 0 ? 1000 - (int64_t) ((long double) 1000 * in->mem_request / cap->mem) : 999;
  return v < 2 ? 2 : v > 999 ? 999 : (int) v;
}

void
oc_slice_plan (const struct oc_policy *p, const struct oc_capacity *cap, const struct oc_ledger *l,
               enum oc_slice which, struct oc_writes *out)
{
  struct oc_sums s;
  oc_sums_compute (l, cap, &s);
  uint64_t weight[OC_CLASS__MAX] = { 0 };
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].in.qos < OC_CLASS__MAX)
      weight[l->v[i].in.qos] += oc_cpu_weight (l->v[i].in.cpu_request, p->weight_per_cpu);
  memset (out, 0, sizeof *out);
  switch (which)
    {
    case OC_SLICE_ROOT:
      oc_writes_add (out, false, "memory.max", "%" PRId64,
                     cap->mem_total - oc_size_bytes (&p->reserved_memory, cap->mem_total));
      oc_writes_add (out, false, "memory.min", "%" PRId64, s.mem_req[OC_GUARANTEED]);
      oc_writes_add (out, false, "memory.low", "%" PRId64, s.mem_req[OC_GUARANTEED] + s.mem_req[OC_BURSTABLE]);
      oc_writes_add (out, true, "memory.oom.group", "0");
      break;
    case OC_SLICE_GUARANTEED:
      oc_writes_add (out, false, "memory.min", "%" PRId64, s.mem_req[OC_GUARANTEED]);
      oc_writes_add (out, false, "memory.low", "%" PRId64, s.mem_req[OC_GUARANTEED]);
      oc_writes_add (out, false, "cpu.weight", "%" PRIu64,
                     weight[OC_GUARANTEED] < 1 ? 1 : weight[OC_GUARANTEED] > 10000 ? 10000 : weight[OC_GUARANTEED]);
      break;
    case OC_SLICE_BURSTABLE:
      oc_writes_add (out, false, "memory.low", "%" PRId64, s.mem_req[OC_BURSTABLE]);
      oc_writes_add (out, false, "cpu.weight", "%" PRIu64,
                     weight[OC_BURSTABLE] < 1 ? 1 : weight[OC_BURSTABLE] > 10000 ? 10000 : weight[OC_BURSTABLE]);
      break;
    case OC_SLICE_BESTEFFORT:
      /* cpu.idle where the kernel has it (5.15+); the weight 1 stays as the fallback. */
      oc_writes_add (out, false, "cpu.weight", "1");
      if (p->besteffort_idle)
        oc_writes_add (out, true, "cpu.idle", "1");
      break;
    default:
      break;
    }
}

/* ---- writing ---- */

static void
note_unenforced (char **list, const char *what)
{
  if (list == NULL)
    return;
  if (*list && strstr (*list, what))
    {
      /* Already listed (exact item check). */
      size_t n = strlen (what);
      for (const char *s = *list; (s = strstr (s, what)); s += n)
        if ((s == *list || s[-1] == ',') && (s[n] == '\0' || s[n] == ','))
          return;
    }
  char *n = *list ? xasprintf ("%s,%s", *list, what) : xstrdup (what);
  free (*list);
  *list = n;
}

static bool
group_is_idle (int dirfd)
{
  char buf[8];
  return oc_read_small (dirfd, "cpu.idle", buf, sizeof buf) == 0 && buf[0] == '1';
}

int
oc_apply_writes (int dirfd, const char *path, const struct oc_writes *w, char **unenforced, cell_error_t *err)
{
  for (size_t i = 0; i < w->n; i++)
    {
      int fd = openat (dirfd, w->v[i].file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        {
          if (errno == ENOENT)
            {
              note_unenforced (unenforced, w->v[i].file);
              continue;
            }
          return cell_error_errno (err, "open '%s/%s'", path, w->v[i].file);
        }
      size_t len = strlen (w->v[i].value);
      ssize_t n = write (fd, w->v[i].value, len);
      int saved = errno;
      close (fd);
      /* An idle group (cpu.idle 1, BestEffort's) refuses weights with EINVAL: it has none to set. */
      if (n < 0 && saved == EINVAL && strcmp (w->v[i].file, "cpu.weight") == 0 && group_is_idle (dirfd))
        continue;
      if (n != (ssize_t) len)
        {
          errno = n < 0 ? saved : EIO;
          return cell_error_errno (err, "write '%s' to '%s/%s'", w->v[i].value, path, w->v[i].file);
        }
    }
  return 0;
}

/* Enable cpu, memory and pids (those the level has) for the children of dirfd. Failures are left to show up
 * as missing files below. */
static void
enable_controllers (int dirfd)
{
  char avail[512];
  if (oc_read_small (dirfd, "cgroup.controllers", avail, sizeof avail) < 0)
    return;
  static const char *const want[] = { "cpu", "memory", "pids" };
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    {
      size_t n = strlen (want[i]);
      bool has = false;
      for (const char *s = avail; (s = strstr (s, want[i])) && !has; s += n)
        has = (s == avail || s[-1] == ' ') && (s[n] == '\0' || s[n] == ' ');
      if (!has)
        continue;
      char buf[16];
      int len = snprintf (buf, sizeof buf, "+%s", want[i]);
      int fd = openat (dirfd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          if (write (fd, buf, (size_t) len) < 0)
            { /* left to show up as a missing file */
            }
          close (fd);
        }
    }
}

/* mkdir each component of rel under mount, enabling the controllers on the way down. Returns the leaf's fd. */
static int
make_path (const char *mount, const char *rel, cell_error_t *err)
{
  _cleanup_close_ int fd = open (mount, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", mount);
  _cleanup_free_ char *copy = xstrdup (rel);
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      enable_controllers (fd);
      if (mkdirat (fd, c, 0755) < 0 && errno != EEXIST)
        return cell_error_errno (err, "mkdir '%s/%s'", mount, rel);
      int next = openat (fd, c, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (next < 0)
        return cell_error_errno (err, "open '%s/%s'", mount, rel);
      close (fd);
      fd = next;
    }
  enable_controllers (fd);
  return TAKE_FD (fd);
}

int
oc_slices_apply (const char *mount, const struct oc_policy *p, const struct oc_capacity *cap,
                 const struct oc_ledger *l, bool lowering, char **unenforced, cell_error_t *err)
{
  static const enum oc_slice raise_order[] = { OC_SLICE_ROOT, OC_SLICE_GUARANTEED, OC_SLICE_BURSTABLE,
                                               OC_SLICE_BESTEFFORT };
  static const enum oc_slice lower_order[] = { OC_SLICE_GUARANTEED, OC_SLICE_BURSTABLE, OC_SLICE_BESTEFFORT,
                                               OC_SLICE_ROOT };
  const enum oc_slice *order = lowering ? lower_order : raise_order;
  for (size_t i = 0; i < OC_SLICE__MAX; i++)
    {
      enum oc_slice which = order[i];
      _cleanup_free_ char *rel = which == OC_SLICE_ROOT
                                     ? xstrdup (p->cgroup_root)
                                     : xasprintf ("%s/%s", p->cgroup_root, oc_class_dir ((enum oc_class) (which - 1)));
      _cleanup_close_ int fd = make_path (mount, rel, err);
      if (fd < 0)
        return -1;
      struct oc_writes w;
      oc_slice_plan (p, cap, l, which, &w);
      _cleanup_free_ char *where = xasprintf ("%s/%s", mount, rel);
      int r = oc_apply_writes (fd, where, &w, unenforced, err);
      oc_writes_free (&w);
      if (r < 0)
        return -1;
    }
  return 0;
}

size_t
oc_gc_leaves (const char *mount, const struct oc_policy *p, const struct oc_ledger *l)
{
  size_t removed = 0;
  for (int c = 0; c < OC_CLASS__MAX; c++)
    {
      _cleanup_free_ char *dir = xasprintf ("%s/%s/%s", mount, p->cgroup_root, oc_class_dir ((enum oc_class) c));
      DIR *d = opendir (dir);
      if (d == NULL)
        continue;
      struct dirent *e;
      while ((e = readdir (d)))
        {
          if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
          bool known = false;
          for (size_t i = 0; i < l->n && !known; i++)
            known = !strcmp (l->v[i].id, e->d_name);
          /* rmdir refuses a cgroup with processes or children: only empty leftovers go. */
          if (!known && unlinkat (dirfd (d), e->d_name, AT_REMOVEDIR) == 0)
            removed++;
        }
      closedir (d);
    }
  return removed;
}
