/* Unit tests for namespaces/ns.c: names and flags, config checks, the create/join plan. */
#include "unit.h"

#include "namespaces/namespaces.h"
#include "runtime/base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct cell_linux
linux_with (struct cell_namespace *ns, size_t n)
{
  struct cell_linux l;
  memset (&l, 0, sizeof l);
  l.namespaces = ns;
  l.n_namespaces = n;
  return l;
}

TEST (names_and_flags)
{
  CHECK (ns_clone_flag (CELL_NS_PID) == CLONE_NEWPID);
  CHECK (ns_clone_flag (CELL_NS_NETWORK) == CLONE_NEWNET);
  CHECK (ns_clone_flag (CELL_NS_MOUNT) == CLONE_NEWNS);
  CHECK (ns_clone_flag (CELL_NS_USER) == CLONE_NEWUSER);
  CHECK (ns_clone_flag (CELL_NS_TIME) == 0x80);
  CHECK_STR (ns_proc_name (CELL_NS_NETWORK), "net");
  CHECK_STR (ns_proc_name (CELL_NS_MOUNT), "mnt");
  CHECK_STR (ns_proc_name (CELL_NS_CGROUP), "cgroup");
  CHECK (ns_proc_name (CELL_NS__MAX) == NULL);
  /* Every /proc name exists on this kernel. */
  for (int t = 0; t < CELL_NS__MAX; t++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/self/ns/%s", ns_proc_name ((enum cell_ns_type) t));
      CHECK (access (path, F_OK) == 0);
    }
}

static void
expect_validate_error (const struct cell_linux *l, const char *msg)
{
  cell_error_t err = NULL;
  if (ns_validate (l, &err) == 0 || err == NULL || strcmp (err->msg, msg) != 0)
    {
      fprintf (stderr, "  expected \"%s\", got \"%s\"\n", msg, err ? err->msg : "(success)");
      unit_cur_failed_ = 1;
    }
  cell_error_free (&err);
}

TEST (validate)
{
  struct cell_namespace ns[] = { { CELL_NS_PID, NULL }, { CELL_NS_NETWORK, NULL }, { CELL_NS_PID, NULL } };
  struct cell_linux l = linux_with (ns, 2);
  cell_error_t err = NULL;
  CHECK (ns_validate (&l, &err) == 0 && err == NULL);
  l.n_namespaces = 3;
  expect_validate_error (&l, "linux.namespaces[2].type: duplicate pid namespace");
  l.n_namespaces = 2;
  ns[1].path = (char *) "proc/1/ns/net";
  expect_validate_error (&l, "linux.namespaces[1].path: 'proc/1/ns/net' is not an absolute path");
  ns[1].path = NULL;

  struct cell_id_mapping m = { 0, 1000, 10 };
  l.uid_mappings = &m;
  l.n_uid_mappings = 1;
  expect_validate_error (&l, "linux.uidMappings: requires a user namespace");

  l.n_uid_mappings = 0;
  l.time_boottime.present = true;
  expect_validate_error (&l, "linux.timeOffsets: requires a new time namespace");
  struct cell_namespace ns2[] = { { CELL_NS_TIME, NULL }, { CELL_NS_USER, NULL } };
  l.namespaces = ns2;
  CHECK (ns_validate (&l, &err) == 0);
  l.time_boottime.nanosecs = 1000000000u;
  expect_validate_error (&l, "linux.timeOffsets.boottime.nanosecs: 1000000000 is not below 1000000000");
  l.time_boottime.present = false;
  l.n_gid_mappings = 1;
  l.gid_mappings = &m;
  m.size = 0;
  expect_validate_error (&l, "linux.gidMappings[0].size: must be greater than 0");
}

