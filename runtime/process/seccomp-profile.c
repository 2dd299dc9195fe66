/* cell: the default seccomp profile of `cell spec`, the one Docker and containerd ship (moby
 * profiles/seccomp/default.json) resolved for the default config's capabilities (CAP_AUDIT_WRITE, CAP_KILL,
 * CAP_NET_BIND_SERVICE) and the build's architecture. An allow-list: every syscall not listed fails with EPERM,
 * among them keyctl, add_key, request_key, bpf, perf_event_open, kexec_load, open_by_handle_at, mount,
 * umount2, unshare, setns, swapon, reboot and init_module. ptrace is allowed, as Docker does on kernels >= 4.8.
 * clone is allowed only without CLONE_NEW* flags; clone3 fails with ENOSYS, so that libc falls
 * back to clone, whose flags a filter can see. */
#include "seccomp-filter.h"

#include "base/cleanup.h"

#include <sched.h>

static char *const allowed[] = {
  "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod", "chown",
  "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
  "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
  "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
  "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
  "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
  "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
  "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
  "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
  "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
  "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
  "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
  "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
  "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
  "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
  "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
  "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
  "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
  "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
  "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
  "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
  "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
  "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
  "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
  "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
  "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "process_vm_readv",
  "process_vm_writev", "ptrace", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
  "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
  "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
  "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
  "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
  "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
  "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
  "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
  "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
  "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
  "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
  "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
  "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
  "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
  "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
  "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
  "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
  "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
  "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
#if defined(__x86_64__)
  "arch_prctl", "modify_ldt",
#elif defined(__i386__)
  "modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
  "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls",
#elif defined(__powerpc64__)
  "sync_file_range2", "swapcontext",
#elif defined(__s390x__)
  "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
#elif defined(__riscv)
  "riscv_flush_icache",
#endif
  NULL,
};

/* The native architecture and the ones its kernel also runs (Docker's archMap), except x32, a dead ABI that
 * makes libseccomp's compile about half again as long: a filter without x32 sends every x32 syscall to the
 * bad-arch action (SIGSYS), so x32 binaries cannot run. */
static char *const arches[] = {
#if defined(__x86_64__)
  "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
#elif defined(__i386__)
  "SCMP_ARCH_X86",
#elif defined(__aarch64__)
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#elif defined(__arm__)
  "SCMP_ARCH_ARM",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  "SCMP_ARCH_PPC64LE",
#elif defined(__s390x__)
  "SCMP_ARCH_S390X", "SCMP_ARCH_S390",
#elif defined(__riscv)
  "SCMP_ARCH_RISCV64",
#endif
  NULL,
};

/* personality(2) values a program may ask for: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the
 * query 0xffffffff. */
static const uint64_t personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

#define CLONE_NEW_ANY                                                                                             \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static void
write_arg (struct cell_jsonw *w, unsigned index, uint64_t value, const char *op)
{
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "index", index);
  cell_jsonw_key (w, "value");
  cell_jsonw_uint (w, value);
  cell_jsonw_key (w, "valueTwo");
  cell_jsonw_uint (w, 0);
  cell_jsonw_kv_string (w, "op", op);
  cell_jsonw_object_close (w);
}

/* One rule: a syscall, an action, and at most one argument condition (index < 0: none). */
static void
write_rule (struct cell_jsonw *w, const char *name, const char *action, int errno_ret, int index, uint64_t value,
            const char *op)
{
  char *const names[] = { (char *) name, NULL };
  cell_jsonw_object_open (w);
  cell_jsonw_kv_strv (w, "names", names);
  cell_jsonw_kv_string (w, "action", action);
  if (errno_ret)
    cell_jsonw_kv_int (w, "errnoRet", errno_ret);
  if (index >= 0)
    {
      cell_jsonw_key (w, "args");
      cell_jsonw_array_open (w);
      write_arg (w, (unsigned) index, value, op);
      cell_jsonw_array_close (w);
    }
  cell_jsonw_object_close (w);
}

void
cell_seccomp_write_default_profile (struct cell_jsonw *w)
{
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "defaultAction", "SCMP_ACT_ERRNO");
  cell_jsonw_kv_int (w, "defaultErrnoRet", 1); /* EPERM */
  cell_jsonw_kv_strv (w, "architectures", arches);
  cell_jsonw_key (w, "syscalls");
  cell_jsonw_array_open (w);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_strv (w, "names", allowed);
  cell_jsonw_kv_string (w, "action", "SCMP_ACT_ALLOW");
  cell_jsonw_object_close (w);
  /* socket() of any family but AF_VSOCK (40), which reaches the host. */
  write_rule (w, "socket", "SCMP_ACT_ALLOW", 0, 0, 40, "SCMP_CMP_NE");
  for (size_t i = 0; i < ARRAY_SIZE (personalities); i++)
    write_rule (w, "personality", "SCMP_ACT_ALLOW", 0, 0, personalities[i], "SCMP_CMP_EQ");
#if defined(__s390x__)
  write_rule (w, "clone", "SCMP_ACT_ALLOW", 0, 1, CLONE_NEW_ANY, "SCMP_CMP_MASKED_EQ"); /* flags come second */
#else
  /* (flags & CLONE_NEW_ANY) == 0: value is the mask, valueTwo (0) the datum. */
  write_rule (w, "clone", "SCMP_ACT_ALLOW", 0, 0, CLONE_NEW_ANY, "SCMP_CMP_MASKED_EQ");
#endif
  write_rule (w, "clone3", "SCMP_ACT_ERRNO", 38 /* ENOSYS */, -1, 0, NULL);
  cell_jsonw_array_close (w);
  cell_jsonw_object_close (w);
}
