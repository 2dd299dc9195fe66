/* cell: cgroup statistics in runc's `events --stats` format (runc's types/events.go: field names, omitempty
 * rules, usec -> ns, swap reported v1-style as memory + swap). Files of controllers that are not enabled are
 * absent: their section is left out or zero, as runc does. */
#include "cgroups.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/fd.h"
#include "../runtime/base/json.h"
#include "../runtime/base/xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A single-value file; "max" reads as UINT64_MAX. */
static bool
read_u64 (int dirfd, const char *file, uint64_t *v)
{
  _cleanup_free_ char *s = cell_read_file_or_null (dirfd, file, 1 << 20);
  if (s == NULL)
    return false;
  *v = strncmp (s, "max", 3) == 0 ? UINT64_MAX : strtoull (s, NULL, 10);
  return true;
}

int64_t
cg_flat_key (const char *text, const char *key)
{
  size_t n = strlen (key);
  for (const char *s = text; s && *s; s = strchr (s, '\n') ? strchr (s, '\n') + 1 : NULL)
    if (strncmp (s, key, n) == 0 && s[n] == ' ')
      return strtoll (s + n + 1, NULL, 10);
  return -1;
}

/* A counter of a flat keyed file for the stats: 0 when absent. */
static uint64_t
keyed (const char *text, const char *key)
{
  int64_t v = cg_flat_key (text, key);
  return v < 0 ? 0 : (uint64_t) v;
}

static void
kv_u64 (struct cell_jsonw *w, const char *key, uint64_t v, bool omitempty)
{
  if (omitempty && v == 0)
    return;
  cell_jsonw_key (w, key);
  cell_jsonw_uint (w, v);
}

static uint64_t
sat_add (uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void
write_cpu (int dirfd, struct cell_jsonw *w)
{
  _cleanup_free_ char *st = cell_read_file_or_null (dirfd, "cpu.stat", 1 << 20);
  cell_jsonw_key (w, "cpu");
  cell_jsonw_object_open (w);
  cell_jsonw_key (w, "usage");
  cell_jsonw_object_open (w);
  kv_u64 (w, "total", keyed (st, "usage_usec") * 1000, true);
  kv_u64 (w, "kernel", keyed (st, "system_usec") * 1000, false);
  kv_u64 (w, "user", keyed (st, "user_usec") * 1000, false);
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "throttling");
  cell_jsonw_object_open (w);
  kv_u64 (w, "periods", keyed (st, "nr_periods"), true);
  kv_u64 (w, "throttledPeriods", keyed (st, "nr_throttled"), true);
  kv_u64 (w, "throttledTime", keyed (st, "throttled_usec") * 1000, true);
  cell_jsonw_object_close (w);
  cell_jsonw_object_close (w);
}

static void
write_entry (struct cell_jsonw *w, const char *key, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  cell_jsonw_key (w, key);
  cell_jsonw_object_open (w);
  kv_u64 (w, "limit", limit, false);
  kv_u64 (w, "usage", usage, true);
  kv_u64 (w, "max", max, true);
  kv_u64 (w, "failcnt", failcnt, false);
  cell_jsonw_object_close (w);
}

static void
write_raw (struct cell_jsonw *w, const char *stat)
{
  cell_jsonw_key (w, "raw");
  cell_jsonw_object_open (w);
  for (const char *s = stat; s && *s; s = strchr (s, '\n') ? strchr (s, '\n') + 1 : NULL)
    {
      const char *sp = strchr (s, ' ');
      const char *nl = strchr (s, '\n');
      if (sp == NULL || (nl && sp > nl))
        continue;
      _cleanup_free_ char *key = xstrndup (s, sp - s);
      cell_jsonw_key (w, key);
      cell_jsonw_uint (w, strtoull (sp + 1, NULL, 10));
    }
  cell_jsonw_object_close (w);
}

static void
write_memory (int dirfd, struct cell_jsonw *w)
{
  uint64_t cur = 0, max = 0, peak = 0, scur = 0, smax = 0;
  _cleanup_free_ char *stat = cell_read_file_or_null (dirfd, "memory.stat", 1 << 20);
  _cleanup_free_ char *events = cell_read_file_or_null (dirfd, "memory.events", 1 << 20);
  read_u64 (dirfd, "memory.current", &cur);
  read_u64 (dirfd, "memory.max", &max);
  read_u64 (dirfd, "memory.peak", &peak);
  bool swap = read_u64 (dirfd, "memory.swap.current", &scur);
  read_u64 (dirfd, "memory.swap.max", &smax);
  cell_jsonw_key (w, "memory");
  cell_jsonw_object_open (w);
  kv_u64 (w, "cache", keyed (stat, "file"), true);
  write_entry (w, "usage", max, cur, peak, keyed (events, "max"));
  if (swap)
    write_entry (w, "swap", sat_add (max, smax), cur + scur, 0, 0);
  if (stat)
    write_raw (w, stat);
  cell_jsonw_object_close (w);
}

