/* cellcheck: a small static program run inside test containers. It prints facts about the process it runs
 * as, one per line, "key value...", for tests/integration to parse. Subcommands run in sequence:
 *   cellcheck id caps nnp           prints the three reports
 * Subcommands: id caps fds nnp ns hostname mounts cwd env tty oom personality sched ioprio pid sigwait
 *              rlimit NAME, stat PATH, write PATH TEXT, sleep N, exit N, kill-self SIG,
 *              syscall NAME[,ARG...] (raw syscall; prints "syscall NAME,ARGS ret=R errno=E"; an ARG starting
 *              with a digit or '-' is a number, anything else a string pointer), sigsys (catch SIGSYS and print
 *              "sigsys NR" of the trapped syscall, for SCMP_ACT_TRAP),
 *              exe-probe PID|fifo:PATH   CVE-2019-5736: can /proc/PID/exe be reopened for writing once PID
 *                                        exec'd or exited? (never writes)
 *              fd-cwd N                  chdir("/proc/self/fd/N"), print the resulting cwd
 * A failed probe prints "<key> ... err=<errno>" and goes on; the exit status is 0 unless "exit N" says
 * otherwise, an unknown subcommand (status 2), "sigwait" (status = the signal) or a fatal signal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void
print_file_lines (const char *path, const char *prefix, const char *only)
{
  FILE *f = fopen (path, "re");
  char line[4096];
  if (f == NULL)
    {
      printf ("%s err=%d\n", prefix, errno);
      return;
    }
  while (fgets (line, sizeof line, f))
    {
      if (only && strncmp (line, only, strlen (only)) != 0)
        continue;
      line[strcspn (line, "\n")] = '\0';
      if (prefix)
        printf ("%s %s\n", prefix, line);
      else
        printf ("%s\n", line);
    }
  fclose (f);
}

static void
cmd_id (void)
{
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);
  mode_t m = umask (0);
  umask (m);
  printf ("uid %u\ngid %u\neuid %u\negid %u\ngroups", getuid (), getgid (), geteuid (), getegid ());
  for (int i = 0; i < n; i++)
    printf (" %u", groups[i]);
  printf ("\numask %04o\n", m);
}

static void
cmd_caps (void)
{
  FILE *f = fopen ("/proc/self/status", "re");
  char line[256];
  if (f == NULL)
    {
      printf ("caps err=%d\n", errno);
      return;
    }
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "Cap", 3) == 0)
      {
        char key[32];
        unsigned long long v;
        if (sscanf (line, "%31[^:]: %llx", key, &v) == 2)
          printf ("%s %016llx\n", key, v);
      }
  fclose (f);
}

static void
cmd_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  if (d == NULL)
    {
      printf ("fds err=%d\n", errno);
      return;
    }
  int self = dirfd (d);
  while ((e = readdir (d)))
    {
      char path[64], target[PATH_MAX];
      int fd = atoi (e->d_name);
      if (e->d_name[0] == '.' || fd <= 2 || fd == self)
        continue;
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t n = readlink (path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf ("fd %d %s\n", fd, target);
    }
  closedir (d);
  printf ("fds end\n");
}

static const struct
{
  const char *name;
  int res;
} rlimits[] = {
  { "CPU", RLIMIT_CPU },         { "FSIZE", RLIMIT_FSIZE },   { "DATA", RLIMIT_DATA },
  { "STACK", RLIMIT_STACK },     { "CORE", RLIMIT_CORE },     { "RSS", RLIMIT_RSS },
  { "NPROC", RLIMIT_NPROC },     { "NOFILE", RLIMIT_NOFILE }, { "MEMLOCK", RLIMIT_MEMLOCK },
  { "AS", RLIMIT_AS },           { "LOCKS", RLIMIT_LOCKS },   { "SIGPENDING", RLIMIT_SIGPENDING },
  { "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE }, { "RTPRIO", RLIMIT_RTPRIO },
  { "RTTIME", RLIMIT_RTTIME },
};

static void
print_rlim (rlim_t v)
{
  if (v == RLIM_INFINITY)
    printf (" unlimited");
  else
    printf (" %llu", (unsigned long long) v);
}

static void
cmd_rlimit (const char *name)
{
  const char *n = strncmp (name, "RLIMIT_", 7) == 0 ? name + 7 : name;
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (strcmp (rlimits[i].name, n) == 0)
      {
        struct rlimit r;
        getrlimit (rlimits[i].res, &r);
        printf ("rlimit %s", n);
        print_rlim (r.rlim_cur);
        print_rlim (r.rlim_max);
        printf ("\n");
        return;
      }
  printf ("rlimit %s err=%d\n", n, EINVAL);
}

static void
cmd_nnp (void)
{
  printf ("nnp %d\n", prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void
cmd_ns (void)
{
  static const char *const names[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                       "time", "time_for_children", "user", "uts" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      char path[64];
      struct stat st;
      snprintf (path, sizeof path, "/proc/self/ns/%s", names[i]);
      if (stat (path, &st) < 0)
        printf ("ns %s err=%d\n", names[i], errno);
      else
        printf ("ns %s %llu\n", names[i], (unsigned long long) st.st_ino);
    }
}

/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET. */
static void
cmd_notify (const char *msg)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int s = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (path == NULL || strlen (path) >= sizeof sa.sun_path || s < 0)
    {
      printf ("notify err=%d socket=%s\n", path ? errno : 0, path ? path : "(unset)");
      return;
    }
  strcpy (sa.sun_path, path);
  if (sendto (s, msg, strlen (msg), 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    printf ("notify err=%d socket=%s\n", errno, path);
  else
    printf ("notify ok socket=%s\n", path);
  close (s);
}

static void
cmd_hostname (void)
{
  struct utsname u;
  uname (&u);
  printf ("hostname %s\ndomainname %s\n", u.nodename, u.domainname);
}

static const char *
file_type (mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    default: return "unknown";
    }
}

