"""linux.namespaces, hostname/domainname, user namespace mappings, time offsets, loopback."""
import os
import subprocess

import pytest

from helpers import TIMEOUT, Facts, proc_status

NS_FILES = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt", "cgroup": "cgroup",
            "user": "user", "time": "time"}
USERNS_MAP = [{"containerID": 0, "hostID": 1000, "size": 65536}]


def host_ns(name):
    return str(os.stat("/proc/self/ns/%s" % name).st_ino)


def test_default_namespaces_differ(rt, bundle):
    bundle.set_namespace("cgroup")
    ns = rt.run_check(bundle, "ns").ns()
    for t in ("pid", "network", "ipc", "uts", "mount", "cgroup"):
        assert ns[NS_FILES[t]] != host_ns(NS_FILES[t]), t
    for name in ("user", "time"):
        assert ns[name] == host_ns(name), name


def test_namespaces_not_listed_are_shared(rt, bundle):
    for t in ("network", "ipc", "uts"):
        bundle.drop_namespace(t)
    bundle.config.pop("hostname")
    ns = rt.run_check(bundle, "ns").ns()
    for name in ("net", "ipc", "uts"):
        assert ns[name] == host_ns(name), name
    assert ns["pid"] != host_ns("pid")


# Without a mount namespace the container shares the runtime's: the script below runs the runtime in a throwaway
# mount namespace of its own (unshare -m), so that a runtime which pivot_roots there (cell before the fix) takes
# the root of that shell only, never the test runner's. It prints the caller's root before and after, the
# container init's root as seen from the caller, the caller's mounts afterwards, and the container's output.
SHARED_MNTNS_SCRIPT = r"""
set -e
root_of_caller() { stat -c 'root %d:%i' /; awk '$5 == "/" { print "rootmount", $1, $4, $5 }' /proc/self/mountinfo; }
root_of_caller > "$W/before"
stat -L -c %i /proc/self/ns/mnt > "$W/mntns"
"$RT" --root "$S" create $OPTS --bundle "$B" "$ID" > "$W/out" 2> "$W/err" < /dev/null
pid=$("$RT" --root "$S" state "$ID" | tr -d ' \n' | sed 's/.*"pid":\([0-9]*\).*/\1/')
echo "initroot $(readlink /proc/$pid/root)" > "$W/init"
"$RT" --root "$S" start "$ID"
until "$RT" --root "$S" state "$ID" | grep -q '"stopped"'; do sleep 0.02; done
"$RT" --root "$S" delete "$ID"
root_of_caller > "$W/after"
cut -d' ' -f5 /proc/self/mountinfo > "$W/mounts-after"
"""


def mount_of_root():
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if line.split()[4] == "/"]


def without_mount_namespace(bundle):
    """runc 1.1.5 refuses masked and read-only paths without a mount namespace; cell makes them (see
    test_no_mount_namespace_mounts_removed): dropped where they are not the point."""
    bundle.drop_namespace("mount")
    for k in ("maskedPaths", "readonlyPaths"):
        bundle.linux.pop(k)
    bundle.write()


def run_sharing_mntns(rt, bundle, *create_opts):
    """create, start, wait, delete under `unshare -m`; returns the files the script wrote (name -> text)."""
    w = rt.workdir / "shared-mntns"
    w.mkdir()
    cid = rt.new_id()
    env = dict(os.environ, RT=rt.binary, B=str(bundle.path), ID=cid, W=str(w), S=str(rt.root),
               OPTS=" ".join(create_opts))
    # unshare makes every mount of the copy private: nothing done in it reaches ours (or the host's).
    p = subprocess.run(["unshare", "-m", "sh", "-c", SHARED_MNTNS_SCRIPT],
                       env=env, capture_output=True, text=True, timeout=TIMEOUT)
    files = {f.name: f.read_text() for f in w.iterdir()}
    assert p.returncode == 0, "rc %s\n%s\n%s\n%s" % (p.returncode, p.stdout, p.stderr, files)
    return files


def test_no_mount_namespace_chroots(rt, bundle):
    """No mount namespace in linux.namespaces: the container shares the caller's, and is chrooted into its
    rootfs; the caller's "/" (its inode and its mountinfo entry) is the same before and after."""
    without_mount_namespace(bundle)
    (bundle.rootfs / "marker").write_text("inside\n")
    bundle.check("ns", "stat", "/marker", "stat", "/cellcheck")
    ours = (os.stat("/"), mount_of_root())
    files = run_sharing_mntns(rt, bundle)
    assert files["before"] == files["after"], files
    assert files["init"].split()[1] == str(bundle.rootfs), files["init"]
    facts = Facts(files["out"])
    assert facts.stat("/marker")["type"] == "file", files["out"]
    # The container is in the mount namespace of the runtime that created it (the throwaway one).
    assert facts.ns()["mnt"] == files["mntns"].strip()
    # Ours (the test runner's) was never reachable; checked all the same.
    st, mount = ours
    assert (os.stat("/").st_dev, os.stat("/").st_ino, mount_of_root()) == (st.st_dev, st.st_ino, mount)


