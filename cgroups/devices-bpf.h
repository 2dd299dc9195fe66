/* cell: the cgroup v2 device filter: a BPF_CGROUP_DEVICE program built from linux.resources.devices.
 * (Owned by the vm engineer; this header is the interface the cgroup manager calls.) */
#ifndef CELL_CGROUPS_DEVICES_BPF_H
#define CELL_CGROUPS_DEVICES_BPF_H

#include "../runtime/base/error.h"
#include "../runtime/config.h"

#include <stddef.h>

/* Attach a BPF_CGROUP_DEVICE program that enforces rules (runtime-spec order: the last matching rule wins)
 * to the cgroup open at cgroup_dirfd. */
int cg_devices_bpf_attach (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err);

#endif
