"""linux.namespaces, hostname/domainname, user namespace mappings, time offsets, loopback."""
import os

import pytest

from helpers import Facts, proc_status

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
