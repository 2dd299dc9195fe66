/* Unit tests for runtime/config/: every fixture in tests/fixtures/config/{good,bad} (run from the repo root),
 * then focused checks of error messages and of values landing in the right struct fields. */

#include "base/error.h"
#include "config/config.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES "tests/fixtures/config"

static char *
read_text (const char *path, size_t *len)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;)
    {
      buf = realloc (buf, cap += 65536);
      size_t n = fread (buf + *len, 1, cap - *len - 1, f);
      *len += n;
      if (n == 0)
        break;
    }
  fclose (f);
  buf[*len] = '\0';
  return buf;
}

/* Parse and validate; returns NULL on success, else the error string (caller frees). */
static char *
load_error (const char *text, size_t len)
{
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (text, len, &err);
  if (c && cell_config_validate (c, &err) == 0)
    {
      cell_config_free (c);
      return NULL;
    }
  cell_config_free (c);
  char *msg = cell_error_string (err);
  cell_error_free (&err);
  return msg;
}

static char *
text_error (const char *text)
{
  return load_error (text, strlen (text));
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The *.json names in dir, sorted; *n set. */
static char **
list_json (const char *dir, size_t *n)
{
  DIR *d = opendir (dir);
  char **names = NULL;
  *n = 0;
  if (d == NULL)
    return NULL;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      size_t l = strlen (e->d_name);
      if (l > 5 && strcmp (e->d_name + l - 5, ".json") == 0)
        {
          names = realloc (names, (*n + 1) * sizeof *names);
          names[(*n)++] = strdup (e->d_name);
        }
    }
  closedir (d);
  qsort (names, *n, sizeof *names, cmp_names);
  return names;
}

static void
free_names (char **names, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
}

/* Checks one fixture; returns 0 when it behaves, printing why not otherwise. */
static int
check_fixture (const char *kind, const char *name)
{
  char path[4096], expect_path[4096];
  snprintf (path, sizeof path, FIXTURES "/%s/%s", kind, name);
  size_t len, elen;
  char *text = read_text (path, &len);
  if (text == NULL)
    return fprintf (stderr, "  %s: cannot read\n", path), 1;
  char *msg = load_error (text, len);
  free (text);
  int bad = 0;
  if (strcmp (kind, "good") == 0)
    {
      if (msg)
        bad = fprintf (stderr, "  %s: rejected: %s\n", path, msg);
    }
  else
    {
      snprintf (expect_path, sizeof expect_path, "%.*s.expect", (int) (strlen (path) - 5), path);
      char *expect = read_text (expect_path, &elen);
      if (expect == NULL)
        bad = fprintf (stderr, "  %s: no .expect file\n", path);
      else
        {
          expect[strcspn (expect, "\n")] = '\0';
          if (msg == NULL)
            bad = fprintf (stderr, "  %s: accepted\n", path);
          else if (strstr (msg, expect) == NULL)
            bad = fprintf (stderr, "  %s: error \"%s\" lacks \"%s\"\n", path, msg, expect);
        }
      free (expect);
    }
  free (msg);
  return bad ? 1 : 0;
}

static void
fixtures (const char *kind, size_t min_count)
{
  char dir[256];
  snprintf (dir, sizeof dir, FIXTURES "/%s", kind);
  size_t n;
  char **names = list_json (dir, &n);
  int failed = 0;
  for (size_t i = 0; i < n; i++)
    failed += check_fixture (kind, names[i]);
  free_names (names, n);
  if (n < min_count)
    fprintf (stderr, "  only %zu fixtures in %s (run from the repo root)\n", n, dir);
  CHECK (n >= min_count);
  CHECK (failed == 0);
}

TEST (fixtures_good)
{
  fixtures ("good", 12);
}

TEST (fixtures_bad)
{
  fixtures ("bad", 20);
}

#define MIN_PREFIX "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"rootfs\"}, "