TEST (plan_order_and_flags)
{
  struct cell_namespace ns[] = {
    { CELL_NS_PID, NULL },
    { CELL_NS_NETWORK, (char *) "/proc/self/ns/net" },
    { CELL_NS_MOUNT, NULL },
    { CELL_NS_IPC, (char *) "/proc/self/ns/ipc" },
    { CELL_NS_USER, (char *) "/proc/self/ns/user" },
  };
  struct cell_linux l = linux_with (ns, ARRAY_SIZE (ns));
  struct ns_plan plan;
  cell_error_t err = NULL;
  CHECK (ns_plan_make (&l, &plan, &err) == 0 && err == NULL);
  CHECK (plan.new_flags == (CLONE_NEWPID | CLONE_NEWNS));
  CHECK (plan.n_joins == 3);
  CHECK (plan.joins[0].type == CELL_NS_USER);
  CHECK (plan.joins[1].type == CELL_NS_NETWORK);
  CHECK (plan.joins[2].type == CELL_NS_IPC);
  CHECK (!plan.new_user);
  CHECK (plan.needs_staging);
  for (size_t i = 0; i < plan.n_joins; i++)
    CHECK (fcntl (plan.joins[i].fd, F_GETFD) == FD_CLOEXEC);
  int fd0 = plan.joins[0].fd;
  ns_plan_close (&plan);
  CHECK (plan.n_joins == 0);
  CHECK (fcntl (fd0, F_GETFD) < 0 && errno == EBADF);
}

TEST (plan_fast_path)
{
  struct cell_namespace ns[] = { { CELL_NS_USER, NULL }, { CELL_NS_PID, NULL } };
  struct cell_linux l = linux_with (ns, 2);
  struct ns_plan plan;
  cell_error_t err = NULL;
  CHECK (ns_plan_make (&l, &plan, &err) == 0);
  CHECK (plan.new_user && !plan.needs_staging && plan.n_joins == 0);
  CHECK (plan.new_flags == (CLONE_NEWUSER | CLONE_NEWPID));
  ns_plan_close (&plan);

  ns[1].type = CELL_NS_TIME;
  CHECK (ns_plan_make (&l, &plan, &err) == 0);
  CHECK (plan.needs_staging); /* offsets must be written before anyone enters */
  ns_plan_close (&plan);
}

TEST (plan_errors)
{
  struct cell_namespace ns[] = {
    { CELL_NS_PID, NULL },
    { CELL_NS_USER, (char *) "/proc/self/ns/user" },
    { CELL_NS_NETWORK, (char *) "/proc/self/ns/uts" },
  };
  struct cell_linux l = linux_with (ns, 3);
  struct ns_plan plan;
  cell_error_t err = NULL;
  int before = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  close (before);
  CHECK (ns_plan_make (&l, &plan, &err) < 0);
  CHECK_STR (err->msg, "linux.namespaces[2].path: '/proc/self/ns/uts' is not a network namespace");
  CHECK (err->code == 0);
  cell_error_free (&err);
  /* The user namespace fd opened before the failure was closed. */
  int after = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  close (after);
  CHECK (after == before);

  ns[2].path = (char *) "/nonexistent/ns";
  CHECK (ns_plan_make (&l, &plan, &err) < 0);
  CHECK_STR (err->msg, "linux.namespaces[2].path: open '/nonexistent/ns'");
  CHECK (err->code == ENOENT);
  cell_error_free (&err);

  ns[2].path = (char *) "/proc/self/status"; /* not nsfs at all */
  CHECK (ns_plan_make (&l, &plan, &err) < 0);
  CHECK_STR (err->msg, "linux.namespaces[2].path: '/proc/self/status' is not a network namespace");
  cell_error_free (&err);
}

/* setns() into our own namespaces is a no-op that still exercises the real calls (needs root). */
TEST (plan_join)
{
  if (geteuid () != 0)
    return;
  struct cell_namespace ns[] = { { CELL_NS_UTS, (char *) "/proc/self/ns/uts" },
                                 { CELL_NS_NETWORK, (char *) "/proc/self/ns/net" } };
  struct cell_linux l = linux_with (ns, 2);
  struct ns_plan plan;
  cell_error_t err = NULL;
  CHECK (ns_plan_make (&l, &plan, &err) == 0);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    _exit (ns_plan_join (&plan, NULL) == 0 ? 0 : 1);
  int status;
  CHECK (waitpid (pid, &status, 0) == pid);
  ns_plan_close (&plan);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

int
main (void)
{
  RUN (names_and_flags);
  RUN (validate);
  RUN (plan_order_and_flags);
  RUN (plan_fast_path);
  RUN (plan_errors);
  RUN (plan_join);
  UNIT_END ();
}
