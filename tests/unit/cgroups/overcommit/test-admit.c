/* cgroups/overcommit: intent and QoS, contradictions, the admission inequalities, the ledger and its crash
 * recovery, the leaf and slice formulas. */
#include "cgroups/overcommit/overcommit.h"
#include "config/config.h"
#include "runtime/base/proc.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GiB (1LL << 30)
#define MiB (1LL << 20)

/* A config from JSON text (annotations and linux.resources only matter here). */
static struct cell_config *
config (const char *json)
{
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (json, strlen (json), &err);
  if (c == NULL)
    {
      fprintf (stderr, "  config: %s\n", err->msg);
      cell_error_free (&err);
    }
  return c;
}

/* Intent of a config; NULL on success, else the error message (caller frees). */
static char *
intent (const char *json, struct oc_intent *in)
{
  struct cell_config *c = config (json);
  if (c == NULL)
    return strdup ("bad test config");
  cell_error_t err = NULL;
  int r = oc_intent_from_config (c, in, &err);
  cell_config_free (c);
  if (r == 0)
    return err ? strdup ("contract broken") : NULL;
  char *msg = cell_error_string (err);
  cell_error_free (&err);
  return msg;
}

#define ANN(...) "{\"ociVersion\":\"1.0.2\",\"annotations\":{" __VA_ARGS__ "}}"

TEST (qos_from_annotations)
{
  struct oc_intent in;
  CHECK (intent (ANN ("\"io.cell.cpu.request\":\"1\",\"io.cell.cpu.limit\":\"1000m\","
                      "\"io.cell.memory.request\":\"1Gi\",\"io.cell.memory.limit\":\"1Gi\","
                      "\"io.cell.tenant\":\"acme\""),
                 &in)
         == NULL);
  CHECK (in.qos == OC_GUARANTEED && in.cpu_request == 1000 && in.mem_limit == GiB);
  CHECK_STR (in.tenant, "acme");
  oc_intent_release (&in);

  CHECK (intent (ANN ("\"io.cell.cpu.request\":\"500m\",\"io.cell.cpu.limit\":\"2\","
                      "\"io.cell.memory.request\":\"512Mi\",\"io.cell.memory.limit\":\"1Gi\""),
                 &in)
         == NULL);
  CHECK (in.qos == OC_BURSTABLE && in.cpu_request == 500 && in.cpu_limit == 2000 && in.mem_request == 512 * MiB);
  oc_intent_release (&in);

  CHECK (intent (ANN (""), &in) == NULL);
  CHECK (in.qos == OC_BESTEFFORT && in.cpu_request == 0 && in.cpu_limit == 0 && in.mem_limit == 0);
  oc_intent_release (&in);

  /* Kubernetes' defaulting: a limit alone is also the request, so limits alone make Guaranteed. */
  CHECK (intent (ANN ("\"io.cell.cpu.limit\":\"1\",\"io.cell.memory.limit\":\"1Gi\""), &in) == NULL);
  CHECK (in.qos == OC_GUARANTEED && in.cpu_request == 1000 && in.mem_request == GiB);
  oc_intent_release (&in);

  /* A request without a limit: Burstable and unbounded. */
  CHECK (intent (ANN ("\"io.cell.memory.request\":\"1Gi\""), &in) == NULL);
  CHECK (in.qos == OC_BURSTABLE && in.mem_limit == OC_UNBOUNDED && in.cpu_limit == OC_UNBOUNDED);
  oc_intent_release (&in);
}