static struct cell_config *
parse_ok (const char *text)
{
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (text, strlen (text), &err);
  if (c == NULL)
    {
      fprintf (stderr, "  parse failed: %s\n", err->msg);
      cell_error_free (&err);
      return NULL;
    }
  if (cell_config_validate (c, &err) < 0)
    {
      fprintf (stderr, "  validate failed: %s\n", err->msg);
      cell_error_free (&err);
      cell_config_free (c);
      return NULL;
    }
  return c;
}

#define CHECK_ERR(text, want)                                                                                     \
  do                                                                                                              \
    {                                                                                                             \
      char *m_ = text_error (text);                                                                               \
      int ok_ = m_ && strcmp (m_, want) == 0;                                                                     \
      if (!ok_)                                                                                                   \
        fprintf (stderr, "  got \"%s\"\n", m_ ? m_ : "(accepted)");                                               \
      free (m_);                                                                                                  \
      CHECK (ok_);                                                                                                \
    }                                                                                                             \
  while (0)

TEST (error_messages)
{
  CHECK_ERR (MIN_PREFIX "\"process\": {\"user\": {\"uid\": \"0\", \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
             "process.user.uid: expected integer, got string");
  CHECK_ERR (MIN_PREFIX "\"process\": {\"user\": {\"uid\": -1, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
             "process.user.uid: expected integer in 0..4294967295, got -1");
  CHECK_ERR (MIN_PREFIX "\"process\": {\"user\": {\"uid\": 99999999999999999999, \"gid\": 0}, \"args\": [\"sh\"],"
                        " \"cwd\": \"/\"}}",
             "process.user.uid: expected integer, got number");
  CHECK_ERR (MIN_PREFIX "\"process\": {\"user\": {\"uid\": 18446744073709551615, \"gid\": 0}, \"args\": [\"sh\"],"
                        " \"cwd\": \"/\"}}",
             "process.user.uid: expected integer in 0..4294967295, got 18446744073709551615");
  CHECK_ERR (MIN_PREFIX "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"cwd\": \"/\"}}",
             "process.args: required");
  CHECK_ERR (MIN_PREFIX "\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\"}, {\"destination\": 1.5}]}",
             "mounts[2].destination: expected string, got number");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"foo\"}]}}",
             "linux.namespaces[1].type: unknown namespace type 'foo'");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\", \"path\": \"/x\"}]}}",
             "linux.namespaces: duplicate type 'pid'");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\","
                        " \"SECCOMP_FILTER_FLAG_FOO\"]}}}",
             "linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_FOO'");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"resources\": {\"memory\": {\"limit\": 1048576, \"swap\": 4096}}}}",
             "linux.resources.memory.swap: 4096 is below memory.limit 1048576 (swap counts memory + swap)");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"resources\": {\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": -8, "
                        "\"minor\": 0, \"rate\": 1}]}}}}",
             "linux.resources.blockIO.throttleReadBpsDevice[0]: invalid device -8:0");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"resources\": {\"cpu\": {\"quota\": 5000, \"burst\": 6000}}}}",
             "linux.resources.cpu.burst: 6000 exceeds cpu.quota 5000");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"resources\": {\"blockIO\": {\"weightDevice\": [{\"major\": 8}]}}}}",
             "linux.resources.blockIO.weightDevice[0].minor: required");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
                        " [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
                        "\"SCMP_CMP_FOO\"}]}]}}}",
             "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_FOO'");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_BOOM\"}}}",
             "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_BOOM'");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
             "linux.uidMappings: requires a new user namespace");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}}",
             "linux.uidMappings: required with a new user namespace");
  CHECK_ERR (MIN_PREFIX "\"hostname\": \"h\"}", "hostname: requires a uts namespace");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}]}, \"domainname\": \"d\"}",
             "domainname: requires a uts namespace");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}, {\"type\": \"uts\"}], \"sysctl\": "
                        "{\"kernel.msgmax\": \"1\", \"kernel.hostname\": \"x\"}}}",
             "linux.sysctl.kernel.hostname: not allowed, the hostname field sets it");
  CHECK_ERR (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"uts\"}], \"sysctl\": {\"kernel/domainname\": \"x\"}}}",
             "linux.sysctl.kernel/domainname: not allowed, the domainname field sets it");
  CHECK_ERR ("{\"root\": {\"path\": \"r\"}}", "ociVersion: required");
  CHECK_ERR ("{\"ociVersion\": \"1\"}", "root: required");
  CHECK_ERR ("", "config.json: invalid JSON: parse error: premature EOF");
  CHECK_ERR ("\"x\"", "config.json: expected object, got string");
}

