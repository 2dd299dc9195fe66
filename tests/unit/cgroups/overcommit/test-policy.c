/* cgroups/overcommit: the policy file and quantities. */
#include "cgroups/overcommit/overcommit.h"
#include "unit.h"

#include <errno.h>
#include <stdint.h>

/* Parse text; NULL on success (policy in *p, released by the caller), else the error message (caller frees). */
static char *
parse (const char *text, struct oc_policy *p)
{
  cell_error_t err = NULL;
  if (oc_policy_parse (text, strlen (text), "/etc/cell/overcommit.conf", p, &err) == 0)
    return err ? strdup ("contract broken: err set on success") : NULL;
  char *msg = err ? cell_error_string (err) : strdup ("contract broken: no err");
  cell_error_free (&err);
  return msg;
}

static char *
parse_err (const char *text)
{
  struct oc_policy p;
  char *msg = parse (text, &p);
  if (msg == NULL)
    oc_policy_release (&p);
  return msg;
}

TEST (full_policy)
{
  struct oc_policy p;
  char *msg = parse ("# host policy\n"
                     "[host]\n"
                     "mode = passthrough   # trailing comment\n"
                     "cgroup_root = /tenants.slice/\n"
                     "reserved_cpu = 1500m\n"
                     "reserved_memory = 1G\n"
                     "memory_headroom = 2.5%\n"
                     "lock_timeout = 500ms\n"
                     "allow_unbounded = yes\n"
                     "\n"
                     "[cpu]\n"
                     "request_ratio = 1.0\n"
                     "limit_ratio = 16\n"
                     "weight_per_cpu = 200\n"
                     "period = 50000\n"
                     "burst_fraction = 0.5\n"
                     "besteffort_idle = false\n"
                     "[memory]\n"
                     "request_ratio = 1\n"
                     "limit_ratio = 1.5\n"
                     "high_factor = 0.8\n"
                     "swap_besteffort = 512M\n"
                     "oom_group = false\n"
                     "oom_score_adj = if_unset\n"
                     "[pids]\n"
                     "default_limit = max\n"
                     "[psi]\n"
                     "besteffort_gate_some_avg60 = 10%\n",
                     &p);
  CHECK (msg == NULL);
  CHECK (p.mode == OC_MODE_PASSTHROUGH);
  CHECK_STR (p.cgroup_root, "tenants.slice");
  CHECK (p.reserved_cpu == 1500);
  CHECK (!p.reserved_memory.percent && p.reserved_memory.value == 1073741824.0);
  CHECK (p.memory_headroom.percent && p.memory_headroom.value == 2.5);
  CHECK (p.lock_timeout_ms == 500);
  CHECK (p.allow_unbounded);
  CHECK (p.cpu_limit_ratio == 16 && p.weight_per_cpu == 200 && p.period == 50000 && p.burst_fraction == 0.5);
  CHECK (!p.besteffort_idle);
  CHECK (p.mem_limit_ratio == 1.5 && p.high_factor == 0.8 && p.swap_besteffort.value == 512.0 * 1024 * 1024);
  CHECK (!p.oom_group && p.oom_score_adj == OC_OOM_IF_UNSET);
  CHECK (p.pids_default_limit == 0);
  CHECK (p.psi_besteffort_gate == 10);
  CHECK_STR (p.path, "/etc/cell/overcommit.conf");
  oc_policy_release (&p);
}

TEST (defaults)
{
  struct oc_policy p;
  char *msg = parse ("", &p);
  CHECK (msg == NULL);
  CHECK (p.mode == OC_MODE_MANAGED);
  CHECK_STR (p.cgroup_root, "cell.slice");
  CHECK (p.cpu_request_ratio == 1.0 && p.cpu_limit_ratio == 4.0);
  CHECK (p.mem_request_ratio == 1.0 && p.mem_limit_ratio == 1.5);
  CHECK (p.high_factor < 0 && p.oom_group && p.oom_score_adj == OC_OOM_NEVER);
  CHECK (p.pids_default_limit == 4096 && p.weight_per_cpu == 100 && p.period == 100000);
  CHECK (p.lock_timeout_ms == 10000);
  oc_policy_release (&p);
}

