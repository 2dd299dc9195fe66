"""robustness: cell killed with SIGKILL at several points of create, start and delete; afterwards
`cell delete --force ID` removes everything (state, cgroup, mounts, processes: the leak checker verifies).

CELL_TEST_PAUSE_AT=<point> makes cell stop itself (SIGSTOP) at that point; the test then kills it with SIGKILL,
so the kill lands exactly there, every time."""
import os
import signal
import time

import pytest

from helpers import proc_state

pytestmark = pytest.mark.cell_only


def stopped_at(rt, point, *args):
    """Run `cell ARGS` with CELL_TEST_PAUSE_AT=point, wait until it stopped itself there, SIGKILL it."""
    env = dict(os.environ, CELL_TEST_PAUSE_AT=point)
    p = rt.popen(*args, env=env, tag="paused")
    deadline = time.monotonic() + 20
    while proc_state(p.pid) != "T":
        assert p.poll() is None, "cell ended before %s: %s" % (point, p.result().describe())
        assert time.monotonic() < deadline, "cell never reached " + point
        time.sleep(0.01)
    p.kill()
    r = p.result()
    assert r.returncode == -signal.SIGKILL, r.describe()


@pytest.mark.parametrize("point", ["create:cgroup", "create:child", "create:state", "create:ready"])
@pytest.mark.parametrize("verb", ["create", "run"])
def test_kill_during_create(rt, bundle, point, verb):
    bundle.check("sleep", "30")
    cid = rt.new_id()
    args = (verb, "-d") if verb == "run" else (verb,)
    stopped_at(rt, point, *args, "--bundle", bundle.path, cid)
    assert (rt.root / cid).exists()
    rt.delete(cid, force=True)
    assert not (rt.root / cid).exists()
    # the id is free again, and a container under it works
    bundle.check("exit", "0")
    rt.run(cid, bundle, check=True)


def test_kill_during_create_staged(rt, bundle):
    """A time namespace takes the staging path: the init is a grandchild of create, not its child."""
    bundle.set_namespace("time")
    bundle.check("sleep", "30")
    cid = rt.new_id()
    stopped_at(rt, "create:ready", "create", "--bundle", bundle.path, cid)
    pid = rt.state(cid)["pid"]
    assert pid > 0
    rt.delete(cid, force=True)
    assert proc_state(pid) in (None, "Z")


def test_kill_during_start(rt, bundle):
    bundle.check("sleep", "30")
    cid = rt.new_id()
    rt.create(cid, bundle)
    stopped_at(rt, "start:connected", "start", cid)
    rt.delete(cid, force=True)


@pytest.mark.parametrize("point", ["delete:killed", "delete:cgroup"])
def test_kill_during_delete(rt, bundle, point):
    bundle.check("sleep", "30")
    cid = rt.started(bundle)
    stopped_at(rt, point, "delete", "--force", cid)
    rt.delete(cid, force=True)
    r = rt.delete(cid, check=False)
    assert r.returncode != 0 and "does not exist" in r.stderr, r.describe()


def test_delete_force_without_state_keeps_foreign_dirs(rt, bundle):
    """`delete --force` of an id that was never created succeeds quietly, as runc's and crun's do (podman
    runs it after a failed create), and removes nothing; without --force it is an error."""
    r = rt.delete("never-created", force=True, check=False)
    assert r.returncode == 0 and r.stderr == "", r.describe()
    r = rt.delete("never-created", check=False)
    assert r.returncode != 0 and "does not exist" in r.stderr, r.describe()