TEST (hostname_in_joined_uts_namespace)
{
  /* runc and crun set it in the joined namespace. */
  struct cell_config *c = parse_ok (MIN_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"uts\", \"path\": "
                                    "\"/proc/1/ns/uts\"}]}, \"hostname\": \"h\", \"domainname\": \"d\"}");
  CHECK (c != NULL);
  cell_config_free (c);
}

TEST (null_is_absent)
{
  struct cell_config *c = parse_ok (MIN_PREFIX "\"hostname\": null, \"mounts\": null, \"linux\": {\"sysctl\": null}}");
  CHECK (c != NULL);
  CHECK (c->hostname == NULL && c->mounts == NULL && c->linux.sysctl == NULL && c->linux_present);
  cell_config_free (c);
  CHECK_ERR ("{\"ociVersion\": null, \"root\": {\"path\": \"r\"}}", "ociVersion: required");
}

TEST (process_fields)
{
  struct cell_config *c = parse_ok (
      MIN_PREFIX "\"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},"
                 " \"user\": {\"uid\": 4294967295, \"gid\": 7, \"umask\": 0, \"additionalGids\": [1, 2]},"
                 " \"args\": [\"a\", \"b\"], \"env\": [], \"cwd\": \"/w\", \"noNewPrivileges\": true,"
                 " \"oomScoreAdj\": 0,"
                 " \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"ambient\": []},"
                 " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 18446744073709551615}],"
                 " \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"runtime\": 1, \"deadline\": 2, \"period\": 3},"
                 " \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\"}}}");
  CHECK (c != NULL);
  const struct cell_process *p = &c->process;
  CHECK (c->process_present && p->terminal && p->console_size_present);
  CHECK (p->console_height == 24 && p->console_width == 80);
  CHECK (p->user.uid == UINT32_MAX && p->user.gid == 7);
  CHECK (p->user.umask_present && p->user.umask == 0);
  CHECK (p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 2);
  CHECK_STR (p->args[1], "b");
  CHECK (p->args[2] == NULL);
  CHECK (p->env != NULL && p->env[0] == NULL);
  CHECK_STR (p->cwd, "/w");
  CHECK (p->no_new_privileges && p->oom_score_adj_present && p->oom_score_adj == 0);
  CHECK (p->capabilities.present);
  CHECK_STR (p->capabilities.bounding[0], "CAP_KILL");
  CHECK (p->capabilities.effective == NULL && p->capabilities.ambient && p->capabilities.ambient[0] == NULL);
  CHECK (p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE);
  CHECK (p->rlimits[0].soft == 10 && p->rlimits[0].hard == UINT64_MAX);
  CHECK (p->scheduler.present && p->scheduler.policy_value == 6 && p->scheduler.period == 3);
  CHECK (p->io_priority.present && p->io_priority.class_value == 3);
  cell_config_free (c);
}

