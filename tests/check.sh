#!/bin/sh
# make check: unit tests, schema fixtures, the layout rules (tests/layout-check.py), then the integration suite
# (pytest, in a cgroup v2 view) for every runtime in CELL_TEST_RUNTIMES (default: cell, plus runc and crun when
# installed, to prove the tests), then the cgroup v2 suite (tests marked cgroup_v2) natively or in a VM
# (tests/vm/run-cgroup-suite; CELL_TEST_VM=never skips the VM).
# Ends with one line "check: N passed, N failed, N skipped"; exits non-zero on any failure.
# Extra pytest arguments: CELL_PYTEST_ARGS="-k lifecycle -x".
cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0 failed=0 skipped=0

# count WORD FILE: the number before WORD in the last summary line of FILE (0 if none)
count () {
  n=$(grep -oE "[0-9]+ $1" "$2" | tail -1 | cut -d' ' -f1)
  echo "${n:-0}"
}

add () { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3)); }

# add_pytest FILE RC NAME [EMPTY_OK]: add the counts of pytest's summary line in FILE; with EMPTY_OK, "no tests
# ran" counts nothing, else it is no summary. A missing summary, or a failing exit status (other than 5, no
# tests) without a failed test, counts as a failure.
add_pytest () {
  if [ -n "${4:-}" ]; then re='^=* ?([0-9]+ (passed|failed|skipped|error)|no tests ran)'
  else re='^=* ?[0-9]+ (passed|failed|skipped|error)'; fi
  summary=$(grep -E "$re" "$1" | tail -1)
  if [ -n "$summary" ]; then
    f=$(( $(echo "$summary" | count failed /dev/stdin) + $(echo "$summary" | count error /dev/stdin) ))
    add "$(echo "$summary" | count passed /dev/stdin)" "$f" "$(echo "$summary" | count skipped /dev/stdin)"
    [ "$2" -eq 0 ] || [ "$2" -eq 5 ] || [ $f -gt 0 ] || add 0 1 0
  else
    echo "$3: pytest did not report (exit $2)"; add 0 1 0
  fi
}

# add_step NAME FILE RC: add the counts of the last "NAME: N passed, N failed" line in FILE; no such line, or a
# failing exit status without a failed test, counts as a failure.
add_step () {
  line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | tail -1)
  if [ -n "$line" ]; then
    f=$(echo "$line" | count failed /dev/stdin)
    add "$(echo "$line" | count passed /dev/stdin)" "$f" 0
    [ "$3" -eq 0 ] || [ "$f" -gt 0 ] || add 0 1 0
  else
    echo "$1: did not run (exit $3)"; add 0 1 0
  fi
}

# 1. unit tests (tests/run-unit prints "unit: N passed, N failed")
echo "== unit"
make --no-print-directory unit >"$tmp/unit" 2>&1; rc=$?
cat "$tmp/unit"
add_step unit "$tmp/unit" $rc

# 2. schema fixtures
if [ -f tests/schema-check.py ]; then
  echo "== schema"
  $PY tests/schema-check.py >"$tmp/schema" 2>&1; rc=$?
  cat "$tmp/schema"
  if grep -qE '[0-9]+ passed' "$tmp/schema"; then
    add "$(count passed "$tmp/schema")" "$(count failed "$tmp/schema")" "$(count skipped "$tmp/schema")"
    [ $rc -eq 0 ] || [ "$(count failed "$tmp/schema")" -gt 0 ] || add 0 1 0
  elif [ $rc -eq 0 ]; then add 1 0 0; else add 0 1 0; fi
fi

# 2b. the layout rules: includes and calls follow the rooms' direction, no circles, no oversized file
# (tests/layout-check.py reads the objects `make cell` just built; prints "layout: N passed, N failed")
echo "== layout"
$PY tests/layout-check.py "${BUILD:-build}" >"$tmp/layout" 2>&1; rc=$?
cat "$tmp/layout"
add_step layout "$tmp/layout" $rc

# 3. the in-container helper
echo "== helper"
if ! tests/helper/build.sh; then
  echo "check: cannot build tests/helper/cellcheck"; add 0 1 0
fi

# 4. the config parser under libFuzzer (ASan/UBSan), bounded: CELL_FUZZ_TIME seconds (default 30, 0 skips)
if [ "${CELL_FUZZ_TIME:-30}" -gt 0 ]; then
  echo "== fuzz (${CELL_FUZZ_TIME:-30} s)"
  if make --no-print-directory fuzz FUZZ_TIME="${CELL_FUZZ_TIME:-30}" >"$tmp/fuzz" 2>&1; then
    tail -1 "$tmp/fuzz"; add 1 0 0
  else
    tail -30 "$tmp/fuzz"; add 0 1 0
  fi
fi

# 5. integration
if [ -z "${CELL_TEST_RUNTIMES+set}" ]; then
  CELL_TEST_RUNTIMES=cell
  for r in runc crun; do
    command -v $r >/dev/null 2>&1 && CELL_TEST_RUNTIMES="$CELL_TEST_RUNTIMES $r"
  done
fi
export CELL_TEST_RUNTIMES
echo "== integration ($CELL_TEST_RUNTIMES)"
# shellcheck disable=SC2086
tests/helper/cgroup2-view.sh $PY -m pytest -q -p no:cacheprovider -rfE -m "not cgroup_v2" tests/integration $CELL_PYTEST_ARGS \
  >"$tmp/pytest" 2>&1; rc=$?
cat "$tmp/pytest"
add_pytest "$tmp/pytest" $rc integration

# 6. the cgroup v2 suite (tests marked cgroup_v2): here when the host has v2 controllers, else in a VM
echo "== cgroup v2 ($(tests/vm/run-cgroup-suite --mode))"
# shellcheck disable=SC2086
tests/vm/run-cgroup-suite $CELL_PYTEST_ARGS >"$tmp/cgroup" 2>&1; rc=$?
cat "$tmp/cgroup"
add_pytest "$tmp/cgroup" $rc "cgroup v2" empty-ok

echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
