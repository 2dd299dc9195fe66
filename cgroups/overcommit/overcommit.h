/* cell: the overcommit policy (design: shared/design/overcommit.md). Depends on the config model and base/.
 *
 * Requests are guarantees and are never overcommitted; limits are overcommitted by a ratio. This module:
 *   - parses the host policy file (oc_policy_*), quantities (oc_parse_cpu, oc_parse_memory),
 *   - derives a container's intent and QoS class from its io.cell.* annotations and linux.resources
 *     (oc_intent_from_config), refusing contradictions,
 *   - checks the admission inequalities (oc_check, pure),
 *   - keeps the ledger <root>/overcommit/ledger under a lock (oc_ledger_*), with crash recovery,
 *   - computes the managed layout's cgroup files (oc_leaf_plan, oc_slice_plan, pure) and writes them
 *     (oc_apply_writes, probing what the kernel has),
 *   - collects and formats `cell overcommit status` (oc_status_*).
 * Error contract as everywhere (base/error.h). A capacity refusal carries status OC_EXIT_REFUSED (75,
 * EX_TEMPFAIL) in the error, which the CLI uses as its exit status. Nothing here prints. */
#ifndef CELL_CGROUPS_OVERCOMMIT_H
#define CELL_CGROUPS_OVERCOMMIT_H

#include "../../runtime/base/error.h"
#include "../../runtime/config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OC_DEFAULT_POLICY "/etc/cell/overcommit.conf"
#define OC_EXIT_REFUSED 75 /* EX_TEMPFAIL: place the container elsewhere */
#define OC_LEDGER_DIR "overcommit"

/* ---- policy ---- */

enum oc_mode
{
  OC_MODE_OFF,
  OC_MODE_PASSTHROUGH, /* validate, record and report; never refuse on capacity, never place */
  OC_MODE_MANAGED,     /* admit, place by class, protect up the tree */
};

enum oc_oom_score_adj
{
  OC_OOM_NEVER,
  OC_OOM_IF_UNSET,
};

/* A size that is either absolute (bytes) or a percentage of a total. */
struct oc_size
{
  bool percent;
  double value; /* bytes, or percent (0..100) */
};

struct oc_policy
{
  char *path; /* file it came from (NULL: none, layer off) */
  enum oc_mode mode;
  /* [host] */
  char *cgroup_root; /* relative to the hierarchy's root, no leading '/' */
  int64_t reserved_cpu; /* millicores */
  struct oc_size reserved_memory, memory_headroom;
  uint64_t lock_timeout_ms;
  bool allow_unbounded; /* managed: admit Burstable containers without a CPU or memory limit */
  /* [cpu] */
  double cpu_request_ratio, cpu_limit_ratio;
  uint64_t weight_per_cpu, period;
  double burst_fraction;
  bool besteffort_idle;
  /* [memory] */
  double mem_request_ratio, mem_limit_ratio;
  double high_factor; /* < 0: none */
  struct oc_size swap_besteffort;
  bool oom_group;
  enum oc_oom_score_adj oom_score_adj;
  /* [pids] */
  int64_t pids_default_limit; /* 0: none */
  /* [psi] */
  double psi_besteffort_gate; /* memory some avg60 in %; 0: off */
};

/* Defaults of the design (mode managed, cgroup_root cell.slice, ratios 1.0/4.0 and 1.0/1.5, ...). */
void oc_policy_defaults (struct oc_policy *p);
/* Parse the text of a policy file; errors say "FILE:LINE: reason". */
int oc_policy_parse (const char *text, size_t len, const char *path, struct oc_policy *p, cell_error_t *err);
/* Load path, or OC_DEFAULT_POLICY when path is NULL. A missing default file is not an error: the layer is
 * off (p->mode = OC_MODE_OFF, p->path = NULL). A missing file named explicitly is an error. */
int oc_policy_load (const char *path, struct oc_policy *p, cell_error_t *err);
void oc_policy_release (struct oc_policy *p);
const char *oc_mode_name (enum oc_mode m);

/* ---- quantities ---- */

/* CPU: "500m", "2", "0.25" -> millicores (rounded up to 1m, as Kubernetes does). */
int oc_parse_cpu (const char *s, int64_t *millicores, cell_error_t *err);
/* Memory, Kubernetes quantities: "512Mi", "1G" (10^9), "1Gi" (2^30), "1.5Gi", "1048576" -> bytes. */
int oc_parse_memory (const char *s, int64_t *bytes, cell_error_t *err);
/* Policy sizes: "1G" (2^30: K/M/G/T are binary here, as in systemd units), "512M", "1048576". */
int oc_parse_size (const char *s, struct oc_size *out, bool allow_percent, cell_error_t *err);
/* Human formats for messages: "61.2GiB", "1536MiB", "512B"; "2500m". Static buffer per call site not used:
 * they write into buf (at least 32 bytes) and return it. */