/* lstat, so that /dev/ptmx-style symlinks show as such; "target" for symlinks. */
static void
cmd_stat (const char *path)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    {
      printf ("stat %s err=%d\n", path, errno);
      return;
    }
  printf ("stat %s type=%s mode=%04o uid=%u gid=%u size=%lld rdev=%u:%u", path, file_type (st.st_mode),
          st.st_mode & 07777, st.st_uid, st.st_gid, (long long) st.st_size, major (st.st_rdev),
          minor (st.st_rdev));
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlink (path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf (" target=%s", target);
    }
  printf ("\n");
}

static void
cmd_write (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, text, strlen (text)) < 0)
    printf ("write %s err=%d\n", path, errno);
  else
    printf ("write %s ok\n", path);
  if (fd >= 0)
    close (fd);
}

static void
cmd_cwd (void)
{
  char buf[PATH_MAX];
  if (getcwd (buf, sizeof buf) == NULL)
    printf ("cwd err=%d\n", errno);
  else
    printf ("cwd %s\n", buf);
}

static void
cmd_env (void)
{
  for (char **e = environ; *e; e++)
    printf ("env %s\n", *e);
}

static void
cmd_tty (void)
{
  for (int fd = 0; fd <= 2; fd++)
    {
      const char *name = isatty (fd) ? ttyname (fd) : NULL;
      printf ("tty%d %d %s\n", fd, isatty (fd), name ? name : "-");
    }
}

static void
cmd_sched (void)
{
  struct sched_param p = { 0 };
  int pol = sched_getscheduler (0);
  sched_getparam (0, &p);
  printf ("sched policy=%d priority=%d nice=%d\n", pol, p.sched_priority, getpriority (PRIO_PROCESS, 0));
}

static void
cmd_ioprio (void)
{
  /* ioprio_get (IOPRIO_WHO_PROCESS, 0): class in bits 13.., data in the low 13 bits. */
  long v = syscall (SYS_ioprio_get, 1, 0);
  if (v < 0)
    printf ("ioprio err=%d\n", errno);
  else
    printf ("ioprio class=%ld data=%ld\n", v >> 13, v & 0x1fff);
}

static int
parse_signal (const char *s)
{
  static const struct
  {
    const char *name;
    int sig;
  } sigs[] = { { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
               { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "ABRT", SIGABRT } };
  const char *n = strncmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (strcmp (sigs[i].name, n) == 0)
      return sigs[i].sig;
  return atoi (s);
}

static void
cmd_kill_self (const char *s)
{
  int sig = parse_signal (s);
  fflush (stdout);
  signal (sig, SIG_DFL);
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, sig);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  /* pid 1 of a pid namespace ignores its own signals that have no handler (SIGNAL_UNKILLABLE), so
   * "kill-self survived" is expected there; tests use it in exec'd processes. */
  kill (getpid (), sig);
  printf ("kill-self survived\n");
}

/* Wait for one of HUP INT QUIT USR1 USR2 TERM (handlers, so that this works as pid 1 too), print it and exit
 * with the signal number as status. */
static void
on_signal (int sig)
{
  (void) sig;
}

static void
cmd_sigwait (void)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM };
  sigset_t set;
  int sig = 0;
  sigemptyset (&set);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    {
      signal (sigs[i], on_signal);
      sigaddset (&set, sigs[i]);
    }
  sigprocmask (SIG_BLOCK, &set, NULL);
  printf ("sigwait ready\n");
  sigwait (&set, &sig);
  printf ("signal %d\n", sig);
  exit (sig);
}