static void
write_pids (int dirfd, struct cell_jsonw *w)
{
  uint64_t cur = 0, max = 0;
  read_u64 (dirfd, "pids.current", &cur);
  read_u64 (dirfd, "pids.max", &max);
  cell_jsonw_key (w, "pids");
  cell_jsonw_object_open (w);
  kv_u64 (w, "current", cur, true);
  kv_u64 (w, "limit", max == UINT64_MAX ? 0 : max, true);
  cell_jsonw_object_close (w);
}

/* io.stat lines "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." -> runc's blkio entries. */
static void
write_blkio_list (struct cell_jsonw *w, const char *stat, const char *name, const char *rkey, const char *wkey)
{
  cell_jsonw_key (w, name);
  cell_jsonw_array_open (w);
  for (const char *s = stat; s && *s; s = strchr (s, '\n') ? strchr (s, '\n') + 1 : NULL)
    {
      unsigned maj, min;
      if (sscanf (s, "%u:%u", &maj, &min) != 2)
        continue;
      const char *nl = strchr (s, '\n');
      _cleanup_free_ char *line = nl ? xstrndup (s, nl - s) : xstrdup (s);
      const char *keys[] = { rkey, wkey };
      const char *ops[] = { "Read", "Write" };
      for (int i = 0; i < 2; i++)
        {
          _cleanup_free_ char *k = xasprintf (" %s=", keys[i]);
          const char *p = strstr (line, k);
          cell_jsonw_object_open (w);
          kv_u64 (w, "major", maj, true);
          kv_u64 (w, "minor", min, true);
          cell_jsonw_kv_string (w, "op", ops[i]);
          kv_u64 (w, "value", p ? strtoull (p + strlen (k), NULL, 10) : 0, true);
          cell_jsonw_object_close (w);
        }
    }
  cell_jsonw_array_close (w);
}

static void
write_blkio (int dirfd, struct cell_jsonw *w)
{
  _cleanup_free_ char *stat = cell_read_file_or_null (dirfd, "io.stat", 1 << 20);
  cell_jsonw_key (w, "blkio");
  cell_jsonw_object_open (w);
  if (stat && *stat)
    {
      write_blkio_list (w, stat, "ioServiceBytesRecursive", "rbytes", "wbytes");
      write_blkio_list (w, stat, "ioServicedRecursive", "rios", "wios");
    }
  cell_jsonw_object_close (w);
}

static void
write_hugetlb (int dirfd, struct cell_jsonw *w)
{
  cell_jsonw_key (w, "hugetlb");
  cell_jsonw_object_open (w);
  DIR *d = fdopendir (dup (dirfd));
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (strncmp (de->d_name, "hugetlb.", 8) != 0 || n < 16 || strcmp (de->d_name + n - 8, ".current") != 0
          || strstr (de->d_name, ".rsvd."))
        continue;
      _cleanup_free_ char *size = xstrndup (de->d_name + 8, n - 16);
      _cleanup_free_ char *maxf = xasprintf ("hugetlb.%s.max", size);
      _cleanup_free_ char *evf = xasprintf ("hugetlb.%s.events", size);
      _cleanup_free_ char *ev = cell_read_file_or_null (dirfd, evf, 1 << 20);
      uint64_t usage = 0, max = 0;
      read_u64 (dirfd, de->d_name, &usage);
      read_u64 (dirfd, maxf, &max);
      cell_jsonw_key (w, size);
      cell_jsonw_object_open (w);
      kv_u64 (w, "usage", usage, true);
      kv_u64 (w, "max", max == UINT64_MAX ? 0 : max, true);
      kv_u64 (w, "failcnt", keyed (ev, "max"), false);
      cell_jsonw_object_close (w);
    }
  if (d)
    closedir (d);
  cell_jsonw_object_close (w);
}

int
cg_stats_write (const char *path, struct cell_jsonw *w, cell_error_t *err)
{
  if (cg_mountpoint () == NULL || path == NULL)
    return cell_error (err, 0, "the container has no cgroup");
  _cleanup_free_ char *full = xasprintf ("%s%s", cg_mountpoint (), path);
  _cleanup_close_ int dirfd = open (full, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cell_error_errno (err, "open '%s'", full);
  cell_jsonw_object_open (w);
  write_cpu (dirfd, w);
  write_memory (dirfd, w);
  write_pids (dirfd, w);
  write_blkio (dirfd, w);
  write_hugetlb (dirfd, w);
  cell_jsonw_object_close (w);
  return 0;
}

uint64_t
cg_oom_kills (const char *path)
{
  if (cg_mountpoint () == NULL || path == NULL)
    return 0;
  _cleanup_free_ char *p = xasprintf ("%s%s/memory.events", cg_mountpoint (), path);
  _cleanup_free_ char *text = cell_read_file_or_null (AT_FDCWD, p, 1 << 20);
  return text ? keyed (text, "oom_kill") : 0;
}