@pytest.mark.skip_runtime("runc", "runc 1.1.5 leaves the container's mounts in the caller's mount namespace")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 leaves the container's mounts in the caller's mount namespace")
def test_no_mount_namespace_mounts_removed(rt, bundle):
    """The container's mounts (proc, /dev, masked paths, a read-only root) are made in the shared mount
    namespace, under a bind of the rootfs onto itself; delete detaches them all, nothing stays behind."""
    bundle.drop_namespace("mount")
    bundle.linux["maskedPaths"].append("/etc/hostname")
    bundle.check("mounts")
    files = run_sharing_mntns(rt, bundle)
    mounts = Facts(files["out"]).mountinfo()
    assert {"/", "/proc", "/dev", "/sys", "/etc/hostname"} <= {m.mount_point for m in mounts}, files["out"]
    root = [m for m in mounts if m.mount_point == "/"][0]
    # mountinfo's root is the path inside the filesystem: the rootfs' path below its filesystem's mount point
    # (the whole path only where that is "/"; on a tmpfs /tmp it starts below /tmp)
    fs_top = subprocess.run(["findmnt", "-n", "-o", "TARGET", "-T", str(bundle.rootfs)], capture_output=True,
                            text=True, check=True).stdout.strip()
    below = "/" + os.path.relpath(str(bundle.rootfs), fs_top)
    assert "ro" in root.options and root.root.endswith(below), root.line
    left = [p for p in files["mounts-after"].split() if p.startswith(str(bundle.path))]
    assert left == [], left


@pytest.mark.skip_runtime("runc", "runc 1.1.5 --no-pivot without a mount namespace fails to open its cgroup "
                          "(\"cgroupRootHandle unexpectedly opened\") and leaves it behind")
def test_no_mount_namespace_no_pivot(rt, bundle):
    """--no-pivot without a mount namespace: still a chroot (moving the rootfs over "/" would stack it on the
    caller's root as a pivot would take it)."""
    without_mount_namespace(bundle)
    bundle.check("stat", "/cellcheck")
    files = run_sharing_mntns(rt, bundle, "--no-pivot")
    assert files["before"] == files["after"], files
    assert files["init"].split()[1] == str(bundle.rootfs), files["init"]
    assert Facts(files["out"]).stat("/cellcheck")["type"] == "file"


def test_join_netns_by_path(rt, bundle, netns):
    bundle.set_namespace("network", netns)
    ns = rt.run_check(bundle, "ns").ns()
    assert ns["net"] == str(os.stat(netns).st_ino)


