/* cell_hooks_run: state on stdin, args/env, exit status, signals, timeouts, fds. Uses /bin/sh hooks in a
 * temporary directory; unprivileged. */
#include "unit.h"
#include "hooks.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/xalloc.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/cell-test-hooks-XXXXXX";
static const char state[] = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":1}";

/* One config holding the given hooks under `kind`; hooks are {path, args..., NULL} with env/timeout set after. */
static struct cell_config *
config_new (enum cell_hook_kind kind, size_t n)
{
  struct cell_config *c = xcalloc (1, sizeof *c);
  c->hooks[kind].v = xcalloc (n, sizeof (struct cell_hook));
  c->hooks[kind].n = n;
  return c;
}

static void
config_free (struct cell_config *c)
{
  for (int k = 0; k < CELL_HOOK__MAX; k++)
    {
      for (size_t i = 0; i < c->hooks[k].n; i++)
        {
          free (c->hooks[k].v[i].path);
          cell_strv_free (c->hooks[k].v[i].args);
          cell_strv_free (c->hooks[k].v[i].env);
        }
      free (c->hooks[k].v);
    }
  free (c);
}

/* A /bin/sh hook running `script`; extra env may be NULL. */
static void
sh_hook (struct cell_hook *h, const char *script, const char *env)
{
  h->path = xstrdup ("/bin/sh");
  h->args = cell_strv_append (cell_strv_append (cell_strv_append (NULL, "sh"), "-c"), script);
  if (env)
    h->env = cell_strv_append (NULL, env);
}

/* Run, return the error string (or NULL on success); caller frees. */
static char *
run (struct cell_config *c, enum cell_hook_kind kind, const char *st)
{
  cell_error_t err = NULL;
  int r = cell_hooks_run (c, kind, st, &err);
  if ((r < 0) != (err != NULL))
    return xstrdup ("error contract broken");
  char *s = r < 0 ? cell_error_string (err) : NULL;
  cell_error_free (&err);
  return s;
}

static char *
slurp (const char *name)
{
  char *path = xasprintf ("%s/%s", tmpdir, name), buf[4096];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  free (path);
  if (fd < 0)
    return NULL;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return xstrdup (buf);
}

#define OUT_ENV(name) xasprintf ("OUT=%s/%s", tmpdir, name)

TEST (state_on_stdin)
{
  struct cell_config *c = config_new (CELL_HOOK_PRESTART, 1);
  char *env = OUT_ENV ("state");
  sh_hook (&c->hooks[CELL_HOOK_PRESTART].v[0], "cat > \"$OUT\"", env);
  free (env);
  char *e = run (c, CELL_HOOK_PRESTART, state);
  config_free (c);
  CHECK (e == NULL);
  char *got = slurp ("state");
  int ok = got && strcmp (got, state) == 0;
  free (got);
  CHECK (ok);
}

TEST (args_and_env)
{
  struct cell_config *c = config_new (CELL_HOOK_POSTSTOP, 1);
  struct cell_hook *h = &c->hooks[CELL_HOOK_POSTSTOP].v[0];
  char *env = OUT_ENV ("args");
  sh_hook (h, "echo \"$0 $1 $FOO\" > \"$OUT\"", env);
  free (env);
  h->args = cell_strv_append (cell_strv_append (h->args, "zero"), "one");
  h->env = cell_strv_append (h->env, "FOO=bar");
  char *e = run (c, CELL_HOOK_POSTSTOP, state);
  config_free (c);
  CHECK (e == NULL);
  char *got = slurp ("args");
  int ok = got && strcmp (got, "zero one bar\n") == 0;
  free (got);
  CHECK (ok);
}

