/* Unit tests for cgroups/devices-bpf.c: the generated program runs in a small interpreter of the instructions
 * it may use, and must decide every request as the rule list does (last matching rule wins, default deny). */
#include "unit.h"

#include "cgroups/devices-bpf.h"
#include "runtime/base/xalloc.h"

#include <stdbool.h>
#include <stdint.h>

/* Interpreter: returns r0, or -1 for an instruction it does not know, a jump out of the program or a
 * program that falls off its end (the verifier would refuse all three). */
static int64_t
run (const struct bpf_insn *p, int n, uint32_t access_type, uint32_t major, uint32_t minor)
{
  uint32_t ctx[3] = { access_type, major, minor };
  uint64_t r[11] = { 0 };
  for (int pc = 0; pc >= 0 && pc < n; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      uint64_t *d = &r[i->dst_reg], s = r[i->src_reg], k = (uint64_t) (int64_t) i->imm;
      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          if (i->src_reg != 1 || i->off < 0 || i->off > 8 || i->off % 4)
            return -1;
          *d = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K: *d = (uint32_t) (*d & k); break;
        case BPF_ALU | BPF_RSH | BPF_K: *d = (uint32_t) *d >> (k & 31); break;
        case BPF_ALU | BPF_MOV | BPF_X: *d = (uint32_t) s; break;
        case BPF_ALU64 | BPF_MOV | BPF_K: *d = k; break;
        case BPF_JMP | BPF_JNE | BPF_K: pc += *d != k ? i->off : 0; break;
        case BPF_JMP | BPF_JNE | BPF_X: pc += *d != s ? i->off : 0; break;
        case BPF_JMP | BPF_EXIT: return (int64_t) r[0];
        default: return -1;
        }
    }
  return -1;
}

/* The rules as runc's documentation states them. */
static bool
reference (const struct cell_device_cgroup *rules, size_t n, char type, int acc, uint32_t major, uint32_t minor)
{
  for (size_t i = n; i-- > 0;)
    {
      const struct cell_device_cgroup *r = &rules[i];
      if (r->type && r->type[0] != 'a' && r->type[0] != type)
        continue;
      if (r->major_present && r->major != -1 && r->major != major)
        continue;
      if (r->minor_present && r->minor != -1 && r->minor != minor)
        continue;
      const char *a = r->access ? r->access : "rwm";
      int have = (strchr (a, 'r') ? BPF_DEVCG_ACC_READ : 0) | (strchr (a, 'w') ? BPF_DEVCG_ACC_WRITE : 0)
                 | (strchr (a, 'm') ? BPF_DEVCG_ACC_MKNOD : 0);
      if (have == 0 || (acc & ~have))
        continue;
      return r->allow;
    }
  return false;
}

static int64_t
decide (const struct bpf_insn *p, int n, char type, int acc, uint32_t major, uint32_t minor)
{
  uint32_t t = type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
  return run (p, n, ((uint32_t) acc << 16) | t, major, minor);
}

static char s_a[] = "a", s_b[] = "b", s_c[] = "c";
static char *types[] = { NULL, s_a, s_b, s_c };
static char *accesses[] = { NULL, (char *) "", (char *) "r", (char *) "w", (char *) "m", (char *) "rw",
                            (char *) "rm", (char *) "wm", (char *) "rwm", (char *) "mwr" };

static uint32_t seed = 12345;
static uint32_t
rnd (uint32_t n)
{
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) % n;
}

/* Random rule lists over a small id space, every request: program == reference. */
TEST (random_rule_sets)
{
  for (int round = 0; round < 400; round++)
    {
      struct cell_device_cgroup rules[8];
      size_t n = rnd (9);
      for (size_t i = 0; i < n; i++)
        {
          rules[i] = (struct cell_device_cgroup){ .allow = rnd (2), .type = types[rnd (4)],
                                                  .access = accesses[rnd (10)] };
          rules[i].major_present = rnd (3) != 0;
          rules[i].major = rnd (4) == 0 ? -1 : (int64_t) rnd (3);
          rules[i].minor_present = rnd (3) != 0;
          rules[i].minor = rnd (4) == 0 ? -1 : (int64_t) rnd (3);
        }
      struct bpf_insn *p = NULL;
      cell_error_t err = NULL;
      int len = cg_devices_bpf_program (rules, n, &p, &err);
      CHECK (len > 0 && err == NULL);
      for (int t = 0; t < 2; t++)
        for (int acc = 1; acc < 8; acc++)
          for (uint32_t ma = 0; ma < 4; ma++)
            for (uint32_t mi = 0; mi < 4; mi++)
              {
                char type = t ? 'c' : 'b';
                int64_t got = decide (p, len, type, acc, ma, mi);
                bool want = reference (rules, n, type, acc, ma, mi);
                if (got != (want ? 1 : 0))
                  {
                    fprintf (stderr, "  round %d: %c %u:%u access %d: program %lld, rules %d\n", round, type, ma,
                             mi, acc, (long long) got, want);
                    free (p);
                    CHECK (0);
                  }
              }
      free (p);
    }
}

