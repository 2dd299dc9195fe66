#!/bin/sh
# Run a command with a pure cgroup v2 /sys/fs/cgroup: on a hybrid or v1 host, in a private mount namespace
# with cgroup2 mounted over /sys/fs/cgroup (the host's view is untouched); on a v2 host, directly.
#   tests/helper/cgroup2-view.sh CMD [ARGS...]
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
  exec "$@"
fi
exec unshare -m sh -c 'mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' cgroup2-view "$@"
