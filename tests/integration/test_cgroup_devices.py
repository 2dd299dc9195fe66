"""cgroup v2 device filter (linux.resources.devices -> an eBPF program on the container's cgroup), and the
cgroup v2 machine the suite runs on. The probe device is /dev/kmsg (char 1:11): it is not among runc's default
devices, exists on every kernel and opens for writing without any capability, so an EPERM can only come from the
device filter."""
import os

import pytest

from helpers import CGROUP_ROOT, CGROUP_V2_NEEDED, cgroup2_controllers

pytestmark = pytest.mark.cgroup_v2

DENY_ALL = {"allow": False, "access": "rwm"}
CAPS = ["CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

# mknod the probe (and a /dev/null twin) in the container's /dev tmpfs, then open each for writing.
PROBE = """
mknod /dev/probe c 1 11 && echo mknod ok
mknod /dev/null2 c 1 3 && echo mknod-null ok
(exec 3>/dev/probe) 2>/dev/null && echo open-w ok || echo open-w failed
(exec 3>/dev/null2) 2>/dev/null && echo open-null ok || echo open-null failed
(exec 3>/dev/probe) 2>&1 | sed 's/^/error /'
"""


def probe(rt, bundle, rules):
    bundle.process["capabilities"] = {k: list(CAPS) for k in ("bounding", "effective", "permitted")}
    bundle.linux["resources"] = {"devices": rules}
    bundle.sh(PROBE)
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode == 0, r.describe()
    return r.stdout


def test_denied_device_cannot_be_opened_even_with_mknod(rt, bundle):
    out = probe(rt, bundle, [DENY_ALL])
    assert "mknod ok" in out and "mknod-null ok" in out  # runc's defaults allow mknod of any node
    assert "open-w failed" in out
    assert "Operation not permitted" in out  # EPERM from the filter, not ENOENT or EACCES
    assert "open-null ok" in out  # /dev/null (1:3) is a default device


def test_allowed_device_can_be_opened(rt, bundle):
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rw"}])
    assert "open-w ok" in out, out


def test_access_is_a_subset(rt, bundle):
    """A rule that allows only reading does not allow opening for writing."""
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}])
    assert "open-w failed" in out, out
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}])
    assert "open-w ok" in out, out


@pytest.mark.skip_runtime("runc", "runc 1.1 applies cgroup v1's semantics: a deny only removes an identical allow")
def test_last_matching_rule_wins(rt, bundle):
    allow = {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rwm"}
    deny_major = {"allow": False, "type": "c", "major": 1, "access": "rw"}  # minor absent: any
    out = probe(rt, bundle, [DENY_ALL, allow, deny_major])
    assert "open-w failed" in out, out
    out = probe(rt, bundle, [DENY_ALL, deny_major, allow])
    assert "open-w ok" in out, out


def test_wildcards_and_type(rt, bundle):
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": -1, "access": "rw"}])
    assert "open-w ok" in out, out
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "b", "major": 1, "minor": 11, "access": "rw"}])
    assert "open-w failed" in out, out
    out = probe(rt, bundle, [DENY_ALL, {"allow": True, "type": "a", "access": "rw"}])
    assert "open-w ok" in out, out


@pytest.mark.cell_only
def test_device_rule_out_of_range(rt, bundle):
    bundle.linux["resources"] = {"devices": [DENY_ALL, {"allow": True, "type": "c", "major": 1 << 33}]}
    bundle.args("/bin/true")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0
    assert "linux.resources.devices[1].major: 8589934592 out of range" in r.stderr


def test_machine_has_controllers_and_containers_get_a_cgroup(rt, bundle):
    """The suite's machine: every controller on the v2 hierarchy, and a created container's init sits in its
    own cgroup there (removed on delete: the leak checker looks)."""
    assert CGROUP_V2_NEEDED <= cgroup2_controllers()
    bundle.args("/bin/sleep", "60")
    cid = rt.started(bundle)
    pid = rt.state(cid)["pid"]
    with open("/proc/%d/cgroup" % pid) as f:
        path = [line.split("::", 1)[1].strip() for line in f if line.startswith("0::")][0]
    assert path != "/"
    cg = CGROUP_ROOT / path.lstrip("/")
    assert str(pid) in (cg / "cgroup.procs").read_text().split()
    assert os.path.isdir(cg)
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
