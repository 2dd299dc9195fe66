"""The overcommit policy (issue 5) on this host: admission, refusals (exit 75, nothing left), the ledger under
concurrent and killed creators, the status report.

This host's cgroup v2 view has no controllers, so the numbers come from io.cell.* annotations only (the
config's linux.resources would need controllers) and the cgroup files the policy writes are reported as not
enforced; what they do is measured in the VM (test_overcommit_vm.py). Capacity is pinned by the policy:
reserved_memory = MemTotal - N * UNIT, so that exactly N containers of UNIT fit."""
import json
import os
import random
import re
import signal
import shutil
import time

import pytest

from helpers import CGROUP_ROOT

pytestmark = pytest.mark.cell_only

UNIT_KIB = 64 * 1024  # 64 MiB per container
EX_TEMPFAIL = 75


def mem_total_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    raise AssertionError("no MemTotal")


class Overcommit:
    """A policy file and helpers for one test: its own cgroup_root (named after the test's token, so the leak
    checker sees anything left there), capacity of `fit` containers of UNIT."""

    def __init__(self, rt, fit=4, mode="managed", extra=""):
        self.rt = rt
        self.slice = "cell-oc-%s.slice" % rt.token
        self.path = rt.workdir / "overcommit.conf"
        self.write(fit, mode, extra)

    def write(self, fit, mode="managed", extra="", text=None):
        reserved = mem_total_kib() - fit * UNIT_KIB
        self.path.write_text(text if text is not None else
                             "[host]\nmode = %s\ncgroup_root = %s\nreserved_memory = %dK\nmemory_headroom = 0\n%s"
                             % (mode, self.slice, reserved, extra))

    def __call__(self, *args, **kw):
        return self.rt("--overcommit-policy", self.path, *args, **kw)

    def create(self, cid, bundle, **kw):
        if cid not in self.rt.ids:
            self.rt.ids.append(cid)
        r = self("create", "--bundle", bundle.path, cid, tag="create-" + cid, **kw)
        if r.returncode == 0:
            self.rt.remember_pid(cid)
        return r

    def popen_create(self, cid, bundle):
        if cid not in self.rt.ids:
            self.rt.ids.append(cid)
        return self.rt.popen("--overcommit-policy", self.path, "create", "--bundle", bundle.path, cid,
                             tag="create-" + cid, start_new_session=True)

    def delete(self, cid):
        return self("delete", "--force", cid, tag="delete").ok()

    def status(self):
        return json.loads(self("overcommit", "status", "--json", tag="status").ok().stdout)

    def ledger(self):
        """{id: {"state": ..., "class": ..., ...}} from the ledger file."""
        p = self.rt.root / "overcommit" / "ledger"
        out = {}
        if p.exists():
            for line in p.read_text().splitlines():
                if line.startswith("#") or not line:
                    continue
                f = line.split()
                out[f[0]] = dict(kv.split("=", 1) for kv in f[2:])
                out[f[0]]["state"] = f[1]
        return out

    def cg(self, *parts):
        return CGROUP_ROOT.joinpath(self.slice, *parts)

    def leaves(self, cls):
        d = self.cg(cls)
        return sorted(e.name for e in os.scandir(d) if e.is_dir()) if d.exists() else []

    def cleanup(self):
        """Delete what is left, then the ledger and the slices (the layer keeps both by design)."""
        for cid in list(self.rt.ids):
            if (self.rt.root / cid / "state.json").exists():
                self.rt("delete", "--force", cid, tag="cleanup")
        for cls in ("guaranteed", "burstable", "besteffort"):
            for leaf in self.leaves(cls):
                kill_cgroup(self.cg(cls, leaf))
        for cls in ("guaranteed", "burstable", "besteffort"):
            if self.cg(cls).exists():
                os.rmdir(self.cg(cls))
        if self.cg().exists():
            os.rmdir(self.cg())
        shutil.rmtree(self.rt.root / "overcommit", ignore_errors=True)