TEST (linux_fields)
{
  struct cell_config *c = parse_ok (
      MIN_PREFIX "\"hostname\": \"h\", \"annotations\": {\"a\": \"1\", \"b\": \"2\"},"
                 " \"mounts\": [{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/s\","
                 " \"options\": [\"rbind\"]}],"
                 " \"hooks\": {\"poststop\": [{\"path\": \"/bin/x\", \"timeout\": 3}]},"
                 " \"linux\": {\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"uts\"}, {\"type\": \"time\"},"
                 " {\"type\": \"network\", \"path\": \"/run/netns/n\"}],"
                 " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}],"
                 " \"gidMappings\": [{\"containerID\": 1, \"hostID\": 2000, \"size\": 20}],"
                 " \"timeOffsets\": {\"boottime\": {\"secs\": -5, \"nanosecs\": 7}},"
                 " \"devices\": [{\"path\": \"/dev/z\", \"type\": \"c\", \"major\": 1, \"minor\": 5,"
                 " \"fileMode\": 420}],"
                 " \"sysctl\": {\"net.core.somaxconn\": \"9\"}, \"cgroupsPath\": \"x:y:z\","
                 " \"rootfsPropagation\": \"private\", \"maskedPaths\": [\"/m\"], \"readonlyPaths\": [\"/r\"],"
                 " \"personality\": {\"domain\": \"LINUX32\"}, \"resources\": {\"memory\": {}}}}");
  CHECK (c != NULL);
  CHECK_STR (c->oci_version, "1.3.0");
  CHECK_STR (c->root.path, "rootfs");
  CHECK_STR (c->hostname, "h");
  CHECK_STR (cell_config_annotation (c, "b"), "2");
  CHECK (cell_config_annotation (c, "c") == NULL);
  CHECK (c->n_mounts == 1);
  CHECK_STR (c->mounts[0].source, "/s");
  CHECK_STR (c->mounts[0].options[0], "rbind");
  CHECK (c->hooks[CELL_HOOK_POSTSTOP].n == 1 && c->hooks[CELL_HOOK_PRESTART].n == 0);
  CHECK (c->hooks[CELL_HOOK_POSTSTOP].v[0].timeout_present && c->hooks[CELL_HOOK_POSTSTOP].v[0].timeout == 3);
  const struct cell_linux *l = &c->linux;
  CHECK (l->n_namespaces == 4);
  CHECK (cell_config_namespace (c, CELL_NS_USER)->path == NULL);
  CHECK_STR (cell_config_namespace (c, CELL_NS_NETWORK)->path, "/run/netns/n");
  CHECK (cell_config_namespace (c, CELL_NS_PID) == NULL);
  CHECK (l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 1000 && l->uid_mappings[0].size == 10);
  CHECK (l->n_gid_mappings == 1 && l->gid_mappings[0].container_id == 1);
  CHECK (!l->time_monotonic.present && l->time_boottime.present);
  CHECK (l->time_boottime.secs == -5 && l->time_boottime.nanosecs == 7);
  CHECK (l->n_devices == 1 && l->devices[0].type == 'c' && l->devices[0].minor == 5);
  CHECK (l->devices[0].file_mode_present && l->devices[0].file_mode == 0644 && !l->devices[0].uid_present);
  CHECK (l->n_sysctl == 1);
  CHECK_STR (l->sysctl[0].value, "9");
  CHECK_STR (l->cgroups_path, "x:y:z");
  CHECK_STR (l->rootfs_propagation, "private");
  CHECK_STR (l->masked_paths[0], "/m");
  CHECK_STR (l->readonly_paths[0], "/r");
  CHECK (l->personality.present);
  CHECK_STR (l->personality.domain, "LINUX32");
  CHECK (l->resources.present && l->resources.memory.present && !l->resources.memory.limit_present);
  cell_config_free (c);
}

