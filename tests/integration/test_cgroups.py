"""cgroup v2: resources (file values and behaviour), pause/resume, update, ps, events, kill --all.

Tests marked cgroup_v2 need real controllers in /sys/fs/cgroup (a pure cgroup v2 host, or the VM of tests/vm:
`make check` runs them there); elsewhere they skip. The others need only a cgroup v2 view (cgroup.freeze,
cgroup.procs, cgroup.kill work without controllers) and run in the normal suite.
"""
import contextlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from helpers import CGROUP_ROOT, proc_state

MiB = 1024 * 1024


def controllers():
    try:
        return set((CGROUP_ROOT / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def needs(*names):
    """Skip unless the hierarchy's root has these controllers."""
    missing = [n for n in names if n not in controllers()]
    return pytest.mark.skipif(bool(missing), reason="no %s controller in %s/cgroup.controllers (run in the VM)"
                              % (" ".join(missing), CGROUP_ROOT))


cgroup_v2 = pytest.mark.cgroup_v2


def cgroup_of(pid):
    """The cgroup directory of pid, from /proc/PID/cgroup."""
    for line in Path("/proc/%d/cgroup" % pid).read_text().splitlines():
        if line.startswith("0::"):
            return CGROUP_ROOT / line[3:].lstrip("/")
    raise AssertionError("pid %d has no cgroup v2 line" % pid)


def read(cg, name):
    return (cg / name).read_text().strip()


def keyed(cg, name):
    return {k: int(v) for k, v in (line.split() for line in read(cg, name).splitlines())}


def wait_for(cond, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def running(rt, bundle, script, resources=None, prefix="c"):
    """create + start a container running script (sh -c) with linux.resources; returns (id, init pid, cgroup)."""
    if resources is not None:
        bundle.linux["resources"] = resources
    bundle.sh(script)
    cid = rt.started(bundle, prefix=prefix)
    pid = rt.state(cid)["pid"]
    return cid, pid, cgroup_of(pid)


def pids_of(rt, cid):
    return sorted(json.loads(rt("ps", "--format", "json", cid, tag="ps").ok().stdout) or [])


# ---------------------------------------------------------------- no controllers needed

def test_pause_resume(rt, bundle):
    """pause stops a counter, state says paused; resume restarts it."""
    cid, pid, cg = running(rt, bundle, "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done")
    rt.wait_output(cid, "3\n")
    rt("pause", cid, tag="pause").ok()
    assert rt.status(cid) == "paused"
    assert "frozen 1" in read(cg, "cgroup.events")
    time.sleep(0.3)
    frozen_at = rt.output(cid)
    time.sleep(1.0)
    assert rt.output(cid) == frozen_at, "the counter went on while paused"
    rt("resume", cid, tag="resume").ok()
    assert rt.status(cid) == "running"
    wait_for(lambda: len(rt.output(cid)) > len(frozen_at), what="the counter to go on after resume")
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 resumes a running container without an error")
def test_pause_refusals(rt, bundle):
    """Resuming a running container and pausing a paused one fail; a paused container needs delete --force."""
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    rt("resume", cid, tag="resume").failed()
    rt("pause", cid, tag="pause").ok()
    rt("pause", cid, tag="pause").failed()
    rt.delete(cid, check=False).failed()
    assert rt.status(cid) == "paused"
    rt.delete(cid, force=True)


@pytest.mark.cell_only
def test_exec_in_paused_refused(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    rt("pause", cid, tag="pause").ok()
    r = rt.exec(cid, "true")
    r.failed()
    assert "paused" in r.stderr, r.describe()
    rt.delete(cid, force=True)


def test_ps_json_and_table(rt, bundle):
    """ps lists the container's processes: json the pids, table ps(1)'s lines of those pids only."""
    cid, pid, cg = running(rt, bundle, "sleep 1000 & sleep 1001 & echo up; wait")
    rt.wait_output(cid, "up")
    wait_for(lambda: len(pids_of(rt, cid)) == 3, what="3 processes")
    pids = pids_of(rt, cid)
    assert pid in pids
    assert set(pids) == {int(p) for p in read(cg, "cgroup.procs").split()}
    table = rt("ps", cid, tag="ps").ok().stdout.splitlines()
    assert "PID" in table[0].split()
    col = table[0].split().index("PID")
    assert sorted(int(line.split()[col]) for line in table[1:]) == pids
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 passes no arguments to ps")
def test_ps_arguments(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000 & sleep 1001 & echo up; wait")
    rt.wait_output(cid, "up")
    wait_for(lambda: len(pids_of(rt, cid)) == 3, what="3 processes")

    def comms():
        # a forked child shows "sh" until it has exec'd sleep: ask again until both have
        out = rt("ps", cid, "-o", "pid,comm", tag="ps").ok().stdout.splitlines()
        assert out[0].split() == ["PID", "COMMAND"]
        return sorted(line.split()[1] for line in out[1:])
    wait_for(lambda: comms() == ["sh", "sleep", "sleep"], what="ps -o pid,comm: sh, sleep, sleep")
    rt.delete(cid, force=True)


def test_kill_all(rt, bundle):
    """kill --all KILL kills every process of the container, not only the init."""
    bundle.drop_namespace("pid")  # without a pid namespace, killing the init leaves the others alive
    cid, pid, cg = running(rt, bundle, "sleep 1000 & sleep 1001 & echo up; wait")
    rt.wait_output(cid, "up")
    wait_for(lambda: len(pids_of(rt, cid)) == 3, what="3 processes")
    for p in pids_of(rt, cid):
        rt.remember(p)
    rt("kill", "--all", cid, "KILL", tag="kill").ok()
    wait_for(lambda: not read(cg, "cgroup.procs"), what="the cgroup to empty")
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_kill_all_term(rt, bundle):
    """kill --all with another signal signals each process."""
    bundle.drop_namespace("pid")
    cid, pid, cg = running(rt, bundle, "trap 'echo got-term' TERM; sleep 1000 & echo up; wait; sleep 1000")
    rt.wait_output(cid, "up")
    wait_for(lambda: len(pids_of(rt, cid)) == 2, what="2 processes")
    rt("kill", "--all", cid, "TERM", tag="kill").ok()
    rt.wait_output(cid, "got-term")
    wait_for(lambda: len(pids_of(rt, cid)) == 2 and pid in pids_of(rt, cid), what="the new sleep")
    rt("kill", "--all", cid, "KILL", tag="kill").ok()
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_exec_joins_cgroup(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    r = rt.exec(cid, "cat", "/proc/self/cgroup", check=True)
    assert "0::/%s\n" % cg.relative_to(CGROUP_ROOT) in r.stdout, r.describe()
    rt.delete(cid, force=True)


def child_cgroups(cg, *names):
    for n in names:
        (cg / n).mkdir()
    return [cg / n for n in names]


@pytest.mark.skip_runtime("crun", "crun 1.8.1's ps lists only the pids of the container's own cgroup")
def test_child_cgroups_ps_and_delete(rt, bundle):
    """Child cgroups the container made inside its own (here made from the host, as a container with a
    writable cgroupfs would): ps lists their processes, delete --force kills them and removes the children
    depth first, without a warning."""
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    a, ab, c = child_cgroups(cg, "a", "a/b", "c")
    pid_file = rt.workdir / "exec.pid"
    rt.exec(cid, "sleep", "1001", opts=["--detach", "--pid-file", pid_file], check=True)
    sleeper = int(pid_file.read_text())
    rt.remember(sleeper)
    (ab / "cgroup.procs").write_text(str(sleeper))
    assert read(ab, "cgroup.procs") == str(sleeper)
    assert pids_of(rt, cid) == sorted([pid, sleeper])
    r = rt.delete(cid, force=True)
    assert "warn" not in r.stderr.lower(), r.describe()
    assert not cg.exists()
    assert proc_state(sleeper) in (None, "Z", "X")


def test_child_cgroups_delete_stopped(rt, bundle):
    """delete of a stopped container removes the (empty) child cgroups it left, depth first."""
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    child_cgroups(cg, "x", "x/y", "x/y/z", "w")
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    r = rt.delete(cid)
    assert "warn" not in r.stderr.lower(), r.describe()
    assert not cg.exists()


@pytest.mark.skip_runtime("crun", "crun 1.8.1 has no exec --cgroup")
def test_exec_sub_cgroup(rt, bundle):
    """exec --cgroup PATH runs the process in an existing sub-cgroup of the container's (runc 1.1's option;
    cgroup v2 has no per-controller paths)."""
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    child_cgroups(cg, "sub", "sub/deeper")
    rel = cg.relative_to(CGROUP_ROOT)
    for arg, where in (("sub", "sub"), ("/sub/deeper", "sub/deeper"), (":sub", "sub")):
        r = rt.exec(cid, "cat", "/proc/self/cgroup", opts=["--cgroup", arg], check=True)
        assert "0::/%s/%s\n" % (rel, where) in r.stdout, r.describe()
    for bad in ("nope", "../elsewhere", "sub/../..", "pids:sub", "a:b:c"):
        rt.exec(cid, "true", opts=["--cgroup", bad]).failed()
    assert read(cg / "sub", "cgroup.procs") == "" and read(cg, "cgroup.procs") == str(pid)
    rt.delete(cid, force=True)
    assert not cg.exists()


@pytest.mark.cell_only
def test_exec_sub_cgroup_errors(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    for bad, msg in (("nope", "exec: --cgroup 'nope': no such sub-cgroup"),
                     ("sub/../..", "exec: --cgroup 'sub/../..': not a sub-cgroup of the container's"),
                     ("pids:sub", "exec: --cgroup 'pids:sub': no per-controller cgroups on cgroup v2"),
                     ("a:b:c", "exec: invalid --cgroup argument 'a:b:c'")):
        r = rt.exec(cid, "true", opts=["--cgroup", bad])
        assert r.returncode != 0 and msg in r.stderr, r.describe()
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 has no events command")
def test_events_stats(rt, bundle):
    """events --stats prints one stats event in runc's format."""
    cid, pid, cg = running(rt, bundle, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000")
    wait_for(lambda: keyed(cg, "cpu.stat")["usage_usec"] > 0, what="cpu usage")
    ev = json.loads(rt("events", "--stats", cid, tag="events").ok().stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    assert ev["data"]["cpu"]["usage"]["total"] > 0
    rt.delete(cid, force=True)


@pytest.mark.cell_only
def test_events_stream_ends_with_container(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    p = rt.popen("events", "--interval", "200ms", cid)
    time.sleep(1.0)
    rt.kill(cid, "KILL")
    r = p.result(timeout=10)
    assert r.returncode == 0, r.describe()
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) >= 2 and all(e["type"] == "stats" and e["id"] == cid for e in lines), r.stdout
    rt.delete(cid)


# ---------------------------------------------------------------- bad input: clear error, nothing created

@pytest.mark.cell_only
@pytest.mark.parametrize("resources,message", [
    ({"memory": {"limit": -2}}, "linux.resources.memory.limit: must be -1"),
    ({"memory": {"limit": 1 * MiB, "swap": 4096}}, "linux.resources.memory.swap: 4096 is below memory.limit"),
    ({"cpu": {"shares": 10 ** 9}}, "linux.resources.cpu.shares: must be 2..262144"),
    ({"cpu": {"quota": 5}}, "linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000"),
    ({"cpu": {"period": 10 ** 9}}, "linux.resources.cpu.period: must be 1000..1000000"),
    ({"cpu": {"realtimeRuntime": 1000}}, "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2"),
    ({"pids": {"limit": -7}}, "linux.resources.pids.limit: must be -1"),
    ({"blockIO": {"weight": 5000}}, "linux.resources.blockIO.weight: must be 10..1000"),
    ({"unified": {"foo.bar": "1"}}, "linux.resources.unified.foo.bar: unknown key"),
    ({"unified": {"memory.max/../../cgroup.procs": "1"}}, "no '/' or '..'"),
    ({"unified": {"cgroup.procs": "1"}}, "linux.resources.unified.cgroup.procs: not a resource limit"),
    ({"memory": {"swappiness": 10}}, "linux.resources.memory.swappiness: not supported on cgroup v2"),
    ({"network": {"classID": 1}}, "linux.resources.network: not supported on cgroup v2"),
])
def test_bad_resources(rt, bundle, resources, message):
    bundle.linux["resources"] = resources
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert message in r.stderr, r.describe()


@pytest.mark.cell_only
def test_cgroups_path_dotdot(rt, bundle):
    bundle.linux["cgroupsPath"] = "/cell-%s/../escape" % rt.token
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert "linux.cgroupsPath" in r.stderr and "'..'" in r.stderr, r.describe()


@contextlib.contextmanager
def cgroup_with_sleeper(name):
    """A cgroup of our own (CGROUP_ROOT/name) holding a sleep process; emptied and removed afterwards."""
    d = CGROUP_ROOT / name
    d.mkdir()
    p = subprocess.Popen(["sleep", "1000"])
    try:
        (d / "cgroup.procs").write_text(str(p.pid))
        yield d
    finally:
        p.kill()
        p.wait()
        wait_for(lambda: not (d / "cgroup.procs").read_text().strip(), what="cgroup %s to empty" % name)
        d.rmdir()


@pytest.fixture
def busy_cgroup(rt):
    """Its cgroupsPath."""
    with cgroup_with_sleeper("cell-busy-%s" % rt.token) as d:
        yield "/" + d.name


@pytest.mark.cell_only
def test_cgroup_holding_processes(rt, bundle, busy_cgroup):
    bundle.linux["cgroupsPath"] = busy_cgroup
    bundle.write()
    cid = rt.new_id()
    r = rt.create(cid, bundle, check=False)
    r.failed()
    assert "already holds processes" in r.stderr, r.describe()
    assert len((CGROUP_ROOT / busy_cgroup.lstrip("/") / "cgroup.procs").read_text().split()) == 1


@pytest.mark.cell_only
@pytest.mark.skipif("memory" in controllers(), reason="the memory controller is available here")
def test_missing_controller(rt, bundle):
    """A limit whose controller the hierarchy lacks fails, naming the controller; the flag lets it run."""
    bundle.linux["resources"] = {"memory": {"limit": 64 * MiB}}
    bundle.sh("echo ran")
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert "linux.resources.memory.limit: the memory controller is not available" in r.stderr, r.describe()
    r = rt("--ignore-missing-controllers", "run", "--bundle", bundle.path, rt.new_id(), tag="run")
    assert r.returncode == 0 and r.stdout == "ran\n", r.describe()
    assert "ignored: memory" in r.stderr, r.describe()
    env = dict(os.environ, CELL_IGNORE_MISSING_CONTROLLERS="1")
    r = rt("run", "--bundle", bundle.path, rt.new_id(), tag="run", env=env)
    assert r.returncode == 0 and r.stdout == "ran\n", r.describe()


@pytest.mark.cell_only
def test_update_bad_input(rt, bundle):
    cid, pid, cg = running(rt, bundle, "sleep 1000")
    for args, message in [
        (["--memory", "lots"], "invalid value 'lots' for --memory"),
        (["--pids-limit", "-9"], "linux.resources.pids.limit: must be -1"),
        (["--cpu-shares", "1"], "linux.resources.cpu.shares: must be 2..262144"),
        ([], "nothing to update"),
    ]:
        r = rt("update", *args, cid, tag="update")
        r.failed()
        assert message in r.stderr, r.describe()
    (rt.workdir / "res.json").write_text('{"unified": {"memory.nope": "1"}}')
    r = rt("update", "--resources", rt.workdir / "res.json", cid, tag="update")
    r.failed()
    assert "linux.resources.unified.memory.nope" in r.stderr, r.describe()
    rt.delete(cid, force=True)


@pytest.mark.cell_only
def test_clone_into_cgroup_fallback(rt, bundle):
    """Without CLONE_INTO_CGROUP (forced by a debug variable) the init still starts in its cgroup, and so do
    its output shows it."""
    bundle.sh("cat /proc/self/cgroup; sleep 1000")
    env = dict(os.environ, CELL_DEBUG_NO_CLONE_INTO_CGROUP="1")
    cid = rt.new_id()
    rt.create(cid, bundle, env=env)
    rt.start(cid)
    pid = rt.state(cid)["pid"]
    cg = cgroup_of(pid)
    assert cg.name == cid
    rt.wait_output(cid, "0::")
    assert "0::/%s\n" % cg.relative_to(CGROUP_ROOT) in rt.output(cid)
    assert read(cg, "cgroup.procs").split() == [str(pid)]
    rt.delete(cid, force=True)


@pytest.mark.cell_only
def test_clone_fallback_cgroup_namespace(rt, bundle):
    """The fallback also roots a new cgroup namespace at the container's cgroup."""
    bundle.set_namespace("cgroup")
    bundle.sh("cat /proc/self/cgroup")
    env = dict(os.environ, CELL_DEBUG_NO_CLONE_INTO_CGROUP="1")
    r = rt.run(rt.new_id(), bundle, env=env, check=True)
    assert "0::/\n" in r.stdout, r.describe()


@pytest.mark.cell_only
def test_failed_create_removes_made_parents(rt, bundle):
    """A create that fails removes the cgroup and the ancestors it made for it."""
    top = CGROUP_ROOT / ("cell-nest-%s" % rt.token)
    bundle.linux["cgroupsPath"] = "/%s/a/b" % top.name
    bundle.linux["resources"] = {"unified": {"cgroup.max.nope": "1"}}
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert "linux.resources.unified.cgroup.max.nope: no file" in r.stderr, r.describe()
    assert not top.exists()


# ---------------------------------------------------------------- with controllers (VM)

@pytest.fixture
def busy_parent(rt):
    """A cgroup of ours holding a process, for a container below it."""
    with cgroup_with_sleeper("cell-parent-%s" % rt.token) as d:
        yield d


@cgroup_v2
@pytest.mark.cell_only
@needs("memory", "pids")
@pytest.mark.parametrize("resources,message", [
    # a domain controller cannot be enabled below processes at all
    ({"memory": {"limit": 64 * MiB}}, "cannot enable the memory controller"),
    # pids is threaded: enabling works, but the child is then no valid domain to start a process in
    ({"pids": {"limit": 10}}, "cannot start a process in cgroup"),
])
def test_no_internal_processes(rt, bundle, busy_parent, resources, message):
    """Limits under a cgroup that holds processes cannot work (cgroup v2): a clear error, nothing created."""
    bundle.linux["cgroupsPath"] = "/%s/c" % busy_parent.name
    bundle.linux["resources"] = resources
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert message in r.stderr and "no internal processes" in r.stderr, r.describe()
    assert not (busy_parent / "c").exists()

@cgroup_v2
@needs("memory", "cpu", "cpuset", "pids")
def test_resource_files(rt, bundle):
    """Each resource lands in its file with runc's conversion."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {
        "memory": {"limit": 64 * MiB, "reservation": 16 * MiB, "swap": 96 * MiB},
        "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 40},
        "unified": {"memory.high": str(48 * MiB)},
    })
    assert read(cg, "memory.max") == str(64 * MiB)
    assert read(cg, "memory.low") == str(16 * MiB)
    if (cg / "memory.swap.max").exists():
        assert read(cg, "memory.swap.max") == str(32 * MiB)
    assert read(cg, "memory.high") == str(48 * MiB)
    assert read(cg, "cpu.max") == "20000 100000"
    assert read(cg, "cpuset.cpus") == "0"
    assert read(cg, "cpuset.mems") == "0"
    assert read(cg, "pids.max") == "40"
    rt.delete(cid, force=True)


@cgroup_v2
@pytest.mark.skip_runtime("runc", "runc 1.1.5 has the old linear conversion (1024 -> 39); runc >= 1.3.2 this one")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 has the old linear conversion (1024 -> 39); crun >= 1.23 this one")
@needs("cpu")
def test_cpu_shares_weight(rt, bundle):
    """cpu.shares -> cpu.weight with runc >= 1.3.2's and crun >= 1.23's conversion, at create and at update:
    the default shares 1024 are the default weight 100, the ends of the range map to the ends."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {"cpu": {"shares": 1024}})
    assert read(cg, "cpu.weight") == "100"
    for shares, weight in ((2, 1), (2048, 174), (262144, 10000)):
        rt("update", "--cpu-shares", shares, cid, tag="update").ok()
        assert read(cg, "cpu.weight") == str(weight), shares
    rt.delete(cid, force=True)


@cgroup_v2
@pytest.mark.cell_only
@needs("cpu", "io")
def test_resource_files_cell(rt, bundle):
    """Fields runc 1.1 and crun 1.8 do not all map: burst, idle, io weight."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {
        "cpu": {"quota": 50000, "period": 100000, "burst": 10000, "idle": 0},
        "blockIO": {"weight": 500},
    })
    assert read(cg, "cpu.max") == "50000 100000"
    if (cg / "cpu.max.burst").exists():
        assert read(cg, "cpu.max.burst") == "10000"
    assert read(cg, "cpu.idle") == "0"
    if (cg / "io.bfq.weight").exists():
        assert read(cg, "io.bfq.weight").split()[-1] == "500"
    else:
        assert read(cg, "io.weight") == "default 4950"
    rt.delete(cid, force=True)


@cgroup_v2
@needs("memory")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 has no events command")
def test_memory_oom(rt, bundle):
    """A memory hog is killed at memory.max and events reports the OOM kill."""
    script = "while [ ! -e /dev/shm/go ]; do sleep 0.1; done; tail /dev/zero; echo hog $?; sleep 1000"
    cid, pid, cg = running(rt, bundle, script, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}})
    ev = rt.popen("events", "--interval", "1s", cid)
    time.sleep(1.5)
    rt.exec(cid, "touch", "/dev/shm/go", check=True)
    rt.wait_output(cid, "hog 137", timeout=60)
    assert keyed(cg, "memory.events")["oom_kill"] >= 1
    assert int(read(cg, "memory.peak" if (cg / "memory.peak").exists() else "memory.max")) <= 32 * MiB
    time.sleep(1.5)
    rt.delete(cid, force=True)
    r = ev.result(timeout=20)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert {"type": "oom", "id": cid} in [{k: e[k] for k in ("type", "id")} for e in events], r.describe()


@cgroup_v2
@needs("pids")
def test_fork_bomb_stops_at_pids_max(rt, bundle):
    # busybox sh exits when a fork fails: the bomb runs in a subshell, the init survives it
    script = "(for i in $(seq 1 60); do sleep 1000 & done) 2>/dev/null; echo forked; sleep 1000"
    cid, pid, cg = running(rt, bundle, script, {"pids": {"limit": 20}})
    rt.wait_output(cid, "forked", timeout=60)
    assert keyed(cg, "pids.events")["max"] >= 1
    assert 15 <= int(read(cg, "pids.current")) <= 20
    assert len(pids_of(rt, cid)) <= 20
    rt.delete(cid, force=True)


@cgroup_v2
@needs("cpu")
def test_cpu_max_throttles(rt, bundle):
    cid, pid, cg = running(rt, bundle, "while :; do :; done", {"cpu": {"quota": 10000, "period": 100000}})
    wait_for(lambda: keyed(cg, "cpu.stat")["nr_throttled"] > 0, what="throttling")
    first = keyed(cg, "cpu.stat")
    time.sleep(1.0)
    then = keyed(cg, "cpu.stat")
    assert then["nr_throttled"] > first["nr_throttled"]
    # 10% of one CPU: at most ~0.1 s of CPU per second of wall time (generous bound for a slow VM)
    assert then["usage_usec"] - first["usage_usec"] < 400000, (first, then)
    rt.delete(cid, force=True)


@cgroup_v2
@needs("memory", "pids", "cpu")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 builds invalid JSON from update's flags")
def test_update_running(rt, bundle):
    """update changes a running container's limits; fields not given keep their value."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}})
    rt("update", "--memory", "32m", "--pids-limit", "10", "--cpu-quota", "20000", "--cpu-period", "100000", cid,
       tag="update").ok()
    assert read(cg, "memory.max") == str(32 * MiB)
    assert read(cg, "pids.max") == "10"
    assert read(cg, "cpu.max") == "20000 100000"
    (rt.workdir / "res.json").write_text(json.dumps({"pids": {"limit": 7}}))
    rt("update", "--resources", rt.workdir / "res.json", cid, tag="update").ok()
    assert read(cg, "pids.max") == "7"
    assert read(cg, "memory.max") == str(32 * MiB)
    assert rt.status(cid) == "running"
    rt.delete(cid, force=True)


@cgroup_v2
@needs("pids")
@pytest.mark.skip_runtime("runc", "runc 1.1.5's update ignores --pids-limit 0 (runc treats 0 as unset there)")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 builds invalid JSON from update's flags")
def test_pids_limit_zero(rt, bundle):
    """pids.limit 0 means no limit (runc's reading, README), the same at create and at update."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {"pids": {"limit": 0}})
    assert read(cg, "pids.max") == "max"
    rt("update", "--pids-limit", "10", cid, tag="update").ok()
    assert read(cg, "pids.max") == "10"
    rt("update", "--pids-limit", "0", cid, tag="update").ok()
    assert read(cg, "pids.max") == "max"
    (rt.workdir / "res.json").write_text(json.dumps({"pids": {"limit": 5}}))
    rt("update", "--resources", rt.workdir / "res.json", cid, tag="update").ok()
    assert read(cg, "pids.max") == "5"
    (rt.workdir / "res.json").write_text(json.dumps({"pids": {"limit": 0}}))
    rt("update", "--resources", rt.workdir / "res.json", cid, tag="update").ok()
    assert read(cg, "pids.max") == "max"
    rt.delete(cid, force=True)


@cgroup_v2
@pytest.mark.cell_only
@needs("memory")
def test_update_check_before_update(rt, bundle):
    """memory.checkBeforeUpdate: a limit below the current usage is refused and nothing changes."""
    script = "dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; echo filled; sleep 1000"
    cid, pid, cg = running(rt, bundle, script, {"memory": {"limit": 64 * MiB, "checkBeforeUpdate": True}})
    rt.wait_output(cid, "filled", timeout=60)
    r = rt("update", "--memory", "8m", cid, tag="update")
    r.failed()
    assert "below the current usage" in r.stderr, r.describe()
    assert read(cg, "memory.max") == str(64 * MiB)
    rt.delete(cid, force=True)


@cgroup_v2
@pytest.mark.cell_only
@needs("memory")
def test_update_starts_from_saved_limits(rt, bundle):
    """The update is saved with the container: a later --memory-swap alone is computed against the updated
    memory limit (runc 1.1 refuses it: "unable to set swap limit without memory limit")."""
    cid, pid, cg = running(rt, bundle, "sleep 1000", {"memory": {"limit": 64 * MiB}})
    rt("update", "--memory", "32m", cid, tag="update").ok()
    if (cg / "memory.swap.max").exists():
        rt("update", "--memory-swap", "48m", cid, tag="update").ok()
        assert read(cg, "memory.swap.max") == str(16 * MiB)
    assert read(cg, "memory.max") == str(32 * MiB)
    saved = json.loads((rt.root / cid / "state.json").read_text())
    assert json.loads(saved["config"])["linux"]["resources"]["memory"]["limit"] == 32 * MiB
    rt.delete(cid, force=True)
