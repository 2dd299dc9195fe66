/* cell: namespaces. Flags and names, the create/join plan, user namespace maps, time offsets, and netlink
 * (loopback up). Depends only on the config model; never includes runtime's lifecycle. */
#ifndef CELL_NAMESPACES_H
#define CELL_NAMESPACES_H

#include "../runtime/base/error.h"
#include "../runtime/config/config.h"

#include <stdbool.h>
#include <sys/types.h>

/* CLONE_NEWPID, ... for a type. */
int ns_clone_flag (enum cell_ns_type t);
/* Name under /proc/PID/ns/: "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time". */
const char *ns_proc_name (enum cell_ns_type t);

struct ns_join
{
  enum cell_ns_type type;
  int fd; /* O_RDONLY|O_CLOEXEC fd of the namespace file, verified with NS_GET_NSTYPE */
};

struct ns_plan
{
  unsigned long new_flags; /* CLONE_NEW* of the namespaces to create */
  struct ns_join joins[CELL_NS__MAX];
  size_t n_joins; /* user namespace first, then the others */
  bool new_user;
  /* true when the fast path (clone3 with new_flags, no joins) cannot be used: joins exist or a time namespace
   * is created (its offsets must be written before any process enters it). */
  bool needs_staging;
};

/* Config-time checks of linux.namespaces, uid/gid mappings and time offsets, without touching the system:
 * duplicate types, mappings that overflow or overlap, mappings without a user namespace, time offsets without
 * a new time namespace, nanoseconds >= 1e9. Errors name the JSON path. */
int ns_validate (const struct cell_linux *l, cell_error_t *err);
/* One mapping list (linux.uidMappings, mounts[3].gidMappings, ...): every size > 0, container_id + size and
 * host_id + size within 32 bits (the kernel refuses ID 4294967295), no overlaps, at most 340 lines. */
int ns_validate_idmap (const struct cell_id_mapping *m, size_t n, const char *path, cell_error_t *err);

/* Build the plan from linux.namespaces: validates duplicates, opens and verifies every path (error names the
 * field: "linux.namespaces[2].path: '/proc/1/ns/net' is not a network namespace"). */
int ns_plan_make (const struct cell_linux *l, struct ns_plan *plan, cell_error_t *err);
void ns_plan_close (struct ns_plan *plan);
/* setns() into every joined namespace, in plan order. */
int ns_plan_join (const struct ns_plan *plan, cell_error_t *err);

/* "container_id host_id size\n" lines; caller frees. */
char *ns_format_idmap (const struct cell_id_mapping *m, size_t n);
/* Write uid_map, setgroups ("deny" when deny_setgroups) and gid_map of the process whose /proc/PID
 * directory is procdirfd. Mappings from l (linux.uidMappings/gidMappings). */
int ns_write_idmaps (int procdirfd, const struct cell_linux *l, bool deny_setgroups, cell_error_t *err);
/* "monotonic S N\nboottime S N\n"; caller frees; NULL when no offset is set. */
char *ns_format_time_offsets (const struct cell_linux *l);
/* Write timens_offsets to procdirfd (a /proc/self dirfd) after unshare(CLONE_NEWTIME). */
int ns_write_time_offsets (int procdirfd, const struct cell_linux *l, cell_error_t *err);

/* In the current, newly made network namespace, set "lo" up (RTM_NEWLINK, IFF_UP) through libmnl. */
int ns_net_loopback_up (cell_error_t *err);
/* The same from outside: nsfd is the namespace; the caller steps in for the socket() only, and needs
 * CAP_SYS_ADMIN for that. */
int ns_net_loopback_up_of (int nsfd, cell_error_t *err);
/* Whether we may join our own network namespace again (ns_net_loopback_up_of must come back to it): not when
 * it belongs to a user namespace above ours, as under rootless podman. */
bool ns_net_can_rejoin (void);

#endif
