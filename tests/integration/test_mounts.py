"""mounts, root.readonly, maskedPaths, readonlyPaths, /dev, linux.devices, sysctl, rootfsPropagation."""
import errno
import os
import subprocess

import pytest

from helpers import mounts_at

EROFS = str(errno.EROFS)


def mountinfo(rt, bundle, *more):
    r = rt.run(rt.new_id(), bundle.check("mounts", *more), check=True)
    return r.facts.mountinfo(), r.facts


def top(mounts, path):
    found = mounts_at(mounts, path)
    assert found, "nothing mounted at %s: %s" % (path, [m.mount_point for m in mounts])
    return found[-1]


def test_default_mounts(rt, bundle):
    mounts, _ = mountinfo(rt, bundle)
    assert top(mounts, "/proc").fstype == "proc"
    assert top(mounts, "/dev").fstype == "tmpfs"
    assert top(mounts, "/dev/pts").fstype == "devpts"
    assert top(mounts, "/dev/shm").fstype == "tmpfs"
    assert top(mounts, "/dev/mqueue").fstype == "mqueue"
    sysfs = top(mounts, "/sys")
    assert sysfs.fstype == "sysfs" and "ro" in sysfs.options
    assert {"nosuid", "noexec", "nodev"} <= top(mounts, "/dev/shm").options
    assert "ro" in top(mounts, "/").options


def test_tmpfs_options(rt, bundle):
    bundle.add_mount("/mnt/t", "tmpfs", "tmpfs", ["nosuid", "noexec", "nodev", "mode=700", "size=1m"])
    mounts, f = mountinfo(rt, bundle, "stat", "/mnt/t", "write", "/mnt/t/x", "hello")
    m = top(mounts, "/mnt/t")
    assert m.fstype == "tmpfs"
    assert {"nosuid", "noexec", "nodev", "rw"} <= m.options
    assert "size=1024k" in m.super_options
    assert f.stat("/mnt/t")["mode"] == "0700"
    assert f["write"] == "/mnt/t/x ok"


@pytest.mark.skip_runtime("crun", "crun 1.8.1 predates containers/crun#1331 (the tmpfs gets its default 1777)")
def test_tmpfs_keeps_dir_mode(rt, bundle):
    """A tmpfs without mode= over a directory of the rootfs keeps that directory's mode (sticky bit included);
    over a directory the runtime creates it has tmpfs' default 1777."""
    for name, mode in (("keep", 0o750), ("sticky", 0o1770)):
        (bundle.rootfs / "mnt" / name).mkdir()
        os.chmod(bundle.rootfs / "mnt" / name, mode)
    bundle.add_mount("/mnt/keep", "tmpfs", "tmpfs", ["nosuid", "size=1m"])
    bundle.add_mount("/mnt/sticky", "tmpfs", "tmpfs")
    bundle.add_mount("/mnt/new", "tmpfs", "tmpfs", ["nodev"])
    mounts, f = mountinfo(rt, bundle, "stat", "/mnt/keep", "stat", "/mnt/sticky", "stat", "/mnt/new")
    assert all(top(mounts, "/mnt/" + n).fstype == "tmpfs" for n in ("keep", "sticky", "new"))
    assert "size=1024k" in top(mounts, "/mnt/keep").super_options
    assert f.stat("/mnt/keep")["mode"] == "0750"
    assert f.stat("/mnt/sticky")["mode"] == "1770"
    assert f.stat("/mnt/new")["mode"] == "1777"


@pytest.mark.skip_runtime("runc", "runc 1.1.5 chmods the tmpfs to the directory's mode after the mount, "
                          "whatever mode= said (opencontainers/runc#3911)")
def test_tmpfs_mode_over_existing_dir(rt, bundle):
    """mode= wins over the mode of the directory the tmpfs covers."""
    (bundle.rootfs / "mnt" / "given").mkdir()
    os.chmod(bundle.rootfs / "mnt" / "given", 0o755)
    bundle.add_mount("/mnt/given", "tmpfs", "tmpfs", ["size=1m", "mode=0700"])
    _, f = mountinfo(rt, bundle, "stat", "/mnt/given")
    assert f.stat("/mnt/given")["mode"] == "0700"


