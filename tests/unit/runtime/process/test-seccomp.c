/* Unit tests for runtime/process/seccomp.c: validation messages, compile (flags, notify, skipped names), the
 * containerProcessState document, the default profile, and one filter loaded in a forked child. */
#include "unit.h"
#include "base/json.h"
#include "config/config.h"
#include "runtime.h"
#include "process/seccomp-filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Parse a config whose linux.seccomp is `seccomp` (JSON text). */
static struct cell_config *
with_seccomp (const char *seccomp)
{
  char text[8192];
  snprintf (text, sizeof text, "{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"seccomp\": %s}}",
            seccomp);
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (text, strlen (text), &err);
  if (c == NULL)
    {
      fprintf (stderr, "  parse: %s\n", err->msg);
      cell_error_free (&err);
    }
  return c;
}

/* NULL when valid, else the message (caller frees). */
static char *
validate_error (const char *seccomp)
{
  struct cell_config *c = with_seccomp (seccomp);
  if (c == NULL)
    return strdup ("(parse failed)");
  cell_error_t err = NULL;
  char *msg = NULL;
  if (cell_seccomp_validate (&c->linux.seccomp, "linux.seccomp", &err) < 0)
    {
      msg = strdup (err->msg);
      cell_error_free (&err);
    }
  cell_config_free (c);
  return msg;
}

#define CHECK_INVALID(json, want)                                                                                 \
  do                                                                                                              \
    {                                                                                                             \
      char *m_ = validate_error (json);                                                                           \
      int ok_ = m_ && strcmp (m_, want) == 0;                                                                     \
      if (!ok_)                                                                                                   \
        fprintf (stderr, "  got \"%s\"\n", m_ ? m_ : "(valid)");                                                  \
      free (m_);                                                                                                  \
      CHECK (ok_);                                                                                                \
    }                                                                                                             \
  while (0)

TEST (validate)
{
  char *m = validate_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\","
                            " \"SCMP_ARCH_AARCH64\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"syscalls\": [{\"names\":"
                            " [\"x\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 5, \"value\": 1, \"op\":"
                            " \"SCMP_CMP_EQ\"}]}]}");
  CHECK (m == NULL);
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_x86_64\"]}",
                 "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_x86_64'");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"X86_64\"]}",
                 "linux.seccomp.architectures[0]: unknown architecture 'X86_64'");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
                 "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], \"action\":"
                 " \"SCMP_ACT_ERRNO\"}, {\"names\": [\"b\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0,"
                 " \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 9, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[1].args[1].index: 9 is not a syscall argument (0..5)");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], \"action\":"
                 " \"SCMP_ACT_NOTIFY\"}]}",
                 "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY (syscalls[0])");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/a\"}",
                 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  CHECK_INVALID ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\", \"syscalls\": [{\"names\": [\"a\","
                 " \"sendmsg\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                 "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply to sendmsg");
}

static int
compile (const char *json, struct cell_seccomp_filter *f, char **msg)
{
  struct cell_config *c = with_seccomp (json);
  if (c == NULL)
    return -1;
  cell_error_t err = NULL;
  int r = cell_seccomp_compile (&c->linux.seccomp, NULL, f, &err);
  if (r < 0)
    {
      if (msg)
        *msg = strdup (err->msg);
      else
        fprintf (stderr, "  compile: %s\n", err->msg);
      cell_error_free (&err);
    }
  cell_config_free (c);
  return r;
}

TEST (compile_flags)
{
  struct cell_seccomp_filter f;
  CHECK (compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\","
                  " \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"], \"syscalls\":"
                  " [{\"names\": [\"umask\", \"cell_no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                  &f, NULL)
         == 0);
  /* WAIT_KILLABLE_RECV only goes with a listener. */
  CHECK (f.flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW) && !f.notify && f.len > 4);
  cell_seccomp_filter_release (&f);
  CHECK (compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\","
                  " \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"], \"listenerPath\": \"/a\", \"syscalls\": [{\"names\":"
                  " [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                  &f, NULL)
         == 0);
  CHECK (f.notify);
  CHECK (f.flags
         == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_NEW_LISTENER
             | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV));
  cell_seccomp_filter_release (&f);
}

TEST (compile_rule_same_as_default)
{
  /* A rule that repeats the default is skipped (libseccomp would refuse it); a different errno is not. */
  struct cell_seccomp_filter f;
  CHECK (compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"umask\"], \"action\":"
                  " \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}, {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\","
                  " \"errnoRet\": 2}]}",
                  &f, NULL)
         == 0);
  cell_seccomp_filter_release (&f);
}

TEST (process_state)
{
  cell_error_t err = NULL;
  char *text = cell_seccomp_process_state (1234, "meta \"x\"", "{\"ociVersion\": \"1.3.0\", \"id\": \"c1\","
                                           " \"status\": \"created\", \"pid\": 1234}", &err);
  CHECK (text != NULL);
  struct cell_json *j = cell_json_parse (text, strlen (text), "payload", &err);
  free (text);
  CHECK (j != NULL);
  const struct cell_json *fds = cell_json_get (j, "fds");
  int64_t pid = 0;
  int ok = cell_json_len (fds) == 1 && strcmp (cell_json_string (cell_json_at (fds, 0)), "seccompFd") == 0
           && cell_json_int64 (cell_json_get (j, "pid"), &pid) && pid == 1234
           && strcmp (cell_json_string (cell_json_get (j, "metadata")), "meta \"x\"") == 0
           && strcmp (cell_json_string (cell_json_get (cell_json_get (j, "state"), "id")), "c1") == 0
           && cell_json_string (cell_json_get (j, "ociVersion")) != NULL;
  cell_json_free (j);
  CHECK (ok);
  CHECK (cell_seccomp_process_state (1, NULL, "{not json", &err) == NULL);
  cell_error_free (&err);
}

