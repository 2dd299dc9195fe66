/* cell: `cell spec`, the default config.json. The same document as runc's specconv.Example() (and ToRootless()
 * for --rootless), with "cell" as the hostname and Docker's default seccomp profile (seccomp-profile.c). linux.resources (runc's "deny all devices") is left out:
 * a device cgroup deny-all is what cell does anyway. */
#include "runtime.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "process/seccomp-filter.h"

#include <string.h>

#include <unistd.h>

struct spec_mount
{
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct spec_mount default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* A rootless container shares the host's network namespace, and only the owner of a network namespace may
 * mount sysfs: bind the host's /sys instead. */
static const struct spec_mount rootless_sys
    = { "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL } };

static char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
static char *const masked_paths[]
    = { "/proc/acpi",      "/proc/asound",      "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",   "/sys/devices/virtual/powercap", "/proc/scsi", NULL };
static char *const readonly_paths[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

static void
write_process (struct cell_jsonw *w)
{
  static char *const args[] = { "sh", NULL };
  static char *const env[]
      = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
  cell_jsonw_key (w, "process");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "terminal", true);
  cell_jsonw_key (w, "user");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "uid", 0);
  cell_jsonw_kv_int (w, "gid", 0);
  cell_jsonw_object_close (w);
  cell_jsonw_kv_strv (w, "args", args);
  cell_jsonw_kv_strv (w, "env", env);
  cell_jsonw_kv_string (w, "cwd", "/");
  cell_jsonw_key (w, "capabilities");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_strv (w, "bounding", default_caps);
  cell_jsonw_kv_strv (w, "effective", default_caps);
  cell_jsonw_kv_strv (w, "permitted", default_caps);
  cell_jsonw_object_close (w);
  cell_jsonw_key (w, "rlimits");
  cell_jsonw_array_open (w);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "type", "RLIMIT_NOFILE");
  cell_jsonw_kv_int (w, "hard", 1024);
  cell_jsonw_kv_int (w, "soft", 1024);
  cell_jsonw_object_close (w);
  cell_jsonw_array_close (w);
  cell_jsonw_kv_bool (w, "noNewPrivileges", true);
  cell_jsonw_object_close (w);
}

/* rootless drops uid=/gid= options: the ids would not be mapped in the container's user namespace. */
static void
write_mount (struct cell_jsonw *w, const struct spec_mount *m, bool rootless)
{
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "destination", m->destination);
  cell_jsonw_kv_string (w, "type", m->type);
  cell_jsonw_kv_string (w, "source", m->source);
  if (m->options[0])
    {
      cell_jsonw_key (w, "options");
      cell_jsonw_array_open (w);
      for (size_t i = 0; m->options[i]; i++)
        if (!rootless || (strncmp (m->options[i], "uid=", 4) != 0 && strncmp (m->options[i], "gid=", 4) != 0))
          cell_jsonw_string (w, m->options[i]);
      cell_jsonw_array_close (w);
    }
  cell_jsonw_object_close (w);
}

static void
write_mounts (struct cell_jsonw *w, bool rootless)
{
  cell_jsonw_key (w, "mounts");
  cell_jsonw_array_open (w);
  for (size_t i = 0; i < ARRAY_SIZE (default_mounts); i++)
    {
      const struct spec_mount *m = &default_mounts[i];
      write_mount (w, rootless && strcmp (m->destination, "/sys") == 0 ? &rootless_sys : m, rootless);
    }
  cell_jsonw_array_close (w);
}

static void
write_id_mapping (struct cell_jsonw *w, const char *key, unsigned host_id)
{
  cell_jsonw_key (w, key);
  cell_jsonw_array_open (w);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "containerID", 0);
  cell_jsonw_kv_int (w, "hostID", host_id);
  cell_jsonw_kv_int (w, "size", 1);
  cell_jsonw_object_close (w);
  cell_jsonw_array_close (w);
}

/* runc's ToRootless(): no network namespace (no way to connect it unprivileged), a user namespace mapping
 * the caller to root. */
static void
write_namespaces (struct cell_jsonw *w, bool rootless)
{
  static const char *const normal[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  static const char *const unpriv[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };
  cell_jsonw_key (w, "namespaces");
  cell_jsonw_array_open (w);
  for (const char *const *t = rootless ? unpriv : normal; *t; t++)
    {
      cell_jsonw_object_open (w);
      cell_jsonw_kv_string (w, "type", *t);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_array_close (w);
}

static void
write_linux (struct cell_jsonw *w, bool rootless)
{
  cell_jsonw_key (w, "linux");
  cell_jsonw_object_open (w);
  if (rootless)
    {
      write_id_mapping (w, "uidMappings", geteuid ());
      write_id_mapping (w, "gidMappings", getegid ());
    }
  write_namespaces (w, rootless);
  cell_jsonw_kv_strv (w, "maskedPaths", masked_paths);
  cell_jsonw_kv_strv (w, "readonlyPaths", readonly_paths);
  cell_jsonw_key (w, "seccomp");
  cell_seccomp_write_default_profile (w);
  cell_jsonw_object_close (w);
}

char *
cell_spec_default (bool rootless)
{
  struct cell_jsonw *w = cell_jsonw_new (true);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "ociVersion", "1.3.0");
  write_process (w);
  cell_jsonw_key (w, "root");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "path", "rootfs");
  cell_jsonw_kv_bool (w, "readonly", true);
  cell_jsonw_object_close (w);
  cell_jsonw_kv_string (w, "hostname", "cell");
  write_mounts (w, rootless);
  write_linux (w, rootless);
  cell_jsonw_object_close (w);
  return cell_jsonw_finish (w, NULL);
}
