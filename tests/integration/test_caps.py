"""Capabilities: every name libcap knows, the rule for unknown names, and `exec --cap`."""
import pytest

from helpers import CAPS, DEFAULT_CAPS, Facts, caps_mask


def _caps(f):
    return {k: int(f[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}


def _kernel_caps():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    return [n for n, v in CAPS.items() if v <= last]


def _own(field):
    """Names of our own capabilities in /proc/self/status field (a runtime cannot grant more)."""
    with open("/proc/self/status") as f:
        mask = int([x for x in f if x.startswith(field + ":")][0].split()[1], 16)
    return [n for n in _kernel_caps() if mask & (1 << CAPS[n])]


@pytest.fixture
def running(rt, bundle):
    """Start a container that waits for a signal; yields (id, the init's facts)."""
    def start():
        bundle.check("caps", "sigwait")
        cid = rt.started(bundle)
        started.append(cid)
        return cid, Facts(rt.wait_output(cid, "sigwait ready"))
    started = []
    yield start
    for cid in started:
        rt.delete(cid, force=True, check=False)


def test_every_libcap_capability(rt, bundle):
    """Every capability the kernel and libcap know, by name: all in bounding, and in the other sets all that the
    test itself holds (this host withholds some, CAP_SYS_RESOURCE among them)."""
    names, own = _kernel_caps(), _own("CapPrm")
    caps = {k: own for k in ("effective", "permitted", "inheritable")}
    caps["bounding"] = names
    bundle.process["capabilities"] = caps
    c = _caps(rt.run_check(bundle, "caps"))
    assert c["CapBnd"] == caps_mask(set(names) & set(_own("CapBnd")))
    assert c["CapPrm"] == c["CapEff"] == c["CapInh"] == caps_mask(own)
    assert c["CapAmb"] == 0


def test_no_inheritable_or_ambient_unless_asked(rt, running):
    cid, init = running()
    r = rt.exec(cid, "/cellcheck", "caps", check=True)
    for f in (init, r.facts):
        c = _caps(f)
        assert c["CapInh"] == 0 and c["CapAmb"] == 0
        assert c["CapBnd"] == caps_mask(DEFAULT_CAPS)


@pytest.mark.skip_runtime("crun", "crun 1.8.1: exec --cap replaces the config's capabilities")
def test_exec_cap(rt, running):
    """exec --cap adds to bounding, effective and permitted; never to inheritable or ambient when the config
    has no ambient capabilities."""
    cid, _ = running()
    c = _caps(rt.exec(cid, "/cellcheck", "caps", opts=["--cap", "CAP_SYS_PTRACE"], check=True).facts)
    want = caps_mask(DEFAULT_CAPS + ["CAP_SYS_PTRACE"])
    assert c["CapBnd"] == c["CapPrm"] == c["CapEff"] == want
    assert c["CapInh"] == 0 and c["CapAmb"] == 0


@pytest.mark.cell_only  # runc adds to ambient when inheritable is set, without adding to inheritable
def test_exec_cap_ambient(rt, bundle, running):
    """With ambient capabilities in the config, exec --cap also goes to ambient (and inheritable, which the
    kernel requires): a non-root process keeps it across execve."""
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {k: ["CAP_NET_BIND_SERVICE"] for k in
                                      ("bounding", "effective", "permitted", "inheritable", "ambient")}
    cid, init = running()
    assert _caps(init)["CapAmb"] == caps_mask(["CAP_NET_BIND_SERVICE"])
    c = _caps(rt.exec(cid, "/cellcheck", "caps", opts=["--cap", "CAP_NET_RAW"], check=True).facts)
    both = caps_mask(["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"])
    assert c["CapAmb"] == c["CapInh"] == c["CapEff"] == c["CapPrm"] == c["CapBnd"] == both


@pytest.mark.cell_only
def test_exec_cap_short_name(rt, running):
    cid, _ = running()
    c = _caps(rt.exec(cid, "/cellcheck", "caps", opts=["--cap", "sys_ptrace"], check=True).facts)
    assert c["CapEff"] == caps_mask(DEFAULT_CAPS + ["CAP_SYS_PTRACE"])


@pytest.mark.cell_only  # runc ignores unknown names with a warning
@pytest.mark.parametrize("name", ["CAP_BOGUS", "cap_chown", "CAP_Chown", "12"])
def test_unknown_capability_refused(rt, bundle, name):
    bundle.process["capabilities"]["permitted"] = ["CAP_KILL", name]
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False).failed()
    assert "process.capabilities.permitted[1]: unknown capability '%s'" % name in r.stderr
    assert rt.list("-q").stdout.split() == []


@pytest.mark.cell_only
def test_exec_unknown_capability_refused(rt, running):
    cid, _ = running()
    r = rt.exec(cid, "/cellcheck", "caps", opts=["--cap", "CAP_BOGUS"])
    assert r.returncode != 0 and "unknown capability 'CAP_BOGUS'" in r.stderr
    assert rt.state(cid)["status"] == "running"


def test_ambient_without_inheritable_is_skipped(rt, bundle):
    """`runc spec`'s default lists ambient capabilities but no inheritable ones: the kernel cannot raise them, and
    runc and crun run the container anyway, without them. So does cell."""
    default = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    bundle.process["capabilities"] = {k: default for k in ("bounding", "effective", "permitted", "ambient")}
    c = _caps(rt.run_check(bundle, "caps"))
    assert c["CapEff"] == c["CapPrm"] == caps_mask(default)
    assert c["CapAmb"] == 0 and c["CapInh"] == 0