def test_tmpfs_ro(rt, bundle):
    bundle.add_mount("/mnt/t", "tmpfs", "tmpfs", ["ro"])
    mounts, f = mountinfo(rt, bundle, "write", "/mnt/t/x", "no")
    assert "ro" in top(mounts, "/mnt/t").options
    assert f["write"] == "/mnt/t/x err=" + EROFS


def test_bind_mount(rt, bundle):
    src = rt.workdir / "shared"
    src.mkdir()
    (src / "hello").write_text("from host")
    bundle.add_mount("/mnt/bind", "bind", src, ["rbind"])
    mounts, f = mountinfo(rt, bundle, "stat", "/mnt/bind/hello", "write", "/mnt/bind/new", "from container")
    assert top(mounts, "/mnt/bind")
    assert f.stat("/mnt/bind/hello")["type"] == "file"
    assert (src / "new").read_text() == "from container"


def test_bind_mount_without_type(rt, bundle):
    src = rt.workdir / "shared"
    src.mkdir()
    bundle.add_mount("/mnt/bind", None, src, ["bind"])
    mounts, f = mountinfo(rt, bundle, "write", "/mnt/bind/new", "x")
    assert top(mounts, "/mnt/bind")
    assert (src / "new").exists()


def test_bind_mount_ro(rt, bundle):
    src = rt.workdir / "shared"
    src.mkdir()
    bundle.add_mount("/mnt/ro", "bind", src, ["bind", "ro", "nosuid", "nodev"])
    mounts, f = mountinfo(rt, bundle, "write", "/mnt/ro/new", "x")
    m = top(mounts, "/mnt/ro")
    assert {"ro", "nosuid", "nodev"} <= m.options
    assert f["write"] == "/mnt/ro/new err=" + EROFS
    assert not (src / "new").exists()


def test_bind_mount_file(rt, bundle):
    src = rt.workdir / "file"
    src.write_text("content")
    bundle.add_mount("/etc/bound", "bind", src, ["bind", "ro"])
    bundle.sh("cat /etc/bound")
    assert rt.run(rt.new_id(), bundle, check=True).stdout == "content"
    assert (bundle.rootfs / "etc" / "bound").is_file()


def test_noexec(rt, bundle):
    bundle.add_mount("/mnt/t", "tmpfs", "tmpfs", ["noexec", "mode=755"])
    bundle.sh("cp /bin/busybox /mnt/t/bb && /mnt/t/bb true; echo rc=$?")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.stdout.strip().endswith("rc=126"), r.stdout


CRUN_DANGLING = "crun 1.8.1 refuses a dangling symlink destination (safe, unlike runc which creates it inside)"


@pytest.mark.skip_runtime("crun", CRUN_DANGLING)
@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_symlink_destination_stays_in_rootfs(rt, bundle, target):
    """A rootfs symlink to a host path used as a mount destination resolves inside the rootfs."""
    host = rt.workdir / "host-target"
    host.mkdir()
    (host / "keep").write_text("host file")
    link = str(host) if target == "absolute" else "../../../../../../../../.." + str(host)
    os.symlink(link, bundle.rootfs / "evil")
    bundle.add_mount("/evil", "tmpfs", "tmpfs", ["mode=755"])
    mounts, f = mountinfo(rt, bundle, "write", "/evil/x", "written", "stat", str(host) + "/x")
    assert f["write"] == "/evil/x ok"
    # the tmpfs sits at the symlink's target resolved in the container's root
    assert top(mounts, str(host)).fstype == "tmpfs"
    assert f.stat(str(host) + "/x")["type"] == "file"
    assert sorted(os.listdir(host)) == ["keep"]
    assert (bundle.rootfs / str(host).lstrip("/")).is_dir()


