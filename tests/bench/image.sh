#!/bin/sh
# make bench, second part: `cell image` (unpack vs umoci, N containers through the layer cache vs plain
# unpacks); see tests/bench/image.py. Args go to image.py. Works on disk (/var/tmp): N plain unpacks do not
# fit a tmpfs.
cd "$(dirname "$0")/../.." || exit 1
command -v umoci >/dev/null || { echo "image bench: umoci missing (make deps)"; exit 1; }
exec tests/helper/cgroup2-view.sh /usr/bin/python3 tests/bench/image.py "$@"
