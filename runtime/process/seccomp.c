/* cell: linux.seccomp; see seccomp-filter.h. Models: runc libcontainer/seccomp/seccomp_linux.go (rule semantics),
 * crun src/libcrun/seccomp.c (export the BPF, load it with seccomp(2) ourselves). */
#include "seccomp-filter.h"
#include "base/cleanup.h"
#include "base/hash.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_ARGS 6

/* ---- names ---- */

struct flag_name
{
  const char *name;
  unsigned int value;
};

/* The runtime-spec's flags (config-linux.md "seccomp"). */
static const struct flag_name flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

struct action_name
{
  const char *name;
  uint32_t value; /* SCMP_ACT_*, without data */
};

static const struct action_name action_names[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0) },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0) },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
};

static const enum scmp_compare op_values[] = {
  [CELL_SCMP_CMP_NE] = SCMP_CMP_NE, [CELL_SCMP_CMP_LT] = SCMP_CMP_LT,
  [CELL_SCMP_CMP_LE] = SCMP_CMP_LE, [CELL_SCMP_CMP_EQ] = SCMP_CMP_EQ,
  [CELL_SCMP_CMP_GE] = SCMP_CMP_GE, [CELL_SCMP_CMP_GT] = SCMP_CMP_GT,
  [CELL_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static char *const op_names[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
                                  "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", NULL };

/* Every architecture name of the runtime-spec; those libseccomp does not know are refused (and not listed by
 * `features`). */
static const char *const arch_names[] = {
  "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
};

/* "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when unknown. */
static uint32_t
arch_token (const char *name)
{
  if (strncmp (name, "SCMP_ARCH_", 10) != 0 || name[10] == '\0')
    return 0;
  char lower[32];
  size_t i;
  if (strlen (name + 10) >= sizeof lower)
    return 0;
  for (i = 0; name[10 + i]; i++)
    {
      if (islower ((unsigned char) name[10 + i]))
        return 0;
      lower[i] = (char) tolower ((unsigned char) name[10 + i]);
    }
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

static const struct flag_name *
flag_lookup (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (flag_names); i++)
    if (strcmp (flag_names[i].name, name) == 0)
      return &flag_names[i];
  return NULL;
}

static const struct action_name *
action_lookup (const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE (action_names); i++)
    if (strcmp (action_names[i].name, name) == 0)
      return &action_names[i];
  return NULL;
}

/* The libseccomp action for name; errnoRet applies to ERRNO and TRACE only (EPERM when absent), as in runc. */
static uint32_t
action_value (const char *name, bool errno_present, uint32_t errno_ret)
{
  const struct action_name *a = action_lookup (name);
  uint32_t data = errno_present ? errno_ret : EPERM;
  if (a->value == (uint32_t) SCMP_ACT_ERRNO (0))
    return SCMP_ACT_ERRNO (data);
  if (a->value == (uint32_t) SCMP_ACT_TRACE (0))
    return SCMP_ACT_TRACE (data);
  return a->value;
}

static bool
is_notify (const char *action)
{
  return action && strcmp (action, "SCMP_ACT_NOTIFY") == 0;
}

bool
cell_seccomp_uses_notify (const struct cell_seccomp *s)
{
  for (size_t i = 0; s->present && i < s->n_syscalls; i++)
    if (is_notify (s->syscalls[i].action))
      return true;
  return false;
}

/* ---- validation ---- */

static int
validate_syscall (const struct cell_seccomp *s, size_t i, const char *path, cell_error_t *err)
{
  const struct cell_seccomp_syscall *sc = &s->syscalls[i];
  if (action_lookup (sc->action) == NULL)
    return cell_error (err, 0, "%s.syscalls[%zu].action: unknown action '%s'", path, i, sc->action);
  for (size_t j = 0; j < sc->n_args; j++)
    if (sc->args[j].index >= MAX_ARGS)
      return cell_error (err, 0, "%s.syscalls[%zu].args[%zu].index: %u is not a syscall argument (0..5)", path, i,
                         j, sc->args[j].index);
  if (!is_notify (sc->action))
    return 0;
  if (s->listener_path == NULL || s->listener_path[0] == '\0')
    return cell_error (err, 0, "%s.listenerPath: required with SCMP_ACT_NOTIFY (syscalls[%zu])", path, i);
  for (size_t k = 0; sc->names[k]; k++)
    /* The listener fd travels by sendmsg() after the filter is loaded: notifying it would wait forever on an
     * agent that has not got the fd yet (runc refuses write for the same reason). */
    if (strcmp (sc->names[k], "sendmsg") == 0)
      return cell_error (err, 0, "%s.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot apply to sendmsg", path, i,
                         k);
  return 0;
}

int
cell_seccomp_validate (const struct cell_seccomp *s, const char *path, cell_error_t *err)
{
  if (!s->present)
    return 0;
  if (action_lookup (s->default_action) == NULL)
    return cell_error (err, 0, "%s.defaultAction: unknown action '%s'", path,
                       s->default_action ? s->default_action : "");
  if (is_notify (s->default_action))
    return cell_error (err, 0, "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", path);
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    if (arch_token (s->architectures[i]) == 0)
      return cell_error (err, 0, "%s.architectures[%zu]: unknown architecture '%s'", path, i, s->architectures[i]);
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    if (flag_lookup (s->flags[i]) == NULL)
      return cell_error (err, 0, "%s.flags[%zu]: unknown flag '%s'", path, i, s->flags[i]);
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (validate_syscall (s, i, path, err) < 0)
      return -1;
  return 0;
}

/* ---- kernel support ---- */

/* seccomp(SET_MODE_FILTER, flags, NULL): the kernel checks the flags before it reads the program, so EFAULT
 * means "known" and EINVAL "unknown" (libseccomp probes the same way). */
static bool
kernel_has_flags (unsigned int flags)
{
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

static bool
kernel_has_flag (unsigned int flag)
{
  /* WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER. */
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return kernel_has_flags (flag);
}

static bool
kernel_has_action (uint32_t action)
{
  return syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* ---- compile ---- */

static void
cleanup_ctx (scmp_filter_ctx *c)
{
  if (*c)
    seccomp_release (*c);
}

static int
add_arches (scmp_filter_ctx ctx, const struct cell_seccomp *s, cell_error_t *err)
{
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    {
      int r = seccomp_arch_add (ctx, arch_token (s->architectures[i]));
      if (r < 0 && r != -EEXIST)
        return cell_error (err, -r, "linux.seccomp.architectures[%zu]: add '%s'", i, s->architectures[i]);
    }
  return 0;
}

/* runc's rule: conditions on distinct arguments form one rule (AND); when an argument appears twice, each
 * condition becomes a rule of its own (OR), which is how profiles list alternatives. */
static int
add_rule (scmp_filter_ctx ctx, int nr, uint32_t action, const struct cell_seccomp_syscall *sc)
{
  struct scmp_arg_cmp cmp[MAX_ARGS * 4];
  unsigned int count[MAX_ARGS] = { 0 };
  bool repeated = false;
  size_t n = sc->n_args < ARRAY_SIZE (cmp) ? sc->n_args : ARRAY_SIZE (cmp);
  for (size_t j = 0; j < n; j++)
    {
      const struct cell_seccomp_arg *a = &sc->args[j];
      cmp[j] = (struct scmp_arg_cmp) { .arg = a->index, .op = op_values[a->op], .datum_a = a->value,
                                       .datum_b = a->value_two };
      if (++count[a->index] > 1)
        repeated = true;
    }
  if (!repeated)
    return seccomp_rule_add_array (ctx, action, nr, (unsigned int) n, cmp);
  for (size_t j = 0; j < n; j++)
    {
      int r = seccomp_rule_add_array (ctx, action, nr, 1, &cmp[j]);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
add_syscalls (scmp_filter_ctx ctx, const struct cell_seccomp *s, uint32_t def, cell_error_t *err)
{
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct cell_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t action = action_value (sc->action, sc->errno_ret_present, sc->errno_ret);
      /* libseccomp refuses a rule that only repeats the default; runc and crun skip it. */
      if (action == def)
        continue;
      for (size_t k = 0; sc->names[k]; k++)
        {
          int nr = seccomp_syscall_resolve_name (sc->names[k]);
          if (nr == __NR_SCMP_ERROR)
            {
              cell_debug ("linux.seccomp.syscalls[%zu]: unknown syscall '%s' skipped", i, sc->names[k]);
              continue;
            }
          int r = add_rule (ctx, nr, action, sc);
          if (r < 0)
            return cell_error (err, -r, "linux.seccomp.syscalls[%zu]: add rule for '%s'", i, sc->names[k]);
        }
    }
  return 0;
}

static int
kernel_flags (const struct cell_seccomp *s, bool notify, unsigned int *out, cell_error_t *err)
{
  unsigned int flags = 0;
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      const struct flag_name *f = flag_lookup (s->flags[i]);
      if (!kernel_has_flag (f->value))
        return cell_error (err, EINVAL, "linux.seccomp.flags[%zu]: %s is not supported by this kernel", i, f->name);
      /* The kernel takes WAIT_KILLABLE_RECV only with a listener (libseccomp applies it the same way). */
      if (f->value != SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV || notify)
        flags |= f->value;
    }
  if (notify)
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* TSYNC with a listener: the kernel wants TSYNC_ESRCH, so that a failed sync is not mistaken for a fd. */
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
      if (!kernel_has_flags (flags))
        return cell_error (err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY is not supported by this kernel");
    }
  *out = flags;
  return 0;
}

/* seccomp_export_bpf() writes to a fd (libseccomp 2.5 has no in-memory export): use a memfd. */
static int
export_bpf (scmp_filter_ctx ctx, struct cell_seccomp_filter *f, cell_error_t *err)
{
  _cleanup_close_ int fd = memfd_create ("cell-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return cell_error_errno (err, "memfd_create");
  int r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return cell_error (err, -r, "linux.seccomp: export the filter");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return cell_error_errno (err, "lseek");
  char *buf = NULL;
  size_t len;
  if (cell_read_all (fd, BPF_MAXINSNS * sizeof (struct sock_filter), &buf, &len, err) < 0)
    return cell_error_prefix (err, "linux.seccomp: the filter is too large");
  if (len == 0 || len % sizeof (struct sock_filter))
    {
      free (buf);
      return cell_error (err, EINVAL, "linux.seccomp: libseccomp exported %zu bytes", len);
    }
  f->insns = buf;
  f->len = (unsigned short) (len / sizeof (struct sock_filter));
  return 0;
}

/* ---- the BPF cache ----
 * libseccomp needs milliseconds for a real profile (Docker's, with x32, ~30 ms here), more than all the rest of
 * a `create`. Like crun, cell keeps each compiled program in <state root>/.cache/seccomp/, a file named by a hash
 * of everything the program depends on and starting with that whole key, which a hit must match exactly (no
 * collision can load the wrong program). The directory is cell's own (0700, under the state root): whoever can
 * write there is root already. A cache that cannot be read or written only costs the compile. */

static char *
cache_key (const struct cell_seccomp *s, uint32_t def)
{
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&buf, &len);
  uname (&u);
  fprintf (m, "cell-seccomp 1\nlibseccomp %u.%u.%u\nkernel %s %s\ndefault %u\narch", v->major, v->minor,
           v->micro, u.release, u.machine, def);
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    fprintf (m, " %s", s->architectures[i]);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct cell_seccomp_syscall *sc = &s->syscalls[i];
      fprintf (m, "\nrule %u", action_value (sc->action, sc->errno_ret_present, sc->errno_ret));
      for (size_t j = 0; j < sc->n_args; j++)
        fprintf (m, " %u:%d:%llu:%llu", sc->args[j].index, (int) sc->args[j].op,
                 (unsigned long long) sc->args[j].value, (unsigned long long) sc->args[j].value_two);
      for (size_t k = 0; sc->names[k]; k++)
        fprintf (m, " %s", sc->names[k]);
    }
  fputc ('\0', m);
  fclose (m);
  return buf;
}

static int
cache_dir_open (const char *root)
{
  _cleanup_close_ int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -1;
  mkdirat (rootfd, ".cache", 0700);
  _cleanup_close_ int cache = openat (rootfd, ".cache", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cache < 0)
    return -1;
  mkdirat (cache, "seccomp", 0700);
  return openat (cache, "seccomp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool
cache_load (int dirfd, const char *name, const char *key, struct cell_seccomp_filter *f)
{
  char *buf = NULL;
  size_t len, klen = strlen (key) + 1;
  if (cell_read_file_at (dirfd, name, klen + BPF_MAXINSNS * sizeof (struct sock_filter), &buf, &len, NULL) < 0)
    return false;
  size_t n = len > klen ? len - klen : 0;
  if (n == 0 || n % sizeof (struct sock_filter) || memcmp (buf, key, klen) != 0)
    {
      free (buf);
      return false;
    }
  memmove (buf, buf + klen, n);
  f->insns = buf;
  f->len = (unsigned short) (n / sizeof (struct sock_filter));
  return true;
}

static void
cache_store (int dirfd, const char *name, const char *key, const struct cell_seccomp_filter *f)
{
  size_t klen = strlen (key) + 1, n = f->len * sizeof (struct sock_filter);
  _cleanup_free_ char *buf = xmalloc (klen + n);
  memcpy (buf, key, klen);
  memcpy (buf + klen, f->insns, n);
  cell_error_t err = NULL;
  if (cell_write_file_atomic (dirfd, name, buf, klen + n, 0600, &err) < 0)
    {
      cell_debug ("seccomp cache: %s", err->msg);
      cell_error_free (&err);
    }
}

static int
build (const struct cell_seccomp *s, uint32_t def, struct cell_seccomp_filter *f, cell_error_t *err)
{
  _cleanup_ (cleanup_ctx) scmp_filter_ctx ctx = seccomp_init (def);
  if (ctx == NULL)
    return cell_error (err, EINVAL, "linux.seccomp.defaultAction: seccomp_init(%s) failed", s->default_action);
  if (add_arches (ctx, s, err) < 0 || add_syscalls (ctx, s, def, err) < 0)
    return -1;
  return export_bpf (ctx, f, err);
}

int
cell_seccomp_compile (const struct cell_seccomp *s, const char *cache_root, struct cell_seccomp_filter *f,
                      cell_error_t *err)
{
  memset (f, 0, sizeof *f);
  if (cell_seccomp_validate (s, "linux.seccomp", err) < 0)
    return -1;
  f->notify = cell_seccomp_uses_notify (s);
  if (kernel_flags (s, f->notify, &f->flags, err) < 0)
    return -1;
  uint32_t def = action_value (s->default_action, s->default_errno_ret_present, s->default_errno_ret);
  if (!kernel_has_action (def & SECCOMP_RET_ACTION_FULL))
    return cell_error (err, EINVAL, "linux.seccomp.defaultAction: %s is not supported by this kernel",
                       s->default_action);
  if (cache_root == NULL)
    return build (s, def, f, err);
  _cleanup_free_ char *key = cache_key (s, def);
  char name[32];
  snprintf (name, sizeof name, "%016llx.bpf", (unsigned long long) cell_hash_str (key));
  _cleanup_close_ int dirfd = cache_dir_open (cache_root);
  if (dirfd >= 0 && cache_load (dirfd, name, key, f))
    return 0;
  if (build (s, def, f, err) < 0)
    return -1;
  if (dirfd >= 0)
    cache_store (dirfd, name, key, f);
  return 0;
}

void
cell_seccomp_filter_release (struct cell_seccomp_filter *f)
{
  free (f->insns);
  memset (f, 0, sizeof *f);
}

/* ---- load (child) ---- */

int
cell_seccomp_load (const struct cell_seccomp_filter *f, int *listener, cell_error_t *err)
{
  struct sock_fprog prog = { .len = f->len, .filter = f->insns };
  *listener = -1;
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
  if (r < 0)
    return errno == EACCES
               ? cell_error_errno (err, "load the seccomp filter (without noNewPrivileges it needs CAP_SYS_ADMIN)")
               : cell_error_errno (err, "load the seccomp filter");
  if (f->notify)
    *listener = (int) r;
  return 0;
}

/* ---- notify: the agent ---- */

int
cell_seccomp_agent_connect (const char *path, cell_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return cell_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath: '%s'", path);
  strcpy (sa.sun_path, path);
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cell_error_errno (err, "socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return cell_error_errno (err, "linux.seccomp.listenerPath: connect '%s'", path);
  return TAKE_FD (fd);
}

char *
cell_seccomp_process_state (pid_t pid, const char *metadata, const char *state_json, cell_error_t *err)
{
  struct cell_json *state = cell_json_parse (state_json, strlen (state_json), "state", err);
  if (state == NULL)
    return NULL;
  static char *const fds[] = { "seccompFd", NULL };
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "ociVersion", "1.3.0");
  cell_jsonw_kv_strv (w, "fds", fds);
  cell_jsonw_kv_int (w, "pid", pid);
  cell_jsonw_kv_string (w, "metadata", metadata ? metadata : "");
  cell_jsonw_key (w, "state");
  cell_jsonw_value (w, state);
  cell_jsonw_object_close (w);
  cell_json_free (state);
  return cell_jsonw_finish (w, NULL);
}

int
cell_seccomp_send_listener (int sock, int listener, const char *payload, cell_error_t *err)
{
  struct iovec iov = { (void *) payload, strlen (payload) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  memset (&u, 0, sizeof u);
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &listener, sizeof (int));
  ssize_t n;
  do
    n = sendmsg (sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cell_error_errno (err, "linux.seccomp.listenerPath: send the listener fd");
  /* The fd went with the first byte; a stream socket may take the rest in more writes. */
  if ((size_t) n < iov.iov_len && cell_write_all (sock, payload + n, iov.iov_len - (size_t) n, err) < 0)
    return cell_error_prefix (err, "linux.seccomp.listenerPath");
  return 0;
}

/* ---- features ---- */

static char **
supported_actions (void)
{
  char **v = xcalloc (ARRAY_SIZE (action_names) + 1, sizeof *v);
  size_t n = 0;
  for (size_t i = 0; i < ARRAY_SIZE (action_names); i++)
    if (kernel_has_action (action_names[i].value & SECCOMP_RET_ACTION_FULL))
      v[n++] = (char *) action_names[i].name;
  return v;
}

void
cell_seccomp_write_features (struct cell_jsonw *w)
{
  const char *archs[ARRAY_SIZE (arch_names) + 1] = { 0 };
  const char *known[ARRAY_SIZE (flag_names) + 1] = { 0 }, *supported[ARRAY_SIZE (flag_names) + 1] = { 0 };
  size_t na = 0, ns = 0;
  for (size_t i = 0; i < ARRAY_SIZE (arch_names); i++)
    if (arch_token (arch_names[i]))
      archs[na++] = arch_names[i];
  for (size_t i = 0; i < ARRAY_SIZE (flag_names); i++)
    {
      known[i] = flag_names[i].name;
      if (kernel_has_flag (flag_names[i].value))
        supported[ns++] = flag_names[i].name;
    }
  _cleanup_free_ char **actions = supported_actions ();
  cell_jsonw_key (w, "seccomp");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "enabled", true);
  cell_jsonw_kv_strv (w, "actions", actions);
  cell_jsonw_kv_strv (w, "operators", op_names);
  cell_jsonw_kv_strv (w, "archs", (char *const *) archs);
  cell_jsonw_kv_strv (w, "knownFlags", (char *const *) known);
  cell_jsonw_kv_strv (w, "supportedFlags", (char *const *) supported);
  cell_jsonw_object_close (w);
}

const char *
cell_seccomp_library_version (void)
{
  static char buf[48];
  const struct scmp_version *v = seccomp_version ();
  if (v == NULL)
    return "unknown";
  snprintf (buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
  return buf;
}
