#!/bin/sh
# Build the static in-container helper: tests/helper/build.sh [OUT] (default build/cellcheck).
set -e
cd "$(dirname "$0")/../.."
out=${1:-build/cellcheck}
src=tests/helper/cellcheck.c
if [ ! -x "$out" ] || [ -n "$(find "$src" -newer "$out")" ]; then
  mkdir -p "$(dirname "$out")"
  ${CC:-gcc} -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out.tmp" "$src"
  mv "$out.tmp" "$out"
fi
