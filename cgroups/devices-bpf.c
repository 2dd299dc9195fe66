/* cell: the cgroup v2 device filter. See devices-bpf.h for the rule semantics.
 *
 * The program (struct bpf_cgroup_dev_ctx in r1: access_type = (access << 16) | type, major, minor):
 *
 *     r2 = ctx->access_type & 0xffff        device type (BPF_DEVCG_DEV_*)
 *     r3 = ctx->access_type >> 16           access asked for (BPF_DEVCG_ACC_*)
 *     r4 = ctx->major; r5 = ctx->minor
 *     for each rule, last first:            the first block that matches decides
 *         if r2 != TYPE goto next           (not for type 'a')
 *         r1 = r3 & ACCESS; if r1 != r3 goto next   (not for "rwm": the request must be a subset)
 *         if r4 != MAJOR goto next          (not for a wildcard)
 *         if r5 != MINOR goto next          (not for a wildcard)
 *         r0 = ALLOW; exit
 *     next: ...
 *     r0 = 0; exit                          nothing matched: deny
 *
 * A rule that matches everything ends the program: the rules before it can never decide. */
#include "devices-bpf.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the rules ---- */

static char type_c[] = "c", type_b[] = "b", acc_m[] = "m", acc_rwm[] = "rwm";

/* runc's AllowedDevices (libcontainer/specconv), in its order. */
static const struct
{
  const char *path; /* NULL: not a node runc creates, never left out */
  char *type;
  int64_t major, minor; /* -1: any */
  char *access;
} default_rules[] = {
  { NULL, type_c, -1, -1, acc_m },          /* mknod of any char device */
  { NULL, type_b, -1, -1, acc_m },          /* mknod of any block device */
  { "/dev/null", type_c, 1, 3, acc_rwm },   { "/dev/random", type_c, 1, 8, acc_rwm },
  { "/dev/full", type_c, 1, 7, acc_rwm },   { "/dev/tty", type_c, 5, 0, acc_rwm },
  { "/dev/zero", type_c, 1, 5, acc_rwm },   { "/dev/urandom", type_c, 1, 9, acc_rwm },
  { NULL, type_c, 136, -1, acc_rwm },       /* /dev/pts/N */
  { NULL, type_c, 5, 2, acc_rwm },          /* /dev/ptmx */
  { NULL, type_c, 10, 200, acc_rwm },       /* /dev/net/tun */
};

static bool
listed_in_devices (const struct cell_linux *l, const char *path)
{
  for (size_t i = 0; path && i < l->n_devices; i++)
    if (l->devices[i].path && strcmp (l->devices[i].path, path) == 0)
      return true;
  return false;
}

struct cell_device_cgroup *
cg_devices_rules (const struct cell_linux *l, size_t *n)
{
  const struct cell_resources *r = &l->resources;
  size_t max = r->n_devices + ARRAY_SIZE (default_rules);
  struct cell_device_cgroup *v = xcalloc (max, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < r->n_devices; i++)
    v[k++] = r->devices[i];
  for (size_t i = 0; i < ARRAY_SIZE (default_rules); i++)
    {
      if (listed_in_devices (l, default_rules[i].path))
        continue;
      v[k] = (struct cell_device_cgroup){ .allow = true, .type = default_rules[i].type, .access = default_rules[i].access };
      v[k].major_present = v[k].minor_present = true;
      v[k].major = default_rules[i].major;
      v[k].minor = default_rules[i].minor;
      k++;
    }
  *n = k;
  return v;
}

/* ---- the program ---- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define AND32_IMM(dst, imm) INSN (BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) INSN (BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JNE_REG(dst, src, off) INSN (BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define EXIT_INSN() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5 };

/* What one rule tests, in the program's terms: 0 for "anything". */
struct rule_test
{
  int type;   /* BPF_DEVCG_DEV_* */
  int access; /* BPF_DEVCG_ACC_* mask; 0 means the rule matches no request */
  bool any_access;
  int64_t major, minor; /* -1: any */
};

