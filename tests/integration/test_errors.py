"""Bad input: create fails, says what is wrong (naming the JSON field), and leaves nothing behind.

test_bad_config runs for every runtime (failure + no leftovers); test_bad_config_message checks cell's
wording (config errors name the JSON path) and is cell-only: runc and crun word their errors differently.
"""
import json
import os

import pytest


def _set(path, value):
    def edit(cfg, rt):
        d = cfg
        keys = path.split(".")
        for k in keys[:-1]:
            d = d[int(k)] if isinstance(d, list) else d.setdefault(k, {})
        d[keys[-1]] = value(rt) if callable(value) else value
    return edit


def _del(path):
    def edit(cfg, rt):
        d = cfg
        keys = path.split(".")
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]
    return edit


def _add_ns(t, path=None):
    """Append a namespace; with a path, in place of the one of that type."""
    def edit(cfg, rt):
        ns = {"type": t}
        if path:
            ns["path"] = path(rt) if callable(path) else path
            cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != t]
        cfg["linux"]["namespaces"].append(ns)
    return edit


MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]

# id: (edit, words the message must contain (cell), runtimes that accept it)
CASES = {
    "uid-string": (_set("process.user.uid", "zero"), ["process.user.uid"], ("crun",)),
    "args-string": (_set("process.args", "/cellcheck"), ["process.args"], ("crun",)),
    "args-empty": (_set("process.args", []), ["process.args"], ()),
    "readonly-string": (_set("root.readonly", "yes"), ["root.readonly"], ("crun",)),
    "mount-options-string": (_set("mounts.0.options", "ro"), ["mounts", "options"], ("crun",)),
    "env-not-array": (_set("process.env", {"A": "1"}), ["process.env"], ("crun",)),
    "missing-rootfs": (_set("root.path", "no-such-rootfs"), ["no-such-rootfs"], ()),
    "missing-root": (_del("root"), ["root"], ()),
    "missing-process": (_del("process"), ["process"], ()),
    "unknown-namespace": (_add_ns("bogus"), ["bogus"], ()),
    "missing-namespace-path": (_add_ns("ipc", lambda rt: str(rt.workdir / "no-such-ns")), ["no-such-ns"],
                               ("crun",)),
    "duplicate-namespace": (_add_ns("pid"), ["pid"], ()),
    "uid-mappings-without-userns": (_set("linux.uidMappings", MAP), ["uidMappings"], ("runc",)),
    "gid-mappings-without-userns": (_set("linux.gidMappings", MAP), ["gidMappings"], ("runc",)),
    "bad-rlimit": (_set("process.rlimits", [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]), ["RLIMIT_BOGUS"],
                   ()),
    "bad-capability": (_set("process.capabilities.bounding", ["CAP_BOGUS"]), ["CAP_BOGUS"], ("runc", "crun")),
    "uid-negative": (_set("process.user.uid", -1), ["process.user.uid"], ()),
    "cwd-relative": (_set("process.cwd", "tmp"), ["process.cwd"], ()),
}

# Host reasons: crun 1.8.1 leaves its cgroup behind when these fail late; some cases are accepted.
HOST_SKIPS = {
    ("crun", "missing-namespace-path"): "crun 1.8.1 leaves its cgroup behind",
    ("crun", "bad-rlimit"): "crun 1.8.1 leaves its cgroup behind",
    ("crun", "unknown-namespace"): "crun 1.8.1 leaves its cgroup behind",
    ("runc", "cwd-relative"): "runc 1.1 accepts a relative cwd",
    ("crun", "cwd-relative"): "crun 1.8.1 accepts a relative cwd",
    ("crun", "duplicate-namespace"): "crun 1.8.1 accepts a duplicated namespace",
    ("crun", "uid-mappings-without-userns"): "crun 1.8.1 ignores mappings without a user namespace",
    ("crun", "gid-mappings-without-userns"): "crun 1.8.1 ignores mappings without a user namespace",
}


def _apply(rt, bundle, case):
    edit = CASES[case][0]
    cfg = bundle.clone_config()
    edit(cfg, rt)
    bundle.write(cfg)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config(rt, bundle, case):
    if rt.name in CASES[case][2]:
        pytest.skip("%s accepts %s" % (rt.name, case))
    if (rt.name, case) in HOST_SKIPS:
        pytest.skip(HOST_SKIPS[rt.name, case])
    _apply(rt, bundle, case)
    cid = rt.new_id()
    r = rt.create(cid, bundle, check=False)
    r.failed()
    assert rt.state(cid, check=False).returncode != 0
    assert rt.list("-q").stdout.split() == []