char *oc_fmt_bytes (char *buf, size_t size, double bytes);
char *oc_fmt_cpu (char *buf, size_t size, double millicores);

/* ---- intent ---- */

enum oc_class
{
  OC_GUARANTEED,
  OC_BURSTABLE,
  OC_BESTEFFORT,
  OC_CLASS__MAX,
};

const char *oc_class_name (enum oc_class c);      /* "Guaranteed", "Burstable", "BestEffort" */
const char *oc_class_dir (enum oc_class c);       /* "guaranteed", "burstable", "besteffort" */
int oc_class_parse (const char *s, enum oc_class *c); /* either spelling, any case; -1 if unknown */

/* What a container asks for. 0 means "none" for requests; OC_UNBOUNDED for a limit that is absent while the
 * matching request is set (a Burstable without a ceiling). */
#define OC_UNBOUNDED INT64_MAX
struct oc_intent
{
  int64_t cpu_request, cpu_limit; /* millicores */
  int64_t mem_request, mem_limit; /* bytes */
  int64_t pids_limit;             /* 0: none in the config */
  enum oc_class qos;
  char *tenant; /* NULL: none */
};

/* From annotations (io.cell.cpu.request, io.cell.cpu.limit, io.cell.memory.request, io.cell.memory.limit,
 * io.cell.qos, io.cell.tenant), else derived from linux.resources; a limit without a request makes the
 * request equal to the limit (Kubernetes' defaulting). Refuses request > limit, a qos assertion the numbers
 * deny and an annotation that disagrees with linux.resources, naming both values. */
int oc_intent_from_config (const struct cell_config *c, struct oc_intent *out, cell_error_t *err);
/* Kubernetes' rule: Guaranteed when cpu and memory requests equal their limits (> 0); BestEffort when there
 * is no request and no limit; Burstable otherwise. */
enum oc_class oc_classify (const struct oc_intent *i);
void oc_intent_release (struct oc_intent *i);

/* ---- capacity and admission ---- */

struct oc_capacity
{
  int64_t cpus;     /* CPUs in cpuset.cpus.effective (or the affinity mask) */
  int64_t mem_total; /* min(MemTotal, memory.max of cgroup_root's ancestors) */
  int64_t cpu;      /* C_cpu, millicores: 1000 * cpus - reserved_cpu */
  int64_t mem;      /* C_mem, bytes: mem_total - reserved_memory - headroom */
};

/* Capacity from live files (/proc/meminfo, cpuset.cpus.effective, memory.max up the tree). */
int oc_capacity_read (const struct oc_policy *p, struct oc_capacity *cap, cell_error_t *err);
/* Memory pressure "some avg60" (%) of cgroup_root, else of the host; < 0 when unknown. */
double oc_memory_pressure (const struct oc_policy *p);
/* Same arithmetic from given totals (tests, benchmarks). */
void oc_capacity_compute (const struct oc_policy *p, int64_t cpus, int64_t mem_total, struct oc_capacity *cap);

/* One ledger entry. */
enum oc_entry_state
{
  OC_RESERVING, /* the creator is still creating: counted; dropped when the creator is dead */
  OC_ACTIVE,
};

struct oc_entry
{
  char *id;
  enum oc_entry_state state;
  struct oc_intent in; /* qos is the class */
  pid_t pid;             /* creator, while reserving */
  unsigned long long start; /* its start time (/proc/PID/stat field 22) */
  char *cgroup;          /* cgroup path (relative to the hierarchy root, leading '/'), NULL: none */
};

struct oc_ledger
{
  struct oc_entry *v;
  size_t n;
};

/* Sums per class over a ledger. Unbounded limits count as the whole capacity (the worst case). */
struct oc_sums
{
  size_t count[OC_CLASS__MAX];
  int64_t cpu_req[OC_CLASS__MAX], cpu_lim[OC_CLASS__MAX];
  int64_t mem_req[OC_CLASS__MAX], mem_lim[OC_CLASS__MAX];
  size_t unbounded;
  int64_t cpu_req_all, cpu_lim_all, mem_req_all, mem_lim_all;
};
void oc_sums_compute (const struct oc_ledger *l, const struct oc_capacity *cap, struct oc_sums *s);

/* The admission check: the design's inequalities 1-4 with the candidate added to the ledger (an entry of the
 * same id is replaced: that is update, on the delta), 5 with the given memory pressure (some avg60, %;
 * < 0: unknown). Managed mode also refuses an unbounded Burstable unless allow_unbounded. On refusal the
 * error names the inequality and the numbers and has status OC_EXIT_REFUSED. Pure. */
int oc_check (const struct oc_policy *p, const struct oc_capacity *cap, const struct oc_ledger *l,
              const char *id, const struct oc_intent *cand, double mem_pressure_avg60, cell_error_t *err);

/* ---- ledger ---- */