static int
access_mask (const char *access)
{
  int m = 0;
  for (const char *s = access ? access : "rwm"; *s; s++)
    m |= *s == 'r' ? BPF_DEVCG_ACC_READ : *s == 'w' ? BPF_DEVCG_ACC_WRITE : *s == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return m;
}

static int
id_of (bool present, int64_t v, size_t i, const char *what, int64_t *out, cell_error_t *err)
{
  if (!present || v == -1)
    return *out = -1, 0;
  /* The kernel's majors are 12 bits and minors 20; a 32-bit signed immediate holds both. */
  if (v < 0 || v > INT32_MAX)
    return cell_error (err, ERANGE, "linux.resources.devices[%zu].%s: %lld out of range", i, what, (long long) v);
  return *out = v, 0;
}

static int
rule_test_of (const struct cell_device_cgroup *r, size_t i, struct rule_test *t, cell_error_t *err)
{
  const char *type = r->type ? r->type : "a";
  t->type = strcmp (type, "c") == 0 ? BPF_DEVCG_DEV_CHAR : strcmp (type, "b") == 0 ? BPF_DEVCG_DEV_BLOCK : 0;
  t->access = access_mask (r->access);
  t->any_access = t->access == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
  if (id_of (r->major_present, r->major, i, "major", &t->major, err) < 0)
    return -1;
  return id_of (r->minor_present, r->minor, i, "minor", &t->minor, err);
}

struct prog
{
  struct bpf_insn *v;
  size_t n, cap;
};

static void
emit (struct prog *p, struct bpf_insn insn)
{
  p->v = xgrow (p->v, &p->cap, p->n + 1, sizeof *p->v);
  p->v[p->n++] = insn;
}

static int
block_len (const struct rule_test *t)
{
  return (t->type ? 1 : 0) + (t->any_access ? 0 : 3) + (t->major >= 0 ? 1 : 0) + (t->minor >= 0 ? 1 : 0) + 2;
}

/* One rule's block; returns true when the rule matches every request (the program ends there). */
static bool
emit_rule (struct prog *p, const struct rule_test *t, bool allow)
{
  size_t end = p->n + (size_t) block_len (t);
#define SKIP() ((short) (end - (p->n + 1)))
  if (t->type)
    emit (p, JNE_IMM (R2, t->type, SKIP ()));
  if (!t->any_access)
    {
      emit (p, MOV32_REG (R1, R3));
      emit (p, AND32_IMM (R1, t->access));
      emit (p, JNE_REG (R1, R3, SKIP ()));
    }
  if (t->major >= 0)
    emit (p, JNE_IMM (R4, (int32_t) t->major, SKIP ()));
  if (t->minor >= 0)
    emit (p, JNE_IMM (R5, (int32_t) t->minor, SKIP ()));
#undef SKIP
  emit (p, MOV64_IMM (R0, allow ? 1 : 0));
  emit (p, EXIT_INSN ());
  return block_len (t) == 2;
}

int
cg_devices_bpf_program (const struct cell_device_cgroup *rules, size_t n, struct bpf_insn **insns, cell_error_t *err)
{
  struct prog p = { 0 };
  emit (&p, LDX_W (R2, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type)));
  emit (&p, AND32_IMM (R2, 0xffff));
  emit (&p, LDX_W (R3, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type)));
  emit (&p, RSH32_IMM (R3, 16));
  emit (&p, LDX_W (R4, R1, offsetof (struct bpf_cgroup_dev_ctx, major)));
  emit (&p, LDX_W (R5, R1, offsetof (struct bpf_cgroup_dev_ctx, minor)));
  bool ended = false;
  for (size_t i = n; i-- > 0 && !ended;)
    {
      struct rule_test t = { 0 };
      if (rule_test_of (&rules[i], i, &t, err) < 0)
        {
          free (p.v);
          return -1;
        }
      if (t.access == 0)
        continue; /* access "": matches no request */
      ended = emit_rule (&p, &t, rules[i].allow);
    }
  if (!ended)
    {
      emit (&p, MOV64_IMM (R0, 0));
      emit (&p, EXIT_INSN ());
    }
  *insns = p.v;
  return (int) p.n;
}

