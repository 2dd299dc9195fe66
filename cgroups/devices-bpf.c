/* cell: placeholder for the eBPF device filter (the vm engineer's cgroups/devices-bpf.c replaces this file).
 * Accepts what needs no filter: no rules, or only runc's default "deny all" rule. */
#include "devices-bpf.h"

#include <string.h>

static bool
deny_all (const struct cell_device_cgroup *d)
{
  return !d->allow && (d->type == NULL || strcmp (d->type, "a") == 0) && !d->major_present && !d->minor_present
         && (d->access == NULL || strcmp (d->access, "rwm") == 0);
}

int
cg_devices_bpf_attach (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (!deny_all (&rules[i]))
      return cell_error (err, 0, "linux.resources.devices: not supported yet");
  return 0;
}
