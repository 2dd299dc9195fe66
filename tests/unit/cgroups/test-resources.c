/* cg_plan_resources: linux.resources -> cgroup v2 file writes, with runc's and crun's conversions. */
#include "unit.h"
#include "cgroups/cgroups.h"

#include <inttypes.h>
#include <math.h>

static struct cell_resources *res;
static struct cg_plan plan;
static char errmsg[512];

/* Parse resources JSON and plan it; 0 on success, else errmsg holds the error. */
static int
plan_of (const char *json)
{
  cell_error_t err = NULL;
  cell_resources_free (res);
  cg_plan_free (&plan);
  errmsg[0] = '\0';
  res = cell_resources_parse (json, strlen (json), &err);
  if (res && cg_plan_resources (res, &plan, &err) == 0)
    return 0;
  snprintf (errmsg, sizeof errmsg, "%s", err ? err->msg : "(no error)");
  cell_error_free (&err);
  return -1;
}

/* The value planned for file (the last one), or NULL. */
static const char *
value_of (const char *file)
{
  const char *v = NULL;
  for (size_t i = 0; i < plan.n; i++)
    if (strcmp (plan.v[i].file, file) == 0)
      v = plan.v[i].value;
  return v;
}

/* Every valid shares value against the formula as runc writes it in Go (opencontainers/cgroups
 * ConvertCPUSharesToCgroupV2Value: math.Log2, math.Pow, math.Ceil), here with libm. */