TEST (derived_from_resources)
{
  struct oc_intent in;
  /* Kubernetes' pod with requests 250m/256Mi and limits 500m/512Mi as runc sees it. */
  CHECK (intent ("{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{"
                 "\"cpu\":{\"shares\":256,\"quota\":50000,\"period\":100000},"
                 "\"memory\":{\"limit\":536870912,\"reservation\":268435456},\"pids\":{\"limit\":100}}}}",
                 &in)
         == NULL);
  CHECK (in.cpu_request == 250 && in.cpu_limit == 500 && in.mem_request == 256 * MiB && in.mem_limit == 512 * MiB);
  CHECK (in.qos == OC_BURSTABLE && in.pids_limit == 100);
  oc_intent_release (&in);
  /* shares 2 is Kubernetes' BestEffort value: no request. unified memory.min wins over reservation. */
  CHECK (intent ("{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{\"cpu\":{\"shares\":2},"
                 "\"memory\":{\"reservation\":1},\"unified\":{\"memory.min\":\"4096\"}}}}",
                 &in)
         == NULL);
  CHECK (in.cpu_request == 0 && in.mem_request == 4096 && in.qos == OC_BURSTABLE);
  oc_intent_release (&in);
  /* 100m -> shares 102 -> back to 100m; quota 10000/100000 -> 100m. */
  CHECK (intent ("{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{\"cpu\":{\"shares\":102,\"quota\":10000},"
                 "\"memory\":{\"limit\":1073741824}}},\"annotations\":{\"io.cell.memory.request\":\"1Gi\"}}",
                 &in)
         == NULL);
  CHECK (in.cpu_request == 100 && in.cpu_limit == 100 && in.qos == OC_GUARANTEED);
  oc_intent_release (&in);
}

/* Every contradiction is refused with both values named. */
TEST (contradictions)
{
  struct oc_intent in;
  char *msg = intent (ANN ("\"io.cell.memory.request\":\"2Gi\",\"io.cell.memory.limit\":\"1Gi\""), &in);
  CHECK_STR (msg, "memory request 2147483648 bytes (io.cell.memory.request 2Gi) exceeds its limit 1073741824 bytes "
                  "(io.cell.memory.limit 1Gi)");
  free (msg);
  msg = intent (ANN ("\"io.cell.cpu.request\":\"2\",\"io.cell.cpu.limit\":\"500m\""), &in);
  CHECK_STR (msg, "cpu request 2000m (io.cell.cpu.request 2) exceeds its limit 500m (io.cell.cpu.limit 500m)");
  free (msg);
  msg = intent (ANN ("\"io.cell.qos\":\"Guaranteed\",\"io.cell.cpu.request\":\"500m\",\"io.cell.cpu.limit\":\"1\","
                     "\"io.cell.memory.limit\":\"1Gi\""),
                &in);
  CHECK_STR (msg, "annotations.io.cell.qos Guaranteed contradicts the numbers, which make the container Burstable "
                  "(cpu request 500m, limit 1000m; memory request 1073741824, limit 1073741824)");
  free (msg);
  msg = intent (ANN ("\"io.cell.qos\":\"besteffort\",\"io.cell.memory.limit\":\"1Gi\""), &in);
  CHECK (msg && strstr (msg, "contradicts the numbers, which make the container Burstable"));
  free (msg);
  msg = intent (ANN ("\"io.cell.qos\":\"Platinum\""), &in);
  CHECK_STR (msg, "annotations.io.cell.qos: 'Platinum' is not Guaranteed, Burstable or BestEffort");
  free (msg);
  msg = intent ("{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.cell.memory.limit\":\"1Gi\"},"
                "\"linux\":{\"resources\":{\"memory\":{\"limit\":2147483648}}}}",
                &in);
  CHECK_STR (msg, "annotations.io.cell.memory.limit 1Gi (1073741824 bytes) disagrees with "
                  "linux.resources.memory.limit (2147483648 bytes)");
  free (msg);
  msg = intent ("{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.cell.cpu.request\":\"500m\"},"
                "\"linux\":{\"resources\":{\"cpu\":{\"shares\":1024}}}}",
                &in);
  CHECK_STR (msg, "annotations.io.cell.cpu.request 500m (500m) disagrees with linux.resources.cpu.shares (1000m)");
  free (msg);
  msg = intent (ANN ("\"io.cell.memory.requests\":\"1Gi\""), &in);
  CHECK (msg && strstr (msg, "annotations.io.cell.memory.requests: unknown key"));
  free (msg);
  msg = intent (ANN ("\"io.cell.memory.limit\":\"lots\""), &in);
  CHECK_STR (msg, "annotations.io.cell.memory.limit: invalid memory quantity 'lots' (expected e.g. 512Mi, 1G or "
                  "1073741824)");
  free (msg);
  msg = intent (ANN ("\"io.cell.tenant\":\"a b\""), &in);
  CHECK (msg && strstr (msg, "annotations.io.cell.tenant: 'a b' must be"));
  free (msg);
}