@pytest.mark.cell_only
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_message(rt, bundle, case):
    _apply(rt, bundle, case)
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    for word in CASES[case][1]:
        assert word in r.stderr, r.describe()
    assert r.stderr.count("\n") <= 2, "one error, printed once: " + r.describe()


@pytest.mark.cell_only
def test_malformed_json(rt, bundle):
    bundle.write(raw='{"ociVersion": "1.0.2", "process": ')
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    assert "config.json" in r.stderr, r.describe()
    assert rt.list("-q").stdout.split() == []


def test_malformed_json_fails(rt, bundle):
    bundle.write(raw="{not json")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_config_not_an_object(rt, bundle):
    bundle.write(raw="[]")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_nonexistent_bundle(rt, bundle):
    missing = rt.workdir / "no-such-bundle"
    r = rt("create", "--bundle", missing, rt.new_id())
    r.failed()
    if rt.name == "cell":
        assert "no-such-bundle" in r.stderr, r.describe()
    assert rt.list("-q").stdout.split() == []


def test_missing_config(rt, bundle):
    (bundle.path / "config.json").unlink()
    r = rt.create(rt.new_id(), bundle, check=False)
    r.failed()
    if rt.name == "cell":
        assert "config.json" in r.stderr, r.describe()


def test_log_format_json(rt, bundle):
    """--log FILE --log-format json: the error is a JSON line with level and msg."""
    bundle.args()
    log = rt.workdir / "log.json"
    r = rt("--log", log, "--log-format", "json", "create", "--bundle", bundle.path, rt.new_id())
    r.failed()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    errors = [e for e in lines if e.get("level") == "error"]
    assert errors, log.read_text()
    assert all("msg" in e for e in errors)
    assert rt.list("-q").stdout.split() == []


@pytest.mark.cell_only
def test_unknown_command(rt):
    r = rt("frobnicate")
    r.failed()
    assert "frobnicate" in r.stderr


# The init fails at different points of its setup; each time create must report the init's own error. The parent
# used to look at the init's /proc entry (or its network namespace) first and, when the init was already gone,
# reported "container init exited during create: No such process" (or "open '/proc/PID/ns/net'") instead.
INIT_FAILURES = {
    # early: the first config mount
    "bad-mount": (lambda b: b.config["mounts"].insert(0, {"destination": "/mnt", "type": "nosuchfs",
                                                           "source": "none"}),
                  "mounts[0] (/mnt): "),
    # early, on the staging path (a namespace joined by path: the init is a grandchild, reaped by others)
    "bad-mount-staged": (lambda b: (b.config["mounts"].insert(0, {"destination": "/mnt", "type": "nosuchfs",
                                                                   "source": "none"}),
                                    b.set_namespace("ipc", "/proc/%d/ns/ipc" % os.getpid())),
                         "mounts[0] (/mnt): "),
    # late: after pivot_root, masking with a /dev/null that is a regular file
    "late-mask": (lambda b: b.config["mounts"].append({"destination": "/dev/null", "type": "bind",
                                                        "source": str(b.rootfs / "etc" / "hostname"),
                                                        "options": ["bind"]}),
                  "'/dev/null' is not the null device"),
    # late: a failing createContainer hook, in the init after the parent's hooks
    "createContainer": (lambda b: b.config.setdefault("hooks", {}).update(
        {"createContainer": [{"path": "/bin/false"}]}),
                        "hook createContainer[0] (/bin/false): exited with status 1"),
}


@pytest.mark.cell_only
@pytest.mark.parametrize("case", sorted(INIT_FAILURES))
def test_init_failure_reports_its_error(rt, bundle, case):
    """Repeated: the init's own error every time, never its death."""
    edit, want = INIT_FAILURES[case]
    edit(bundle)
    bundle.check("exit", "0")
    for _ in range(40):
        r = rt.create(rt.new_id(), bundle, check=False).failed()
        assert want in r.stderr, r.describe()
        assert "exited during create" not in r.stderr and "No such process" not in r.stderr, r.describe()
    assert rt.list("-q").stdout.split() == []


@pytest.mark.parametrize("args,text", [(["/etc/passwd"], "permission denied"),
                                       (["/no/such/cmd"], "no such file or directory"),
                                       (["no-such-cmd"], "not found")])
def test_exec_error_text(rt, bundle, args, text):
    """A command that cannot be executed fails create with the reason podman maps to 126 ("permission
    denied") or 127 ("not found", "no such file"), every time: never an error about the init's namespaces,
    which the parent sets up in parallel with an init that may already have failed."""
    bundle.args(*args)
    for _ in range(10):
        r = rt.create(rt.new_id(), bundle, check=False)
        assert r.returncode != 0, r.describe()
        assert text in r.stderr.lower() and "/ns/" not in r.stderr, r.describe()