/* Parse/format the ledger text (one line per entry). Parse errors name "ledger:LINE". */
int oc_ledger_parse (const char *text, size_t len, struct oc_ledger *l, cell_error_t *err);
char *oc_ledger_format (const struct oc_ledger *l);
void oc_ledger_release (struct oc_ledger *l);
struct oc_entry *oc_ledger_find (struct oc_ledger *l, const char *id);
/* Add or replace (takes ownership of e's members). */
void oc_ledger_put (struct oc_ledger *l, struct oc_entry *e);
bool oc_ledger_remove (struct oc_ledger *l, const char *id);

/* The held lock plus the ledger read under it. */
struct oc_locked
{
  int dirfd;  /* <root>/overcommit */
  int lockfd; /* flock(LOCK_EX) held */
  struct oc_ledger ledger;
  size_t dropped;  /* stale entries removed by recovery */
  size_t promoted; /* reserving entries recovery found finished (now active) */
};

/* mkdir <root>/overcommit, take the lock (waiting at most timeout_ms), read the ledger. With create false and
 * no ledger dir: returns 0 with l->dirfd = -1 (nothing to do). */
int oc_lock (const char *root, uint64_t timeout_ms, bool create, struct oc_locked *l, cell_error_t *err);
/* Crash recovery, under the lock: a reserving entry whose creator is dead (pid + start time) becomes active
 * when the container's state.json exists (the create finished: there is no separate commit step) and is
 * dropped otherwise (the creator died mid-create); active entries whose state dir and cgroup are both gone
 * are dropped. Returns how many were dropped. */
size_t oc_recover (struct oc_locked *l, const char *root);
/* Rewrite the ledger atomically (tmp, fsync, rename). */
int oc_ledger_save (struct oc_locked *l, cell_error_t *err);
void oc_unlock (struct oc_locked *l);

/* ---- cgroup files (managed layout) ---- */

struct oc_write
{
  char *file; /* "memory.max": the controller is the part before the '.' */
  char *value;
  bool optional; /* probe: a missing file is reported, not an error */
};

struct oc_writes
{
  struct oc_write *v;
  size_t n;
};
void oc_writes_free (struct oc_writes *w);
/* The value for file, or NULL. */
const char *oc_writes_get (const struct oc_writes *w, const char *file);

/* What the host has that the formulas depend on. */
struct oc_host
{
  bool swap;  /* swap or zswap exists: memory.high can make progress */
  int64_t page_size;
};

/* Probe the host: swap (/proc/swaps), page size. */
void oc_host_read (struct oc_host *h);

/* The container's own cgroup files, in the design's order: limits, then protections, then CPU.
 * (The config's unified entries go after these, written by the cgroups manager.) Pure. */
void oc_leaf_plan (const struct oc_policy *p, const struct oc_host *h, const struct oc_intent *in,
                   struct oc_writes *out);
/* oom_score_adj for the class (only used when the policy says if_unset and the config leaves it unset). */
int oc_oom_score_adj (const struct oc_intent *in, const struct oc_capacity *cap);

enum oc_slice
{
  OC_SLICE_ROOT,
  OC_SLICE_GUARANTEED,
  OC_SLICE_BURSTABLE,
  OC_SLICE_BESTEFFORT,
  OC_SLICE__MAX,
};
/* The root and class slices' files, recomputed from the ledger's sums. Pure. */
void oc_slice_plan (const struct oc_policy *p, const struct oc_capacity *cap, const struct oc_ledger *l,
                    enum oc_slice which, struct oc_writes *out);
/* cpu.weight of a request: clamp(ceil(millicores * weight_per_cpu / 1000), 1, 10000) (linear). */
uint64_t oc_cpu_weight (int64_t millicores, uint64_t weight_per_cpu);

/* Write w into the cgroup dir dirfd in order. A file the kernel lacks is appended to *unenforced
 * (comma-separated, caller frees) and skipped; another write error fails naming path/file. */
int oc_apply_writes (int dirfd, const char *path, const struct oc_writes *w, char **unenforced, cell_error_t *err);

/* Managed mode: make <mount>/<cgroup_root>/{guaranteed,burstable,besteffort} with the controllers enabled,
 * and write the slices' files from the ledger. Increasing protections are written top-down, decreasing ones
 * bottom-up (raise: root first; lower: classes first). */
int oc_slices_apply (const char *mount, const struct oc_policy *p, const struct oc_capacity *cap,
                     const struct oc_ledger *l, bool lowering, char **unenforced, cell_error_t *err);
/* Managed mode: rmdir leaf cgroups under the class slices that no ledger entry names (a creator killed before
 * it could clean up); populated ones are left alone (rmdir fails with EBUSY). */
size_t oc_gc_leaves (const char *mount, const struct oc_policy *p, const struct oc_ledger *l);

/* ---- status ---- */

/* `cell overcommit status`: text for people or a JSON document. Reads the ledger (without keeping the lock
 * longer than the read), capacity and the live cgroup files. */
char *oc_status (const char *root, const struct oc_policy *p, const char *mount, bool json, cell_error_t *err);

#endif