/* ---- admission ---- */

static struct oc_policy
policy (void)
{
  struct oc_policy p;
  oc_policy_defaults (&p);
  p.memory_headroom.value = 0;
  return p;
}

static struct oc_intent
g (int64_t cpu_m, int64_t mem)
{
  return (struct oc_intent){ cpu_m, cpu_m, mem, mem, 0, OC_GUARANTEED, NULL };
}

static struct oc_intent
b (int64_t cpu_req, int64_t cpu_lim, int64_t mem_req, int64_t mem_lim)
{
  return (struct oc_intent){ cpu_req, cpu_lim, mem_req, mem_lim, 0, OC_BURSTABLE, NULL };
}

static void
put (struct oc_ledger *l, const char *id, struct oc_intent in)
{
  struct oc_entry e = { .id = strdup (id), .state = OC_ACTIVE, .in = in };
  oc_ledger_put (l, &e);
}

/* NULL when admitted, else the message (caller frees); *status gets the error's status. */
static char *
check (const struct oc_policy *p, const struct oc_capacity *cap, const struct oc_ledger *l, const char *id,
       struct oc_intent in, int *status)
{
  cell_error_t err = NULL;
  if (oc_check (p, cap, l, id, &in, -1, &err) == 0)
    return err ? strdup ("contract broken") : NULL;
  *status = err->status;
  char *msg = cell_error_string (err);
  cell_error_free (&err);
  return msg;
}

TEST (capacity_arithmetic)
{
  struct oc_policy p = policy ();
  p.reserved_cpu = 1000;
  p.reserved_memory = (struct oc_size){ false, (double) GiB };
  p.memory_headroom = (struct oc_size){ true, 2 };
  struct oc_capacity cap;
  oc_capacity_compute (&p, 8, 64 * GiB, &cap);
  CHECK (cap.cpu == 7000);
  CHECK (cap.mem == 64 * GiB - GiB - (int64_t) (64.0 * GiB * 0.02));
  oc_policy_release (&p);
}

/* C1's arithmetic: 1 GiB Guaranteed containers against 64 GiB admit exactly 64. */
TEST (exactly_as_many_as_fit)
{
  struct oc_policy p = policy ();
  struct oc_capacity cap;
  oc_capacity_compute (&p, 64, 64 * GiB, &cap);
  struct oc_ledger l = { 0 };
  int admitted = 0, status = 0;
  char *last = NULL;
  for (int i = 0; i < 200; i++)
    {
      char id[16];
      snprintf (id, sizeof id, "c%d", i);
      free (last);
      last = check (&p, &cap, &l, id, g (1000, GiB), &status);
      if (last == NULL)
        {
          put (&l, id, g (1000, GiB));
          admitted++;
        }
    }
  CHECK (admitted == 64);
  CHECK (status == OC_EXIT_REFUSED);
  CHECK_STR (last, "refusing \"c199\": cpu requests would be 65000m > 64000m (request ratio 1.00 x capacity 64000m; "
                   "64 containers hold 64000m)");
  free (last);
  oc_ledger_release (&l);
  oc_policy_release (&p);
}