/* Every malformed file is refused with FILE:LINE and the reason. */
TEST (errors_name_file_and_line)
{
  static const struct
  {
    const char *text, *want;
  } cases[] = {
    { "[host]\nmode = sometimes\n",
      "/etc/cell/overcommit.conf:2: mode: mode must be managed, passthrough or off, got 'sometimes'" },
    { "[host]\n\n# c\nmodee = managed\n", "/etc/cell/overcommit.conf:4: unknown key 'modee' in [host]" },
    { "[cpu]\nmode = managed\n", "/etc/cell/overcommit.conf:2: unknown key 'mode' in [cpu]" },
    { "mode = managed\n", "/etc/cell/overcommit.conf:1: key 'mode' outside a [section]" },
    { "[hosts]\n", "/etc/cell/overcommit.conf:1: unknown section [hosts] (expected host, cpu, memory, pids or psi)" },
    { "[host\n", "/etc/cell/overcommit.conf:1: malformed section header '[host'" },
    { "[host]\nmode\n", "/etc/cell/overcommit.conf:2: expected 'key = value', got 'mode'" },
    { "[host]\nmode =\n", "/etc/cell/overcommit.conf:2: missing value for 'mode'" },
    { "[host]\nmode = off\nmode = managed\n", "/etc/cell/overcommit.conf:3: duplicate key 'mode' in [host]" },
    { "[cpu]\nlimit_ratio = 0\n", "/etc/cell/overcommit.conf:2: limit_ratio: a ratio must be greater than 0, got '0'" },
    { "[cpu]\nlimit_ratio = -1\n", "/etc/cell/overcommit.conf:2: limit_ratio: -1 is out of range (0 to 1000)" },
    { "[cpu]\nlimit_ratio = four\n", "/etc/cell/overcommit.conf:2: limit_ratio: expected a number, got 'four'" },
    { "[cpu]\nweight_per_cpu = 0\n", "/etc/cell/overcommit.conf:2: weight_per_cpu: 0 is out of range (1 to 10000)" },
    { "[cpu]\nperiod = 100\n", "/etc/cell/overcommit.conf:2: period: 100 is out of range (1000 to 1000000)" },
    { "[host]\nreserved_memory = 1X\n",
      "/etc/cell/overcommit.conf:2: reserved_memory: invalid size '1X' (expected e.g. 1G, 512M, 1048576 or 2%)" },
    { "[host]\nmemory_headroom = 120%\n", "/etc/cell/overcommit.conf:2: memory_headroom: '120%' is more than 100%" },
    { "[memory]\nswap_besteffort = 5%\n",
      "/etc/cell/overcommit.conf:2: swap_besteffort: invalid size '5%' (expected e.g. 1G, 512M, 1048576)" },
    { "[host]\nreserved_cpu = 1Gi\n",
      "/etc/cell/overcommit.conf:2: reserved_cpu: invalid CPU quantity '1Gi' (expected e.g. 500m, 2 or 0.5)" },
    { "[host]\nlock_timeout = soon\n",
      "/etc/cell/overcommit.conf:2: lock_timeout: expected a duration such as 10s or 500ms, got 'soon'" },
    { "[host]\ncgroup_root = a/../b\n", "/etc/cell/overcommit.conf:2: cgroup_root: cgroup_root 'a/../b' must not contain '..'" },
    { "[host]\ncgroup_root = a b\n", "/etc/cell/overcommit.conf:2: cgroup_root: cgroup_root 'a b': invalid character ' '" },
    { "[memory]\nhigh_factor = 2\n", "/etc/cell/overcommit.conf:2: high_factor: 2 is out of range (0 to 1)" },
    { "[memory]\noom_score_adj = always\n",
      "/etc/cell/overcommit.conf:2: oom_score_adj: oom_score_adj must be never or if_unset, got 'always'" },
    { "[host]\nallow_unbounded = maybe\n",
      "/etc/cell/overcommit.conf:2: allow_unbounded: expected true or false, got 'maybe'" },
    { "[psi]\nbesteffort_gate_some_avg60 = 101\n",
      "/etc/cell/overcommit.conf:2: besteffort_gate_some_avg60: 101 is out of range (0 to 100)" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *msg = parse_err (cases[i].text);
      if (msg == NULL || strcmp (msg, cases[i].want) != 0)
        fprintf (stderr, "  case %zu: %s\n", i, msg ? msg : "(accepted)");
      CHECK (msg != NULL);
      CHECK_STR (msg, cases[i].want);
      free (msg);
    }
}

TEST (missing_default_file_means_off)
{
  struct oc_policy p;
  cell_error_t err = NULL;
  /* The explicit path that does not exist is an error; the default one (NULL) would be "off" but we cannot
   * rely on /etc/cell/overcommit.conf being absent here, so check the explicit case only. */
  CHECK (oc_policy_load ("/nonexistent/overcommit.conf", &p, &err) == -1);
  CHECK (err != NULL && err->code == ENOENT);
  char *msg = cell_error_string (err);
  CHECK (strstr (msg, "overcommit policy: open '/nonexistent/overcommit.conf'") != NULL);
  free (msg);
  cell_error_free (&err);
}

static int64_t
cpu (const char *s)
{
  int64_t v = -7;
  cell_error_t err = NULL;
  if (oc_parse_cpu (s, &v, &err) < 0)
    {
      cell_error_free (&err);
      return -1;
    }
  return v;
}

static int64_t
mem (const char *s)
{
  int64_t v = -7;
  cell_error_t err = NULL;
  if (oc_parse_memory (s, &v, &err) < 0)
    {
      cell_error_free (&err);
      return -1;
    }
  return v;
}

TEST (cpu_quantities)
{
  CHECK (cpu ("500m") == 500);
  CHECK (cpu ("2") == 2000);
  CHECK (cpu ("0.5") == 500);
  CHECK (cpu (".25") == 250);
  CHECK (cpu ("1.0005") == 1001); /* rounded up to 1m, as Kubernetes does */
  CHECK (cpu ("0") == 0);
  CHECK (cpu ("100m") == 100);
  CHECK (cpu ("") == -1);
  CHECK (cpu ("m") == -1);
  CHECK (cpu ("1Gi") == -1);
  CHECK (cpu ("-1") == -1);
  CHECK (cpu ("1 ") == -1);
  CHECK (cpu ("99999999999999999999") == -1);
}

TEST (memory_quantities)
{
  CHECK (mem ("512Mi") == 512LL << 20);
  CHECK (mem ("1G") == 1000000000LL);
  CHECK (mem ("1Gi") == 1LL << 30);
  CHECK (mem ("1.5Gi") == 3LL << 29);
  CHECK (mem ("1048576") == 1048576);
  CHECK (mem ("128k") == 128000);
  CHECK (mem ("2Ti") == 2LL << 40);
  CHECK (mem ("0.5") == 1); /* bytes round up */
  CHECK (mem ("1E") == 1000000000000000000LL);
  CHECK (mem ("8Ei") == -1); /* 2^63 does not fit */
  CHECK (mem ("1Kb") == -1);
  CHECK (mem ("1K") == -1); /* Kubernetes spells it k */
  CHECK (mem ("500m") == -1);
  CHECK (mem ("Gi") == -1);
  CHECK (mem ("1e3") == -1);
  cell_error_t err = NULL;
  int64_t v;
  CHECK (oc_parse_memory ("12Q", &v, &err) == -1);
  CHECK_STR (err->msg, "invalid memory quantity '12Q' (expected e.g. 512Mi, 1G or 1073741824)");
  cell_error_free (&err);
}

TEST (formatting)
{
  char buf[32];
  CHECK_STR (oc_fmt_bytes (buf, sizeof buf, 61.2 * (1 << 30)), "61.2GiB");
  CHECK_STR (oc_fmt_bytes (buf, sizeof buf, 512), "512B");
  CHECK_STR (oc_fmt_bytes (buf, sizeof buf, 1536.0 * 1024), "1.5MiB");
  CHECK_STR (oc_fmt_cpu (buf, sizeof buf, 2500), "2500m");
}

int
main (void)
{
  RUN (full_policy);
  RUN (defaults);
  RUN (errors_name_file_and_line);
  RUN (missing_default_file_means_off);
  RUN (cpu_quantities);
  RUN (memory_quantities);
  RUN (formatting);
  UNIT_END ();
}
