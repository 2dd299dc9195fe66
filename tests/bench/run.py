#!/usr/bin/python3
"""Benchmark: N sequential `RUNTIME run` of busybox true, interleaving the runtimes per iteration.

Measures the wall time of each run (perf_counter around posix_spawn + wait of the runtime itself), and, in a
separate pass of 10 runs each, peak RSS through `/usr/bin/time -f %M` (the runtime process and the children
it reaped). Not wait4's ru_maxrss of a direct child of Python: exec records the old mm's high-water mark,
which for a fork or vfork of Python is Python's own RSS. /usr/bin/time adds ~2 ms to every run, so it is kept
out of the timed pass.
The floor is the same isolation done by util-linux:
`unshare --pid --fork --mount --uts --ipc --net chroot ROOTFS /bin/true`.

  tests/bench/run.py [-n 100] [--runtimes "cell crun runc"]
Run it in a cgroup v2 view (tests/bench/run.sh does).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from helpers import ROOTFS_DIRS, default_config, runtime_binary  # noqa: E402


def build_bundle(path):
    rootfs = path / "rootfs"
    for d in ROOTFS_DIRS:
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", rootfs / "bin" / "busybox")
    for name in ("true", "sh"):
        (rootfs / "bin" / name).symlink_to("busybox")
    cfg = default_config("bench")
    cfg["process"]["args"] = ["/bin/true"]
    (path / "config.json").write_text(json.dumps(cfg, indent=1))
    return rootfs


TIME = "/usr/bin/time"


def spawn(argv, rss_file=None):
    """Run argv with stdio on /dev/null, under /usr/bin/time when rss_file is given;
    (exit status, seconds, peak RSS KiB or 0)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, devnull, 2)]
    full = [TIME, "-f", "%M", "-o", str(rss_file)] + argv if rss_file else argv
    t = time.perf_counter()
    pid = os.posix_spawn(full[0], full, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    dt = time.perf_counter() - t
    os.close(devnull)
    if rss_file is None:
        return os.waitstatus_to_exitcode(status), dt, 0
    try:
        rss = int(rss_file.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        rss = 0
    return os.waitstatus_to_exitcode(status), dt, rss


def percentile(values, p):
    v = sorted(values)
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=int(os.environ.get("CELL_BENCH_N", 100)))
    ap.add_argument("--runtimes", default=os.environ.get("CELL_BENCH_RUNTIMES", "cell crun runc"))
    args = ap.parse_args()

    runtimes = []
    for name in args.runtimes.split():
        b = runtime_binary(name)
        if b and os.access(b, os.X_OK):
            runtimes.append((name, b))
        else:
            print("bench: skipping %s (not found)" % name, file=sys.stderr)
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    if not os.access(TIME, os.X_OK):
        print("bench: %s missing (apt-get install time)" % TIME, file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="cell-bench-"))
    os.chmod(work, 0o755)
    try:
        rootfs = build_bundle(work)
        floor_argv = [unshare, "--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "chroot", str(rootfs),
                      "/bin/true"]
        results = {name: [] for name, _ in runtimes}
        results["floor"] = []
        failures = {k: 0 for k in results}
        rss = {k: 0 for k in results}
        n_rss = min(10, args.n)
        for i in range(args.n + n_rss):
            rss_file = work / "rss" if i >= args.n else None
            for name, binary in runtimes:
                argv = [binary, "--root", str(work / ("state-" + name)), "run", "--bundle", str(work),
                        "bench-%d-%d" % (os.getpid(), i)]
                rc, dt, peak = spawn(argv, rss_file)
                if rc != 0:
                    failures[name] += 1
                    subprocess.run([binary, "--root", str(work / ("state-" + name)), "delete", "--force", argv[-1]],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if rss_file:
                    rss[name] = max(rss[name], peak)
                else:
                    results[name].append(dt)
            rc, dt, peak = spawn(floor_argv, rss_file)
            failures["floor"] += rc != 0
            if rss_file:
                rss["floor"] = max(rss["floor"], peak)
            else:
                results["floor"].append(dt)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    crun_median = statistics.median(results["crun"]) if results.get("crun") else None
    print("%d sequential runs of busybox true, runtimes interleaved" % args.n)
    print("%-8s %10s %10s %14s %10s %8s" % ("runtime", "median ms", "p90 ms", "peak RSS KiB", "vs crun", "failed"))
    for name in [n for n, _ in runtimes] + ["floor"]:
        times = results[name]
        if not times:
            continue
        med = statistics.median(times)
        ratio = "%.2fx" % (med / crun_median) if crun_median else "-"
        print("%-8s %10.1f %10.1f %14d %10s %8d" % (name, med * 1000, percentile(times, 0.9) * 1000,
                                                    rss[name], ratio, failures[name]))
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
