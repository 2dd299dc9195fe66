/* cell: the host policy file, `key = value` lines in [sections]; '#' starts a comment. Unknown sections and
 * keys are errors, as are duplicates: a typo must never silently leave a default in force. */
#include "internal.h"
#include "../../runtime/base/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POLICY_MAX (1 << 20)

void
oc_policy_defaults (struct oc_policy *p)
{
  *p = (struct oc_policy){
    .mode = OC_MODE_MANAGED,
    .reserved_cpu = 0,
    .lock_timeout_ms = 10000,
    .cpu_request_ratio = 1.0,
    .cpu_limit_ratio = 4.0,
    .weight_per_cpu = 100,
    .period = 100000,
    .burst_fraction = 0.0,
    .besteffort_idle = true,
    .mem_request_ratio = 1.0,
    .mem_limit_ratio = 1.5,
    .high_factor = -1,
    .oom_group = true,
    .oom_score_adj = OC_OOM_NEVER,
    .pids_default_limit = 4096,
  };
  p->cgroup_root = xstrdup ("cell.slice");
  p->memory_headroom = (struct oc_size){ .percent = true, .value = 2 };
}

void
oc_policy_release (struct oc_policy *p)
{
  free (p->path);
  free (p->cgroup_root);
  p->path = p->cgroup_root = NULL;
}

const char *
oc_mode_name (enum oc_mode m)
{
  return m == OC_MODE_MANAGED ? "managed" : m == OC_MODE_PASSTHROUGH ? "passthrough" : "off";
}

/* ---- value parsers: each sets *err with the reason only; the caller adds file:line ---- */

static int
parse_bool (const char *v, bool *out, cell_error_t *err)
{
  if (!strcmp (v, "true") || !strcmp (v, "yes") || !strcmp (v, "1"))
    return *out = true, 0;
  if (!strcmp (v, "false") || !strcmp (v, "no") || !strcmp (v, "0"))
    return *out = false, 0;
  return cell_error (err, EINVAL, "expected true or false, got '%s'", v);
}

static int
parse_double (const char *v, double min, double max, double *out, cell_error_t *err)
{
  char *end;
  errno = 0;
  double d = strtod (v, &end);
  if (end == v || *end || errno || !isfinite (d))
    return cell_error (err, EINVAL, "expected a number, got '%s'", v);
  if (d < min || d > max)
    return cell_error (err, ERANGE, "%s is out of range (%g to %g)", v, min, max);
  *out = d;
  return 0;
}

static int
parse_ratio (const char *v, double *out, cell_error_t *err)
{
  if (parse_double (v, 0, 1000, out, err) < 0)
    return -1;
  if (*out <= 0)
    return cell_error (err, ERANGE, "a ratio must be greater than 0, got '%s'", v);
  return 0;
}

static int
parse_u64 (const char *v, uint64_t min, uint64_t max, uint64_t *out, cell_error_t *err)
{
  char *end;
  errno = 0;
  unsigned long long n = strtoull (v, &end, 10);
  if (v[0] < '0' || v[0] > '9' || *end || errno)
    return cell_error (err, EINVAL, "expected an integer, got '%s'", v);
  if (n < min || n > max)
    return cell_error (err, ERANGE, "%s is out of range (%llu to %llu)", v, (unsigned long long) min,
                       (unsigned long long) max);
  *out = n;
  return 0;
}

/* "10s", "500ms", "2m", "10" (seconds). */
static int
parse_duration (const char *v, uint64_t *ms, cell_error_t *err)
{
  char *end;
  errno = 0;
  double d = strtod (v, &end);
  if (end == v || errno || !isfinite (d) || d < 0 || v[0] == '-')
    return cell_error (err, EINVAL, "expected a duration such as 10s or 500ms, got '%s'", v);
  double scale = !strcmp (end, "ms") ? 1 : (!*end || !strcmp (end, "s")) ? 1000 : !strcmp (end, "m") ? 60000 : -1;
  if (scale < 0)
    return cell_error (err, EINVAL, "expected a duration such as 10s or 500ms, got '%s'", v);
  if (d * scale > 3600e3)
    return cell_error (err, ERANGE, "%s is longer than an hour", v);
  *ms = (uint64_t) (d * scale);
  return 0;
}