/* No args: argv is [path]. */
TEST (no_args_means_path)
{
  char *script = xasprintf ("%s/hook.sh", tmpdir), *out = xasprintf ("%s/argv0", tmpdir);
  FILE *f = fopen (script, "w");
  fprintf (f, "#!/bin/sh\necho \"$0 $#\" > %s\n", out);
  fclose (f);
  chmod (script, 0755);
  struct cell_config *c = config_new (CELL_HOOK_CREATE_RUNTIME, 1);
  c->hooks[CELL_HOOK_CREATE_RUNTIME].v[0].path = xstrdup (script);
  char *e = run (c, CELL_HOOK_CREATE_RUNTIME, state);
  config_free (c);
  char *got = slurp ("argv0"), *want = xasprintf ("%s 0\n", script);
  int ok = e == NULL && got && strcmp (got, want) == 0;
  free (got), free (want), free (script), free (out), free (e);
  CHECK (ok);
}

TEST (exit_status_is_an_error)
{
  struct cell_config *c = config_new (CELL_HOOK_PRESTART, 1);
  sh_hook (&c->hooks[CELL_HOOK_PRESTART].v[0], "exit 3", NULL);
  char *e = run (c, CELL_HOOK_PRESTART, state);
  config_free (c);
  CHECK_STR (e, "hook prestart[0] (/bin/sh): exited with status 3");
  free (e);
}

TEST (signal_is_an_error)
{
  struct cell_config *c = config_new (CELL_HOOK_POSTSTART, 1);
  sh_hook (&c->hooks[CELL_HOOK_POSTSTART].v[0], "kill -9 $$", NULL);
  char *e = run (c, CELL_HOOK_POSTSTART, state);
  config_free (c);
  CHECK_STR (e, "hook poststart[0] (/bin/sh): killed by signal 9");
  free (e);
}

TEST (stops_at_first_failure)
{
  struct cell_config *c = config_new (CELL_HOOK_CREATE_CONTAINER, 3);
  char *env = OUT_ENV ("third");
  sh_hook (&c->hooks[CELL_HOOK_CREATE_CONTAINER].v[0], "true", NULL);
  sh_hook (&c->hooks[CELL_HOOK_CREATE_CONTAINER].v[1], "exit 1", NULL);
  sh_hook (&c->hooks[CELL_HOOK_CREATE_CONTAINER].v[2], "touch \"$OUT\"", env);
  free (env);
  char *e = run (c, CELL_HOOK_CREATE_CONTAINER, state);
  config_free (c);
  char *third = slurp ("third");
  int ran = third != NULL;
  free (third);
  CHECK_STR (e, "hook createContainer[1] (/bin/sh): exited with status 1");
  free (e);
  CHECK (!ran);
}

TEST (run_all_goes_on_after_failures)
{
  /* poststop: every hook runs, each failure is a warning in the log, and counted. */
  char *log = xasprintf ("%s/warnings.log", tmpdir);
  CHECK (cell_log_init (log, CELL_LOG_JSON, false) == 0);
  free (log);
  struct cell_config *c = config_new (CELL_HOOK_POSTSTOP, 3);
  char *env = OUT_ENV ("after-failures");
  sh_hook (&c->hooks[CELL_HOOK_POSTSTOP].v[0], "exit 1", NULL);
  sh_hook (&c->hooks[CELL_HOOK_POSTSTOP].v[1], "kill -9 $$", NULL);
  sh_hook (&c->hooks[CELL_HOOK_POSTSTOP].v[2], "touch \"$OUT\"", env);
  free (env);
  size_t failed = cell_hooks_run_all (c, CELL_HOOK_POSTSTOP, state);
  config_free (c);
  char *third = slurp ("after-failures");
  int ran = third != NULL;
  free (third);
  CHECK (failed == 2);
  CHECK (ran);
  char *warnings = slurp ("warnings.log");
  CHECK (warnings && strstr (warnings, "{\"level\":\"warning\",\"msg\":\"hook poststop[0] (/bin/sh): exited with status 1\""));
  CHECK (warnings && strstr (warnings, "\"msg\":\"hook poststop[1] (/bin/sh): killed by signal 9\""));
  CHECK (warnings && strstr (warnings, "poststop[2]") == NULL);
  free (warnings);
}

static long long
ms_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

