/* Unit tests for namespaces/userns.c: ID map and time offset formatting, range checks, and real writes into a
 * user and a time namespace created by a forked child (those need root; skipped otherwise). */
#include "unit.h"

#include "namespaces/namespaces.h"
#include "runtime/base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static void
expect_idmap_error (const struct cell_id_mapping *m, size_t n, const char *msg)
{
  cell_error_t err = NULL;
  if (ns_validate_idmap (m, n, "linux.uidMappings", &err) == 0 || strcmp (err->msg, msg) != 0)
    {
      fprintf (stderr, "  expected \"%s\", got \"%s\"\n", msg, err ? err->msg : "(success)");
      unit_cur_failed_ = 1;
    }
  cell_error_free (&err);
}

TEST (format_idmap)
{
  struct cell_id_mapping m[] = { { 0, 100000, 65536 }, { 65536, 4294967294u, 1 } };
  _cleanup_free_ char *s = ns_format_idmap (m, 2);
  CHECK_STR (s, "0 100000 65536\n65536 4294967294 1\n");
  _cleanup_free_ char *e = ns_format_idmap (NULL, 0);
  CHECK_STR (e, "");
}

TEST (idmap_ranges)
{
  cell_error_t err = NULL;
  struct cell_id_mapping ok[] = { { 0, 1000, 1 }, { 1, 100000, 65536 }, { 4294967294u, 0, 1 } };
  CHECK (ns_validate_idmap (ok, 3, "linux.uidMappings", &err) == 0 && err == NULL);
  struct cell_id_mapping over_c[] = { { 4294967295u, 0, 1 } };
  expect_idmap_error (over_c, 1, "linux.uidMappings[0]: containerID 4294967295 + size 1 overflows");
  struct cell_id_mapping over_h[] = { { 0, 0, 1 }, { 1, 4294967200u, 1000 } };
  expect_idmap_error (over_h, 2, "linux.uidMappings[1]: hostID 4294967200 + size 1000 overflows");
  struct cell_id_mapping wrap[] = { { 10, 0, 4294967295u } };
  expect_idmap_error (wrap, 1, "linux.uidMappings[0]: containerID 10 + size 4294967295 overflows");
  struct cell_id_mapping zero[] = { { 0, 0, 0 } };
  expect_idmap_error (zero, 1, "linux.uidMappings[0].size: must be greater than 0");
  struct cell_id_mapping ov_c[] = { { 0, 1000, 10 }, { 9, 2000, 1 } };
  expect_idmap_error (ov_c, 2, "linux.uidMappings[1]: containerID range overlaps linux.uidMappings[0]");
  struct cell_id_mapping ov_h[] = { { 0, 1000, 10 }, { 100, 1005, 5 } };
  expect_idmap_error (ov_h, 2, "linux.uidMappings[1]: hostID range overlaps linux.uidMappings[0]");
  struct cell_id_mapping many[341];
  for (uint32_t i = 0; i < 341; i++)
    many[i] = (struct cell_id_mapping){ i, i, 1 };
  CHECK (ns_validate_idmap (many, 340, "x", &err) == 0);
  expect_idmap_error (many, 341, "linux.uidMappings: 341 mappings, the kernel allows at most 340");
}

TEST (format_time_offsets)
{
  struct cell_linux l;
  memset (&l, 0, sizeof l);
  CHECK (ns_format_time_offsets (&l) == NULL);
  l.time_boottime = (struct cell_time_offset){ true, -86400, 5 };
  _cleanup_free_ char *b = ns_format_time_offsets (&l);
  CHECK_STR (b, "boottime -86400 5\n");
  l.time_monotonic = (struct cell_time_offset){ true, INT64_MAX, 999999999 };
  _cleanup_free_ char *both = ns_format_time_offsets (&l);
  CHECK_STR (both, "monotonic 9223372036854775807 999999999\nboottime -86400 5\n");
}