/* No rules: six loads, then deny. */
TEST (empty_denies)
{
  struct bpf_insn *p = NULL;
  cell_error_t err = NULL;
  int len = cg_devices_bpf_program (NULL, 0, &p, &err);
  CHECK (len == 8);
  CHECK (decide (p, len, 'c', BPF_DEVCG_ACC_READ, 1, 3) == 0);
  CHECK (p[6].code == (BPF_ALU64 | BPF_MOV | BPF_K) && p[6].imm == 0 && p[7].code == (BPF_JMP | BPF_EXIT));
  free (p);
}

/* A rule that matches everything ends the program: what comes before it is not emitted. */
TEST (catch_all_ends_program)
{
  struct cell_device_cgroup rules[] = {
    { .allow = true, .type = s_c, .major_present = true, .major = 1, .minor_present = true, .minor = 3 },
    { .allow = false, .type = s_a, .access = (char *) "rwm" },
  };
  struct bpf_insn *p = NULL;
  cell_error_t err = NULL;
  int len = cg_devices_bpf_program (rules, 2, &p, &err);
  CHECK (len == 8);
  CHECK (decide (p, len, 'c', BPF_DEVCG_ACC_READ, 1, 3) == 0);
  free (p);
}

TEST (out_of_range_id)
{
  struct cell_device_cgroup rules[] = {
    { .allow = true, .type = s_c, .major_present = true, .major = 1 },
    { .allow = true, .type = s_c, .major_present = true, .major = 1, .minor_present = true, .minor = 1LL << 32 },
  };
  struct bpf_insn *p = NULL;
  cell_error_t err = NULL;
  CHECK (cg_devices_bpf_program (rules, 2, &p, &err) < 0);
  CHECK_STR (err->msg, "linux.resources.devices[1].minor: 4294967296 out of range");
  cell_error_free (&err);
  rules[1].minor = -2;
  CHECK (cg_devices_bpf_program (rules, 2, &p, &err) < 0);
  CHECK_STR (err->msg, "linux.resources.devices[1].minor: -2 out of range");
  cell_error_free (&err);
}

/* runc's defaults come after the config's rules (so they win), minus those whose path linux.devices lists. */
TEST (default_rules)
{
  struct cell_config c = { 0 };
  struct cell_device_cgroup deny_all = { .allow = false, .access = (char *) "rwm" };
  struct cell_device_cgroup deny_null = { .allow = false, .type = s_c, .major_present = true, .major = 1,
                                          .minor_present = true, .minor = 3 };
  struct cell_device_cgroup res[] = { deny_all, deny_null };
  c.linux.resources.devices = res;
  c.linux.resources.n_devices = 2;
  size_t n;
  struct cell_device_cgroup *rules = cg_devices_rules (&c.linux, &n);
  CHECK (n == 13 && !rules[0].allow && rules[2].allow);
  struct bpf_insn *p = NULL;
  cell_error_t err = NULL;
  int len = cg_devices_bpf_program (rules, n, &p, &err);
  free (rules);
  CHECK (len > 0);
  int rw = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  CHECK (decide (p, len, 'c', rw, 1, 3) == 1);                   /* /dev/null: the default wins */
  CHECK (decide (p, len, 'c', rw, 136, 7) == 1);                 /* /dev/pts/7 */
  CHECK (decide (p, len, 'c', rw, 1, 11) == 0);                  /* /dev/kmsg */
  CHECK (decide (p, len, 'b', BPF_DEVCG_ACC_MKNOD, 8, 0) == 1);  /* mknod of anything */
  CHECK (decide (p, len, 'b', BPF_DEVCG_ACC_READ, 8, 0) == 0);
  free (p);

  struct cell_device dev_null = { .path = (char *) "/dev/null", .type = 'c', .major = 1, .minor = 3 };
  c.linux.devices = &dev_null;
  c.linux.n_devices = 1;
  rules = cg_devices_rules (&c.linux, &n);
  CHECK (n == 12);
  len = cg_devices_bpf_program (rules, n, &p, &err);
  free (rules);
  CHECK (decide (p, len, 'c', rw, 1, 3) == 0); /* now the config's deny decides, as in runc */
  free (p);
}

int
main (void)
{
  RUN (random_rule_sets);
  RUN (empty_denies);
  RUN (catch_all_ends_program);
  RUN (out_of_range_id);
  RUN (default_rules);
  UNIT_END ();
}