TEST (each_inequality)
{
  struct oc_policy p = policy ();
  struct oc_capacity cap;
  oc_capacity_compute (&p, 4, 60 * GiB, &cap); /* 4000m, 60 GiB */
  struct oc_ledger l = { 0 };
  int status = 0;
  /* 3: memory requests. */
  for (int i = 0; i < 29; i++)
    {
      char id[16];
      snprintf (id, sizeof id, "m%d", i);
      put (&l, id, b (0, 100, 2 * GiB, 2 * GiB));
    }
  char *msg = check (&p, &cap, &l, "web-7", b (0, 100, 3 * GiB, 3 * GiB), &status);
  CHECK_STR (msg, "refusing \"web-7\": memory requests would be 61.0GiB > 60.0GiB (request ratio 1.00 x capacity "
                  "60.0GiB; 29 containers hold 58.0GiB)");
  free (msg);
  CHECK (check (&p, &cap, &l, "web-7", b (0, 100, 2 * GiB, 2 * GiB), &status) == NULL);
  /* 4: memory limits at 1.5: 58 + 33 > 90. */
  msg = check (&p, &cap, &l, "big", b (0, 100, GiB, 33 * GiB), &status);
  CHECK_STR (msg, "refusing \"big\": memory limits would be 91.0GiB > 90.0GiB (limit ratio 1.50 x capacity 60.0GiB; "
                  "29 containers hold 58.0GiB)");
  free (msg);
  CHECK (check (&p, &cap, &l, "big", b (0, 100, GiB, 32 * GiB), &status) == NULL);
  /* 2: cpu limits at 4.0: 29 * 100m + 13200m > 16000m. */
  msg = check (&p, &cap, &l, "spin", b (100, 13200, 0, MiB), &status);
  CHECK_STR (msg, "refusing \"spin\": cpu limits would be 16100m > 16000m (limit ratio 4.00 x capacity 4000m; "
                  "29 containers hold 2900m)");
  free (msg);
  /* Guaranteed requests alone never exceed capacity, even with a request ratio above 1. */
  p.mem_request_ratio = 2.0;
  p.mem_limit_ratio = 3.0;
  msg = check (&p, &cap, &l, "gold", g (100, 61 * GiB), &status);
  CHECK (msg && strstr (msg, "refusing \"gold\": Guaranteed memory requests would be 61.0GiB > 60.0GiB"));
  free (msg);
  /* Passthrough never refuses on capacity. */
  p.mode = OC_MODE_PASSTHROUGH;
  CHECK (check (&p, &cap, &l, "gold", g (100, 61 * GiB), &status) == NULL);
  oc_ledger_release (&l);
  oc_policy_release (&p);
}

TEST (update_checks_the_delta)
{
  struct oc_policy p = policy ();
  struct oc_capacity cap;
  oc_capacity_compute (&p, 2, 10 * GiB, &cap);
  struct oc_ledger l = { 0 };
  int status = 0;
  put (&l, "a", g (1000, 6 * GiB));
  put (&l, "b", g (1000, 4 * GiB));
  /* Growing b by 1 GiB does not fit; keeping or shrinking it always does (its old share is replaced). */
  char *msg = check (&p, &cap, &l, "b", g (1000, 5 * GiB), &status);
  CHECK (msg && strstr (msg, "memory requests would be 11.0GiB > 10.0GiB") && strstr (msg, "1 container holds 6.0GiB"));
  free (msg);
  CHECK (check (&p, &cap, &l, "b", g (1000, 4 * GiB), &status) == NULL);
  CHECK (check (&p, &cap, &l, "b", g (500, 2 * GiB), &status) == NULL);
  oc_ledger_release (&l);
  oc_policy_release (&p);
}

TEST (unbounded_and_besteffort)
{
  struct oc_policy p = policy ();
  struct oc_capacity cap;
  oc_capacity_compute (&p, 2, 10 * GiB, &cap);
  struct oc_ledger l = { 0 };
  int status = 0;
  struct oc_intent u = b (500, OC_UNBOUNDED, GiB, 2 * GiB);
  char *msg = check (&p, &cap, &l, "u", u, &status);
  CHECK_STR (msg, "refusing \"u\": a Burstable container without a cpu limit is unbounded, and the policy does not "
                  "allow unbounded containers (host.allow_unbounded = false)");
  CHECK (status == OC_EXIT_REFUSED);
  free (msg);
  p.allow_unbounded = true;
  CHECK (check (&p, &cap, &l, "u", u, &status) == NULL);
  put (&l, "u", u);
  /* The unbounded cpu limit counts as the whole capacity. */
  struct oc_sums s;
  oc_sums_compute (&l, &cap, &s);
  CHECK (s.cpu_lim_all == 2000 && s.unbounded == 1);
  /* BestEffort adds nothing and is admitted even when the host is full; the pressure gate closes it. */
  put (&l, "full", g (1500, 8 * GiB));
  struct oc_intent be = { 0, 0, 0, 0, 0, OC_BESTEFFORT, NULL };
  CHECK (check (&p, &cap, &l, "be", be, &status) == NULL);
  p.psi_besteffort_gate = 10;
  cell_error_t err = NULL;
  CHECK (oc_check (&p, &cap, &l, "be", &be, 12.5, &err) == -1);
  CHECK_STR (err->msg, "refusing \"be\": BestEffort admission is closed while memory pressure some avg60 is 12.50% > "
                       "10.00% (psi.besteffort_gate_some_avg60)");
  cell_error_free (&err);
  CHECK (oc_check (&p, &cap, &l, "be", &be, 9.0, &err) == 0);
  oc_ledger_release (&l);
  oc_policy_release (&p);
}

