/* cell: the runtime-spec v1.3 config model (Linux), as plain C structs.
 *
 * cell_config_parse() fills a struct cell_config from config.json text; the struct owns everything it points
 * to and is released with cell_config_free(). Errors name the JSON path and what was expected:
 *   "process.user.uid: expected integer, got string"
 * Unknown fields are ignored (the spec says so). A known field that cell does not implement yet is refused by
 * cell_config_validate() with "<path>: not supported", never dropped silently.
 * `_present` flags mark fields where 0/false is a meaningful value. String arrays are NULL-terminated strv. */
#ifndef CELL_RUNTIME_CONFIG_H
#define CELL_RUNTIME_CONFIG_H

#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- process ---- */
struct cell_user
{
  uint32_t uid, gid;
  bool umask_present;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* Windows only; ignored */
};

struct cell_rlimit
{
  char *type;   /* "RLIMIT_NOFILE" */
  int resource; /* RLIMIT_NOFILE */
  uint64_t soft, hard;
};

struct cell_capabilities
{
  bool present;
  char **bounding, **effective, **inheritable, **permitted, **ambient; /* "CAP_CHOWN", ... */
};

struct cell_scheduler
{
  bool present;
  char *policy; /* "SCHED_OTHER", ... */
  int policy_value;
  int32_t nice;
  int32_t priority;
  char **flags; /* "SCHED_FLAG_RESET_ON_FORK", ... */
  uint64_t runtime, deadline, period;
};

struct cell_io_priority
{
  bool present;
  char *class; /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
  int class_value;
  int32_t priority;
};

struct cell_cpu_affinity
{
  char *initial, *final; /* process.execCPUAffinity (v1.3) */
};

struct cell_process
{
  bool terminal;
  bool console_size_present;
  uint32_t console_height, console_width;
  struct cell_user user;
  char **args;
  char **env;
  char *cwd;
  struct cell_capabilities capabilities;
  struct cell_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool oom_score_adj_present;
  int oom_score_adj;
  char *selinux_label;
  struct cell_scheduler scheduler;
  struct cell_io_priority io_priority;
  struct cell_cpu_affinity exec_cpu_affinity;
};

/* ---- root, mounts ---- */
struct cell_root
{
  char *path; /* as written; relative to the bundle unless absolute */
  bool readonly;
};

struct cell_id_mapping
{
  uint32_t container_id, host_id, size;
};

struct cell_mount
{
  char *destination;
  char *type; /* may be NULL */
  char *source; /* may be NULL */
  char **options;
  struct cell_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
};

/* ---- hooks ---- */
enum cell_hook_kind
{
  CELL_HOOK_PRESTART,
  CELL_HOOK_CREATE_RUNTIME,
  CELL_HOOK_CREATE_CONTAINER,
  CELL_HOOK_START_CONTAINER,
  CELL_HOOK_POSTSTART,
  CELL_HOOK_POSTSTOP,
  CELL_HOOK__MAX,
};

struct cell_hook
{
  char *path;
  char **args;
  char **env;
  bool timeout_present;
  int timeout; /* seconds, > 0 */
};

struct cell_hook_list
{
  struct cell_hook *v;
  size_t n;
};

/* ---- linux ---- */
enum cell_ns_type
{
  CELL_NS_PID,
  CELL_NS_NETWORK,
  CELL_NS_MOUNT,
  CELL_NS_IPC,
  CELL_NS_UTS,
  CELL_NS_USER,
  CELL_NS_CGROUP,
  CELL_NS_TIME,
  CELL_NS__MAX,
};

struct cell_namespace
{
  enum cell_ns_type type;
  char *path; /* NULL: create a new one */
};

struct cell_device
{
  char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  bool file_mode_present;
  uint32_t file_mode;
  bool uid_present, gid_present;
  uint32_t uid, gid;
};

struct cell_kv
{
  char *key;
  char *value;
};

