"""User namespaces as real callers use them (rootless podman, user-namespaced Kubernetes pods): runc's default
cgroup mount without a cgroup namespace, linux.devices, bind sources that only the runtime can reach."""
import os
import subprocess
from pathlib import Path

import pytest

from helpers import CGROUP_ROOT, Facts

USERNS_MAP = [{"containerID": 0, "hostID": 1000, "size": 65536}]


def userns(bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = USERNS_MAP
    bundle.linux["gidMappings"] = USERNS_MAP
    return bundle


def cgroup_of(pid):
    for line in Path("/proc/%d/cgroup" % pid).read_text().splitlines():
        if line.startswith("0::"):
            return CGROUP_ROOT / line[3:].lstrip("/")
    raise AssertionError("pid %d has no cgroup v2 line" % pid)


@pytest.mark.skip_runtime("runc", "runc 1.1.5 bind-mounts the host's whole cgroup hierarchy (every host process "
                          "listed, as pid 0)")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 bind-mounts the host's whole cgroup hierarchy")
def test_userns_cgroup_mount_without_cgroupns(rt, bundle):
    """runc's default config (a cgroup mount, no cgroup namespace) in a user namespace: cgroup2 cannot be
    mounted there, so the container's own cgroup directory is bind-mounted instead (read-only as asked), not
    the host's whole hierarchy."""
    userns(bundle)
    bundle.add_mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"])
    bundle.sh("cat /sys/fs/cgroup/cgroup.procs; echo up; sleep 1000")
    cid = rt.started(bundle)
    out = rt.wait_output(cid, "up")
    pid = rt.state(cid)["pid"]
    cg = cgroup_of(pid)
    assert out.split()[0] == "1", out
    r = rt.exec(cid, "/cellcheck", "mounts", "stat", "/sys/fs/cgroup/cgroup.controllers",
                "write", "/sys/fs/cgroup/cgroup.procs", "1", check=True)
    f = r.facts
    m = [x for x in f.mountinfo() if x.mount_point == "/sys/fs/cgroup"][-1]
    assert m.fstype == "cgroup2" and "ro" in m.options, m
    assert m.root == "/" + str(cg.relative_to(CGROUP_ROOT)), m
    assert f["write"].startswith("/sys/fs/cgroup/cgroup.procs err="), f.text
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("runc", "runc 1.1.5 binds the host's node of the same path, which does not exist")
def test_userns_device_not_on_host(rt, bundle):
    """linux.devices in a user namespace: the runtime makes the node on the host side and passes it in, so a
    path the host does not have works (mknod is refused inside the user namespace)."""
    assert not os.path.exists("/dev/cell-test-null")
    userns(bundle)
    bundle.linux["devices"] = [{"path": "/dev/cell-test-null", "type": "c", "major": 1, "minor": 3,
                                "fileMode": 0o640, "uid": 0, "gid": 5}]
    f = rt.run_check(bundle, "stat", "/dev/cell-test-null", "write", "/dev/cell-test-null", "x")
    st = f.stat("/dev/cell-test-null")
    assert (st["type"], st["rdev"], st["mode"]) == ("char", "1:3", "0640"), f.text
    assert (st["uid"], st["gid"]) == ("0", "5"), f.text
    assert f["write"] == "/dev/cell-test-null ok", f.text
    assert not os.path.exists("/dev/cell-test-null")


def test_userns_bind_source_only_runtime_reaches(rt, bundle):
    """A bind source under a directory that only the host's root may enter (kubelet's pod directories are
    0750): the runtime opens it with its own credentials, not from inside the user namespace."""
    private = rt.workdir / "private"
    (private / "vol").mkdir(parents=True)
    (private / "vol" / "data").write_text("from host\n")
    os.chmod(private, 0o700)
    userns(bundle)
    (bundle.rootfs / "mnt" / "vol").mkdir()  # the rootfs is the host root's here, not the mapped root's
    bundle.add_mount("/mnt/vol", "bind", private / "vol", ["rbind", "ro"])
    r = rt.run(rt.new_id(), bundle.sh("cat /mnt/vol/data; touch /mnt/vol/new || echo refused"))
    assert r.returncode == 0 and r.stdout == "from host\nrefused\n", r.describe()
    assert not (private / "vol" / "new").exists()


@pytest.mark.skip_runtime("crun", "crun 1.8.1 lets the container remount the host's read-only source read-write "
                          "(found by this test)")
def test_userns_bind_keeps_host_readonly(rt, bundle):
    """The runtime clones bind sources in the init's mount namespace, whose copies of the host's mounts are
    locked: a source on a read-only host mount stays read-only, even for a container root with
    CAP_SYS_ADMIN that tries to remount it read-write."""
    src = rt.workdir / "ro-src"
    src.mkdir()
    (src / "data").write_text("host\n")
    subprocess.run(["mount", "--bind", str(src), str(src)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(src)], check=True)
        userns(bundle)
        for k in ("bounding", "effective", "permitted"):
            bundle.process["capabilities"][k].append("CAP_SYS_ADMIN")
        (bundle.rootfs / "mnt" / "vol").mkdir()
        bundle.add_mount("/mnt/vol", "bind", src, ["rbind"])
        script = ("cat /mnt/vol/data; mount -o remount,bind,rw /mnt/vol 2>/dev/null && echo remounted; "
                  "touch /mnt/vol/new 2>/dev/null && echo wrote; true")
        r = rt.run(rt.new_id(), bundle.sh(script))
        assert r.returncode == 0 and r.stdout == "host\n", r.describe()
        assert not (src / "new").exists()
    finally:
        subprocess.run(["umount", str(src)], check=False)