/* ---- ledger ---- */

TEST (ledger_round_trip)
{
  struct oc_ledger l = { 0 };
  struct oc_entry e = { .id = strdup ("web-1"), .state = OC_RESERVING, .in = b (250, OC_UNBOUNDED, MiB, 2 * MiB),
                        .pid = 42, .start = 12345, .cgroup = strdup ("/cell.slice/burstable/web 1") };
  e.in.tenant = strdup ("acme");
  oc_ledger_put (&l, &e);
  put (&l, "db", g (1000, GiB));
  char *text = oc_ledger_format (&l);
  CHECK (strstr (text, "web-1 reserving class=burstable cpu_req=250 cpu_lim=unbounded mem_req=1048576 "
                       "mem_lim=2097152 pids=0 pid=42 start=12345 tenant=acme cgroup=/cell.slice/burstable/web%201\n"));
  struct oc_ledger back;
  cell_error_t err = NULL;
  CHECK (oc_ledger_parse (text, strlen (text), &back, &err) == 0);
  CHECK (back.n == 2);
  struct oc_entry *w = oc_ledger_find (&back, "web-1");
  CHECK (w && w->state == OC_RESERVING && w->in.cpu_limit == OC_UNBOUNDED && w->pid == 42 && w->start == 12345);
  CHECK_STR (w->cgroup, "/cell.slice/burstable/web 1");
  CHECK_STR (w->in.tenant, "acme");
  CHECK (oc_ledger_find (&back, "db")->in.qos == OC_GUARANTEED);
  CHECK (oc_ledger_remove (&back, "web-1") && !oc_ledger_remove (&back, "web-1") && back.n == 1);
  free (text);
  oc_ledger_release (&back);
  oc_ledger_release (&l);
  CHECK (oc_ledger_parse ("# v1\nx bogus class=guaranteed\n", 30, &back, &err) == -1);
  CHECK_STR (err->msg, "overcommit ledger:2: malformed entry");
  cell_error_free (&err);
}

/* A creator killed mid-create leaves a reserving entry; the next holder of the lock drops it. A creator that
 * got as far as state.json made a container: its entry becomes active. A live creator's entry stays. */
TEST (crash_recovery)
{
  char root[] = "/tmp/cell-unit-oc-XXXXXX";
  CHECK (mkdtemp (root) != NULL);
  pid_t dead = fork ();
  if (dead == 0)
    _exit (0);
  unsigned long long dead_start = cell_proc_start_time (dead);
  waitpid (dead, NULL, 0);
  CHECK (dead_start != 0 && cell_proc_start_time (dead) == 0);

  struct oc_locked lk;
  cell_error_t err = NULL;
  CHECK (oc_lock (root, 1000, true, &lk, &err) == 0);
  struct oc_entry e1 = { .id = strdup ("killed"), .state = OC_RESERVING, .in = g (1000, GiB), .pid = dead,
                         .start = dead_start };
  struct oc_entry e2 = { .id = strdup ("finished"), .state = OC_RESERVING, .in = g (1000, GiB), .pid = dead,
                         .start = dead_start };
  struct oc_entry e3 = { .id = strdup ("creating"), .state = OC_RESERVING, .in = g (1000, GiB), .pid = getpid (),
                         .start = cell_proc_start_time (getpid ()) };
  /* Same pid, other start time: the pid was reused by someone else. */
  struct oc_entry e4 = { .id = strdup ("reused"), .state = OC_RESERVING, .in = g (1000, GiB), .pid = getpid (),
                         .start = cell_proc_start_time (getpid ()) + 1 };
  struct oc_entry e5 = { .id = strdup ("gone"), .state = OC_ACTIVE, .in = g (1000, GiB) };
  oc_ledger_put (&lk.ledger, &e1);
  oc_ledger_put (&lk.ledger, &e2);
  oc_ledger_put (&lk.ledger, &e3);
  oc_ledger_put (&lk.ledger, &e4);
  oc_ledger_put (&lk.ledger, &e5);
  CHECK (oc_ledger_save (&lk, &err) == 0);
  oc_unlock (&lk);

  char path[256];
  snprintf (path, sizeof path, "%s/finished", root);
  mkdir (path, 0700);
  snprintf (path, sizeof path, "%s/finished/state.json", root);
  close (open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));

  CHECK (oc_lock (root, 1000, true, &lk, &err) == 0);
  CHECK (lk.ledger.n == 5);
  CHECK (oc_recover (&lk, root) == 3);
  CHECK (lk.ledger.n == 2);
  CHECK (oc_ledger_find (&lk.ledger, "finished") && oc_ledger_find (&lk.ledger, "finished")->state == OC_ACTIVE);
  CHECK (oc_ledger_find (&lk.ledger, "creating") && oc_ledger_find (&lk.ledger, "creating")->state == OC_RESERVING);
  CHECK (oc_ledger_save (&lk, &err) == 0);
  oc_unlock (&lk);

  /* The lock excludes: a second holder times out with status 75. */
  CHECK (oc_lock (root, 1000, true, &lk, &err) == 0);
  pid_t child = fork ();
  if (child == 0)
    {
      struct oc_locked lk2;
      cell_error_t e = NULL;
      int r = oc_lock (root, 50, true, &lk2, &e);
      _exit (r == -1 && e && e->status == OC_EXIT_REFUSED && strstr (e->msg, "is busy") ? 0 : 1);
    }
  int st;
  waitpid (child, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  oc_unlock (&lk);

  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
  CHECK (system (cmd) == 0);
}

