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

# The demo runs cell's own default config (`cell spec`, the same as `runc spec`), with a command that shows
# the container from inside and no terminal, so that it also runs without one.
rm -f "$demo/config.json"
./cell spec --bundle "$demo"
/usr/bin/python3 - "$demo/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", "echo hostname=$(hostname); echo pid=$$; id; cat /proc/self/mounts"]
c["hostname"] = "cell-demo"
json.dump(c, open(path, "w"), indent=2)
PY

set +e
"$repo/tests/helper/cgroup2-view.sh" "${CELL:-$repo/cell}" --root "$demo/state" run --bundle "$demo" "demo-$$" </dev/null
rc=$?
echo "demo: container exited with status $rc"
exit $rc
