"""robustness: cell killed with SIGKILL at several points of create, start and delete; afterwards
`cell delete --force ID` removes everything (state, cgroup, mounts, processes: the leak checker verifies).

CELL_TEST_PAUSE_AT=<point> makes cell stop itself (SIGSTOP) at that point; the test then kills it with SIGKILL,
so the kill lands exactly there, every time."""
import os
import signal
import subprocess
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


KILLED_SHARED_MNTNS = r"""
set -e
CELL_TEST_PAUSE_AT=create:child "$RT" --root "$S" create --bundle "$B" "$ID" > "$W/out" 2>&1 < /dev/null &
pid=$!
# until the init has bound the rootfs (in this, the shared, mount namespace) and create stopped itself
n=0
until grep -q " $B/rootfs " /proc/self/mountinfo && [ "$(cut -d' ' -f3 /proc/$pid/stat)" = T ]; do
  n=$((n + 1)); [ $n -lt 2000 ] || { echo "never got there"; exit 1; }; sleep 0.01
done
kill -9 $pid
wait $pid || true
"$RT" --root "$S" delete --force "$ID"
grep " $B/rootfs" /proc/self/mountinfo > "$W/left" || true
"""


def test_kill_during_create_without_mount_namespace(rt, bundle):
    """No mount namespace: the init's rbind of the rootfs lands in the caller's mount namespace (here a throwaway
    one, see test_namespaces.py). create killed before state.json: delete --force still detaches it."""
    bundle.drop_namespace("mount")
    bundle.check("sleep", "30")
    w = rt.workdir / "killed"
    w.mkdir()
    cid = rt.new_id()
    env = dict(os.environ, RT=rt.binary, B=str(bundle.path), ID=cid, W=str(w), S=str(rt.root))
    p = subprocess.run(["unshare", "-m", "sh", "-c", KILLED_SHARED_MNTNS], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, (p.stdout, p.stderr, (w / "out").read_text())
    assert (w / "left").read_text() == ""
    assert not (rt.root / cid).exists()
