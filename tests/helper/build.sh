#!/bin/sh
# Build the test helpers: tests/helper/build.sh [OUT] (default build/cellcheck): the static in-container helper,
# and next to it seccomp-agent (runs on the host: the seccomp notify agent of test_seccomp.py).
set -e
cd "$(dirname "$0")/../.."
out=${1:-build/cellcheck}
build () { # SRC OUT FLAGS...
  src=$1 bin=$2; shift 2
  if [ ! -x "$bin" ] || [ -n "$(find "$src" -newer "$bin")" ]; then
    mkdir -p "$(dirname "$bin")"
    ${CC:-gcc} "$@" -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$bin.tmp" "$src"
    mv "$bin.tmp" "$bin"
  fi
}
build tests/helper/cellcheck.c "$out" -static
build tests/helper/seccomp-agent.c "$(dirname "$out")/seccomp-agent"
