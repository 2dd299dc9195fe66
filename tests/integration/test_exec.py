"""exec: a second process in a running container."""
import json
import os
import signal
import time

import pytest

from helpers import Facts, proc_state


@pytest.fixture
def running(rt, bundle):
    """A running container whose init printed its ns, caps and id facts, then waits for a signal."""
    bundle.check("ns", "caps", "id", "sigwait")
    cid = rt.started(bundle)
    init = Facts(rt.wait_output(cid, "sigwait ready"))
    yield cid, init
    if rt.state(cid, check=False).returncode == 0:
        rt.delete(cid, force=True)


def test_exec_joins_namespaces(rt, running):
    cid, init = running
    r = rt.exec(cid, "/cellcheck", "ns", "pid", check=True)
    assert r.facts.ns() == init.ns()
    assert r.facts["pid"] != "1"


def test_exec_inherits_process(rt, running):
    """Without options, exec runs as the config's user with its capabilities."""
    cid, init = running
    f = rt.exec(cid, "/cellcheck", "caps", "id", "env", check=True).facts
    for k in ("CapBnd", "CapEff", "CapPrm", "uid", "gid"):
        assert f[k] == init[k], k
    assert f.env()["PATH"].startswith("/usr/local/sbin")


def test_exec_env(rt, running):
    cid, _ = running
    f = rt.exec(cid, "/cellcheck", "env", opts=["--env", "FOO=bar", "--env", "TERM=dumb"], check=True).facts
    env = f.env()
    assert env["FOO"] == "bar" and env["TERM"] == "dumb"
    if rt.name != "crun":  # crun 1.8.1 drops the config's env when --env is given; runc keeps it
        assert env["PATH"].startswith("/usr/local/sbin")


def test_exec_cwd(rt, running):
    cid, _ = running
    assert rt.exec(cid, "/cellcheck", "cwd", opts=["--cwd", "/tmp"], check=True).facts["cwd"] == "/tmp"


def test_exec_user(rt, running):
    cid, _ = running
    f = rt.exec(cid, "/cellcheck", "id", opts=["--user", "1000:1001"], check=True).facts
    assert f["uid"] == "1000" and f["gid"] == "1001"


@pytest.mark.skip_runtime("crun", "crun 1.8.1 has no exec --additional-gids")
def test_exec_additional_gids(rt, running):
    cid, _ = running
    f = rt.exec(cid, "/cellcheck", "id", check=True,
                opts=["--user", "1000:1000", "--additional-gids", "10", "--additional-gids", "20"]).facts
    assert {"10", "20"} <= set(f["groups"].split())


def test_exec_process_json(rt, running):
    cid, _ = running
    proc = {"terminal": False, "user": {"uid": 5, "gid": 6}, "args": ["/cellcheck", "id", "cwd", "env"],
            "env": ["PATH=/bin", "FROM_JSON=1"], "cwd": "/tmp"}
    path = rt.workdir / "process.json"
    path.write_text(json.dumps(proc))
    f = rt.exec(cid, opts=["--process", path], check=True).facts
    assert f["uid"] == "5" and f["gid"] == "6"
    assert f["cwd"] == "/tmp"
    assert f.env()["FROM_JSON"] == "1"


def test_exec_exit_status(rt, running):
    cid, _ = running
    assert rt.exec(cid, "/cellcheck", "exit", "9").returncode == 9
    assert rt.exec(cid, "sh", "-c", "exit 0").returncode == 0


def test_exec_signal_status(rt, running):
    cid, _ = running
    r = rt.exec(cid, "/cellcheck", "kill-self", "TERM")
    assert r.returncode == 128 + 15, r.describe()


def test_exec_missing_executable(rt, running):
    cid, _ = running
    r = rt.exec(cid, "/no/such/thing")
    assert r.returncode != 0
    assert rt.status(cid) == "running"


def test_exec_detach_pid_file(rt, running):
    cid, _ = running
    pid_file = rt.workdir / "exec.pid"
    r = rt.exec(cid, "/cellcheck", "sigwait", opts=["--detach", "--pid-file", pid_file], check=True)
    pid = int(pid_file.read_text())
    rt.remember(pid)
    init_pid = rt.state(cid)["pid"]
    assert os.stat("/proc/%d/ns/pid" % pid).st_ino == os.stat("/proc/%d/ns/pid" % init_pid).st_ino
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while proc_state(pid) not in (None, "Z", "X") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc_state(pid) in (None, "Z", "X")
    assert r.returncode == 0


@pytest.mark.skip_runtime("crun", "crun 1.8.1 leaves the exec'd process in its caller's group (getpgrp() 0)")
def test_exec_process_group(rt, running):
    """The exec'd process leads its own session and process group, inside the container's pid namespace
    (getpgrp() is never 0, which shells and job control need), as runc's exec does."""
    cid, _ = running
    f = rt.exec(cid, "/cellcheck", "pid", check=True).facts
    assert f["pgrp"] == f["pid"] and f["sid"] == f["pid"], f.text
    pid_file = rt.workdir / "exec.pid"
    rt.exec(cid, "/cellcheck", "pid", "sigwait", opts=["--detach", "--pid-file", pid_file], check=True)
    pid = int(pid_file.read_text())
    rt.remember(pid)
    assert os.getpgid(pid) == pid and os.getsid(pid) == pid
    os.kill(pid, signal.SIGKILL)


def test_exec_stopped_container(rt, bundle):
    bundle.check("exit", "0")
    cid = rt.started(bundle)
    rt.wait_status(cid, "stopped")
    rt.exec(cid, "/cellcheck", "id").failed()
    rt.delete(cid)


def test_exec_unknown_container(rt):
    rt.exec("nope-" + rt.token, "/cellcheck", "id").failed()


def test_exec_does_not_leak_fds(rt, running):
    cid, _ = running
    f = rt.exec(cid, "/cellcheck", "fds", check=True).facts
    assert f.all("fd") == []