def test_join_netns_of_container(rt, bundle, make_bundle):
    """Join the network namespace of another container through /proc/PID/ns/net."""
    bundle.check("sigwait")
    first = rt.started(bundle)
    pid = rt.state(first)["pid"]
    other = make_bundle()
    other.set_namespace("network", "/proc/%d/ns/net" % pid)
    ns = rt.run_check(other, "ns").ns()
    assert ns["net"] == str(os.stat("/proc/%d/ns/net" % pid).st_ino)
    rt.delete(first, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 leaves its cgroup behind")
def test_missing_namespace_path(rt, bundle):
    bundle.set_namespace("network", str(rt.workdir / "no-such-ns"))
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_hostname(rt, bundle):
    bundle.config["hostname"] = "h1.test"
    f = rt.run_check(bundle, "hostname")
    assert f["hostname"] == "h1.test"
    assert os.uname().nodename != "h1.test"


@pytest.mark.skip_runtime("runc", "runc 1.1 ignores domainname")
def test_domainname(rt, bundle):
    bundle.config["domainname"] = "example.org"
    f = rt.run_check(bundle, "hostname")
    assert f["hostname"] == "cell-test"
    assert f["domainname"] == "example.org"


def test_hostname_without_uts_refused(rt, bundle):
    bundle.drop_namespace("uts")
    bundle.config["hostname"] = "nope"
    bundle.check("hostname")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert os.uname().nodename != "nope"


def test_hostname_in_joined_uts_namespace(rt, bundle, make_bundle):
    """A uts namespace joined by path and a hostname: set in the joined namespace (as runc and crun), which the
    other container sees; the host's stays."""
    bundle.check("sigwait")
    first = rt.started(bundle)
    pid = rt.state(first)["pid"]
    other = make_bundle()
    other.set_namespace("uts", "/proc/%d/ns/uts" % pid)
    other.config["hostname"] = "joined.test"
    f = rt.run_check(other, "ns", "hostname")
    assert f.ns()["uts"] == str(os.stat("/proc/%d/ns/uts" % pid).st_ino)
    assert f["hostname"] == "joined.test"
    seen = subprocess.run(["nsenter", "-t", str(pid), "-u", "hostname"], capture_output=True, text=True, check=True)
    assert seen.stdout.strip() == "joined.test"
    assert os.uname().nodename != "joined.test"
    rt.delete(first, force=True)


def test_user_namespace(rt, bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = USERNS_MAP
    bundle.linux["gidMappings"] = USERNS_MAP
    bundle.check("id", "ns", "sigwait")
    cid = rt.started(bundle)
    f = Facts(rt.wait_output(cid, "sigwait ready"))
    assert f["uid"] == "0" and f["gid"] == "0"
    assert f.ns()["user"] != host_ns("user")
    pid = rt.state(cid)["pid"]
    st = proc_status(pid)
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1000"] * 4
    with open("/proc/%d/uid_map" % pid) as fh:
        assert fh.read().split() == ["0", "1000", "65536"]
    rt.delete(cid, force=True)


def test_user_namespace_non_root_user(rt, bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = USERNS_MAP
    bundle.linux["gidMappings"] = USERNS_MAP
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.check("id", "sigwait")
    cid = rt.started(bundle)
    rt.wait_output(cid, "sigwait ready")
    st = proc_status(rt.state(cid)["pid"])
    assert st["Uid"].split()[0] == "2000"
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("runc", "runc 1.1 has no time namespace")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 fails: write to sync socket")
def test_time_namespace_offsets(rt, bundle):
    bundle.set_namespace("time")
    bundle.linux["timeOffsets"] = {"boottime": {"secs": 86400 * 10}, "monotonic": {"secs": 86400}}
    bundle.sh("/cellcheck ns; cat /proc/uptime")
    r = rt.run(rt.new_id(), bundle, check=True)
    uptime = float(r.stdout.splitlines()[-1].split()[0])
    assert uptime >= 864000
    assert r.facts.ns()["time"] != host_ns("time")


def test_loopback_up(rt, bundle):
    bundle.sh("ip link show lo")
    r = rt.run(rt.new_id(), bundle, check=True)
    flags = r.stdout.split("<", 1)[1].split(">", 1)[0].split(",")
    assert "UP" in flags, r.stdout


def test_cgroup_namespace_root(rt, bundle):
    bundle.set_namespace("cgroup")
    bundle.sh("cat /proc/self/cgroup")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert "0::/\n" in r.stdout, r.stdout


def test_ipc_namespace_mqueue(rt, bundle):
    """A new ipc namespace with mqueue mounted: the queue directory starts empty."""
    bundle.sh("ls -A /dev/mqueue | wc -l")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.stdout.strip() == "0"


def test_no_mount_namespace_delete_elsewhere_keeps_foreign_mounts(rt, bundle):
    """The rootfs is a mount point of the caller's (as containerd's overlay). The container is created and runs
    in a throwaway mount namespace and is deleted from ours, where the path holds a different mount (our copy,
    another mount id): delete detaches nothing here, least of all our rootfs mount."""
    without_mount_namespace(bundle)
    bundle.check("exit", "0")
    subprocess.run(["mount", "--bind", str(bundle.rootfs), str(bundle.rootfs)], check=True)
    try:
        w = rt.workdir / "elsewhere"
        w.mkdir()
        cid = rt.new_id()
        script = ('"$RT" --root "$S" run -d --bundle "$B" "$ID" > "$W/out" 2>&1 < /dev/null\n'
                  'until "$RT" --root "$S" state "$ID" | grep -q \'"stopped"\'; do sleep 0.02; done\n')
        env = dict(os.environ, RT=rt.binary, B=str(bundle.path), ID=cid, W=str(w), S=str(rt.root))
        p = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        assert p.returncode == 0, (p.stderr, (w / "out").read_text())
        rt.delete(cid)
        assert any(line.split()[4] == str(bundle.rootfs) for line in open("/proc/self/mountinfo"))
    finally:
        subprocess.run(["umount", str(bundle.rootfs)], check=False)
