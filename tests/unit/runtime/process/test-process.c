/* Unit tests for runtime/process/process.c: validation errors with field paths, name lookups, args[0] lookup against a
 * temporary directory, and each setter in a forked child (root only; skipped otherwise). */
#include "unit.h"
#include "base/fd.h"

#include "runtime/base/cleanup.h"
#include "runtime/process/process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void
expect_error (const struct cell_process *p, const char *msg)
{
  cell_error_t err = NULL;
  if (cell_process_validate (p, "process", &err) == 0 || strcmp (err->msg, msg) != 0)
    {
      fprintf (stderr, "  expected \"%s\", got \"%s\"\n", msg, err ? err->msg : "(success)");
      unit_cur_failed_ = 1;
    }
  cell_error_free (&err);
}

TEST (lookups)
{
  CHECK (cell_rlimit_resource ("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK (cell_rlimit_resource ("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK (cell_rlimit_resource ("RLIMIT_FOO") == -1);
  CHECK (cell_rlimit_resource (NULL) == -1);
  CHECK (cell_sched_policy_value ("SCHED_OTHER") == SCHED_OTHER);
  CHECK (cell_sched_policy_value ("SCHED_ISO") == 4);
  CHECK (cell_sched_policy_value ("SCHED_DEADLINE") == 6);
  CHECK (cell_sched_flag_value ("SCHED_FLAG_UTIL_CLAMP_MAX") == 0x40);
  CHECK (cell_ioprio_class_value ("IOPRIO_CLASS_IDLE") == 3);
  CHECK (cell_ioprio_class_value ("IOPRIO_CLASS_NONE") == -1);
}

TEST (validate)
{
  struct cell_rlimit rl[] = { { "RLIMIT_NOFILE", 0, 10, 20 }, { "RLIMIT_CORE", 0, 0, 0 } };
  char *flags[] = { "SCHED_FLAG_RESET_ON_FORK", NULL };
  char *caps[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NOPE", NULL };
  struct cell_process p;
  memset (&p, 0, sizeof p);
  p.rlimits = rl, p.n_rlimits = 2;
  p.scheduler = (struct cell_scheduler){ .present = true, .policy = "SCHED_FIFO", .priority = 10, .flags = flags };
  p.io_priority = (struct cell_io_priority){ .present = true, .class = "IOPRIO_CLASS_BE", .priority = 7 };
  p.oom_score_adj_present = true, p.oom_score_adj = -1000;
  cell_error_t err = NULL;
  CHECK (cell_process_validate (&p, "process", &err) == 0 && err == NULL);

  rl[1].type = "RLIMIT_FOO";
  expect_error (&p, "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'");
  rl[1].type = "RLIMIT_NOFILE";
  expect_error (&p, "process.rlimits[1].type: duplicate rlimit 'RLIMIT_NOFILE'");
  p.n_rlimits = 1, rl[0].soft = 30;
  expect_error (&p, "process.rlimits[0]: soft limit 30 exceeds hard limit 20");
  p.n_rlimits = 0;

  p.scheduler.policy = "SCHED_FAST";
  expect_error (&p, "process.scheduler.policy: unknown policy 'SCHED_FAST'");
  p.scheduler.policy = "SCHED_FIFO", p.scheduler.priority = 0;
  expect_error (&p, "process.scheduler.priority: 0 is not in 1..99");
  p.scheduler.policy = "SCHED_OTHER", p.scheduler.priority = 1;
  expect_error (&p, "process.scheduler.priority: only for SCHED_FIFO and SCHED_RR");
  p.scheduler.priority = 0, p.scheduler.nice = 20;
  expect_error (&p, "process.scheduler.nice: 20 is not in -20..19");
  p.scheduler.nice = -20, p.scheduler.runtime = 1;
  expect_error (&p, "process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE");
  p.scheduler.policy = "SCHED_DEADLINE";
  CHECK (cell_process_validate (&p, "process", &err) == 0);
  flags[0] = "SCHED_FLAG_FOO";
  expect_error (&p, "process.scheduler.flags[0]: unknown flag 'SCHED_FLAG_FOO'");
  p.scheduler.present = false;

  p.io_priority.class = "IOPRIO_CLASS_NONE";
  expect_error (&p, "process.ioPriority.class: unknown class 'IOPRIO_CLASS_NONE'");
  p.io_priority.class = "IOPRIO_CLASS_RT", p.io_priority.priority = 8;
  expect_error (&p, "process.ioPriority.priority: 8 is not in 0..7");
  p.io_priority.present = false;

  p.oom_score_adj = 1001;
  expect_error (&p, "process.oomScoreAdj: 1001 is not in -1000..1000");
  p.oom_score_adj_present = false;

  p.capabilities = (struct cell_capabilities){ .present = true, .bounding = caps };
  expect_error (&p, "process.capabilities.bounding[2]: unknown capability 'CAP_NOPE'");
}

TEST (validate_personality)
{
  char *flags[] = { "FOO", NULL };
  struct cell_personality p = { .present = true, .domain = "LINUX32" };
  cell_error_t err = NULL;
  CHECK (cell_personality_validate (&p, "linux.personality", &err) == 0);
  p.domain = "LINUX64";
  CHECK (cell_personality_validate (&p, "linux.personality", &err) < 0);
  CHECK_STR (err->msg, "linux.personality.domain: unknown domain 'LINUX64'");
  cell_error_free (&err);
  p.domain = "LINUX", p.flags = flags;
  CHECK (cell_personality_validate (&p, "linux.personality", &err) < 0);
  CHECK_STR (err->msg, "linux.personality.flags[0]: unsupported flag 'FOO'");
  cell_error_free (&err);
}

static int
make_file (const char *dir, const char *name, mode_t mode)
{
  char path[256];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  close (fd);
  return chmod (path, mode);
}

static void
expect_find_error (const char *arg0, char **env, const char *msg, int code)
{
  cell_error_t err = NULL;
  char *r = cell_process_find_executable (arg0, env, &err);
  if (r || err == NULL || strcmp (err->msg, msg) != 0 || err->code != code)
    {
      fprintf (stderr, "  expected \"%s\" (%d), got \"%s\" (%d)\n", msg, code, err ? err->msg : r,
               err ? err->code : 0);
      unit_cur_failed_ = 1;
    }
  free (r);
  cell_error_free (&err);
}

TEST (find_executable)
{
  char dir[] = "/tmp/cell-test-process-XXXXXX";
  CHECK (mkdtemp (dir));
  char a[64], b[64], sub[128], path_env[256];
  snprintf (a, sizeof a, "%s/a", dir);
  snprintf (b, sizeof b, "%s/b", dir);
  CHECK (mkdir (a, 0755) == 0 && mkdir (b, 0755) == 0);
  CHECK (make_file (a, "tool", 0644) == 0);  /* not executable: skipped */
  CHECK (make_file (b, "tool", 0755) == 0);
  CHECK (make_file (b, "data", 0644) == 0);
  snprintf (sub, sizeof sub, "%s/dir", a);
  CHECK (mkdir (sub, 0755) == 0);            /* a directory named like a command: skipped */
  snprintf (path_env, sizeof path_env, "PATH=%s::%s", a, b);
  char *env[] = { "HOME=/", path_env, "PATH=/bin", NULL };
  cell_error_t err = NULL;

  _cleanup_free_ char *t = cell_process_find_executable ("tool", env, &err);
  char want[400];
  snprintf (want, sizeof want, "%s/tool", b);
  CHECK_STR (t, want);
  /* Even root may not execute a file without any x bit. */
  expect_find_error ("data", env, "exec: \"data\": executable file not found in $PATH", 0);
  expect_find_error ("dir", env, "exec: \"dir\": executable file not found in $PATH", 0);
  expect_find_error ("nope", env, "exec: \"nope\": executable file not found in $PATH", 0);
  expect_find_error ("", env, "exec: \"\": executable file not found in $PATH", 0);

  /* With a slash: used as is, no PATH search. */
  _cleanup_free_ char *abs = cell_process_find_executable (want, env, &err);
  CHECK_STR (abs, want);
  char missing[400];
  snprintf (missing, sizeof missing, "%s/missing", dir);
  char msg[500];
  snprintf (msg, sizeof msg, "exec: \"%s\"", missing);
  expect_find_error (missing, env, msg, ENOENT);
  snprintf (msg, sizeof msg, "exec: \"%s\"", sub);
  expect_find_error (sub, env, msg, EACCES);

  /* No PATH in env: the default one, where sh lives. */
  char *noenv[] = { "HOME=/", NULL };
  _cleanup_free_ char *sh = cell_process_find_executable ("sh", noenv, &err);
  CHECK (sh && (strcmp (sh, "/usr/bin/sh") == 0 || strcmp (sh, "/bin/sh") == 0));
  _cleanup_free_ char *sh2 = cell_process_find_executable ("sh", NULL, &err);
  CHECK (sh2 != NULL);
  /* An empty PATH finds nothing (no silent fallback to the working directory). */
  char *empty[] = { "PATH=", NULL };
  expect_find_error ("sh", empty, "exec: \"sh\": executable file not found in $PATH", 0);

  char cmd[400];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK (system (cmd) == 0);
}

/* ---- setters, each in a forked child ---- */

static int
run_child (int (*fn) (void))
{
  pid_t pid = fork ();
  if (pid == 0)
    _exit (fn ());
  int status;
  if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status))
    return -1;
  if (WEXITSTATUS (status) != 0)
    fprintf (stderr, "  child exited %d\n", WEXITSTATUS (status));
  return WEXITSTATUS (status);
}

static int
child_rlimits (void)
{
  struct cell_rlimit rl[] = { { "RLIMIT_NOFILE", 0, 100, 200 }, { "RLIMIT_CORE", 0, 0, 0 } };
  struct cell_process p = { .rlimits = rl, .n_rlimits = 2 };
  if (cell_process_set_rlimits (&p, NULL) < 0)
    return 2;
  struct rlimit r;
  if (getrlimit (RLIMIT_NOFILE, &r) < 0 || r.rlim_cur != 100 || r.rlim_max != 200)
    return 3;
  /* Raising the hard limit back needs CAP_SYS_RESOURCE: drop it by becoming nobody. */
  if (setresuid (65534, 65534, 65534) < 0)
    return 4;
  rl[0].hard = 300;
  cell_error_t err = NULL;
  if (cell_process_set_rlimits (&p, &err) == 0)
    return 5;
  return strcmp (err->msg, "process.rlimits[0] (RLIMIT_NOFILE): setrlimit") == 0 && err->code == EPERM ? 0 : 6;
}

static int
child_user (void)
{
  uint32_t gids[] = { 10, 20 };
  struct cell_user u = { .uid = 1000, .gid = 1001, .additional_gids = gids, .n_additional_gids = 2 };
  if (cell_process_set_user (&u, NULL) < 0)
    return 2;
  uid_t r, e, s;
  gid_t gr, ge, gs, groups[8];
  if (getresuid (&r, &e, &s) < 0 || r != 1000 || e != 1000 || s != 1000)
    return 3;
  if (getresgid (&gr, &ge, &gs) < 0 || gr != 1001 || ge != 1001 || gs != 1001)
    return 4;
  if (getgroups (8, groups) != 2 || groups[0] != 10 || groups[1] != 20)
    return 5;
  mode_t m = umask (0);
  if (m != 0022)
    return 6;
  /* Now unprivileged: changing user again fails, and the error says which call. */
  cell_error_t err = NULL;
  u.n_additional_gids = 1;
  if (cell_process_set_user (&u, &err) == 0 || strcmp (err->msg, "setgroups") != 0)
    return 7;
  return 0;
}

static int
child_umask (void)
{
  struct cell_user u = { .uid = 0, .gid = 0, .umask_present = true, .umask = 077 };
  if (cell_process_set_user (&u, NULL) < 0)
    return 2;
  return umask (0) == 077 ? 0 : 3;
}

static int
child_personality (void)
{
  struct cell_personality p = { .present = true, .domain = "LINUX32" };
  if (cell_process_set_personality (&p, NULL) < 0)
    return 2;
  return personality (0xffffffff) == PER_LINUX32 ? 0 : 3;
}

static int
child_scheduler (void)
{
  struct cell_scheduler s = { .present = true, .policy = "SCHED_BATCH", .nice = 5 };
  cell_error_t err = NULL;
  if (cell_process_set_scheduler (&s, &err) < 0)
    {
      fprintf (stderr, "  %s: %s\n", err->msg, strerror (err->code));
      return 2;
    }
  if (sched_getscheduler (0) != SCHED_BATCH)
    return 3;
  errno = 0;
  if (getpriority (PRIO_PROCESS, 0) != 5)
    return 4;
  char *flags[] = { "SCHED_FLAG_RESET_ON_FORK", NULL };
  struct cell_scheduler rr = { .present = true, .policy = "SCHED_RR", .priority = 1, .flags = flags };
  if (cell_process_set_scheduler (&rr, &err) < 0)
    return 5;
  if (sched_getscheduler (0) != (SCHED_RR | SCHED_RESET_ON_FORK))
    return 6;
  /* SCHED_DEADLINE with runtime > deadline: the kernel says EINVAL, the error names the policy. */
  struct cell_scheduler dl
      = { .present = true, .policy = "SCHED_DEADLINE", .runtime = 2000000, .deadline = 1000000, .period = 1000000 };
  if (cell_process_set_scheduler (&dl, &err) == 0)
    return 7;
  return strcmp (err->msg, "sched_setattr SCHED_DEADLINE") == 0 && err->code == EINVAL ? 0 : 8;
}

static int
child_io_priority (void)
{
  struct cell_io_priority io = { .present = true, .class = "IOPRIO_CLASS_BE", .priority = 6 };
  if (cell_process_set_io_priority (&io, NULL) < 0)
    return 2;
  long v = syscall (SYS_ioprio_get, 1, 0);
  return v == ((2 << 13) | 6) ? 0 : 3;
}

static int
child_oom_score_adj (void)
{
  struct cell_process p = { .oom_score_adj_present = true, .oom_score_adj = 321 };
  int procfd = cell_procfs_open (NULL);
  if (cell_process_set_oom_score_adj (procfd, &p, NULL) < 0)
    return 2;
  char buf[32] = "";
  int fd = open ("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, buf, sizeof buf - 1) <= 0)
    return 3;
  close (fd);
  close (procfd);
  return strcmp (buf, "321\n") == 0 ? 0 : 4;
}

TEST (setters)
{
  if (geteuid () != 0)
    return;
  CHECK (run_child (child_rlimits) == 0);
  CHECK (run_child (child_user) == 0);
  CHECK (run_child (child_umask) == 0);
  CHECK (run_child (child_personality) == 0);
  CHECK (run_child (child_scheduler) == 0);
  CHECK (run_child (child_io_priority) == 0);
  CHECK (run_child (child_oom_score_adj) == 0);
}

TEST (absent_is_noop)
{
  struct cell_process p;
  memset (&p, 0, sizeof p);
  CHECK (cell_process_set_scheduler (&p.scheduler, NULL) == 0);
  CHECK (cell_process_set_io_priority (&p.io_priority, NULL) == 0);
  CHECK (cell_process_set_oom_score_adj (-1, &p, NULL) == 0);
  CHECK (cell_process_set_rlimits (&p, NULL) == 0);
  struct cell_personality pers = { .present = false };
  CHECK (cell_process_set_personality (&pers, NULL) == 0);
}

int
main (void)
{
  RUN (lookups);
  RUN (validate);
  RUN (validate_personality);
  RUN (find_executable);
  RUN (setters);
  RUN (absent_is_noop);
  UNIT_END ();
}
