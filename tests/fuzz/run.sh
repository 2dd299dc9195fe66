#!/bin/sh
# tests/fuzz/run.sh FUZZER SECONDS: run the libFuzzer target for SECONDS on one core, seeded from the config
# fixtures and tests/fuzz/corpus/config. New coverage goes to build/fuzz/corpus (not the repository); a crash is
# written to build/fuzz/crash-* and makes this fail: add the input to tests/fuzz/corpus/config (or as a bad
# fixture) with the fix. Last line: "fuzz: N runs in S s, 0 crashes" (or "fuzz: crash ...").
cd "$(dirname "$0")/../.." || exit 1
fuzzer=$1 secs=${2:-60}
work=$(dirname "$fuzzer")
mkdir -p "$work/corpus" "$work/seeds"
# Only the JSON files: .expect files are not configs.
cp tests/fixtures/config/good/*.json tests/fixtures/config/bad/*.json "$work/seeds/"
log="$work/fuzz.log"
"$fuzzer" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
  -dict=tests/fuzz/config.dict -artifact_prefix="$work/" \
  "$work/corpus" "$work/seeds" tests/fuzz/corpus/config >"$log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
if [ $rc -ne 0 ]; then
  tail -40 "$log"
  echo "fuzz: crash (exit $rc), see $log and $work/crash-*"
  exit 1
fi
echo "fuzz: ${runs:-?} runs in $secs s, 0 crashes"