def kill_cgroup(path):
    """Kill and remove a leftover leaf (a creator SIGKILLed mid-create leaves its init waiting there)."""
    try:
        (path / "cgroup.kill").write_text("1")
    except OSError:
        for pid in (path / "cgroup.procs").read_text().split():
            os.kill(int(pid), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while True:
        try:
            os.rmdir(path)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.fixture
def oc(rt):
    o = Overcommit(rt)
    yield o
    o.cleanup()


def guaranteed(bundle, units=1, cpu="100m", **more):
    mem = "%dMi" % (units * UNIT_KIB // 1024)
    ann = {"io.cell.cpu.request": cpu, "io.cell.cpu.limit": cpu, "io.cell.memory.request": mem,
           "io.cell.memory.limit": mem}
    ann.update(more)
    bundle.config["annotations"] = ann
    bundle.args("/bin/sleep", "600")
    return bundle


def mib(units):
    return "%.1fMiB" % (units * UNIT_KIB / 1024)


def test_admits_until_full_then_refuses_with_75(oc, make_bundle):
    b = guaranteed(make_bundle())
    ids = [oc.rt.new_id("g") for _ in range(5)]
    for cid in ids[:4]:
        oc.create(cid, b).ok()
    r = oc.create(ids[4], b)
    assert r.returncode == EX_TEMPFAIL, r.describe()
    assert r.stderr.strip() == (
        'cell: refusing "%s": memory requests would be %s > %s (request ratio 1.00 x capacity %s; '
        '4 containers hold %s)' % (ids[4], mib(5), mib(4), mib(4), mib(4))), r.describe()
    # Nothing of the refused container is left: no state dir, no cgroup, no ledger entry.
    assert not (oc.rt.root / ids[4]).exists()
    assert not oc.cg("guaranteed", ids[4]).exists()
    assert sorted(oc.ledger()) == sorted(ids[:4])
    # The admitted ones sit in the class slice, their init inside.
    assert oc.leaves("guaranteed") == sorted(ids[:4])
    pid = oc.rt.state(ids[0])["pid"]
    assert str(pid) in oc.cg("guaranteed", ids[0], "cgroup.procs").read_text().split()
    # Their creators are gone: recovery made the entries active.
    oc.status()
    assert {e["state"] for e in oc.ledger().values()} == {"active"}
    # Deleting one frees its share.
    oc.delete(ids[0])
    assert sorted(oc.ledger()) == sorted(ids[1:4])
    assert not oc.cg("guaranteed", ids[0]).exists()
    oc.create(ids[4], b).ok()
    for cid in ids[1:]:
        oc.delete(cid)
    assert oc.ledger() == {}
    assert oc.leaves("guaranteed") == []


def test_refusal_names_cpu_inequality(oc, make_bundle):
    oc.write(fit=4, extra="reserved_cpu = %dm\n" % (len(os.sched_getaffinity(0)) * 1000 - 300))
    b = guaranteed(make_bundle(), cpu="200m")
    a, c = oc.rt.new_id("a"), oc.rt.new_id("c")
    oc.create(a, b).ok()
    r = oc.create(c, b)
    assert r.returncode == EX_TEMPFAIL, r.describe()
    assert ('refusing "%s": cpu requests would be 400m > 300m (request ratio 1.00 x capacity 300m; '
            '1 container holds 200m)' % c) in r.stderr
    assert not (oc.rt.root / c).exists() and sorted(oc.ledger()) == [a]
    oc.delete(a)


def test_run_releases_on_exit(oc, make_bundle):
    b = guaranteed(make_bundle())
    b.args("/bin/true")
    cid = oc.rt.new_id()
    oc.rt.ids.append(cid)
    r = oc("run", "--bundle", b.path, cid, tag="run")
    assert r.returncode == 0, r.describe()
    assert oc.ledger() == {}


@pytest.mark.parametrize("ann,want", [
    ({"io.cell.memory.request": "2Gi", "io.cell.memory.limit": "1Gi"},
     "memory request 2147483648 bytes (io.cell.memory.request 2Gi) exceeds its limit 1073741824 bytes "
     "(io.cell.memory.limit 1Gi)"),
    ({"io.cell.qos": "Guaranteed", "io.cell.cpu.request": "1", "io.cell.memory.request": "64Mi"},
     "annotations.io.cell.qos Guaranteed contradicts the numbers, which make the container Burstable"),
    ({"io.cell.cpu.limit": "lots"},
     "annotations.io.cell.cpu.limit: invalid CPU quantity 'lots' (expected e.g. 500m, 2 or 0.5)"),
])
def test_contradictions_refused(oc, bundle, ann, want):
    bundle.config["annotations"] = ann
    bundle.write()
    cid = oc.rt.new_id()
    r = oc.create(cid, bundle)
    assert r.returncode == 1, r.describe()
    assert want in r.stderr
    assert not (oc.rt.root / cid).exists()
    assert oc.ledger() == {}


def test_unbounded_refused_in_managed_mode(oc, bundle):
    bundle.config["annotations"] = {"io.cell.memory.request": "64Mi"}
    bundle.write()
    cid = oc.rt.new_id()
    r = oc.create(cid, bundle)
    assert r.returncode == EX_TEMPFAIL, r.describe()
    assert "a Burstable container without a cpu and memory limit is unbounded" in r.stderr
    assert not (oc.rt.root / cid).exists()


def test_malformed_policy_refused_with_file_and_line(oc, bundle):
    oc.write(0, text="[host]\nmode = managed\n[memory]\nlimit_ratio = 1.5\nlimit_ration = 2\n")
    cid = oc.rt.new_id()
    r = oc.create(cid, bundle)
    assert r.returncode == 1, r.describe()
    assert r.stderr.strip() == "cell: %s:5: unknown key 'limit_ration' in [memory]" % oc.path
    assert not (oc.rt.root / cid).exists()


def test_missing_policy_named_explicitly_is_an_error(rt, bundle):
    cid = rt.new_id()
    r = rt("--overcommit-policy", rt.workdir / "nope.conf", "create", "--bundle", bundle.path, cid)
    assert r.returncode == 1
    assert "overcommit policy: open '%s/nope.conf': No such file or directory" % rt.workdir in r.stderr
    assert not (rt.root / cid).exists()


@pytest.mark.skipif(os.path.exists("/etc/cell/overcommit.conf"), reason="this host has a policy file")
def test_no_policy_file_layer_off(rt, bundle):
    """Without a policy the layer is off: nothing under <root>/overcommit, the container's usual cgroup."""
    bundle.config["annotations"] = {"io.cell.memory.request": "2Gi", "io.cell.memory.limit": "1Gi"}
    bundle.args("/bin/sleep", "600")
    cid = rt.started(bundle)
    assert not (rt.root / "overcommit").exists()
    rt.delete(cid, force=True)


def test_passthrough_records_but_never_refuses(oc, make_bundle):
    oc.write(fit=1, mode="passthrough")
    b = guaranteed(make_bundle())
    ids = [oc.rt.new_id("p") for _ in range(3)]
    for cid in ids:
        oc.create(cid, b).ok()
    st = oc.status()
    assert st["mode"] == "passthrough"
    assert sorted(c["id"] for c in st["containers"]) == sorted(ids)
    mem = [q for q in st["inequalities"] if q["name"] == "memory requests"][0]
    assert mem["committed"] == 3 * UNIT_KIB * 1024 and mem["bound"] == UNIT_KIB * 1024 and not mem["holds"]
    assert "memory requests overcommitted beyond the policy" in st["verdicts"]
    # Passthrough does not place: the containers are in their usual cgroups, not under the slices.
    assert not oc.cg().exists()
    for cid in ids:
        oc.delete(cid)
    assert oc.ledger() == {}


def test_status_reports_classes_and_unenforced(oc, make_bundle):
    oc.write(fit=8, extra="allow_unbounded = false\n")
    g = guaranteed(make_bundle(), units=2, cpu="500m", **{"io.cell.tenant": "acme"})
    bu = make_bundle()
    bu.config["annotations"] = {"io.cell.cpu.request": "250m", "io.cell.cpu.limit": "1",
                                "io.cell.memory.request": "64Mi", "io.cell.memory.limit": "128Mi"}
    bu.args("/bin/sleep", "600")
    be = make_bundle()
    be.args("/bin/sleep", "600")
    ids = {"g": oc.rt.new_id("g"), "b": oc.rt.new_id("b"), "e": oc.rt.new_id("e")}
    oc.create(ids["g"], g).ok()
    oc.create(ids["b"], bu).ok()
    oc.create(ids["e"], be).ok()
    assert oc.leaves("guaranteed") == [ids["g"]]
    assert oc.leaves("burstable") == [ids["b"]]
    assert oc.leaves("besteffort") == [ids["e"]]
    st = oc.status()
    assert st["capacity"]["memory"] == 8 * UNIT_KIB * 1024
    assert st["capacity"]["cpus"] == len(os.sched_getaffinity(0))
    cls = st["classes"]
    assert cls["guaranteed"]["count"] == 1 and cls["guaranteed"]["memory_request"] == 128 << 20
    assert cls["burstable"]["cpu_request"] == 250 and cls["burstable"]["memory_limit"] == 128 << 20
    assert cls["besteffort"]["count"] == 1 and cls["besteffort"]["memory_request"] == 0
    by_id = {c["id"]: c for c in st["containers"]}
    assert by_id[ids["g"]]["class"] == "Guaranteed" and by_id[ids["g"]]["tenant"] == "acme"
    assert by_id[ids["g"]]["cgroup"] == "/%s/guaranteed/%s" % (oc.slice, ids["g"])
    assert by_id[ids["e"]]["class"] == "BestEffort"
    # No controllers in this view: the leaf files are reported, never claimed.
    for c in st["containers"]:
        assert c["live"]["present"]
        assert c["unenforced"] and "memory.max" in c["unenforced"].split(",")
        assert any(v.startswith("not enforced: ") for v in c["verdicts"])
    text = oc("overcommit", "status", tag="status").ok().stdout
    assert "overcommit: managed (policy %s, cgroup root %s)" % (oc.path, oc.slice) in text
    assert re.search(r"memory requests\s+192\.0MiB\s+512\.0MiB\s+1\.00\s+yes", text), text
    for cid in ids.values():
        oc.delete(cid)


def race(oc, bundle, n, kill=0, seed=None, window=(0.0, 0.0)):
    """n concurrent creates. With kill: at random moments in `window` (seconds after the last spawn), SIGKILL
    up to `kill` creators picked among those still running then (so they die mid-create). Returns
    ({id: rc}, {ids killed mid-create}, {id: Result})."""
    rnd = random.Random(seed)
    ids = [oc.rt.new_id("r%02d" % i) for i in range(n)]
    procs = {cid: oc.popen_create(cid, bundle) for cid in ids}
    t0 = time.monotonic()
    for when in sorted(rnd.uniform(*window) for _ in range(kill)):
        time.sleep(max(0.0, t0 + when - time.monotonic()))
        running = sorted(cid for cid, p in procs.items() if p.poll() is None and p.returncode is None)
        if running:
            procs[rnd.choice(running)].send_signal(signal.SIGKILL)
    results = {cid: p.result(timeout=60) for cid, p in procs.items()}
    rcs = {cid: r.returncode for cid, r in results.items()}
    return rcs, {cid for cid, rc in rcs.items() if rc == -signal.SIGKILL}, results


def existing(oc, ids):
    return sorted(cid for cid in ids if (oc.rt.root / cid / "state.json").exists())


def test_concurrent_creates_admit_exactly_as_many_as_fit(oc, make_bundle):
    """C1 on this host: 24 concurrent creates of 1-unit Guaranteed containers against 8 units admit exactly 8."""
    oc.write(fit=8)
    b = guaranteed(make_bundle())
    rcs, _, results = race(oc, b, 24)
    ok = sorted(cid for cid, rc in rcs.items() if rc == 0)
    refused = [cid for cid, rc in rcs.items() if rc == EX_TEMPFAIL]
    assert len(ok) == 8, {cid: results[cid].stderr for cid in rcs}
    assert len(refused) == 16, {cid: results[cid].stderr for cid in rcs if rcs[cid] not in (0, EX_TEMPFAIL)}
    for cid in refused:
        assert "memory requests would be %s > %s" % (mib(9), mib(8)) in results[cid].stderr
    # The ledger matches the containers and the cgroups.
    oc.status()
    assert sorted(oc.ledger()) == ok == existing(oc, rcs)
    assert oc.leaves("guaranteed") == ok
    for cid in ok:
        oc.rt.remember_pid(cid)
        oc.delete(cid)
    assert oc.ledger() == {} and oc.leaves("guaranteed") == []


@pytest.mark.parametrize("seed", [1, 2])
def test_concurrent_creates_with_killed_creators(oc, make_bundle, seed):
    """C1 with up to 5 of 24 creators SIGKILLed mid-create. Every create runs a 0.4 s createRuntime hook (slow work
    after the reservation, outside the lock) and the killed ones die inside it, holding a reservation. Never
    more than fit are admitted; the next holder of the lock drops the dead creators' reservations, so a
    second wave fills exactly the freed slots; the ledger names exactly the containers that exist."""
    oc.write(fit=8)
    b = guaranteed(make_bundle())
    b.config["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "0.4"]}]}
    b.write()
    rcs, killed, results = race(oc, b, 24, kill=5, seed=seed, window=(0.1, 0.3))
    assert killed, "no creator was killed mid-create: %s" % rcs
    survivors = {cid: rc for cid, rc in rcs.items() if cid not in killed}
    assert set(survivors.values()) <= {0, EX_TEMPFAIL}, {c: results[c].stderr for c in survivors}
    ok = sorted(cid for cid, rc in survivors.items() if rc == 0)
    oc.status()  # takes the lock: recovery drops the dead creators' entries, gc their empty leaves
    # A creator killed after writing state.json made a container (its entry stays, now active).
    made = existing(oc, rcs)
    assert set(ok) <= set(made) and set(made) - set(ok) <= killed
    # All 24 reserved within the first moments: 8 reservations, some held by creators that then died.
    assert 8 - len(killed) <= len(made) <= 8
    assert sorted(oc.ledger()) == made
    assert {e["state"] for e in oc.ledger().values()} == {"active"}
    # Killed creators whose init still waits in its leaf keep it (populated); the others are gone.
    leaves = set(oc.leaves("guaranteed"))
    assert set(made) <= leaves and leaves - set(made) <= killed
    # Second wave: exactly the freed slots are admitted, then the host is full again.
    free = 8 - len(made)
    wave, _, wres = race(oc, b, free + 2)
    assert sorted(wave.values()) == [0] * free + [EX_TEMPFAIL] * 2, {c: r.stderr for c, r in wres.items()}
    made = existing(oc, list(rcs) + list(wave))
    assert len(made) == 8 and sorted(oc.ledger()) == made
    for cid in made:
        oc.rt.remember_pid(cid)
        oc.delete(cid)
    # A killed creator leaves a state dir without state.json (no container, `cell delete` does not know it):
    # remove those, and any leaf whose init outlived its creator.
    for cid in killed - set(made):
        shutil.rmtree(oc.rt.root / cid, ignore_errors=True)
    for leaf in oc.leaves("guaranteed"):
        kill_cgroup(oc.cg("guaranteed", leaf))
    assert oc.ledger() == {}


def test_update_admits_the_change(oc, bundle):
    """`cell update` is admitted on the change: growth past capacity is refused with 75 and changes nothing
    (ledger, saved config); growth that fits is recorded. Limits come from linux.resources here, skipped on
    this host by --ignore-missing-controllers (no controllers), so only the admission is under test."""
    unit = UNIT_KIB * 1024
    bundle.config["linux"]["resources"] = {"memory": {"limit": unit},
                                           "cpu": {"shares": 512, "quota": 50000, "period": 100000}}
    bundle.args("/bin/sleep", "600")
    cid = oc.rt.new_id()
    oc.rt.ids.append(cid)
    oc("--ignore-missing-controllers", "create", "--bundle", bundle.path, cid, tag="create").ok()
    oc.rt.remember_pid(cid)
    before = oc.ledger()[cid]

    r = oc("--ignore-missing-controllers", "update", "--memory", str(5 * unit), cid, tag="update-big")
    assert r.returncode == EX_TEMPFAIL, r.describe()
    assert "memory" in r.stderr and "refusing" in r.stderr, r.stderr
    assert oc.ledger()[cid] == before
    assert json.loads((oc.rt.root / cid / "state.json").read_text())  # still readable
    assert str(5 * unit) not in (oc.rt.root / cid / "state.json").read_text()

    oc("--ignore-missing-controllers", "update", "--memory", str(2 * unit), cid, tag="update-ok").ok()
    after = oc.ledger()[cid]
    assert after != before, (before, after)
    oc.delete(cid)
    assert cid not in oc.ledger()