TEST (default_profile_compiles)
{
  char *text = cell_spec_default (false);
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse (text, strlen (text), &err);
  free (text);
  CHECK (c != NULL);
  struct cell_seccomp_filter f;
  int r = cell_config_validate (c, &err) == 0 ? cell_seccomp_compile (&c->linux.seccomp, NULL, &f, &err) : -1;
  if (r < 0)
    fprintf (stderr, "  %s\n", err->msg);
  const struct cell_seccomp *s = &c->linux.seccomp;
  int ok = r == 0 && strcmp (s->default_action, "SCMP_ACT_ERRNO") == 0 && s->default_errno_ret == 1
           && !f.notify && f.flags == 0;
  for (size_t i = 0; ok && i < s->n_syscalls; i++)
    for (size_t k = 0; s->syscalls[i].names[k]; k++)
      if (strcmp (s->syscalls[i].names[k], "keyctl") == 0 || strcmp (s->syscalls[i].names[k], "mount") == 0)
        ok = 0;
  if (r == 0)
    cell_seccomp_filter_release (&f);
  cell_config_free (c);
  CHECK (ok);
}

/* In a child: load a filter (ERRNO 42 on umask(a) when a > 0o20) and report what umask answers. */
TEST (load_in_child)
{
  struct cell_seccomp_filter f;
  CHECK (compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], \"action\":"
                  " \"SCMP_ACT_ERRNO\", \"errnoRet\": 42, \"args\": [{\"index\": 0, \"value\": 16, \"op\":"
                  " \"SCMP_CMP_GT\"}]}]}",
                  &f, NULL)
         == 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      int listener;
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || cell_seccomp_load (&f, &listener, NULL) < 0)
        _exit (10);
      if (listener != -1)
        _exit (11);
      if (syscall (SYS_umask, 8) < 0)
        _exit (12);
      errno = 0;
      if (syscall (SYS_umask, 18) != -1 || errno != 42)
        _exit (13);
      _exit (0);
    }
  int status = -1;
  waitpid (pid, &status, 0);
  cell_seccomp_filter_release (&f);
  if (!WIFEXITED (status) || WEXITSTATUS (status))
    fprintf (stderr, "  child status 0x%x\n", status);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

TEST (cache)
{
  char dir[] = "/tmp/cell-seccomp-cache-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  struct cell_config *c = with_seccomp ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
                                        " [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 42}]}");
  CHECK (c != NULL);
  struct cell_seccomp_filter a, b, d;
  cell_error_t err = NULL;
  CHECK (cell_seccomp_compile (&c->linux.seccomp, NULL, &a, &err) == 0);
  CHECK (cell_seccomp_compile (&c->linux.seccomp, dir, &b, &err) == 0); /* miss: compiled and stored */
  char cmd[256];
  snprintf (cmd, sizeof cmd, "ls %s/.cache/seccomp/ | grep -c '^[0-9a-f]\\{16\\}\\.bpf$' | grep -qx 1", dir);
  int stored = system (cmd) == 0;
  /* A hit must give the same program; a file whose key does not match must be ignored. */
  CHECK (cell_seccomp_compile (&c->linux.seccomp, dir, &d, &err) == 0);
  int same = a.len == b.len && b.len == d.len && memcmp (a.insns, d.insns, a.len * 8) == 0;
  cell_seccomp_filter_release (&d);
  snprintf (cmd, sizeof cmd, "for f in %s/.cache/seccomp/*.bpf; do printf 'garbage' >$f; done", dir);
  int corrupted = system (cmd) == 0;
  CHECK (cell_seccomp_compile (&c->linux.seccomp, dir, &d, &err) == 0);
  same = same && d.len == a.len && memcmp (a.insns, d.insns, a.len * 8) == 0;
  cell_seccomp_filter_release (&a);
  cell_seccomp_filter_release (&b);
  cell_seccomp_filter_release (&d);
  cell_config_free (c);
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK (system (cmd) == 0);
  CHECK (stored && corrupted && same);
}

TEST (features)
{
  char *text = cell_features_json ();
  cell_error_t err = NULL;
  struct cell_json *j = cell_json_parse (text, strlen (text), "features", &err);
  free (text);
  CHECK (j != NULL);
  const struct cell_json *s = cell_json_get (cell_json_get (j, "linux"), "seccomp");
  int ok = s && cell_json_bool (cell_json_get (s, "enabled")) && cell_json_len (cell_json_get (s, "operators")) == 7
           && cell_json_len (cell_json_get (s, "knownFlags")) == 4
           && cell_json_len (cell_json_get (s, "supportedFlags")) <= 4
           && cell_json_len (cell_json_get (s, "archs")) >= 3;
  cell_json_free (j);
  CHECK (ok);
}

int
main (void)
{
  RUN (validate);
  RUN (compile_flags);
  RUN (compile_rule_same_as_default);
  RUN (process_state);
  RUN (default_profile_compiles);
  RUN (load_in_child);
  RUN (cache);
  RUN (features);
  UNIT_END ();
}
