"""hooks: each kind runs at its point of the lifecycle with the state on stdin; failures."""
import json
import os
import stat
import time

import pytest

HOOK = """#!/bin/sh
d=$(dirname "$0")
state=$(cat)
printf '%s\\n' "args=$*" "env=$HOOKVAR" "state=$state" > "$d/log-$1"
exit ${HOOK_EXIT:-0}
"""
RUNTIME_SIDE = ("prestart", "createRuntime", "poststart", "poststop")
CONTAINER_SIDE = ("createContainer", "startContainer")
ALL = RUNTIME_SIDE + CONTAINER_SIDE


class Hooks:
    """The same script at the same absolute path on the host and in the rootfs, since createContainer and
    startContainer resolve their path in the container's mount namespace, maybe before or after pivot_root.
    Each run writes log-KIND next to the script that ran."""

    def __init__(self, rt, bundle):
        self.dir = rt.workdir / "hooks"
        self.dir.mkdir()
        self.inner = bundle.rootfs / str(self.dir).lstrip("/")
        self.inner.mkdir(parents=True)
        for d in (self.dir, self.inner):
            (d / "hook.sh").write_text(HOOK)
            os.chmod(d / "hook.sh", stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        self.path = str(self.dir / "hook.sh")
        bundle.config["root"]["readonly"] = False

    def hook(self, kind, **extra):
        h = {"path": self.path, "args": ["hook.sh", kind], "env": ["HOOKVAR=%s-env" % kind]}
        h.update(extra)
        return h

    def log(self, kind):
        for d in (self.dir, self.inner):
            p = d / ("log-" + kind)
            if p.exists():
                out = {}
                for line in p.read_text().split("\n"):
                    k, _, v = line.partition("=")
                    out.setdefault(k, v)
                out["state"] = json.loads(out["state"]) if out.get("state") else None
                return out
        return None

    def ran(self):
        return {k for k in ALL if self.log(k)}


@pytest.fixture
def hooks(rt, bundle):
    return Hooks(rt, bundle)


def test_hooks_order_and_state(rt, bundle, hooks):
    bundle.config["hooks"] = {k: [hooks.hook(k)] for k in ALL}
    bundle.check("sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle)
    created = hooks.ran()
    rt.start(cid)
    rt.wait_output(cid, "sigwait ready")
    started = hooks.ran()
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    stopped = hooks.ran()
    rt.delete(cid)
    assert hooks.ran() == set(ALL)

    assert {"prestart", "createRuntime", "createContainer"} <= created
    assert "startContainer" not in created
    if rt.name != "runc":  # runc 1.1.5 runs poststart hooks at create
        assert "poststart" not in created
    assert started == set(ALL) - {"poststop"}
    assert stopped == started

    for kind in ALL:
        log = hooks.log(kind)
        assert log["args"] == kind, log
        assert log["env"] == kind + "-env", log
        st = log["state"]
        assert st["id"] == cid, (kind, st)
        assert st["ociVersion"]
        if rt.name == "crun" and kind == "startContainer":
            continue  # crun 1.8.1 passes bundle "/" and pid 0 to startContainer
        assert os.path.samefile(st["bundle"], bundle.path), (kind, st)
        if kind != "poststop" and not (rt.name == "crun" and kind in CONTAINER_SIDE):
            assert st["pid"] > 0, (kind, st)  # crun 1.8.1 passes pid 0 in the container-side hooks
    assert hooks.log("poststop")["state"]["status"] == "stopped"
    if rt.name != "runc":
        assert hooks.log("poststart")["state"]["status"] == "running"


def test_start_container_hook_runs_before_process(rt, bundle, hooks):
    bundle.config["hooks"] = {"startContainer": [hooks.hook("startContainer")]}
    bundle.sh("test -e %s/log-startContainer && echo seen" % hooks.dir)
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.stdout.strip() == "seen"


@pytest.mark.parametrize("how", ["run", "create+start"])
def test_failing_start_container_hook(rt, bundle, hooks, how):
    """runtime-spec: a failing startContainer hook is an error, the container stops and the process never
    runs. `run` starts the init over its sync socket and `start` over start.sock: both report it."""
    if rt.name != "cell":
        pytest.skip("runc 1.1.5 and crun 1.8.1 report success from start/run when startContainer fails")
    bundle.config["hooks"] = {"startContainer": [hooks.hook("startContainer", env=["HOOK_EXIT=7"])],
                              "poststart": [hooks.hook("poststart")]}
    bundle.sh("echo process-ran")
    cid = rt.new_id()
    if how == "run":
        r = rt.run(cid, bundle).failed()
        assert "process-ran" not in r.stdout
    else:
        rt.create(cid, bundle)
        r = rt.start(cid, check=False).failed()
        rt.wait_status(cid, "stopped")
        rt.delete(cid)
    assert "startContainer" in r.stderr, r.describe()
    assert "poststart" not in hooks.ran()
    assert rt.list("-q").stdout.split() == []


def test_failing_prestart(rt, bundle, hooks):
    """A failing prestart hook fails create and leaves nothing behind."""
    bundle.config["hooks"] = {"prestart": [hooks.hook("prestart", env=["HOOK_EXIT=3"])],
                              "poststart": [hooks.hook("poststart")]}
    bundle.check("sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle, check=False).failed()
    assert rt.state(cid, check=False).returncode != 0
    assert rt.list("-q").stdout.split() == []
    assert "poststart" not in hooks.ran()


@pytest.mark.parametrize("kind", ["createRuntime", "createContainer"])
def test_failing_create_hooks(rt, bundle, hooks, kind):
    bundle.config["hooks"] = {kind: [hooks.hook(kind, env=["HOOK_EXIT=1"])]}
    bundle.check("sigwait")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_failing_hook_stops_the_rest(rt, bundle, hooks):
    bundle.config["hooks"] = {"createRuntime": [hooks.hook("createRuntime", env=["HOOK_EXIT=1"]),
                                                 dict(hooks.hook("prestart"))]}
    bundle.check("exit", "0")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert "prestart" not in hooks.ran()


def test_poststop_runs_on_delete(rt, bundle, hooks):
    bundle.config["hooks"] = {"poststop": [hooks.hook("poststop")]}
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    assert hooks.ran() == set()
    rt.delete(cid)
    assert hooks.ran() == {"poststop"}


def test_poststop_runs_after_run(rt, bundle, hooks):
    bundle.config["hooks"] = {"poststop": [hooks.hook("poststop")]}
    rt.run(rt.new_id(), bundle.check("exit", "0"), check=True)
    assert hooks.ran() == {"poststop"}


def test_failing_poststop_still_deletes(rt, bundle, hooks):
    bundle.config["hooks"] = {"poststop": [hooks.hook("poststop", env=["HOOK_EXIT=1"])]}
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    rt("delete", cid)
    assert rt.state(cid, check=False).returncode != 0
    assert hooks.ran() == {"poststop"}


def test_hook_timeout(rt, bundle, hooks):
    slow = rt.workdir / "slow.sh"
    slow.write_text("#!/bin/sh\nexec sleep 10\n")
    os.chmod(slow, 0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(slow), "timeout": 1}]}
    bundle.check("exit", "0")
    t = time.monotonic()
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert time.monotonic() - t < 8
    assert rt.list("-q").stdout.split() == []


@pytest.mark.cell_only
def test_failing_prestart_runs_poststop(rt, bundle, hooks):
    """runtime-spec lifecycle: after a failing prestart hook the container is destroyed and poststop runs."""
    bundle.config["hooks"] = {"prestart": [hooks.hook("prestart", env=["HOOK_EXIT=3"])],
                              "poststop": [hooks.hook("poststop")]}
    bundle.check("sigwait")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert hooks.ran() == {"prestart", "poststop"}
    assert hooks.log("poststop")["state"]["status"] == "stopped"


def named_hook(hooks, name, exit_code=0):
    """A hook that logs as log-NAME (several of one kind) and exits with exit_code."""
    return {"path": hooks.path, "args": ["hook.sh", name], "env": ["HOOK_EXIT=%d" % exit_code]}


def log_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.skip_runtime("runc", "runc 1.1.5 stops at the first failing poststop hook")
def test_failing_poststop_runs_the_rest(rt, bundle, hooks):
    """runtime-spec 1.3 lifecycle step 13: a failing poststop hook is logged as a warning, the remaining hooks
    still run and delete succeeds."""
    bundle.config["hooks"] = {"poststop": [named_hook(hooks, "poststop-1", 1), named_hook(hooks, "poststop-2"),
                                           named_hook(hooks, "poststop-3", 2)]}
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    log = rt.workdir / "delete.log"
    rt("--log", log, "--log-format", "json", "delete", cid).ok()
    assert rt.state(cid, check=False).returncode != 0
    assert all(hooks.log("poststop-%d" % i) for i in (1, 2, 3))
    if rt.name == "cell":
        warnings = [e["msg"] for e in log_lines(log) if e["level"] == "warning"]
        assert len(warnings) == 2, warnings
        assert "hook poststop[0] (%s): exited with status 1" % hooks.path in warnings[0]
        assert "hook poststop[2] (%s): exited with status 2" % hooks.path in warnings[1]


@pytest.mark.cell_only
def test_failing_poststop_after_failed_create_runs_the_rest(rt, bundle, hooks):
    """The poststop hooks after a failing createRuntime hook (lifecycle step 13 after 12): all run, each
    failure a warning on stderr; create reports the createRuntime error."""
    bundle.config["hooks"] = {"createRuntime": [hooks.hook("createRuntime", env=["HOOK_EXIT=3"])],
                              "poststop": [named_hook(hooks, "poststop-1", 1), named_hook(hooks, "poststop-2")]}
    bundle.check("sigwait")
    r = rt.create(rt.new_id(), bundle, check=False).failed()
    assert "hook createRuntime[0]" in r.stderr and "exited with status 3" in r.stderr, r.describe()
    assert "warning: hook poststop[0]" in r.stderr, r.describe()
    assert hooks.log("poststop-1") and hooks.log("poststop-2")
    assert rt.list("-q").stdout.split() == []


@pytest.mark.skip_runtime("runc", "runc 1.1.5 runs poststart hooks at create")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 ignores a failing poststart hook: start succeeds, the container runs "
                          "on (runtime-spec before 1.3)")
@pytest.mark.parametrize("how", ["create+start", "run"])
def test_failing_poststart_stops_and_destroys(rt, bundle, hooks, how):
    """runtime-spec 1.3 lifecycle step 9: a failing poststart hook is an error, the container is stopped, and
    the lifecycle goes on at step 12: destroyed, then its poststop hooks run. The poststart hooks after the
    failing one do not run."""
    bundle.config["hooks"] = {"poststart": [named_hook(hooks, "poststart-1", 4), named_hook(hooks, "poststart-2")],
                              "poststop": [hooks.hook("poststop")]}
    bundle.check("sigwait")
    cid = rt.new_id()
    if how == "run":
        r = rt.run(cid, bundle).failed()
    else:
        rt.create(cid, bundle)
        pid = rt.state(cid)["pid"]
        r = rt.start(cid, check=False).failed()
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    assert "hook poststart[0]" in r.stderr and "exited with status 4" in r.stderr, r.describe()
    assert hooks.log("poststart-1") and not hooks.log("poststart-2")
    assert hooks.log("poststop")["state"]["status"] == "stopped"
    assert rt.state(cid, check=False).returncode != 0
    assert rt.list("-q").stdout.split() == []
