#!/bin/sh
# make bench: cell vs crun vs runc, `run` of busybox true; see tests/bench/run.py. Args go to run.py.
cd "$(dirname "$0")/../.." || exit 1
exec tests/helper/cgroup2-view.sh /usr/bin/python3 tests/bench/run.py "$@"