@pytest.mark.skip_runtime("crun", CRUN_DANGLING)
def test_symlink_bind_destination_stays_in_rootfs(rt, bundle):
    host = rt.workdir / "host-target"
    host.mkdir()
    src = rt.workdir / "src"
    src.mkdir()
    (src / "from-src").write_text("x")
    os.symlink(str(host), bundle.rootfs / "evil")
    bundle.add_mount("/evil", "bind", src, ["bind"])
    mounts, f = mountinfo(rt, bundle, "stat", str(host) + "/from-src")
    assert f.stat(str(host) + "/from-src")["type"] == "file"
    assert os.listdir(host) == []


@pytest.mark.parametrize("readonly", [True, False])
def test_readonly_root(rt, bundle, readonly):
    bundle.config["root"]["readonly"] = readonly
    mounts, f = mountinfo(rt, bundle, "write", "/newfile", "x")
    root = top(mounts, "/")
    if readonly:
        assert "ro" in root.options
        assert f["write"] == "/newfile err=" + EROFS
        assert not (bundle.rootfs / "newfile").exists()
    else:
        assert "rw" in root.options
        assert f["write"] == "/newfile ok"
        assert (bundle.rootfs / "newfile").read_text() == "x"


def test_masked_paths(rt, bundle):
    bundle.config["root"]["readonly"] = False
    bundle.linux["maskedPaths"] = ["/etc/hostname", "/home", "/proc/timer_list", "/sys/firmware",
                                   "/does/not/exist"]
    (bundle.rootfs / "home" / "secret").write_text("secret")
    bundle.sh("/cellcheck stat /etc/hostname stat /proc/timer_list; echo ls=$(ls -A /home /sys/firmware);"
              "echo cat=$(cat /etc/hostname /proc/timer_list)")
    r = rt.run(rt.new_id(), bundle, check=True)
    f = r.facts
    assert f.stat("/etc/hostname")["rdev"] == "1:3"
    assert f.stat("/proc/timer_list")["rdev"] == "1:3"
    lines = r.stdout.splitlines()
    assert "ls=/home: /sys/firmware:" in lines, r.stdout
    assert "cat=" in lines, r.stdout
    assert (bundle.rootfs / "home" / "secret").read_text() == "secret"


def test_readonly_paths(rt, bundle):
    bundle.config["root"]["readonly"] = False
    bundle.linux["readonlyPaths"] = ["/proc/sys", "/var/tmp", "/does/not/exist"]
    mounts, f = mountinfo(rt, bundle, "write", "/var/tmp/x", "x", "write", "/proc/sys/kernel/hostname", "x",
                          "write", "/tmp/x", "x")
    assert f.all("write") == ["/var/tmp/x err=" + EROFS, "/proc/sys/kernel/hostname err=" + EROFS, "/tmp/x ok"]
    assert "ro" in top(mounts, "/var/tmp").options
    assert "ro" in top(mounts, "/proc/sys").options


DEVICES = {"/dev/null": "1:3", "/dev/zero": "1:5", "/dev/full": "1:7", "/dev/random": "1:8",
           "/dev/urandom": "1:9", "/dev/tty": "5:0"}
LINKS = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
         "/dev/stderr": "/proc/self/fd/2", "/dev/ptmx": "pts/ptmx"}


def test_default_devices(rt, bundle):
    args = []
    for p in list(DEVICES) + list(LINKS) + ["/dev/pts/ptmx", "/dev/shm"]:
        args += ["stat", p]
    f = rt.run_check(bundle, *args)
    for path, rdev in DEVICES.items():
        s = f.stat(path)
        assert s["type"] == "char" and s["rdev"] == rdev, (path, s)
        assert s["mode"] == "0666", (path, s)
    for path, target in LINKS.items():
        s = f.stat(path)
        assert s["type"] == "symlink" and s["target"] == target, (path, s)
    assert f.stat("/dev/pts/ptmx")["type"] == "char"
    assert f.stat("/dev/shm")["type"] == "dir"


