#!/bin/sh
# make bench: cell vs crun vs runc, `run` of busybox true; see tests/bench/run.py. Args go to run.py.
# Then the overcommit layer's cost: tests/bench/overcommit.sh (CELL_BENCH_OVERCOMMIT=0 skips it), and the
# `cell image` part: tests/bench/image.sh (CELL_BENCH_IMAGE=0 skips it).
# State roots and the bundle live on a tmpfs, as /run does on a normal host, in a private mount namespace
# (nothing stays mounted afterwards).
cd "$(dirname "$0")/../.." || exit 1
unshare -m --propagation private sh -c '
  d=$(mktemp -d) && mount -t tmpfs -o mode=755 cell-bench "$d" && TMPDIR=$d exec tests/helper/cgroup2-view.sh /usr/bin/python3 tests/bench/run.py "$@"' bench "$@" || exit
if [ "${CELL_BENCH_OVERCOMMIT:-1}" != 0 ]; then
  echo "== overcommit layer (C8)"
  tests/bench/overcommit.sh 2>&1 | grep -v '^ *Warning' || exit
fi
[ "${CELL_BENCH_IMAGE:-1}" = 0 ] || exec tests/bench/image.sh