/* ---- load and attach ---- */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
prog_load (const struct bpf_insn *insns, int n, char *log, size_t log_size)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = (uint32_t) log_size;
      attr.log_level = 1;
    }
  return sys_bpf (BPF_PROG_LOAD, &attr);
}

/* Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK (later ones to the memory cgroup): raise the soft
 * limit to the hard one and try again. */
static bool
raise_memlock (void)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
    return false;
  rl.rlim_cur = rl.rlim_max;
  return setrlimit (RLIMIT_MEMLOCK, &rl) == 0;
}

/* The verifier's last non-empty line, for the error message. */
static const char *
last_line (char *log)
{
  size_t len = strlen (log);
  while (len && log[len - 1] == '\n')
    log[--len] = '\0';
  char *nl = strrchr (log, '\n');
  return nl ? nl + 1 : log;
}

static int
load (const struct bpf_insn *insns, int n, cell_error_t *err)
{
  int fd = prog_load (insns, n, NULL, 0);
  if (fd < 0 && errno == EPERM && raise_memlock ())
    fd = prog_load (insns, n, NULL, 0);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (saved == EINVAL || saved == EACCES)
    {
      char log[4096] = "";
      int again = prog_load (insns, n, log, sizeof log);
      if (again >= 0)
        return again;
      if (*log)
        return cell_error (err, saved, "bpf(BPF_PROG_LOAD) of the device filter: %s", last_line (log));
    }
  errno = saved;
  return cell_error_errno (err, "bpf(BPF_PROG_LOAD) of the device filter");
}

int
cg_devices_bpf_attach (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  int count = cg_devices_bpf_program (rules, n, &insns, err);
  if (count < 0)
    return -1;
  _cleanup_close_ int prog = load (insns, count, err);
  if (prog < 0)
    return -1;
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cgroup_dirfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* Like runc and crun: a filter attached to a parent cgroup keeps running next to ours (every program must
   * allow a request). */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return cell_error_errno (err, "bpf(BPF_PROG_ATTACH) of the device filter");
  return 0;
}

/* The ids of the device programs attached to this very cgroup (not inherited ones); at most max. */
static int
attached_ids (int cgroup_dirfd, uint32_t *ids, uint32_t max, uint32_t *n, cell_error_t *err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) cgroup_dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = max;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return cell_error_errno (err, "bpf(BPF_PROG_QUERY) of the device filter");
  *n = attr.query.prog_cnt < max ? attr.query.prog_cnt : max;
  return 0;
}

int
cg_devices_bpf_replace (int cgroup_dirfd, const struct cell_device_cgroup *rules, size_t n, cell_error_t *err)
{
  uint32_t old[64], n_old = 0;
  if (attached_ids (cgroup_dirfd, old, ARRAY_SIZE (old), &n_old, err) < 0)
    return -1;
  /* The new filter first: the container is never without one. */
  if (cg_devices_bpf_attach (cgroup_dirfd, rules, n, err) < 0)
    return -1;
  for (uint32_t i = 0; i < n_old; i++)
    {
      union bpf_attr attr;
      memset (&attr, 0, sizeof attr);
      attr.prog_id = old[i];
      _cleanup_close_ int prog = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (prog < 0)
        continue; /* gone meanwhile */
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t) cgroup_dirfd;
      attr.attach_bpf_fd = (uint32_t) prog;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return cell_error_errno (err, "bpf(BPF_PROG_DETACH) of the previous device filter");
    }
  return 0;
}