/* Parsed but refused by validate: the values still land in the struct (for when they are implemented). */
TEST (unsupported_parsed)
{
  const char *text
      = MIN_PREFIX "\"linux\": {\"resources\": {\"memory\": {\"limit\": -1, \"swappiness\": 60},"
                   " \"cpu\": {\"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\"}, \"pids\": {\"limit\": 5},"
                   " \"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 10}]},"
                   " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}],"
                   " \"network\": {\"classID\": 1, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]},"
                   " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}, \"unified\": {\"io.max\": \"x\"},"
                   " \"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"rw\"}]},"
                   " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
                   " \"architectures\": [\"SCMP_ARCH_X86_64\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
                   " \"listenerPath\": \"/run/l\", \"listenerMetadata\": \"m\", \"syscalls\": [{\"names\": [\"a\","
                   " \"b\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 5, \"args\": [{\"index\": 1, \"value\":"
                   " 18446744073709551615, \"valueTwo\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]},"
                   " \"intelRdt\": {}, \"memoryPolicy\": {\"mode\": \"MPOL_BIND\", \"nodes\": \"0\", \"flags\":"
                   " [\"MPOL_F_STATIC_NODES\"]}, \"netDevices\": {\"eth1\": {\"name\": \"eth0\"}, \"eth2\": {}},"
                   " \"mountLabel\": \"l\"}}";
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (text, strlen (text), &err);
  if (c == NULL)
    fprintf (stderr, "  %s\n", err->msg);
  CHECK (c != NULL);
  const struct cell_resources *r = &c->linux.resources;
  CHECK (r->memory.limit_present && r->memory.limit == -1 && r->memory.swappiness == 60);
  CHECK (r->cpu.quota == 50000 && r->cpu.period == 100000);
  CHECK_STR (r->cpu.cpus, "0-1");
  CHECK (r->pids.limit_present && r->pids.limit == 5);
  CHECK (r->block_io.weight == 500 && r->block_io.n_weight_device == 1 && r->block_io.weight_device[0].weight == 10);
  CHECK (r->n_hugepage_limits == 1 && r->hugepage_limits[0].limit == 1);
  CHECK (r->network.class_id == 1 && r->network.n_priorities == 1 && r->network.priorities[0].priority == 5);
  CHECK (r->n_rdma == 1 && r->rdma[0].hca_handles_present && !r->rdma[0].hca_objects_present);
  CHECK_STR (r->rdma[0].device, "mlx5_1");
  CHECK (r->n_unified == 1 && r->n_devices == 1 && r->devices[0].allow && !r->devices[0].minor_present);
  const struct cell_seccomp *s = &c->linux.seccomp;
  CHECK (s->present && s->default_errno_ret_present && s->default_errno_ret == 1);
  CHECK (s->n_syscalls == 1 && s->syscalls[0].errno_ret == 5 && s->syscalls[0].n_args == 1);
  CHECK (s->syscalls[0].args[0].value == UINT64_MAX && s->syscalls[0].args[0].op == CELL_SCMP_CMP_MASKED_EQ);
  CHECK_STR (s->listener_path, "/run/l");
  CHECK (c->linux.intel_rdt_present && c->linux.memory_policy.present);
  CHECK (c->linux.n_net_devices == 2);
  CHECK_STR (c->linux.net_devices[0].host_name, "eth1");
  CHECK_STR (c->linux.net_devices[0].name, "eth0");
  CHECK (c->linux.net_devices[1].name == NULL);
  CHECK (cell_config_validate (c, &err) < 0);
  /* linux.resources are implemented: what is refused is something else (seccomp, intelRdt, ...). */
  CHECK (strncmp (err->msg, "linux.resources", 15) != 0);
  cell_error_free (&err);
  cell_config_free (c);
}

/* Errors deep inside arrays leave partial structs that cell_config_free() must release (ASan checks). */
TEST (partial_free)
{
  char *m = text_error (MIN_PREFIX "\"mounts\": [{\"destination\": \"/a\", \"options\": [\"x\", \"y\"]},"
                                   " {\"destination\": \"/b\", \"options\": [\"z\", 3]}]}");
  CHECK (m && strstr (m, "mounts[1].options[1]: expected string, got integer"));
  free (m);
  m = text_error (MIN_PREFIX "\"linux\": {\"netDevices\": {\"a\": {\"name\": \"b\"}, \"c\": {\"name\": 1}}}}");
  CHECK (m && strstr (m, "linux.netDevices.c.name: expected string, got integer"));
  free (m);
  m = text_error (MIN_PREFIX "\"annotations\": {\"a\": \"b\", \"c\": []}}");
  CHECK (m && strstr (m, "annotations.c: expected string, got array"));
  free (m);
}

