/* cell: the tables of linux.resources (also `cell update`'s input). Value rules: validate-resources.c. */
#include "internal.h"

#include <string.h>

/* ---- linux.resources ---- */

static int
check_device_cgroup (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_device_cgroup *d = obj;
  static const char *const types[] = { "a", "c", "b" };
  if (cfg_check_string_in (d->type, types, ARRAY_SIZE (types), path, "type", "device type", err) < 0)
    return -1;
  if (d->access && d->access[strspn (d->access, "rwm")] != '\0')
    return cell_error (err, 0, "%s.access: expected a subset of 'rwm', got '%s'", path, d->access);
  return 0;
}

#define T struct cell_device_cgroup
static const struct field device_cgroup_desc_fields[] = {
  BOOL ("allow", allow, REQ_),
  STR ("type", type),
  I64 ("major", major, P_ (major_present)),
  I64 ("minor", minor, P_ (minor_present)),
  STR ("access", access),
};
#undef T
DESC (device_cgroup_desc, check_device_cgroup);

#define T struct cell_resources
static const struct field memory_desc_fields[] = {
  I64 ("limit", memory.limit, P_ (memory.limit_present)),
  I64 ("reservation", memory.reservation, P_ (memory.reservation_present)),
  I64 ("swap", memory.swap, P_ (memory.swap_present)),
  I64 ("kernel", memory.kernel, P_ (memory.kernel_present)),
  I64 ("kernelTCP", memory.kernel_tcp, P_ (memory.kernel_tcp_present)),
  U64 ("swappiness", memory.swappiness, P_ (memory.swappiness_present)),
  BOOL ("disableOOMKiller", memory.disable_oom_killer, P_ (memory.disable_oom_killer_present)),
  BOOL ("useHierarchy", memory.use_hierarchy, P_ (memory.use_hierarchy_present)),
  BOOL ("checkBeforeUpdate", memory.check_before_update, P_ (memory.check_before_update_present)),
};
DESC (memory_desc, NULL);

static const struct field cpu_desc_fields[] = {
  U64 ("shares", cpu.shares, P_ (cpu.shares_present)),
  I64 ("quota", cpu.quota, P_ (cpu.quota_present)),
  U64 ("burst", cpu.burst, P_ (cpu.burst_present)),
  U64 ("period", cpu.period, P_ (cpu.period_present)),
  I64 ("realtimeRuntime", cpu.realtime_runtime, P_ (cpu.realtime_runtime_present)),
  U64 ("realtimePeriod", cpu.realtime_period, P_ (cpu.realtime_period_present)),
  STR ("cpus", cpu.cpus),
  STR ("mems", cpu.mems),
  I64 ("idle", cpu.idle, P_ (cpu.idle_present)),
};
DESC (cpu_desc, NULL);

static const struct field pids_desc_fields[] = {
  I64 ("limit", pids.limit, P_ (pids.limit_present)),
};
DESC (pids_desc, NULL);
#undef T

#define T struct cell_weight_device
static const struct field weight_device_desc_fields[] = {
  I64 ("major", major, REQ_),
  I64 ("minor", minor, REQ_),
  U16 ("weight", weight, P_ (weight_present)),
  U16 ("leafWeight", leaf_weight, P_ (leaf_weight_present)),
};
#undef T
DESC (weight_device_desc, NULL);

#define T struct cell_throttle_device
static const struct field throttle_device_desc_fields[] = {
  I64 ("major", major, REQ_),
  I64 ("minor", minor, REQ_),
  U64 ("rate", rate, REQ_),
};
#undef T
DESC (throttle_device_desc, NULL);

#define T struct cell_resources
#define THROTTLE(k, m) ARR (k, block_io.m, block_io.n_##m, struct cell_throttle_device, throttle_device_desc)
static const struct field block_io_desc_fields[] = {
  U16 ("weight", block_io.weight, P_ (block_io.weight_present)),
  U16 ("leafWeight", block_io.leaf_weight, P_ (block_io.leaf_weight_present)),
  ARR ("weightDevice", block_io.weight_device, block_io.n_weight_device, struct cell_weight_device,
       weight_device_desc),
  THROTTLE ("throttleReadBpsDevice", throttle_read_bps),
  THROTTLE ("throttleWriteBpsDevice", throttle_write_bps),
  THROTTLE ("throttleReadIOPSDevice", throttle_read_iops),
  THROTTLE ("throttleWriteIOPSDevice", throttle_write_iops),
};
#undef THROTTLE
DESC (block_io_desc, NULL);
#undef T

#define T struct cell_hugepage_limit
static const struct field hugepage_desc_fields[] = {
  STR ("pageSize", page_size, REQ_),
  U64 ("limit", limit, REQ_),
};
#undef T
DESC (hugepage_desc, NULL);

#define T struct cell_net_priority
static const struct field net_priority_desc_fields[] = {
  STR ("name", name, REQ_),
  U32 ("priority", priority, REQ_),
};
#undef T
DESC (net_priority_desc, NULL);

#define T struct cell_resources
static const struct field network_desc_fields[] = {
  U32 ("classID", network.class_id, P_ (network.class_id_present)),
  ARR ("priorities", network.priorities, network.n_priorities, struct cell_net_priority, net_priority_desc),
};
#undef T
DESC (network_desc, NULL);

#define T struct cell_rdma_limit
static const struct field rdma_desc_fields[] = {
  U32 ("hcaHandles", hca_handles, P_ (hca_handles_present)),
  U32 ("hcaObjects", hca_objects, P_ (hca_objects_present)),
};
#undef T
DESC (rdma_desc, NULL);

#define T struct cell_resources
static const struct field resources_desc_fields[] = {
  ARR ("devices", devices, n_devices, struct cell_device_cgroup, device_cgroup_desc),
  HERE ("memory", memory_desc, P_ (memory.present)),
  HERE ("cpu", cpu_desc, P_ (cpu.present)),
  HERE ("pids", pids_desc, P_ (pids.present)),
  HERE ("blockIO", block_io_desc, P_ (block_io.present)),
  ARR ("hugepageLimits", hugepage_limits, n_hugepage_limits, struct cell_hugepage_limit, hugepage_desc),
  HERE ("network", network_desc, P_ (network.present)),
  MAP ("rdma", rdma, n_rdma, struct cell_rdma_limit, device, rdma_desc),
  STRMAP ("unified", unified, n_unified),
};
#undef T
DESC_EXPORT (resources_desc, NULL);