static const struct
{
  const char *name;
  long nr;
} syscalls[] = {
#ifdef SYS_mkdir
  { "mkdir", SYS_mkdir },
#endif
  { "mkdirat", SYS_mkdirat },   { "umask", SYS_umask },         { "getpriority", SYS_getpriority },
  { "keyctl", SYS_keyctl },     { "add_key", SYS_add_key },     { "request_key", SYS_request_key },
  { "unshare", SYS_unshare },   { "clone", SYS_clone },         { "clone3", SYS_clone3 },
  { "personality", SYS_personality }, { "getppid", SYS_getppid }, { "bpf", SYS_bpf },
  { "perf_event_open", SYS_perf_event_open }, { "mount", SYS_mount }, { "umount2", SYS_umount2 },
  { "swapon", SYS_swapon },     { "reboot", SYS_reboot },       { "kexec_load", SYS_kexec_load },
  { "open_by_handle_at", SYS_open_by_handle_at }, { "setns", SYS_setns }, { "getpid", SYS_getpid },
};

static void
cmd_syscall (const char *spec)
{
  char buf[512];
  long a[6] = { 0 };
  snprintf (buf, sizeof buf, "%s", spec);
  char *rest = buf, *name = strsep (&rest, ",");
  for (int i = 0; i < 6 && rest; i++)
    {
      char *arg = strsep (&rest, ",");
      a[i] = (arg[0] == '-' || (arg[0] >= '0' && arg[0] <= '9')) ? (long) strtoull (arg, NULL, 0) : (long) arg;
    }
  long nr = -1;
  for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
    if (strcmp (syscalls[i].name, name) == 0)
      nr = syscalls[i].nr;
  if (nr < 0)
    {
      fprintf (stderr, "cellcheck: unknown syscall '%s'\n", name);
      exit (2);
    }
  fflush (stdout);
  errno = 0;
  long r = syscall (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  int e = r < 0 ? errno : 0;
  if (r == 0 && (nr == SYS_clone || nr == SYS_clone3))
    _exit (0); /* the child of a clone that went through */
  if (r > 0 && (nr == SYS_clone || nr == SYS_clone3))
    waitpid ((pid_t) r, NULL, __WALL);
  printf ("syscall %s ret=%ld errno=%d\n", spec, r < 0 ? -1 : r, e);
}

static void
on_sigsys (int sig, siginfo_t *si, void *ctx)
{
  (void) sig;
  (void) ctx;
  char line[64];
  int n = snprintf (line, sizeof line, "sigsys %d\n", si->si_syscall);
  (void) !write (1, line, (size_t) n);
}

static void
cmd_sigsys (void)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  sigaction (SIGSYS, &sa, NULL);
}

/* ---- exe-probe: the CVE-2019-5736 attack, stopped before the write ----
 * Open /proc/PID/exe (O_PATH), wait until PID runs something else or is gone (the runtime's binary is then no
 * longer busy), then reopen /proc/self/fd/N for writing as the exploit did. Prints
 *   exe pid N / exe-open dev=MAJ:MIN ino=I (or err=E) / exe-reopen ok (or err=E)
 * and never writes a byte. "fifo:PATH": PID is the process whose command line mentions PATH (a runtime that a
 * `#!/proc/self/exe --log=PATH` script started, blocked opening the FIFO PATH for its log: the command line
 * holds "--log=PATH"); we hold its exe,
 * then open the FIFO to let it go on. */
static pid_t
find_cmdline (const char *needle)
{
  for (int tries = 0; tries < 2000; tries++)
    {
      DIR *d = opendir ("/proc");
      struct dirent *e;
      while (d && (e = readdir (d)))
        {
          char path[300], buf[4096];
          pid_t pid = atoi (e->d_name);
          if (pid <= 0 || pid == getpid ())
            continue;
          snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
          int fd = open (path, O_RDONLY | O_CLOEXEC);
          ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
          if (fd >= 0)
            close (fd);
          for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\0')
              buf[i] = ' ';
          if (n > 0 && (buf[n] = '\0', strstr (buf, needle)))
            {
              closedir (d);
              return pid;
            }
        }
      if (d)
        closedir (d);
      usleep (5000);
    }
  return -1;
}

