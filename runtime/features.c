/* cell: `cell features`, the runtime-spec features document (features.md): what this build of cell can do.
 * A field left out means "unknown"; a feature cell does not implement yet says enabled:false. */
#include "runtime.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "process/caps.h"
#include "process/seccomp-filter.h"

/* Every mount option name of the runtime-spec (config.md "mounts"), sorted. */
static char *const mount_options[] = {
  "async",       "atime",       "bind",         "defaults",     "dev",          "diratime",    "dirsync",
  "exec",        "iversion",    "lazytime",     "loud",         "mand",         "noatime",     "nodev",
  "nodiratime",  "noexec",      "noiversion",   "nolazytime",   "nomand",       "norelatime",  "nostrictatime",
  "nosuid",      "nosymfollow", "private",      "ratime",       "rbind",        "rdev",        "rdiratime",
  "relatime",    "remount",     "rexec",        "rnoatime",     "rnodev",       "rnodiratime", "rnoexec",
  "rnorelatime", "rnostrictatime", "rnosuid",   "rnosymfollow", "ro",           "rprivate",    "rrelatime",
  "rro",         "rrw",         "rshared",      "rslave",       "rstrictatime", "rsuid",       "rsymfollow",
  "runbindable", "rw",          "shared",       "silent",       "slave",        "strictatime", "suid",
  "symfollow",   "sync",        "tmpcopyup",    "unbindable",   NULL,
};

static char *const namespaces[]
    = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };

static void
write_enabled (struct cell_jsonw *w, const char *key, bool enabled)
{
  cell_jsonw_key (w, key);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "enabled", enabled);
  cell_jsonw_object_close (w);
}

/* cgroup v2 only, managed directly (no systemd); rdma limits go to rdma.max. */
static void
write_cgroup (struct cell_jsonw *w)
{
  cell_jsonw_key (w, "cgroup");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "v1", false);
  cell_jsonw_kv_bool (w, "v2", true);
  cell_jsonw_kv_bool (w, "systemd", false);
  cell_jsonw_kv_bool (w, "systemdUser", false);
  cell_jsonw_kv_bool (w, "rdma", true);
  cell_jsonw_object_close (w);
}

static void
write_linux (struct cell_jsonw *w)
{
  _cleanup_strv_ char **caps = cell_caps_all_names ();
  cell_jsonw_key (w, "linux");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_strv (w, "namespaces", namespaces);
  cell_jsonw_kv_strv (w, "capabilities", caps);
  write_cgroup (w);
  cell_seccomp_write_features (w);
  write_enabled (w, "apparmor", false);
  write_enabled (w, "selinux", false);
  write_enabled (w, "intelRdt", false);
  cell_jsonw_key (w, "mountExtensions");
  cell_jsonw_object_open (w);
  write_enabled (w, "idmap", false);
  cell_jsonw_object_close (w);
  cell_jsonw_object_close (w);
}

char *
cell_features_json (void)
{
  static char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                 "startContainer", "poststart",     "poststop",        NULL };
  struct cell_jsonw *w = cell_jsonw_new (true);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "ociVersionMin", "1.0.0");
  cell_jsonw_kv_string (w, "ociVersionMax", "1.3.0");
  cell_jsonw_kv_strv (w, "hooks", hooks);
  cell_jsonw_kv_strv (w, "mountOptions", mount_options);
  write_linux (w);
  cell_jsonw_object_close (w);
  return cell_jsonw_finish (w, NULL);
}