struct cell_time_offset
{
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct cell_personality
{
  bool present;
  char *domain; /* LINUX | LINUX32 */
  char **flags;
};

struct cell_device_cgroup
{
  bool allow;
  char *type; /* "a", "c", "b" or NULL (= all) */
  bool major_present, minor_present;
  int64_t major, minor;
  char *access; /* "rwm" subset, NULL = all */
};

struct cell_weight_device
{
  int64_t major, minor;
  bool weight_present, leaf_weight_present;
  uint16_t weight, leaf_weight;
};

struct cell_throttle_device
{
  int64_t major, minor;
  uint64_t rate;
};

struct cell_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct cell_net_priority
{
  char *name;
  uint32_t priority;
};

struct cell_rdma_limit
{
  char *device;
  bool hca_handles_present, hca_objects_present;
  uint32_t hca_handles, hca_objects;
};

struct cell_resources
{
  bool present; /* linux.resources appeared */
  struct cell_device_cgroup *devices;
  size_t n_devices;
  struct
  {
    bool present;
    bool limit_present, reservation_present, swap_present, kernel_present, kernel_tcp_present;
    bool swappiness_present, disable_oom_killer_present, use_hierarchy_present, check_before_update_present;
    int64_t limit, reservation, swap, kernel, kernel_tcp; /* -1 = unlimited */
    uint64_t swappiness;
    bool disable_oom_killer, use_hierarchy, check_before_update;
  } memory;
  struct
  {
    bool present;
    bool shares_present, quota_present, burst_present, period_present, realtime_runtime_present,
        realtime_period_present, idle_present;
    uint64_t shares, period, burst, realtime_period;
    int64_t quota, realtime_runtime, idle;
    char *cpus, *mems;
  } cpu;
  struct
  {
    bool present;
    bool limit_present;
    int64_t limit;
  } pids;
  struct
  {
    bool present;
    bool weight_present, leaf_weight_present;
    uint16_t weight, leaf_weight;
    struct cell_weight_device *weight_device;
    size_t n_weight_device;
    struct cell_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
        *throttle_write_iops;
    size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
  } block_io;
  struct cell_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  struct
  {
    bool present;
    bool class_id_present;
    uint32_t class_id;
    struct cell_net_priority *priorities;
    size_t n_priorities;
  } network;
  struct cell_rdma_limit *rdma;
  size_t n_rdma;
  struct cell_kv *unified;
  size_t n_unified;
};

enum cell_seccomp_op
{
  CELL_SCMP_CMP_NE,
  CELL_SCMP_CMP_LT,
  CELL_SCMP_CMP_LE,
  CELL_SCMP_CMP_EQ,
  CELL_SCMP_CMP_GE,
  CELL_SCMP_CMP_GT,
  CELL_SCMP_CMP_MASKED_EQ,
};

struct cell_seccomp_arg
{
  uint32_t index;
  uint64_t value, value_two;
  enum cell_seccomp_op op;
};

struct cell_seccomp_syscall
{
  char **names;
  char *action; /* "SCMP_ACT_ERRNO" */
  bool errno_ret_present;
  uint32_t errno_ret;
  struct cell_seccomp_arg *args;
  size_t n_args;
};

struct cell_seccomp
{
  bool present;
  char *default_action;
  bool default_errno_ret_present;
  uint32_t default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" */
  char **flags;         /* "SECCOMP_FILTER_FLAG_LOG" */
  char *listener_path;
  char *listener_metadata;
  struct cell_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct cell_memory_policy
{
  bool present;
  char *mode; /* MPOL_* */
  char *nodes;
  char **flags;
};

struct cell_net_device
{
  char *host_name; /* the map key: the device on the host */
  char *name;      /* name in the container; NULL = same */
};

struct cell_linux
{
  struct cell_namespace *namespaces;
  size_t n_namespaces;
  struct cell_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct cell_time_offset time_monotonic, time_boottime;
  struct cell_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct cell_resources resources;
  char *rootfs_propagation; /* "shared", "slave", "private", "unbindable", r-variants */
  struct cell_seccomp seccomp;
  struct cell_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct cell_personality personality;
  bool intel_rdt_present;
  struct cell_memory_policy memory_policy;
  struct cell_net_device *net_devices;
  size_t n_net_devices;
};

struct cell_config
{
  char *oci_version;
  struct cell_process process;
  bool process_present;
  struct cell_root root;
  bool root_present;
  char *hostname;
  char *domainname;
  struct cell_mount *mounts;
  size_t n_mounts;
  struct cell_hook_list hooks[CELL_HOOK__MAX];
  struct cell_kv *annotations;
  size_t n_annotations;
  struct cell_linux linux;
  bool linux_present;
};

/* Parse and check types/values of every known field. Does not touch the filesystem. */
struct cell_config *cell_config_parse (const char *text, size_t len, cell_error_t *err);
/* Read `bundle`/config.json and parse it. */
struct cell_config *cell_config_load (const char *bundle, cell_error_t *err);
/* Cross-field rules and "not supported" checks, run after parsing (cell_config_load() runs it). */
int cell_config_validate (const struct cell_config *c, cell_error_t *err);
void cell_config_free (struct cell_config *c);

/* Parse a process object alone (exec -p FILE); same rules as config's "process". */
struct cell_process *cell_process_parse (const char *text, size_t len, cell_error_t *err);
void cell_process_free (struct cell_process *p);

/* linux.resources alone (`update --resources`): parse + cell_resources_validate(). Errors name
 * "linux.resources.<field>". */
struct cell_resources *cell_resources_parse (const char *text, size_t len, cell_error_t *err);
void cell_resources_free (struct cell_resources *r);
/* Value rules of linux.resources (validate-resources.c): negative or absurd values, unified keys. */
int cell_resources_validate (const struct cell_resources *r, cell_error_t *err);
/* Does r ask for any limit (a lone deny-all device rule does not count)? */
bool cell_resources_requested (const struct cell_resources *r);
/* True when p has a ".." path component. */
bool cell_path_has_dotdot (const char *p);

/* Lookups. */
const struct cell_namespace *cell_config_namespace (const struct cell_config *c, enum cell_ns_type t);
const char *cell_config_annotation (const struct cell_config *c, const char *key);
const char *cell_ns_type_name (enum cell_ns_type t); /* "pid", "network", ... (config spelling) */
const char *cell_hook_kind_name (enum cell_hook_kind k); /* "prestart", "createRuntime", ... */

#endif