static void
cmd_exe_probe (const char *arg)
{
  const char *fifo = strncmp (arg, "fifo:", 5) == 0 ? arg + 5 : NULL;
  if (fifo && mkfifo (fifo, 0666) < 0 && errno != EEXIST)
    {
      printf ("exe-open err=%d\n", errno);
      return;
    }
  if (fifo)
    printf ("exe-fifo ready\n");
  char needle[300];
  snprintf (needle, sizeof needle, "--log=%s", fifo ? fifo : "");
  pid_t pid = fifo ? find_cmdline (needle) : atoi (arg);
  printf ("exe pid %d\n", pid);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/exe", pid);
  int fd = open (path, O_PATH | O_CLOEXEC);
  struct stat held, now;
  if (fd < 0 || fstat (fd, &held) < 0)
    {
      printf ("exe-open err=%d\n", errno);
      return;
    }
  printf ("exe-open dev=%u:%u ino=%llu\n", major (held.st_dev), minor (held.st_dev),
          (unsigned long long) held.st_ino);
  if (fifo)
    {
      int r = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (r < 0)
        printf ("exe fifo err=%d\n", errno);
    }
  /* Until PID runs another program or is gone. */
  for (int i = 0; i < 2000 && stat (path, &now) == 0 && now.st_ino == held.st_ino && now.st_dev == held.st_dev;
       i++)
    usleep (10000);
  char self[64];
  snprintf (self, sizeof self, "/proc/self/fd/%d", fd);
  int w = -1, e = 0;
  /* ETXTBSY while any process still runs the binary: the attacker just waits. */
  for (int i = 0; i < 500; i++)
    {
      w = open (self, O_WRONLY | O_APPEND | O_CLOEXEC);
      e = errno;
      if (w >= 0 || e != ETXTBSY)
        break;
      usleep (10000);
    }
  if (w >= 0)
    {
      printf ("exe-reopen ok\n");
      close (w);
    }
  else
    printf ("exe-reopen err=%d\n", e);
  close (fd);
}

static void
cmd_fd_cwd (const char *n)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%s", n);
  if (chdir (path) < 0)
    printf ("fd-cwd %s err=%d\n", n, errno);
  else
    cmd_cwd ();
}

static int
need (int argc, int i, int n, const char *cmd)
{
  if (i + n >= argc)
    {
      fprintf (stderr, "cellcheck: %s needs %d argument(s)\n", cmd, n);
      exit (2);
    }
  return 1;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++)
    {
      const char *c = argv[i];
      if (strcmp (c, "id") == 0) cmd_id ();
      else if (strcmp (c, "caps") == 0) cmd_caps ();
      else if (strcmp (c, "fds") == 0) cmd_fds ();
      else if (strcmp (c, "nnp") == 0) cmd_nnp ();
      else if (strcmp (c, "ns") == 0) cmd_ns ();
      else if (strcmp (c, "hostname") == 0) cmd_hostname ();
      else if (strcmp (c, "mounts") == 0) print_file_lines ("/proc/self/mountinfo", NULL, NULL);
      else if (strcmp (c, "cwd") == 0) cmd_cwd ();
      else if (strcmp (c, "env") == 0) cmd_env ();
      else if (strcmp (c, "tty") == 0) cmd_tty ();
      else if (strcmp (c, "oom") == 0) print_file_lines ("/proc/self/oom_score_adj", "oom", NULL);
      else if (strcmp (c, "personality") == 0) printf ("personality 0x%x\n", personality (0xffffffff));
      else if (strcmp (c, "sched") == 0) cmd_sched ();
      else if (strcmp (c, "ioprio") == 0) cmd_ioprio ();
      else if (strcmp (c, "sigwait") == 0) cmd_sigwait ();
      else if (strcmp (c, "pid") == 0) printf ("pid %d\nppid %d\npgrp %d\nsid %d\n", getpid (), getppid (), getpgrp (), getsid (0));
      else if (strcmp (c, "rlimit") == 0 && need (argc, i, 1, c)) cmd_rlimit (argv[++i]);
      else if (strcmp (c, "stat") == 0 && need (argc, i, 1, c)) cmd_stat (argv[++i]);
      else if (strcmp (c, "notify") == 0 && need (argc, i, 1, c)) cmd_notify (argv[++i]);
      else if (strcmp (c, "write") == 0 && need (argc, i, 2, c)) { cmd_write (argv[i + 1], argv[i + 2]); i += 2; }
      else if (strcmp (c, "sleep") == 0 && need (argc, i, 1, c)) sleep (atoi (argv[++i]));
      else if (strcmp (c, "exit") == 0 && need (argc, i, 1, c)) exit (atoi (argv[++i]));
      else if (strcmp (c, "exe-probe") == 0 && need (argc, i, 1, c)) cmd_exe_probe (argv[++i]);
      else if (strcmp (c, "fd-cwd") == 0 && need (argc, i, 1, c)) cmd_fd_cwd (argv[++i]);
      else if (strcmp (c, "kill-self") == 0 && need (argc, i, 1, c)) cmd_kill_self (argv[++i]);
      else if (strcmp (c, "syscall") == 0 && need (argc, i, 1, c)) cmd_syscall (argv[++i]);
      else if (strcmp (c, "sigsys") == 0) cmd_sigsys ();
      else
        {
          fprintf (stderr, "cellcheck: unknown subcommand '%s'\n", c);
          return 2;
        }
    }
  return 0;
}