static int
wait_ok (pid_t pid)
{
  int status;
  if (waitpid (pid, &status, 0) != pid)
    return 0;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static int
read_at (int dirfd, const char *name, char *buf, size_t size)
{
  int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, size - 1);
  close (fd);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* A child unshares a user namespace and waits; we write its maps through /proc/PID like the runtime does. */
TEST (write_idmaps)
{
  if (geteuid () != 0)
    return;
  int ready[2], done[2];
  CHECK (pipe2 (ready, O_CLOEXEC) == 0 && pipe2 (done, O_CLOEXEC) == 0);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    {
      /* Only the parent may hold done's write end: if the parent fails early, we see EOF and end. */
      close (done[1]);
      char c = unshare (CLONE_NEWUSER) == 0 ? 'y' : 'n';
      (void) !write (ready[1], &c, 1);
      (void) !read (done[0], &c, 1);
      _exit (getuid () == 0 && getgid () == 0 ? 0 : 1);
    }
  char c = 0;
  CHECK (read (ready[0], &c, 1) == 1 && c == 'y');
  char dir[64], buf[256];
  snprintf (dir, sizeof dir, "/proc/%d", pid);
  _cleanup_close_ int procfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  /* Our own root is mapped, so the child sees itself as uid/gid 0. */
  struct cell_id_mapping uids[] = { { 0, 0, 1 }, { 1, 100000, 1000 } };
  struct cell_id_mapping gids[] = { { 0, 0, 1 } };
  struct cell_linux l;
  memset (&l, 0, sizeof l);
  l.uid_mappings = uids, l.n_uid_mappings = 2;
  l.gid_mappings = gids, l.n_gid_mappings = 1;
  cell_error_t err = NULL;
  int r = ns_write_idmaps (procfd, &l, true, &err);
  int rs = read_at (procfd, "setgroups", buf, sizeof buf);
  (void) !write (done[1], "x", 1);
  CHECK (wait_ok (pid));
  if (r < 0)
    fprintf (stderr, "  %s (%d)\n", err->msg, err->code);
  CHECK (r == 0 && rs == 0);
  CHECK_STR (buf, "deny\n");
  close (ready[0]), close (ready[1]), close (done[0]), close (done[1]);

  /* A second write is refused by the kernel: the error names the file. */
  struct cell_id_mapping bad[] = { { 0, 0, 0 } };
  l.uid_mappings = bad, l.n_uid_mappings = 1;
  CHECK (ns_write_idmaps (procfd, &l, false, &err) < 0);
  CHECK_STR (err->msg, "linux.uidMappings[0].size: must be greater than 0");
  cell_error_free (&err);
}

/* The maps as the kernel reports them (it reformats the columns): read while the child still lives. */
TEST (idmaps_read_back)
{
  if (geteuid () != 0)
    return;
  int ready[2], done[2];
  CHECK (pipe2 (ready, O_CLOEXEC) == 0 && pipe2 (done, O_CLOEXEC) == 0);
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    {
      /* Only the parent may hold done's write end: if the parent fails early, we see EOF and end. */
      close (done[1]);
      char c = unshare (CLONE_NEWUSER) == 0 ? 'y' : 'n';
      (void) !write (ready[1], &c, 1);
      (void) !read (done[0], &c, 1);
      _exit (0);
    }
  char c = 0, dir[64], uid_map[256] = "", gid_map[256] = "";
  CHECK (read (ready[0], &c, 1) == 1 && c == 'y');
  snprintf (dir, sizeof dir, "/proc/%d", pid);
  int procfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct cell_id_mapping uids[] = { { 0, 100000, 1000 } };
  struct cell_linux l;
  memset (&l, 0, sizeof l);
  l.uid_mappings = uids, l.n_uid_mappings = 1;
  l.gid_mappings = uids, l.n_gid_mappings = 1;
  cell_error_t err = NULL;
  int r = ns_write_idmaps (procfd, &l, false, &err);
  read_at (procfd, "uid_map", uid_map, sizeof uid_map);
  read_at (procfd, "gid_map", gid_map, sizeof gid_map);
  int r2 = ns_write_idmaps (procfd, &l, false, &err); /* maps can be written once only */
  (void) !write (done[1], "x", 1);
  int ok = wait_ok (pid);
  close (procfd);
  close (ready[0]), close (ready[1]), close (done[0]), close (done[1]);
  CHECK (ok && r == 0);
  CHECK (strstr (uid_map, "100000") && strstr (uid_map, "1000"));
  CHECK (strstr (gid_map, "100000"));
  CHECK (r2 < 0 && err->code == EPERM);
  CHECK_STR (err->msg, "write 'uid_map'");
  cell_error_free (&err);
}

TEST (write_time_offsets)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0)
    {
      struct cell_linux l;
      memset (&l, 0, sizeof l);
      l.time_monotonic = (struct cell_time_offset){ true, 86400, 0 };
      l.time_boottime = (struct cell_time_offset){ true, -1, 500 };
      if (unshare (CLONE_NEWTIME) < 0)
        _exit (2);
      int procfd = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (ns_write_time_offsets (procfd, &l, NULL) < 0)
        _exit (3);
      char buf[256];
      if (read_at (procfd, "timens_offsets", buf, sizeof buf) < 0)
        _exit (4);
      /* The kernel pads the columns: "monotonic      86400         0". */
      long long ms, bs;
      long mn, bn;
      char *boot = strstr (buf, "boottime");
      if (sscanf (buf, "monotonic %lld %ld", &ms, &mn) != 2 || boot == NULL
          || sscanf (boot, "boottime %lld %ld", &bs, &bn) != 2)
        _exit (5);
      _exit (ms == 86400 && mn == 0 && bs == -1 && bn == 500 ? 0 : 6);
    }
  CHECK (wait_ok (pid));
}

int
main (void)
{
  RUN (format_idmap);
  RUN (idmap_ranges);
  RUN (format_time_offsets);
  RUN (write_idmaps);
  RUN (idmaps_read_back);
  RUN (write_time_offsets);
  UNIT_END ();
}
