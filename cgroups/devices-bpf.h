/* cell: the device controller of cgroup v2, an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE).
 *
 * cgroup v2 has no devices.allow: the kernel asks a program attached to the cgroup for every open(2) and
 * mknod(2) of a device node. cell builds that program from linux.resources.devices with raw instructions
 * (no libbpf), loads it with bpf(BPF_PROG_LOAD) and attaches it with BPF_F_ALLOW_MULTI, like crun and runc.
 *
 * Rules are evaluated as runc and crun evaluate them: the last rule that matches a request decides; a request
 * that no rule matches is denied. A rule matches when its type is 'a' (or absent) or the node's type, its
 * major and minor are absent or -1 (wildcards) or equal, and the access asked for (r, w, m) is a subset of
 * the rule's access.
 *
 * Ownership: the returned rule arrays point into the config (and into static defaults); free only the array.
 * Errors follow runtime/base/error.h. */
#ifndef CELL_CGROUPS_DEVICES_BPF_H
#define CELL_CGROUPS_DEVICES_BPF_H

#include "../runtime/base/error.h"
#include "../runtime/config/config.h"

#include <linux/bpf.h>
#include <stddef.h>

/* The rules cell enforces, as runc does: linux.resources.devices in order, then runc's default allowed devices
 * (mknod of any char or block node; null, zero, full, random, urandom, tty, ptmx, /dev/pts/N, tun), which
 * therefore win over an earlier deny. A default whose path is also listed in linux.devices is left out (the
 * config's entry takes priority, as in runc). linux.devices entries are not allowed implicitly: list them in
 * linux.resources.devices too (containerd and podman do). Caller frees the array only. */
struct cell_device_cgroup *cg_devices_rules (const struct cell_linux *linux_cfg, size_t *n);

/* The program for rules (no side effects; unit-tested with an interpreter). Registers on entry: r1 = the
 * struct bpf_cgroup_dev_ctx. Returns the instruction count and sets *insns (caller frees); -1 with err for a
 * rule the kernel cannot express (major or minor out of range). */
int cg_devices_bpf_program (const struct cell_device_cgroup *rules, size_t n, struct bpf_insn **insns,
                            cell_error_t *err);

/* Build, load and attach the program to the cgroup open at cgroup_dirfd. */
int cg_devices_bpf_attach (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err);
/* `update`: attach the program for rules, then detach the device programs attached to this cgroup before it
 * (the container is never left without a filter). */
int cg_devices_bpf_replace (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err);

#endif