/* ---- cgroup files ---- */

TEST (linear_weights)
{
  /* 100m/250m/1000m/2000m -> 10/25/100/200: shares 3.0/7.5/29.9/59.7%. */
  CHECK (oc_cpu_weight (100, 100) == 10);
  CHECK (oc_cpu_weight (250, 100) == 25);
  CHECK (oc_cpu_weight (1000, 100) == 100);
  CHECK (oc_cpu_weight (2000, 100) == 200);
  CHECK (oc_cpu_weight (1, 100) == 1);
  CHECK (oc_cpu_weight (0, 100) == 1);
  CHECK (oc_cpu_weight (1000000, 100) == 10000);
}

TEST (leaf_plans)
{
  struct oc_policy p = policy ();
  struct oc_host h = { .swap = true, .page_size = 4096 };
  struct oc_writes w;
  struct oc_intent gi = g (1000, GiB);
  oc_leaf_plan (&p, &h, &gi, &w);
  CHECK_STR (oc_writes_get (&w, "memory.max"), "1073741824");
  CHECK_STR (oc_writes_get (&w, "memory.min"), "1073741824");
  CHECK (oc_writes_get (&w, "memory.low") == NULL);
  CHECK_STR (oc_writes_get (&w, "memory.swap.max"), "0");
  CHECK_STR (oc_writes_get (&w, "memory.oom.group"), "1");
  CHECK_STR (oc_writes_get (&w, "cpu.max"), "100000 100000");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "100");
  CHECK_STR (oc_writes_get (&w, "pids.max"), "4096");
  /* Order: limits, then protections, then CPU weight. */
  CHECK_STR (w.v[0].file, "memory.max");
  CHECK_STR (w.v[w.n - 1].file, "cpu.weight");
  oc_writes_free (&w);

  p.high_factor = 0.5;
  p.burst_fraction = 0.5;
  struct oc_intent bi = b (250, 500, 256 * MiB, 512 * MiB + 100);
  bi.pids_limit = 64;
  oc_leaf_plan (&p, &h, &bi, &w);
  CHECK_STR (oc_writes_get (&w, "memory.low"), "268435456");
  CHECK (oc_writes_get (&w, "memory.min") == NULL);
  /* floor((256Mi + 0.5 * (256Mi + 100)) / 4096) * 4096 */
  CHECK_STR (oc_writes_get (&w, "memory.high"), "402653184");
  CHECK_STR (oc_writes_get (&w, "cpu.max"), "50000 100000");
  CHECK_STR (oc_writes_get (&w, "cpu.max.burst"), "25000");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "25");
  CHECK_STR (oc_writes_get (&w, "pids.max"), "64");
  oc_writes_free (&w);
  /* Without swap, memory.high would only stall: not written. */
  h.swap = false;
  oc_leaf_plan (&p, &h, &bi, &w);
  CHECK (oc_writes_get (&w, "memory.high") == NULL);
  oc_writes_free (&w);

  struct oc_intent be = { 0, 0, 0, 0, 0, OC_BESTEFFORT, NULL };
  oc_leaf_plan (&p, &h, &be, &w);
  CHECK_STR (oc_writes_get (&w, "memory.max"), "max");
  CHECK_STR (oc_writes_get (&w, "cpu.max"), "max 100000");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "1");
  CHECK_STR (oc_writes_get (&w, "cpu.idle"), "1");
  CHECK_STR (oc_writes_get (&w, "memory.swap.max"), "0");
  oc_writes_free (&w);
  /* A tiny limit still gets the kernel's minimum quota. */
  struct oc_intent tiny = g (1, MiB);
  oc_leaf_plan (&p, &h, &tiny, &w);
  CHECK_STR (oc_writes_get (&w, "cpu.max"), "1000 100000");
  oc_writes_free (&w);
  oc_policy_release (&p);
}