TEST (cpu_weight_of_shares_all)
{
  size_t bad = 0;
  for (uint64_t s = 3; s < 262144; s++)
    {
      double l = log2 ((double) s);
      uint64_t want = (uint64_t) ceil (pow (10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
      if (cg_cpu_weight_of_shares (s) != want && bad++ < 5)
        fprintf (stderr, "shares %" PRIu64 ": %" PRIu64 ", libm %" PRIu64 "\n", s, cg_cpu_weight_of_shares (s), want);
    }
  CHECK (bad == 0);
  CHECK (cg_cpu_weight_of_shares (2) == 1);
  CHECK (cg_cpu_weight_of_shares (1024) == 100);
  CHECK (cg_cpu_weight_of_shares (2048) == 174);
  CHECK (cg_cpu_weight_of_shares (262144) == 10000);
}

TEST (cpu)
{
  CHECK (plan_of ("{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"burst\": 1000,"
                  " \"idle\": 1, \"cpus\": \"0-1\", \"mems\": \"0\"}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "100");
  CHECK_STR (value_of ("cpu.max"), "50000 100000");
  CHECK_STR (value_of ("cpu.max.burst"), "1000");
  CHECK_STR (value_of ("cpu.idle"), "1");
  CHECK_STR (value_of ("cpuset.cpus"), "0-1");
  CHECK_STR (value_of ("cpuset.mems"), "0");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 2}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "1");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 262144}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "10000");
  /* runc >= 1.3.2 / crun >= 1.23 (opencontainers/cgroups' table): the default 1024 is the default 100. */
  CHECK (plan_of ("{\"cpu\": {\"shares\": 2048}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "174");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 3}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "2");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 512}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "59");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 4096}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "303");
  CHECK (plan_of ("{\"cpu\": {\"shares\": 262143}}") == 0);
  CHECK_STR (value_of ("cpu.weight"), "10000");
  CHECK (plan_of ("{\"cpu\": {\"quota\": -1}}") == 0);
  CHECK_STR (value_of ("cpu.max"), "max 100000");
  CHECK (plan_of ("{\"cpu\": {\"period\": 200000}}") == 0);
  CHECK_STR (value_of ("cpu.max"), "max 200000");
  CHECK (plan_of ("{\"cpu\": {\"realtimeRuntime\": 0, \"realtimePeriod\": 0}}") == 0 && plan.n == 0);
  CHECK (plan_of ("{\"cpu\": {\"realtimeRuntime\": 950000}}") < 0);
  CHECK_STR (errmsg, "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2 (no realtime group scheduling)");
}

TEST (memory)
{
  CHECK (plan_of ("{\"memory\": {\"limit\": 536870912, \"reservation\": 1048576, \"swap\": 1073741824,"
                  " \"kernel\": 1, \"kernelTCP\": 1, \"useHierarchy\": true}}") == 0);
  CHECK_STR (value_of ("memory.max"), "536870912");
  CHECK_STR (value_of ("memory.low"), "1048576");
  CHECK_STR (value_of ("memory.swap.max"), "536870912");
  CHECK (plan.n == 3); /* kernel, kernelTCP, useHierarchy: ignored */
  CHECK (plan_of ("{\"memory\": {\"limit\": -1}}") == 0);
  CHECK_STR (value_of ("memory.max"), "max");
  CHECK_STR (value_of ("memory.swap.max"), "max");
  CHECK (plan_of ("{\"memory\": {\"limit\": 1048576, \"swap\": 1048576}}") == 0);
  CHECK_STR (value_of ("memory.swap.max"), "0");
  CHECK (plan_of ("{\"memory\": {\"swap\": 1048576}}") < 0);
  CHECK_STR (errmsg, "linux.resources.memory.swap: a swap limit needs a memory limit (linux.resources.memory.limit)");
  CHECK (plan_of ("{\"memory\": {\"swappiness\": 10}}") < 0);
  CHECK_STR (errmsg, "linux.resources.memory.swappiness: not supported on cgroup v2 (no per-cgroup swappiness)");
  CHECK (plan_of ("{\"memory\": {\"disableOOMKiller\": true}}") < 0);
  CHECK (plan_of ("{\"memory\": {\"disableOOMKiller\": false, \"checkBeforeUpdate\": true}}") == 0);
  CHECK (plan.n == 0 && plan.check_before_update);
}

TEST (pids_io_hugetlb_rdma)
{
  CHECK (plan_of ("{\"pids\": {\"limit\": 32}, \"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8,"
                  " \"minor\": 16, \"weight\": 10}], \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\":"
                  " 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 0}]},"
                  " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
                  " \"rdma\": {\"mlx5_0\": {\"hcaHandles\": 3, \"hcaObjects\": 100}}}") == 0);
  CHECK_STR (value_of ("pids.max"), "32");
  CHECK_STR (plan.v[1].file, "io.bfq.weight");
  CHECK_STR (plan.v[1].value, "500");
  CHECK_STR (plan.v[1].alt_file, "io.weight");
  CHECK_STR (plan.v[1].alt_value, "4950");
  CHECK_STR (plan.v[2].value, "8:16 10");
  CHECK_STR (plan.v[2].alt_value, "8:16 1");
  CHECK_STR (plan.v[3].value, "8:0 rbps=1048576");
  CHECK_STR (plan.v[4].value, "8:0 wiops=max");
  CHECK_STR (value_of ("hugetlb.2MB.max"), "4194304");
  CHECK_STR (value_of ("rdma.max"), "mlx5_0 hca_handle=3 hca_object=100");
  CHECK (plan_of ("{\"pids\": {\"limit\": -1}}") == 0);
  CHECK_STR (value_of ("pids.max"), "max");
  /* 0 is no limit too (runc's reading; README), for create and update alike. */
  CHECK (plan_of ("{\"pids\": {\"limit\": 0}}") == 0);
  CHECK_STR (value_of ("pids.max"), "max");
  CHECK (plan_of ("{\"network\": {\"classID\": 1}}") < 0);
  CHECK_STR (errmsg, "linux.resources.network: not supported on cgroup v2 (net_cls and net_prio are v1 controllers)");
}

TEST (unified_last)
{
  CHECK (plan_of ("{\"unified\": {\"memory.high\": \"1G\"}, \"memory\": {\"limit\": 4096}}") == 0);
  CHECK (plan.n == 2);
  CHECK_STR (plan.v[1].file, "memory.high");
  CHECK_STR (plan.v[1].controller, "memory");
  CHECK (plan.v[1].must_exist);
  CHECK_STR (plan.v[1].field, "linux.resources.unified.memory.high");
  CHECK (plan_of ("{\"unified\": {\"cgroup.max.depth\": \"3\"}}") == 0);
  CHECK_STR (plan.v[0].controller, "cgroup");
  CHECK (plan_of ("{\"unified\": {\"nope.max\": \"3\"}}") < 0);
  CHECK (strstr (errmsg, "linux.resources.unified.nope.max: unknown key") != NULL);
  CHECK (plan_of ("{\"unified\": {\"memory.max/../../cgroup.procs\": \"3\"}}") < 0);
  CHECK (plan_of ("{\"unified\": {\"cgroup.procs\": \"1\"}}") < 0);
  CHECK_STR (errmsg, "linux.resources.unified.cgroup.procs: not a resource limit (cell manages this file)");
}

TEST (devices_passed_on)
{
  CHECK (plan_of ("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}") == 0);
  CHECK (plan.n == 0 && plan.devices_present && plan.n_devices == 1);
}

int
main (void)
{
  RUN (cpu_weight_of_shares_all);
  RUN (cpu);
  RUN (memory);
  RUN (pids_io_hugetlb_rdma);
  RUN (unified_last);
  RUN (devices_passed_on);
  cell_resources_free (res);
  cg_plan_free (&plan);
  UNIT_END ();
}