def test_linux_devices(rt, bundle):
    bundle.linux["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 0, "gid": 5},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5},
    ]
    bundle.sh("/cellcheck stat /dev/mynull stat /dev/sub/myzero; echo hi > /dev/mynull && echo wrote")
    r = rt.run(rt.new_id(), bundle, check=True)
    s = r.facts.stat("/dev/mynull")
    assert s["type"] == "char" and s["rdev"] == "1:3" and s["mode"] == "0620" and s["gid"] == "5", s
    s = r.facts.stat("/dev/sub/myzero")
    assert s["type"] == "char" and s["rdev"] == "1:5"
    assert "wrote" in r.stdout


def test_sysctl(rt, bundle):
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1000"}
    bundle.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.stdout.split() == ["1", "1000"]


def test_sysctl_host_namespace_refused(rt, bundle):
    """A net.* sysctl without a private network namespace would change the host: refused."""
    bundle.drop_namespace("network")
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.write()
    before = open("/proc/sys/net/ipv4/ip_forward").read()
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert open("/proc/sys/net/ipv4/ip_forward").read() == before


@pytest.mark.parametrize("key,field", [
    ("kernel.hostname", "hostname"),
    pytest.param("kernel/domainname", "domainname", marks=pytest.mark.skip_runtime(
        "runc", "runc 1.1.5 predates the domainname field and accepts the sysctl"))])
def test_sysctl_hostname_refused(rt, bundle, key, field):
    """The hostname and domainname fields own kernel.hostname and kernel.domainname: a sysctl of either is
    refused naming it, and nothing is created."""
    bundle.config[field] = "box"
    bundle.linux["sysctl"] = {key: "other"}
    bundle.check("hostname")
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    if rt.name == "cell":
        assert "linux.sysctl.%s: not allowed, the %s field sets it" % (key, field) in r.stderr, r.describe()


def root_propagation(rt, bundle, prop):
    bundle.linux["rootfsPropagation"] = prop
    mounts, _ = mountinfo(rt, bundle)
    root = top(mounts, "/")
    return " ".join(root.propagation), root.line


def test_rootfs_propagation_private(rt, bundle):
    tags, line = root_propagation(rt, bundle, "private")
    assert "shared:" not in tags and "master:" not in tags, line


def test_rootfs_propagation_slave(rt, bundle):
    """rslave of a private host mount (the test runs in an rprivate mount namespace) has no master."""
    tags, line = root_propagation(rt, bundle, "rslave")
    assert "shared:" not in tags, line


@pytest.mark.skip_runtime("runc", "runc 1.1.5 does not leave the new root shared")
def test_rootfs_propagation_shared(rt, bundle):
    tags, line = root_propagation(rt, bundle, "shared")
    assert "shared:" in tags, line


def mount_point_of(path):
    return subprocess.run(["findmnt", "-n", "-o", "TARGET", "-T", str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skip_runtime("runc", "runc 1.1.5 fails: bind of the rootfs from an unbindable mount (EINVAL)")
@pytest.mark.parametrize("prop", ["unbindable", pytest.param("runbindable", marks=pytest.mark.skip_runtime(
    "crun", "crun 1.8.1 makes / runbindable before it masks paths, then fails to bind /dev/null (EINVAL)"))])
def test_rootfs_propagation_unbindable_rootfs_on_root(rt, bundle, prop):
    """The rootfs on "/" and rootfsPropagation (r)unbindable: "/" turns unbindable before the rootfs is bound
    from it, which open_tree refuses (EINVAL); the parent mount is made private first (as crun), and the
    container's "/" ends up unbindable as asked."""
    if mount_point_of(bundle.rootfs) != "/":
        pytest.skip("the test directory is not on the mount at / here (%s)" % mount_point_of(bundle.rootfs))
    tags, line = root_propagation(rt, bundle, prop)
    assert "unbindable" in tags, line


def test_no_pivot(rt, bundle):
    """--no-pivot: the rootfs is moved over / and chrooted into; the container sees its rootfs as /."""
    (bundle.rootfs / "marker").write_text("inside\n")
    cid = rt.new_id()
    r = rt.run(cid, bundle.check("mounts", "stat", "/marker", "stat", "/cellcheck"), "--no-pivot", check=True)
    assert r.facts.stat("/marker")["type"] == "file"
    mounts = r.facts.mountinfo()
    assert top(mounts, "/proc").fstype == "proc"