static int
parse_cgroup_root (const char *v, char **out, cell_error_t *err)
{
  while (*v == '/')
    v++;
  if (!*v)
    return cell_error (err, EINVAL, "cgroup_root must name a cgroup below the hierarchy's root");
  for (const char *s = v; *s; s++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@:/", *s))
      return cell_error (err, EINVAL, "cgroup_root '%s': invalid character '%c'", v, *s);
  for (const char *s = v; (s = strstr (s, "..")); s += 2)
    if ((s == v || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      return cell_error (err, EINVAL, "cgroup_root '%s' must not contain '..'", v);
  free (*out);
  *out = xstrdup (v);
  size_t n = strlen (*out);
  while (n > 0 && (*out)[n - 1] == '/')
    (*out)[--n] = '\0';
  return 0;
}

static int
parse_mode (const char *v, enum oc_mode *m, cell_error_t *err)
{
  if (!strcmp (v, "managed"))
    return *m = OC_MODE_MANAGED, 0;
  if (!strcmp (v, "passthrough"))
    return *m = OC_MODE_PASSTHROUGH, 0;
  if (!strcmp (v, "off"))
    return *m = OC_MODE_OFF, 0;
  return cell_error (err, EINVAL, "mode must be managed, passthrough or off, got '%s'", v);
}

static int
parse_high_factor (const char *v, double *out, cell_error_t *err)
{
  if (!strcmp (v, "none"))
    return *out = -1, 0;
  return parse_double (v, 0, 1, out, err);
}

static int
parse_oom_score_adj (const char *v, enum oc_oom_score_adj *out, cell_error_t *err)
{
  if (!strcmp (v, "never"))
    return *out = OC_OOM_NEVER, 0;
  if (!strcmp (v, "if_unset"))
    return *out = OC_OOM_IF_UNSET, 0;
  return cell_error (err, EINVAL, "oom_score_adj must be never or if_unset, got '%s'", v);
}

static int
parse_percent (const char *v, double *out, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (v);
  size_t n = strlen (copy);
  if (n && copy[n - 1] == '%')
    copy[n - 1] = '\0';
  return parse_double (copy, 0, 100, out, err);
}

static int
parse_pids (const char *v, int64_t *out, cell_error_t *err)
{
  uint64_t n;
  if (!strcmp (v, "max") || !strcmp (v, "none"))
    return *out = 0, 0;
  if (parse_u64 (v, 0, INT64_MAX, &n, err) < 0)
    return -1;
  *out = (int64_t) n;
  return 0;
}

/* ---- the key table ---- */

/* 0 set, -1 bad value (*err: the reason), 1 unknown key. */
static int
set_key (struct oc_policy *p, const char *section, const char *key, const char *v, cell_error_t *err)
{
  uint64_t u;
#define IS(s, k) (!strcmp (section, s) && !strcmp (key, k))
  if (IS ("host", "mode"))
    return parse_mode (v, &p->mode, err);
  if (IS ("host", "cgroup_root"))
    return parse_cgroup_root (v, &p->cgroup_root, err);
  if (IS ("host", "reserved_cpu"))
    return oc_parse_cpu (v, &p->reserved_cpu, err);
  if (IS ("host", "reserved_memory"))
    return oc_parse_size (v, &p->reserved_memory, true, err);
  if (IS ("host", "memory_headroom"))
    return oc_parse_size (v, &p->memory_headroom, true, err);
  if (IS ("host", "lock_timeout"))
    return parse_duration (v, &p->lock_timeout_ms, err);
  if (IS ("host", "allow_unbounded"))
    return parse_bool (v, &p->allow_unbounded, err);
  if (IS ("cpu", "request_ratio"))
    return parse_ratio (v, &p->cpu_request_ratio, err);
  if (IS ("cpu", "limit_ratio"))
    return parse_ratio (v, &p->cpu_limit_ratio, err);
  if (IS ("cpu", "weight_per_cpu"))
    return parse_u64 (v, 1, 10000, &p->weight_per_cpu, err);
  if (IS ("cpu", "period"))
    {
      /* cpu.max accepts periods from 1ms to 1s. */
      if (parse_u64 (v, 1000, 1000000, &u, err) < 0)
        return -1;
      return p->period = u, 0;
    }
  if (IS ("cpu", "burst_fraction"))
    return parse_double (v, 0, 1000, &p->burst_fraction, err);
  if (IS ("cpu", "besteffort_idle"))
    return parse_bool (v, &p->besteffort_idle, err);
  if (IS ("memory", "request_ratio"))
    return parse_ratio (v, &p->mem_request_ratio, err);
  if (IS ("memory", "limit_ratio"))
    return parse_ratio (v, &p->mem_limit_ratio, err);
  if (IS ("memory", "high_factor"))
    return parse_high_factor (v, &p->high_factor, err);
  if (IS ("memory", "swap_besteffort"))
    return oc_parse_size (v, &p->swap_besteffort, false, err);
  if (IS ("memory", "oom_group"))
    return parse_bool (v, &p->oom_group, err);
  if (IS ("memory", "oom_score_adj"))
    return parse_oom_score_adj (v, &p->oom_score_adj, err);
  if (IS ("pids", "default_limit"))
    return parse_pids (v, &p->pids_default_limit, err);
  if (IS ("psi", "besteffort_gate_some_avg60"))
    return parse_percent (v, &p->psi_besteffort_gate, err);
#undef IS
  return 1; /* unknown */
}

static const char *const sections[] = { "host", "cpu", "memory", "pids", "psi" };

static char *
trim (char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen (s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

/* Seen keys, "section.key", to refuse duplicates. */
struct seen
{
  char **v;
  size_t n, cap;
};

static bool
seen_add (struct seen *s, const char *section, const char *key)
{
  _cleanup_free_ char *k = xasprintf ("%s.%s", section, key);
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp (s->v[i], k))
      return false;
  s->v = xgrow (s->v, &s->cap, s->n + 1, sizeof *s->v);
  s->v[s->n++] = TAKE_PTR (k);
  return true;
}

static void
seen_free (struct seen *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
}

/* One line; section is updated by [headers]. Errors carry the reason only. */
static int
parse_line (struct oc_policy *p, char *line, const char **section, struct seen *seen, cell_error_t *err)
{
  /* A comment starts at '#' at the beginning or after whitespace (values never contain '#'). */
  for (char *h = line; (h = strchr (h, '#')); h++)
    if (h == line || h[-1] == ' ' || h[-1] == '\t')
      {
        *h = '\0';
        break;
      }
  char *s = trim (line);
  if (!*s)
    return 0;
  if (*s == '[')
    {
      char *close = strchr (s, ']');
      if (close == NULL || *trim (close + 1))
        return cell_error (err, EINVAL, "malformed section header '%s'", s);
      *close = '\0';
      const char *name = trim (s + 1);
      for (size_t i = 0; i < ARRAY_SIZE (sections); i++)
        if (!strcmp (name, sections[i]))
          return *section = sections[i], 0;
      return cell_error (err, EINVAL, "unknown section [%s] (expected host, cpu, memory, pids or psi)", name);
    }
  char *eq = strchr (s, '=');
  if (eq == NULL)
    return cell_error (err, EINVAL, "expected 'key = value', got '%s'", s);
  *eq = '\0';
  const char *key = trim (s), *value = trim (eq + 1);
  if (!*key)
    return cell_error (err, EINVAL, "missing key before '='");
  if (*section == NULL)
    return cell_error (err, EINVAL, "key '%s' outside a [section]", key);
  if (!*value)
    return cell_error (err, EINVAL, "missing value for '%s'", key);
  int r = set_key (p, *section, key, value, err);
  if (r > 0)
    return cell_error (err, EINVAL, "unknown key '%s' in [%s]", key, *section);
  if (r < 0)
    return cell_error_prefix (err, "%s", key);
  if (!seen_add (seen, *section, key))
    return cell_error (err, EINVAL, "duplicate key '%s' in [%s]", key, *section);
  return 0;
}

int
oc_policy_parse (const char *text, size_t len, const char *path, struct oc_policy *p, cell_error_t *err)
{
  oc_policy_defaults (p);
  p->path = xstrdup (path);
  _cleanup_free_ char *copy = xstrndup (text, len);
  if (strlen (copy) != len)
    {
      oc_policy_release (p);
      return cell_error (err, EINVAL, "%s: contains a NUL byte", path);
    }
  struct seen seen = { 0 };
  const char *section = NULL;
  int lineno = 0, r = 0;
  for (char *line = copy, *next; line && r == 0; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      lineno++;
      r = parse_line (p, line, &section, &seen, err);
    }
  seen_free (&seen);
  if (r < 0)
    {
      oc_policy_release (p);
      /* The code (ERANGE, EINVAL) would only repeat the reason. */
      (*err)->code = 0;
      return cell_error_prefix (err, "%s:%d", path, lineno);
    }
  return 0;
}

int
oc_policy_load (const char *path, struct oc_policy *p, cell_error_t *err)
{
  const char *file = path ? path : OC_DEFAULT_POLICY;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  cell_error_t rerr = NULL;
  if (cell_read_file_at (AT_FDCWD, file, POLICY_MAX, &text, &len, &rerr) < 0)
    {
      if (path == NULL && rerr->code == ENOENT)
        {
          cell_error_free (&rerr);
          oc_policy_defaults (p);
          p->mode = OC_MODE_OFF;
          return 0;
        }
      *err = rerr;
      return cell_error_prefix (err, "overcommit policy");
    }
  return oc_policy_parse (text, len, file, p, err);
}