TEST (process_parse)
{
  const char *text = "{\"user\": {\"uid\": 1, \"gid\": 2}, \"args\": [\"ls\"], \"cwd\": \"/tmp\", \"env\": [\"A=b\"]}";
  cell_error_t err = NULL;
  struct cell_process *p = cell_process_parse (text, strlen (text), &err);
  CHECK (p != NULL);
  CHECK (p->user.uid == 1 && p->user.gid == 2);
  CHECK_STR (p->args[0], "ls");
  CHECK_STR (p->env[0], "A=b");
  cell_process_free (p);
  cell_process_free (NULL);

  text = "{\"user\": {\"uid\": 1, \"gid\": 2}, \"args\": [\"ls\"], \"cwd\": \"tmp\"}";
  CHECK (cell_process_parse (text, strlen (text), &err) == NULL);
  CHECK_STR (err->msg, "process.cwd: must be an absolute path, got 'tmp'");
  cell_error_free (&err);
  text = "{\"user\": {\"uid\": 1, \"gid\": 2}, \"args\": [\"ls\"], \"cwd\": \"/\", \"apparmorProfile\": \"x\"}";
  CHECK (cell_process_parse (text, strlen (text), &err) == NULL);
  CHECK_STR (err->msg, "process.apparmorProfile: not supported");
  cell_error_free (&err);
  CHECK (cell_process_parse ("[]", 2, &err) == NULL);
  CHECK_STR (err->msg, "process.json: expected object, got array");
  cell_error_free (&err);
}

static char *
make_bundle (const char *config)
{
  char *dir = strdup ("/tmp/cell-test-config-XXXXXX");
  if (mkdtemp (dir) == NULL)
    return NULL;
  if (config)
    {
      char path[4096];
      snprintf (path, sizeof path, "%s/config.json", dir);
      FILE *f = fopen (path, "we");
      fputs (config, f);
      fclose (f);
    }
  return dir;
}

static void
remove_bundle (char *dir)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/config.json", dir);
  unlink (path);
  rmdir (dir);
  free (dir);
}

TEST (load)
{
  cell_error_t err = NULL;
  char *dir = make_bundle ("{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"rootfs\"}}");
  CHECK (dir != NULL);
  struct cell_config *c = cell_config_load (dir, &err);
  CHECK (c != NULL && err == NULL);
  CHECK_STR (c->root.path, "rootfs");
  cell_config_free (c);
  remove_bundle (dir);

  /* load validates */
  dir = make_bundle ("{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"seccomp\": {"
                     "\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_FOO\"]}}}");
  CHECK (cell_config_load (dir, &err) == NULL);
  CHECK_STR (err->msg, "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_FOO'");
  cell_error_free (&err);
  remove_bundle (dir);

  dir = make_bundle (NULL);
  CHECK (cell_config_load (dir, &err) == NULL);
  char want[4200];
  snprintf (want, sizeof want, "open '%s/config.json'", dir);
  CHECK_STR (err->msg, want);
  CHECK (err->code == ENOENT);
  cell_error_free (&err);
  remove_bundle (dir);
}

TEST (load_too_large)
{
  char *dir = make_bundle (NULL);
  CHECK (dir != NULL);
  char path[4096];
  snprintf (path, sizeof path, "%s/config.json", dir);
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  CHECK (fd >= 0);
  CHECK (ftruncate (fd, 4 * 1024 * 1024 + 1) == 0);
  close (fd);
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_load (dir, &err);
  int ok = c == NULL && err && strstr (err->msg, "larger than 4 MiB") != NULL;
  cell_error_free (&err);
  remove_bundle (dir);
  CHECK (ok);
}

TEST (names)
{
  CHECK_STR (cell_ns_type_name (CELL_NS_NETWORK), "network");
  CHECK_STR (cell_ns_type_name (CELL_NS_TIME), "time");
  CHECK_STR (cell_hook_kind_name (CELL_HOOK_CREATE_CONTAINER), "createContainer");
  CHECK_STR (cell_hook_kind_name (CELL_HOOK_POSTSTOP), "poststop");
  cell_config_free (NULL);
}

int
main (void)
{
  RUN (fixtures_good);
  RUN (fixtures_bad);
  RUN (error_messages);
  RUN (hostname_in_joined_uts_namespace);
  RUN (null_is_absent);
  RUN (process_fields);
  RUN (linux_fields);
  RUN (unsupported_parsed);
  RUN (partial_free);
  RUN (process_parse);
  RUN (load);
  RUN (load_too_large);
  RUN (names);
  UNIT_END ();
}
