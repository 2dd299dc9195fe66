"""create / start / state / run / list / kill / delete: the runc command-line contract."""
import json
import os
import pwd
import time

import pytest

from helpers import proc_state


def test_create_start_stop(rt, bundle):
    bundle.check("sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle)
    st = rt.state(cid)
    assert st["status"] == "created"
    assert st["pid"] > 0 and proc_state(st["pid"]) not in (None, "Z")
    assert rt.output(cid) == "", "the process must not run before start"
    rt.start(cid)
    assert rt.status(cid) == "running"
    rt.wait_output(cid, "sigwait ready")
    rt.kill(cid, "USR1")
    rt.wait_status(cid, "stopped")
    assert "signal 10" in rt.output(cid)
    rt.delete(cid)
    assert rt.state(cid, check=False).returncode != 0


def test_state_fields(rt, bundle):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    st = rt.state(cid)
    assert st["id"] == cid
    assert st["status"] == "running"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert os.path.samefile(st["bundle"], bundle.path)
    assert os.path.isabs(st["bundle"])
    assert st["ociVersion"].startswith("1.")
    rt.kill(cid, "KILL")
    st = rt.wait_status(cid, "stopped")
    assert st["id"] == cid
    assert st.get("pid", 0) == 0, "runc reports pid 0 once stopped"
    rt.delete(cid)


def test_run_exit_status(rt, bundle):
    bundle.check("exit", "7")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode == 7, r.describe()


def test_run_output(rt, bundle):
    bundle.check("pid", "hostname")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.facts["pid"] == "1"
    assert r.facts["hostname"] == "cell-test"


def test_run_exit_signal(rt, bundle):
    """A container killed by signal N: run exits with 128+N."""
    bundle.check("sigwait")
    cid = rt.new_id()
    p = rt.popen("run", "--bundle", bundle.path, cid)
    _wait_running(rt, cid, p)
    rt.kill(cid, "KILL")
    r = p.result()
    assert r.returncode == 128 + 9, r.describe()


def test_run_deletes_container(rt, bundle):
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.run(cid, bundle, check=True)
    assert rt.state(cid, check=False).returncode != 0
    assert cid not in rt.list("-q").stdout.split()


def test_run_detach(rt, bundle):
    bundle.check("pid", "sigwait")
    cid = rt.new_id()
    r = rt.run(cid, bundle, "--detach", check=True)
    assert rt.status(cid) == "running"
    rt.wait_output(cid, "sigwait ready")
    assert "pid 1" in rt.output(cid)
    rt.kill(cid, "TERM")
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
    assert r.returncode == 0


def test_list(rt, bundle):
    bundle.config["annotations"] = {"org.example.tier": "web"}
    bundle.check("sigwait")
    running = rt.started(bundle)
    created = rt.new_id()
    rt.create(created, bundle)

    table = rt.list().stdout.splitlines()
    assert len(table) == 3, table
    assert "PID" in table[0] and "STATUS" in table[0]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert set(rows) == {running, created}
    assert "running" in rows[running] and "created" in rows[created]

    entries = {e["id"]: e for e in json.loads(rt.list("--format", "json").stdout)}
    assert set(entries) == {running, created}
    assert entries[running]["status"] == "running"
    assert entries[created]["status"] == "created"
    assert entries[running]["pid"] == rt.state(running)["pid"]
    assert os.path.samefile(entries[running]["bundle"], bundle.path)
    # The owner of the state dir, looked up when listing (as runc does).
    assert entries[running]["owner"] == entries[created]["owner"] == pwd.getpwuid(os.geteuid()).pw_name
    if rt.name != "crun":  # crun 1.8 lists only id, pid, status, bundle, created and owner
        assert entries[running]["ociVersion"]
        assert os.path.samefile(entries[running]["rootfs"], bundle.path / "rootfs")
        assert entries[created]["annotations"] == {"org.example.tier": "web"}

    assert sorted(rt.list("-q").stdout.split()) == sorted([running, created])
    for cid in (running, created):
        rt.delete(cid, force=True)
    assert rt.list("-q").stdout.split() == []


@pytest.mark.parametrize("sig,expect", [((), 15), (("KILL",), None), (("SIGUSR1",), 10), (("USR2",), 12),
                                        (("1",), 1), (("15",), 15)],
                         ids=["default", "KILL", "SIGUSR1", "USR2", "1", "15"])
def test_kill_signals(rt, bundle, sig, expect):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.wait_output(cid, "sigwait ready")
    rt.kill(cid, *sig)
    rt.wait_status(cid, "stopped")
    if expect is not None:
        assert "signal %d" % expect in rt.output(cid)
    rt.delete(cid)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 exits 0 on an unknown signal name")
def test_kill_unknown_signal(rt, bundle):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.kill(cid, "SIGNOPE", check=False).failed()
    assert rt.status(cid) == "running"
    rt.delete(cid, force=True)


def test_delete_created(rt, bundle):
    """A created container that never started can be deleted; its init goes away."""
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.create(cid, bundle)
    rt.delete(cid)
    assert rt.state(cid, check=False).returncode != 0


def test_delete_running_refused(rt, bundle):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.delete(cid, check=False).failed()
    assert rt.status(cid) == "running"
    rt.delete(cid, force=True)
    assert rt.state(cid, check=False).returncode != 0


def test_delete_force_running(rt, bundle):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    pid = rt.state(cid)["pid"]
    rt.delete(cid, force=True)
    assert rt.state(cid, check=False).returncode != 0
    assert proc_state(pid) in (None, "Z", "X")


def test_delete_unknown(rt):
    rt.delete("nope-" + rt.token, check=False).failed()


def test_delete_force_unknown(rt, bundle):
    """Shims call `delete --force` in their clean-up paths: an id that does not exist (never created, or
    already deleted) exits 0, as runc and crun do; an invalid id is still an error."""
    rt.delete("nope-" + rt.token, force=True)
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.delete(cid, force=True)
    rt.delete(cid, force=True)
    rt.delete(cid, check=False).failed()
    if rt.name != "crun":  # crun 1.8.1 exits 0 for an invalid id too; runc refuses it
        rt.delete("a/b", force=True, check=False).failed()


def test_start_twice(rt, bundle):
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.start(cid, check=False).failed()
    rt.delete(cid, force=True)


def test_start_unknown(rt):
    rt.start("nope-" + rt.token, check=False).failed()


def test_state_unknown(rt):
    rt.state("nope-" + rt.token, check=False).failed()


def test_duplicate_id(rt, bundle):
    bundle.check("sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle)
    pid = rt.state(cid)["pid"]
    r = rt("create", "--bundle", bundle.path, cid)
    r.failed()
    st = rt.state(cid)
    assert st["status"] == "created" and st["pid"] == pid
    rt.delete(cid, force=True)


@pytest.mark.parametrize("bad", ["a/b", "..", "", "../escape",
                                 pytest.param("a b", marks=pytest.mark.skip_runtime("crun", "crun accepts spaces"))],
                         ids=["slash", "dotdot", "empty", "dotdot-slash", "space"])
def test_bad_id(rt, bundle, bad):
    r = rt("create", "--bundle", bundle.path, bad)
    r.failed()
    assert not os.path.exists(rt.workdir / "escape")
    assert rt.list("-q").stdout.split() == []


def test_run_pid_file(rt, bundle):
    bundle.check("sigwait")
    cid = rt.new_id()
    pid_file = rt.workdir / "pid"
    rt.create(cid, bundle, "--pid-file", pid_file)
    assert int(pid_file.read_text()) == rt.state(cid)["pid"]
    rt.delete(cid, force=True)


def test_many_sequential(rt, bundle):
    bundle.check("exit", "3")
    for _ in range(5):
        assert rt.run(rt.new_id(), bundle).returncode == 3


def _wait_running(rt, cid, p, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert p.poll() is None, p.result().describe()
        r = rt.state(cid, check=False)
        if r.returncode == 0 and json.loads(r.stdout)["status"] == "running":
            return
        time.sleep(0.02)
    raise AssertionError("%s never ran" % cid)
