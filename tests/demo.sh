#!/bin/sh
# make demo: build a busybox bundle under build/demo (idempotent) and run one container with ./cell.
# On a hybrid/v1 cgroup host it runs in a private mount namespace with cgroup2 on /sys/fs/cgroup.
# CELL=/usr/sbin/runc tests/demo.sh runs the same bundle with another runtime.
set -e
cd "$(dirname "$0")/.."
repo=$(pwd)
demo=$repo/build/demo
rootfs=$demo/rootfs
busybox=/bin/busybox

[ -x ./cell ] || { echo "demo: ./cell is not built (make cell)" >&2; exit 1; }
[ -x $busybox ] || { echo "demo: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

if [ ! -x "$rootfs/bin/busybox" ] || [ -n "$(find $busybox -newer "$rootfs/bin/busybox")" ]; then
  mkdir -p "$rootfs"
  for d in bin sbin usr/bin usr/sbin proc sys dev etc tmp root; do mkdir -p "$rootfs/$d"; done
  cp $busybox "$rootfs/bin/busybox"
  for a in $($busybox --list-full); do
    [ "$a" = bin/busybox ] || [ -e "$rootfs/$a" ] || ln -s /bin/busybox "$rootfs/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
fi

cat >"$demo/config.json" <<'JSON'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/sh", "-c", "echo hostname=$(hostname); echo pid=$$; id; cat /proc/self/mounts"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "cell-demo",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON

set +e
"$repo/tests/helper/cgroup2-view.sh" "${CELL:-$repo/cell}" --root "$demo/state" run --bundle "$demo" "demo-$$" </dev/null
rc=$?
echo "demo: container exited with status $rc"
exit $rc
