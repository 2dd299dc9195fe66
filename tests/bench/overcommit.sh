#!/bin/sh
# The overcommit layer's cost (issue 5, C8): `cell run` of busybox true with and without a managed policy
# (hyperfine -N, same bundle), and `cell overcommit status` with N containers in the ledger (default 500,
# created and left waiting, then deleted). Runs in a private mount namespace with a tmpfs state root and the
# cgroup v2 view; the policy's numbers come from io.cell.* annotations.
#   tests/bench/overcommit.sh [N]
cd "$(dirname "$0")/../.." || exit 1
N=${1:-500}; export N
exec unshare -m --propagation private sh -c '
  set -e
  d=$(mktemp -d); mount -t tmpfs -o mode=755 cell-oc-bench "$d"
  /usr/bin/python3 - "$d" <<PY
import json, sys
sys.path.insert(0, "tests/integration"); sys.path.insert(0, "tests/bench")
from pathlib import Path
import run as b
d = Path(sys.argv[1])
b.build_bundle(d / "b")
cfg = json.loads((d / "b" / "config.json").read_text())
cfg["annotations"] = {"io.cell.cpu.request": "1m", "io.cell.memory.request": "1Mi",
                      "io.cell.cpu.limit": "1m", "io.cell.memory.limit": "1Mi"}
(d / "b" / "config.json").write_text(json.dumps(cfg))
(d / "policy").write_text("[host]\nmode = managed\ncgroup_root = cell-oc-bench.slice\nreserved_memory = 0\n"
                          "memory_headroom = 0\n[cpu]\nrequest_ratio = 1000\nlimit_ratio = 1000\n"
                          "[memory]\nlimit_ratio = 1000\nrequest_ratio = 1000\n")
PY
  cd "$d/b"
  exec '"$PWD"'/tests/helper/cgroup2-view.sh sh -c "
    C='"$PWD"'/cell
    hyperfine -N -w 20 -r 200 --export-json $d/h.json \"\$C --root $d/r1 run a\" \"\$C --root $d/r2 --overcommit-policy $d/policy run b\" >/dev/null
    /usr/bin/python3 -c \"import json,sys; r=json.load(open(sys.argv[1]))[\\\"results\\\"]; m=[x[\\\"median\\\"]*1000 for x in r]; print(\\\"run without policy: %.2f ms, with a managed policy: %.2f ms (+%.2f ms)\\\" % (m[0], m[1], m[1]-m[0]))\" $d/h.json
    i=0; while [ \$i -lt $N ]; do \$C --root $d/r3 --overcommit-policy $d/policy create c\$i >/dev/null 2>&1; i=\$((i+1)); done
    t0=\$(date +%s%N); \$C --root $d/r3 --overcommit-policy $d/policy overcommit status --json >/dev/null; t1=\$(date +%s%N)
    \$C --root $d/r3 --overcommit-policy $d/policy overcommit status >/dev/null; t2=\$(date +%s%N)
    echo \"status with $N containers: --json \$(( (t1-t0)/1000000 )) ms, table \$(( (t2-t1)/1000000 )) ms\"
    i=0; while [ \$i -lt $N ]; do \$C --root $d/r3 --overcommit-policy $d/policy delete --force c\$i; i=\$((i+1)); done
    for s in guaranteed burstable besteffort; do rmdir /sys/fs/cgroup/cell-oc-bench.slice/\$s 2>/dev/null || true; done
    rmdir /sys/fs/cgroup/cell-oc-bench.slice 2>/dev/null || true"'