TEST (slice_plans_and_oom_score)
{
  struct oc_policy p = policy ();
  p.reserved_memory = (struct oc_size){ false, (double) GiB };
  struct oc_capacity cap;
  oc_capacity_compute (&p, 4, 16 * GiB, &cap);
  struct oc_ledger l = { 0 };
  put (&l, "g1", g (1000, 2 * GiB));
  put (&l, "g2", g (500, GiB));
  put (&l, "b1", b (250, 1000, GiB, 4 * GiB));
  struct oc_intent be = { 0, 0, 0, 0, 0, OC_BESTEFFORT, NULL };
  put (&l, "e1", be);
  struct oc_writes w;
  oc_slice_plan (&p, &cap, &l, OC_SLICE_ROOT, &w);
  CHECK_STR (oc_writes_get (&w, "memory.max"), "16106127360"); /* 15 GiB */
  CHECK_STR (oc_writes_get (&w, "memory.min"), "3221225472");  /* 3 GiB of Guaranteed */
  CHECK_STR (oc_writes_get (&w, "memory.low"), "4294967296");  /* + 1 GiB of Burstable */
  CHECK_STR (oc_writes_get (&w, "memory.oom.group"), "0");
  oc_writes_free (&w);
  oc_slice_plan (&p, &cap, &l, OC_SLICE_GUARANTEED, &w);
  CHECK_STR (oc_writes_get (&w, "memory.min"), "3221225472");
  CHECK_STR (oc_writes_get (&w, "memory.low"), "3221225472");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "150");
  oc_writes_free (&w);
  oc_slice_plan (&p, &cap, &l, OC_SLICE_BURSTABLE, &w);
  CHECK_STR (oc_writes_get (&w, "memory.low"), "1073741824");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "25");
  oc_writes_free (&w);
  oc_slice_plan (&p, &cap, &l, OC_SLICE_BESTEFFORT, &w);
  CHECK_STR (oc_writes_get (&w, "cpu.idle"), "1");
  CHECK_STR (oc_writes_get (&w, "cpu.weight"), "1");
  oc_writes_free (&w);
  struct oc_intent bi = b (250, 1000, GiB, 4 * GiB);
  CHECK (oc_oom_score_adj (&l.v[0].in, &cap) == -998);
  CHECK (oc_oom_score_adj (&be, &cap) == 1000);
  int adj = oc_oom_score_adj (&bi, &cap);
  CHECK (adj > 900 && adj < 999);
  oc_ledger_release (&l);
  oc_policy_release (&p);
}

int
main (void)
{
  RUN (qos_from_annotations);
  RUN (derived_from_resources);
  RUN (contradictions);
  RUN (capacity_arithmetic);
  RUN (exactly_as_many_as_fit);
  RUN (each_inequality);
  RUN (update_checks_the_delta);
  RUN (unbounded_and_besteffort);
  RUN (ledger_round_trip);
  RUN (crash_recovery);
  RUN (linear_weights);
  RUN (leaf_plans);
  RUN (slice_plans_and_oom_score);
  UNIT_END ();
}
