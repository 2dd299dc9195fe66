"""The overcommit policy's claims C2-C4 (issue 5), for the cgroup v2 VM (real memory, cpu, cpuset controllers).

Skipped where /sys/fs/cgroup lacks the memory and cpu controllers (this development host). The emulated host is
the policy's root slice: reserved_memory = MemTotal - HOST_MIB, so the root slice's memory.max (written by the
policy) is HOST_MIB and capacity is exactly HOST_MIB; CPUs are pinned with cpuset where a claim needs it.
Numbers come from io.cell.* annotations. Each claim prints one line "CLAIM Cn: ..." with its figures, for the
README. The leaf-only comparison of C2 (what runc and crun write: memory.max and memory.low on the leaf only)
needs linux.resources, i.e. the cgroups issue's resource writes; it is skipped until cell accepts them."""
import os
import time

import pytest

from helpers import CGROUP_ROOT
from test_overcommit import Overcommit, kill_cgroup

pytestmark = [pytest.mark.cell_only, pytest.mark.cgroup_v2]

HOST_MIB = 512
TRIALS = int(os.environ.get("CELL_OC_TRIALS", "3"))


def controllers():
    try:
        return set((CGROUP_ROOT / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


need = pytest.mark.skipif(not {"memory", "cpu"} <= controllers(),
                          reason="needs the memory and cpu controllers (the cgroup v2 VM)")


def flat(path):
    """A flat-keyed cgroup file (memory.events, memory.stat, cpu.stat) as a dict of ints."""
    out = {}
    for line in path.read_text().splitlines():
        k, _, v = line.partition(" ")
        if v.strip().lstrip("-").isdigit():
            out[k] = int(v)
    return out


class VmOvercommit(Overcommit):
    def __init__(self, rt, extra=""):
        self.rt = rt
        self.slice = "cell-oc-%s.slice" % rt.token
        self.path = rt.workdir / "overcommit.conf"
        self.write(fit=HOST_MIB // 64, extra=extra)  # 64 MiB units: capacity HOST_MIB

    def container(self, make_bundle, script, **ann):
        b = make_bundle()
        b.config["annotations"] = {("io.cell." + k.replace("_", ".")): v for k, v in ann.items()}
        b.sh(script)
        cid = self.rt.new_id()
        self.create(cid, b).ok()
        self.rt.start(cid)
        return cid

    def leaf(self, cls, cid):
        return self.cg(cls, cid)


@pytest.fixture
def voc(rt):
    o = VmOvercommit(rt, extra="[memory]\nlimit_ratio = 1.5\noom_score_adj = if_unset\n")
    yield o
    o.cleanup()


# Hold N MiB of anonymous memory: dd reads /dev/zero into one N MiB buffer (touching it), then blocks writing
# it to a pipe nobody reads. Re-run in a loop so that a reclaimed or killed hog pushes again.
def hog(mib):
    return "while :; do dd if=/dev/zero bs=%dM count=1 2>/dev/null | sleep 5; done" % mib


@need
def test_c2_guaranteed_keeps_its_memory(voc, make_bundle):
    """C2: at memory limit ratio 1.5, Guaranteed, Burstable and BestEffort all push to their limits; the
    Guaranteed leaves see no OOM kill and ~no reclaim, BestEffort absorbs the pressure."""
    results = []
    for trial in range(TRIALS):
        ids = {
            "guaranteed": [voc.container(make_bundle, hog(88), cpu_request="100m", cpu_limit="100m",
                                         memory_request="96Mi", memory_limit="96Mi") for _ in range(2)],
            "burstable": [voc.container(make_bundle, hog(150), cpu_request="100m", cpu_limit="500m",
                                        memory_request="64Mi", memory_limit="160Mi") for _ in range(2)],
            "besteffort": [voc.container(make_bundle, hog(200)) for _ in range(2)],
        }
        time.sleep(20)
        ev = {cls: [flat(voc.leaf(cls, c) / "memory.events") for c in cs] for cls, cs in ids.items()}
        st = {cls: [flat(voc.leaf(cls, c) / "memory.stat") for c in cs] for cls, cs in ids.items()}
        g_kills = sum(e.get("oom_kill", 0) for e in ev["guaranteed"])
        g_scan = sum(s.get("pgscan", 0) for s in st["guaranteed"])
        be_kills = sum(e.get("oom_kill", 0) for e in ev["besteffort"])
        results.append((g_kills, g_scan, be_kills))
        for cs in ids.values():
            for c in cs:
                voc.delete(c)
    print("CLAIM C2 (managed): trials %d, guaranteed oom_kill %s, guaranteed pgscan %s, besteffort oom_kill %s"
          % (TRIALS, [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]))
    assert all(r[0] == 0 for r in results)
    assert all(r[2] > 0 for r in results), "BestEffort did not absorb the pressure"


@need
def test_c2_leaf_only_comparison(rt, make_bundle):
    """C2's comparison: the same tenants with leaf-only limits (linux.resources memory.limit/reservation, as
    runc and crun write them) under a parent capped at HOST_MIB. Needs the cgroups issue's resource writes."""
    parent = CGROUP_ROOT / ("cell-oc-leafonly-%s" % rt.token)
    parent.mkdir()
    try:
        (CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory")
        (parent / "memory.max").write_text(str(HOST_MIB << 20))
        (parent / "cgroup.subtree_control").write_text("+memory")
        tenants = [(hog(88), 96, 96)] * 2 + [(hog(150), 64, 160)] * 2 + [(hog(200), 0, 0)] * 2
        ids = []
        for script, req, lim in tenants:
            b = make_bundle()
            b.sh(script)
            mem = {}
            if lim:
                mem = {"limit": lim << 20, "reservation": req << 20}
            b.linux["resources"] = {"memory": mem} if mem else {}
            b.linux["cgroupsPath"] = "/%s/%s" % (parent.name, rt.new_id())
            b.write()
            cid = rt.ids[-1]
            r = rt.create(cid, b, check=False)
            if r.returncode != 0 and "not supported" in r.stderr:
                pytest.skip("cell does not write linux.resources yet (the cgroups issue)")
            r.ok()
            rt.start(cid)
            ids.append(cid)
        time.sleep(20)
        leaves = [CGROUP_ROOT / b_path.lstrip("/") for b_path in
                  ["%s/%s" % (parent.name, c) for c in ids]]
        g = [flat(p / "memory.events").get("oom_kill", 0) for p in leaves[:2]]
        scan = [flat(p / "memory.stat").get("pgscan", 0) for p in leaves[:2]]
        print("CLAIM C2 (leaf-only): guaranteed-sized oom_kill %s, pgscan %s" % (g, scan))
        for cid in ids:
            rt.delete(cid, force=True)
    finally:
        for d in sorted(parent.glob("*"), reverse=True):
            if d.is_dir():
                kill_cgroup(d)
        parent.rmdir()


def usage_usec(path):
    return flat(path / "cpu.stat")["usage_usec"]


def spin(threads):
    return " ".join(["while :; do :; done &"] * threads) + " wait"


@need
def test_c3_guaranteed_keeps_its_cpu(voc, make_bundle):
    """C3: a Guaranteed 1-CPU tenant keeps >= 95% of its CPU against a Burstable tenant with 16 spinning threads
    and BestEffort spinners; then BestEffort alone gets the idle CPU."""
    ncpu = len(os.sched_getaffinity(0))
    if ncpu < 2:
        pytest.skip("needs 2 CPUs")
    g = voc.container(make_bundle, spin(1), cpu_request="1", cpu_limit="1", memory_request="32Mi",
                      memory_limit="32Mi")
    b = voc.container(make_bundle, spin(16), cpu_request="250m", cpu_limit=str(ncpu), memory_request="32Mi",
                      memory_limit="64Mi")
    es = [voc.container(make_bundle, spin(4)) for _ in range(2)]
    time.sleep(2)
    u0, t0 = usage_usec(voc.leaf("guaranteed", g)), time.monotonic()
    time.sleep(10)
    share = (usage_usec(voc.leaf("guaranteed", g)) - u0) / ((time.monotonic() - t0) * 1e6)
    voc.delete(g)
    voc.delete(b)
    e0, t0 = sum(usage_usec(voc.leaf("besteffort", e)) for e in es), time.monotonic()
    time.sleep(5)
    be = (sum(usage_usec(voc.leaf("besteffort", e)) for e in es) - e0) / ((time.monotonic() - t0) * 1e6)
    print("CLAIM C3: guaranteed got %.1f%% of its 1 CPU; besteffort alone got %.2f of %d CPUs"
          % (share * 100, be, ncpu))
    for e in es:
        voc.delete(e)
    assert share >= 0.95
    assert be >= 0.9 * ncpu


@need
def test_c4_proportional_weights(voc, make_bundle):
    """C4: siblings requesting 50m/125m/500m/1000m (the design's 100m/250m/1000m/2000m halved, to fit the VM's two
    CPUs) on one busy CPU get 3.0/7.5/29.9/59.7% (+-1.5 points)."""
    if "cpuset" not in controllers():
        pytest.skip("needs the cpuset controller")
    reqs = ["50m", "125m", "500m", "1000m"]
    # All four in one class slice, pinned to CPU 0 through the root slice.
    ids = [voc.container(make_bundle, spin(1), cpu_request=r, cpu_limit="2", memory_request="16Mi",
                         memory_limit="32Mi") for r in reqs]
    (CGROUP_ROOT / "cgroup.subtree_control").write_text("+cpuset")
    (voc.cg() / "cpuset.cpus").write_text("0")
    time.sleep(2)
    u0 = [usage_usec(voc.leaf("burstable", c)) for c in ids]
    time.sleep(10)
    used = [usage_usec(voc.leaf("burstable", c)) - u for c, u in zip(ids, u0)]
    pct = [100.0 * u / sum(used) for u in used]
    print("CLAIM C4: %s -> %s%%" % ("/".join(reqs), "/".join("%.1f" % p for p in pct)))
    for c in ids:
        voc.delete(c)
    for got, want in zip(pct, [3.0, 7.5, 29.9, 59.7]):
        assert abs(got - want) <= 1.5
