"""process: args, env, cwd, user, rlimits, capabilities, noNewPrivileges, oomScoreAdj and friends."""
import pytest

from helpers import CAPS, caps_mask


def test_args(rt, bundle):
    bundle.args("/bin/sh", "-c", 'echo "[$0][$1][$2]"', "zero", "one two", "")
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.stdout == "[zero][one two][]\n"


def test_args_path_lookup(rt, bundle):
    """A bare name is looked up in the container's PATH (from process.env)."""
    bundle.args("sh", "-c", "exit 4")
    assert rt.run(rt.new_id(), bundle).returncode == 4


def test_env(rt, bundle):
    bundle.process["env"] = ["PATH=/bin:/usr/bin", "A=1", "B=x=y", "EMPTY=", "SPACE=a b",
                             "CELL_TEST_TOKEN=" + rt.token]
    env = rt.run_check(bundle, "env").env()
    assert env["A"] == "1" and env["B"] == "x=y" and env["EMPTY"] == "" and env["SPACE"] == "a b"
    assert env["PATH"] == "/bin:/usr/bin"
    # runc adds HOME from the container's /etc/passwd when the config has none
    assert env.get("HOME") == "/root"
    assert set(env) <= {"PATH", "A", "B", "EMPTY", "SPACE", "CELL_TEST_TOKEN", "HOME"}


def test_env_home_kept(rt, bundle):
    bundle.process["env"].append("HOME=/somewhere")
    assert rt.run_check(bundle, "env").env()["HOME"] == "/somewhere"


def test_cwd(rt, bundle):
    bundle.process["cwd"] = "/tmp"
    assert rt.run_check(bundle, "cwd")["cwd"] == "/tmp"


def test_cwd_created(rt, bundle):
    """runc (and crun) create a missing cwd inside the rootfs, even with a read-only root."""
    bundle.process["cwd"] = "/made/here"
    assert rt.run_check(bundle, "cwd")["cwd"] == "/made/here"
    assert (bundle.rootfs / "made" / "here").is_dir()


def test_init_process_group(rt, bundle):
    """The init leads its own session and process group (pid 1 in its pid namespace), as runc's and crun's:
    the caller's group lies outside the namespace, where getpgrp() would be 0."""
    f = rt.run_check(bundle, "pid")
    assert (f["pid"], f["pgrp"], f["sid"]) == ("1", "1", "1"), f.text


def test_user(rt, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20, 1001], "umask": 0o027}
    f = rt.run_check(bundle, "id")
    assert f["uid"] == "1000" and f["euid"] == "1000"
    assert f["gid"] == "1001" and f["egid"] == "1001"
    assert set(f["groups"].split()) == {"10", "20", "1001"}
    assert f["umask"] == "0027"


def test_user_root_default(rt, bundle):
    f = rt.run_check(bundle, "id")
    assert f["uid"] == "0" and f["gid"] == "0"
    assert f["groups"].split() in ([], ["0"])
    assert f["umask"] == "0022"


def test_rlimits(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    f = rt.run_check(bundle, "rlimit", "NOFILE", "rlimit", "CORE", "rlimit", "NPROC")
    lim = {v.split()[0]: v.split()[1:] for v in f.all("rlimit")}
    assert lim["NOFILE"] == ["512", "1000"]
    assert lim["CORE"] == ["0", "4096"]
    assert lim["NPROC"] == ["300", "400"]


@pytest.mark.skip_runtime("crun", "crun 1.8.1 leaves its cgroup behind when setrlimit fails")
def test_rlimit_raise_hard_refused(rt, bundle):
    """Without CAP_SYS_RESOURCE a hard limit above the current one cannot be set: create must fail."""
    with open("/proc/self/limits") as f:
        line = [x for x in f if x.startswith("Max open files")][0]
    hard = line.split()[4]
    if hard == "unlimited" or _has_cap("CAP_SYS_RESOURCE"):
        pytest.skip("host can raise rlimits")
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": int(hard) + 1}]
    bundle.write()
    rt.create(rt.new_id(), bundle, check=False).failed()


def _has_cap(name):
    with open("/proc/self/status") as f:
        eff = int([x for x in f if x.startswith("CapEff")][0].split()[1], 16)
    return bool(eff & (1 << CAPS[name]))


def _caps(f):
    return {k: int(f[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}


CAPSET = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID", "CAP_NET_BIND_SERVICE"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE"],
    "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_NET_RAW", "CAP_NET_BIND_SERVICE"],
    "ambient": ["CAP_NET_BIND_SERVICE"],
}


def test_capabilities_root(rt, bundle):
    """uid 0: execve gives permitted = effective = bounding | inheritable, and no_new_privs (on in the default
    config) caps that at the permitted set from before execve."""
    bundle.process["capabilities"] = CAPSET
    c = _caps(rt.run_check(bundle, "caps"))
    assert c["CapBnd"] == caps_mask(CAPSET["bounding"])
    assert c["CapInh"] == caps_mask(CAPSET["inheritable"])
    assert c["CapAmb"] == caps_mask(CAPSET["ambient"])
    before = set(CAPSET["bounding"] + CAPSET["inheritable"]) & set(CAPSET["permitted"])
    assert c["CapPrm"] == caps_mask(before)
    assert c["CapEff"] == c["CapPrm"]


def test_capabilities_ambient_non_root(rt, bundle):
    """uid 1000: only the ambient set survives execve into permitted and effective."""
    bundle.process["capabilities"] = CAPSET
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    c = _caps(rt.run_check(bundle, "caps"))
    assert c["CapBnd"] == caps_mask(CAPSET["bounding"])
    assert c["CapInh"] == caps_mask(CAPSET["inheritable"])
    assert c["CapAmb"] == caps_mask(CAPSET["ambient"])
    assert c["CapPrm"] == caps_mask(CAPSET["ambient"])
    assert c["CapEff"] == caps_mask(CAPSET["ambient"])


def test_capabilities_none(rt, bundle):
    bundle.process["capabilities"] = {k: [] for k in CAPSET}
    c = _caps(rt.run_check(bundle, "caps"))
    assert c == {k: 0 for k in c}


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(rt, bundle, nnp):
    bundle.process["noNewPrivileges"] = nnp
    assert rt.run_check(bundle, "nnp")["nnp"] == ("1" if nnp else "0")


def test_oom_score_adj(rt, bundle):
    bundle.process["oomScoreAdj"] = 500
    assert rt.run_check(bundle, "oom")["oom"] == "500"


def test_missing_executable(rt, bundle):
    """A missing executable is reported by create (not start), and the failed create leaves nothing."""
    bundle.args("/does/not/exist")
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert "/does/not/exist" in r.stderr
    assert rt.list("-q").stdout.split() == []


def test_missing_executable_in_path(rt, bundle):
    bundle.args("no-such-command")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_not_executable(rt, bundle):
    bundle.args("/etc/passwd")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0
    assert rt.list("-q").stdout.split() == []


def test_fds_closed(rt, bundle):
    """The container's process sees only 0-2: no fd of the runtime leaks in."""
    f = rt.run_check(bundle, "fds")
    assert f.all("fd") == []


@pytest.mark.skip_runtime("runc", "runc 1.1 has no linux.personality")
def test_personality(rt, bundle):
    bundle.linux["personality"] = {"domain": "LINUX32"}
    assert rt.run_check(bundle, "personality")["personality"] == "0x8"