TEST (timeout_kills)
{
  struct cell_config *c = config_new (CELL_HOOK_POSTSTART, 2);
  sh_hook (&c->hooks[CELL_HOOK_POSTSTART].v[0], "true", NULL);
  sh_hook (&c->hooks[CELL_HOOK_POSTSTART].v[1], "exec sleep 30", NULL);
  c->hooks[CELL_HOOK_POSTSTART].v[1].timeout_present = true;
  c->hooks[CELL_HOOK_POSTSTART].v[1].timeout = 1;
  long long t0 = ms_now ();
  char *e = run (c, CELL_HOOK_POSTSTART, state);
  long long took = ms_now () - t0;
  config_free (c);
  CHECK_STR (e, "hook poststart[1] (/bin/sh): timed out after 1 s");
  free (e);
  CHECK (took >= 900 && took < 5000);
}

/* A hook that never reads a state bigger than the pipe buffer: no hang, no SIGPIPE for us. */
TEST (unread_big_state)
{
  size_t n = 1 << 20;
  char *big = xmalloc (n + 1);
  memset (big, 'x', n);
  big[n] = '\0';
  struct cell_config *c = config_new (CELL_HOOK_START_CONTAINER, 2);
  sh_hook (&c->hooks[CELL_HOOK_START_CONTAINER].v[0], "exit 0", NULL);
  sh_hook (&c->hooks[CELL_HOOK_START_CONTAINER].v[1], "exec sleep 30", NULL);
  c->hooks[CELL_HOOK_START_CONTAINER].v[1].timeout_present = true;
  c->hooks[CELL_HOOK_START_CONTAINER].v[1].timeout = 1;
  char *e = run (c, CELL_HOOK_START_CONTAINER, big);
  config_free (c);
  free (big);
  CHECK_STR (e, "hook startContainer[1] (/bin/sh): timed out after 1 s");
  free (e);
}

TEST (fds_not_inherited)
{
  int fd = open ("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
  CHECK (fd >= 0);
  CHECK (dup2 (fd, 50) == 50);
  close (fd);
  char *script = xasprintf ("[ -e /proc/self/fd/50 ] && exit 7; exit 0");
  struct cell_config *c = config_new (CELL_HOOK_PRESTART, 1);
  sh_hook (&c->hooks[CELL_HOOK_PRESTART].v[0], script, NULL);
  free (script);
  char *e = run (c, CELL_HOOK_PRESTART, state);
  config_free (c);
  close (50);
  CHECK (e == NULL);
}

TEST (bad_paths)
{
  struct cell_config *c = config_new (CELL_HOOK_PRESTART, 1);
  c->hooks[CELL_HOOK_PRESTART].v[0].path = xstrdup ("bin/true");
  char *e = run (c, CELL_HOOK_PRESTART, state);
  config_free (c);
  CHECK_STR (e, "hook prestart[0] (bin/true): path must be absolute");
  free (e);
  c = config_new (CELL_HOOK_PRESTART, 1);
  c->hooks[CELL_HOOK_PRESTART].v[0].path = xstrdup ("/nonexistent/hook");
  e = run (c, CELL_HOOK_PRESTART, state);
  config_free (c);
  CHECK_STR (e, "hook prestart[0] (/nonexistent/hook): exec: No such file or directory");
  free (e);
}

TEST (no_hooks)
{
  struct cell_config *c = config_new (CELL_HOOK_PRESTART, 0);
  char *e = run (c, CELL_HOOK_POSTSTOP, state);
  config_free (c);
  CHECK (e == NULL);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  RUN (state_on_stdin);
  RUN (args_and_env);
  RUN (no_args_means_path);
  RUN (exit_status_is_an_error);
  RUN (signal_is_an_error);
  RUN (stops_at_first_failure);
  RUN (run_all_goes_on_after_failures);
  RUN (timeout_kills);
  RUN (unread_big_state);
  RUN (fds_not_inherited);
  RUN (bad_paths);
  RUN (no_hooks);
  char *cmd = xasprintf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    fprintf (stderr, "cleanup of %s failed\n", tmpdir);
  free (cmd);
  UNIT_END ();
}
