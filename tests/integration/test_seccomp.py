"""linux.seccomp: actions, errnoRet, argument filters, flags, notify (with an agent), the default profile of
`cell spec`, and bad profiles refused with the field named and nothing left behind.

Syscalls are made raw by `/cellcheck syscall NAME,ARG...`, which prints "syscall NAME,ARG... ret=R errno=E"."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from helpers import REPO, TIMEOUT

SIGSYS = 31
EPERM, ENOSYS = 1, 38
CLONE_NEWUSER = 0x10000000
SIGCHLD = 17


def profile(default="SCMP_ACT_ALLOW", syscalls=(), **kw):
    p = {"defaultAction": default, "syscalls": list(syscalls)}
    p.update(kw)
    return p


def rule(names, action, errno_ret=None, args=None):
    r = {"names": [names] if isinstance(names, str) else list(names), "action": action}
    if errno_ret is not None:
        r["errnoRet"] = errno_ret
    if args is not None:
        r["args"] = args
    return r


def arg(index, op, value, value_two=None):
    a = {"index": index, "value": value, "op": op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


def calls(facts):
    """{"umask,8": (ret, errno)} from the "syscall" lines."""
    out = {}
    for v in facts.all("syscall"):
        spec, ret, err = v.split()
        out[spec] = (int(ret.split("=")[1]), int(err.split("=")[1]))
    return out


def run_calls(rt, bundle, *specs, before=()):
    args = list(before)
    for s in specs:
        args += ["syscall", s]
    return calls(rt.run_check(bundle, *args))


def cell_spec_seccomp(rootless=False):
    """The default profile, as `cell spec` writes it."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(REPO / "cell"), "spec"] + (["--rootless"] if rootless else []), cwd=d, check=True)
        with open(os.path.join(d, "config.json")) as f:
            return json.load(f)


# ---------------------------------------------------------------- actions

def test_errno_ret(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", 42),
                                                rule("getpriority", "SCMP_ACT_ERRNO")])
    c = run_calls(rt, bundle, "umask,18", "getpriority,0,0", "getppid")
    assert c["umask,18"] == (-1, 42)
    assert c["getpriority,0,0"] == (-1, EPERM)  # no errnoRet: EPERM
    assert c["getppid"][1] == 0


def test_default_errno_ret(rt, bundle):
    """The default profile with defaultErrnoRet 99: what it does not list fails with 99, what it lists works."""
    p = cell_spec_seccomp()["linux"]["seccomp"]
    p["defaultErrnoRet"] = 99
    bundle.linux["seccomp"] = p
    c = run_calls(rt, bundle, "keyctl,0,-3", "getppid")
    assert c["keyctl,0,-3"] == (-1, 99)
    assert c["getppid"][1] == 0


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS"])
def test_kill(rt, bundle, action):
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", action)])
    bundle.check("pid", "syscall", "umask,18", "pid")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode == 128 + SIGSYS, r.describe()
    assert "syscall umask" not in r.stdout and r.stdout.count("pid 1\n") == 1


def test_trap(rt, bundle):
    """TRAP raises SIGSYS, which a handler can catch (KILL cannot): the handler reports the syscall."""
    bundle.linux["seccomp"] = profile(syscalls=[rule("getpriority", "SCMP_ACT_TRAP")])
    f = rt.run_check(bundle, "sigsys", "syscall", "getpriority,0,0", "pid")
    assert f["sigsys"] == "140"  # getpriority on x86_64
    assert f["pid"] == "1"


def test_trap_uncaught_kills(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule("getpriority", "SCMP_ACT_TRAP")])
    bundle.check("syscall", "getpriority,0,0")
    assert rt.run(rt.new_id(), bundle).returncode == 128 + SIGSYS


def test_trace_without_tracer(rt, bundle):
    """TRACE with no tracer attached: the kernel fails the syscall with ENOSYS."""
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_TRACE", 7)])
    assert run_calls(rt, bundle, "umask,18")["umask,18"] == (-1, ENOSYS)


def test_log_allows(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_LOG"), rule("getppid", "SCMP_ACT_ERRNO", 3)])
    c = run_calls(rt, bundle, "umask,18", "getppid")
    assert c["umask,18"][1] == 0
    assert c["getppid"] == (-1, 3)  # the same filter does block what it should


def test_allow_rule_under_errno_default(rt, bundle):
    """An explicit ALLOW under a deny-by-default: the default profile's allow list, minus umask."""
    p = cell_spec_seccomp()["linux"]["seccomp"]
    p["syscalls"][0]["names"].remove("umask")
    bundle.linux["seccomp"] = p
    c = run_calls(rt, bundle, "umask,18", "getppid")
    assert c["umask,18"] == (-1, EPERM)
    assert c["getppid"][1] == 0


# ---------------------------------------------------------------- arguments

# umask(a) with a rule "a OP 16" (MASKED_EQ: (a & 8) == 8): which of 8, 16, 24 are refused.
OPS = {
    "SCMP_CMP_NE": ({8, 24}, 16, None),
    "SCMP_CMP_LT": ({8}, 16, None),
    "SCMP_CMP_LE": ({8, 16}, 16, None),
    "SCMP_CMP_EQ": ({16}, 16, None),
    "SCMP_CMP_GE": ({16, 24}, 16, None),
    "SCMP_CMP_GT": ({24}, 16, None),
    "SCMP_CMP_MASKED_EQ": ({8, 24}, 8, 8),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_arg_operator(rt, bundle, op):
    refused, value, value_two = OPS[op]
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", 77, [arg(0, op, value, value_two)])])
    c = run_calls(rt, bundle, "umask,8", "umask,16", "umask,24")
    got = {v for v in (8, 16, 24) if c["umask,%d" % v] == (-1, 77)}
    assert got == refused, c
    for v in {8, 16, 24} - refused:
        assert c["umask,%d" % v][1] == 0


def test_args_distinct_indexes_all_match(rt, bundle):
    """Conditions on different arguments must all hold (AND)."""
    bundle.linux["seccomp"] = profile(syscalls=[rule("getpriority", "SCMP_ACT_ERRNO", 77,
                                                     [arg(0, "SCMP_CMP_EQ", 0), arg(1, "SCMP_CMP_EQ", 0)])])
    c = run_calls(rt, bundle, "getpriority,0,0", "getpriority,0,1", "getpriority,1,0")
    assert c["getpriority,0,0"] == (-1, 77)
    assert c["getpriority,0,1"][1] != 77 and c["getpriority,1,0"][1] != 77


def test_args_same_index_any_matches(rt, bundle):
    """Two conditions on the same argument: either one is enough (OR), as runc does."""
    bundle.linux["seccomp"] = profile(syscalls=[rule("getpriority", "SCMP_ACT_ERRNO", 77,
                                                     [arg(0, "SCMP_CMP_EQ", 1), arg(0, "SCMP_CMP_EQ", 2)])])
    c = run_calls(rt, bundle, "getpriority,0,0", "getpriority,1,0", "getpriority,2,0")
    assert c["getpriority,1,0"] == (-1, 77) and c["getpriority,2,0"] == (-1, 77)
    assert c["getpriority,0,0"][1] == 0


def test_unknown_syscall_name_skipped(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule(["cell_no_such_syscall", "umask"], "SCMP_ACT_ERRNO", 42)])
    assert run_calls(rt, bundle, "umask,18")["umask,18"] == (-1, 42)


@pytest.mark.cell_only
def test_unknown_syscall_name_debug_line(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule(["cell_no_such_syscall", "umask"], "SCMP_ACT_ERRNO", 42)])
    bundle.check("id")
    r = rt("--debug", "run", "--bundle", bundle.path, rt.new_id())
    assert r.returncode == 0, r.describe()
    assert "linux.seccomp.syscalls[0]: unknown syscall 'cell_no_such_syscall' skipped" in r.stderr


def test_architectures(rt, bundle):
    bundle.linux["seccomp"] = profile(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                      syscalls=[rule("umask", "SCMP_ACT_ERRNO", 42)])
    assert run_calls(rt, bundle, "umask,18")["umask,18"] == (-1, 42)


# ---------------------------------------------------------------- flags, noNewPrivileges, exec

@pytest.mark.skip_runtime("runc", "runc 1.1: \"seccomp flags are not yet supported by runc\"")
@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
def test_flags(rt, bundle, flag):
    bundle.linux["seccomp"] = profile(flags=[flag], syscalls=[rule("umask", "SCMP_ACT_ERRNO", 42)])
    assert run_calls(rt, bundle, "umask,18")["umask,18"] == (-1, 42)


@pytest.mark.parametrize("uid", [0, 1000])
def test_without_no_new_privileges(rt, bundle, uid):
    """Without no_new_privs the load needs CAP_SYS_ADMIN, which the process must not keep afterwards."""
    bundle.process["noNewPrivileges"] = False
    bundle.process["user"] = {"uid": uid, "gid": uid}
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", 42)])
    f = rt.run_check(bundle, "nnp", "caps", "syscall", "umask,18")
    assert f["nnp"] == "0"
    assert calls(f)["umask,18"] == (-1, 42)
    admin = 1 << 21
    for k in ("CapPrm", "CapEff", "CapBnd", "CapInh", "CapAmb"):
        assert not int(f[k], 16) & admin, k
    if uid:
        assert int(f["CapPrm"], 16) == 0 and int(f["CapEff"], 16) == 0


def test_exec_gets_the_filter(rt, bundle):
    bundle.linux["seccomp"] = profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", 42)])
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.wait_output(cid, "sigwait ready")
    try:
        f = rt.exec(cid, "/cellcheck", "syscall", "umask,18", check=True).facts
        assert calls(f)["umask,18"] == (-1, 42)
        f = rt.exec(cid, "/cellcheck", "nnp", "syscall", "umask,18", opts=["--no-new-privs"], check=True).facts
        assert calls(f)["umask,18"] == (-1, 42)
    finally:
        rt.delete(cid, force=True)


# ---------------------------------------------------------------- notify

class Agent:
    """tests/helper/seccomp-agent on a socket in the test's directory."""

    def __init__(self, workdir):
        self.dir = workdir / "agent"
        self.dir.mkdir()
        self.socket = str(workdir / "agent.sock")
        self.proc = subprocess.Popen([str(REPO / "build" / "seccomp-agent"), self.socket, str(self.dir)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def states(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(self.dir.glob("state-*.json"))
            if len(files) >= n or time.monotonic() > deadline:
                return [json.loads(f.read_text()) for f in files]
            time.sleep(0.02)

    def notified(self):
        p = self.dir / "notified"
        return p.read_text().split("\n") if p.exists() else []

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def agent(rt):
    a = Agent(rt.workdir)
    yield a
    a.stop()


def notify_profile(agent, flags=()):
    return profile(listenerPath=agent.socket, listenerMetadata="tenant=42", flags=list(flags),
                   syscalls=[rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")])


def check_state(st, pid, cid):
    assert st["fds"] == ["seccompFd"]
    if pid is not None:
        assert st["pid"] == pid
    assert st["metadata"] == "tenant=42"
    assert st["state"]["id"] == cid
    assert "ociVersion" in st and st["state"]["status"] in ("creating", "created", "running")


@pytest.mark.parametrize("flags", [(), ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",)], ids=["plain", "killable"])
def test_notify_init(rt, bundle, agent, flags):
    """The agent gets the init's listener and the state; it makes mkdir succeed without creating anything
    (the rootfs is read-only, so a real mkdir would fail with EROFS)."""
    if flags and rt.name != "cell":
        pytest.skip("%s predates SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" % rt.name)
    bundle.linux["seccomp"] = notify_profile(agent, flags)
    bundle.check("syscall", "mkdir,/tmp/notified,0755", "stat", "/tmp/notified", "sigwait")
    cid = rt.started(bundle)
    try:
        out = rt.wait_output(cid, "sigwait ready")
        assert "syscall mkdir,/tmp/notified,0755 ret=0 errno=0" in out
        assert "stat /tmp/notified err=2" in out
        assert not (bundle.rootfs / "tmp" / "notified").exists()
        (st,) = agent.states(1)
        check_state(st, rt.state(cid)["pid"], cid)
        assert any(line.startswith("mkdir") for line in agent.notified())
    finally:
        rt.delete(cid, force=True)


def test_notify_exec(rt, bundle, agent):
    bundle.linux["seccomp"] = notify_profile(agent)
    bundle.check("sigwait")
    cid = rt.started(bundle)
    try:
        rt.wait_output(cid, "sigwait ready")
        agent.states(1)
        pid_file = rt.workdir / "exec.pid"
        r = rt.exec(cid, "/cellcheck", "syscall", "mkdir,/tmp/by-exec,0755", "stat", "/tmp/by-exec",
                    opts=["--pid-file", pid_file], check=True)
        assert "syscall mkdir,/tmp/by-exec,0755 ret=0 errno=0" in r.stdout
        assert "stat /tmp/by-exec err=2" in r.stdout
        states = agent.states(2)
        assert len(states) == 2
        # crun 1.8.1 sends "pid": 0 for an exec'd process
        check_state(states[1], None if rt.name == "crun" else int(pid_file.read_text()), cid)
    finally:
        rt.delete(cid, force=True)


@pytest.mark.cell_only
def test_notify_agent_not_listening(rt, bundle, agent):
    """No agent at listenerPath: create fails naming the field, and leaves nothing."""
    p = notify_profile(agent)
    p["listenerPath"] = str(rt.workdir / "nobody.sock")
    bundle.linux["seccomp"] = p
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False).failed()
    assert "linux.seccomp.listenerPath: connect" in r.stderr
    assert rt.list("-q").stdout.split() == []


# ---------------------------------------------------------------- the default profile

# What the default profile must refuse with EPERM, and the calls that prove it (harmless if they went through).
BLOCKED = ["keyctl,0,-3", "add_key,0,0,0,0,0", "request_key,0,0,0,0", "bpf,0,0,0", "perf_event_open,0,0,0,0,0",
           "kexec_load,0,0,0,0", "open_by_handle_at,0,0,0", "mount,0,0,0,0,0", "umount2,0,0", "swapon,0,0",
           "reboot,0,0,0,0", "unshare,%d" % CLONE_NEWUSER, "clone,%d" % (CLONE_NEWUSER | SIGCHLD), "setns,0,0"]


def test_default_profile(rt, bundle):
    bundle.linux["seccomp"] = cell_spec_seccomp()["linux"]["seccomp"]
    c = run_calls(rt, bundle, *BLOCKED, "clone3,0,0", "clone,%d" % SIGCHLD, "getppid")
    for s in BLOCKED:
        assert c[s] == (-1, EPERM), s
    assert c["clone3,0,0"] == (-1, ENOSYS)
    assert c["clone,%d" % SIGCHLD][1] == 0
    assert c["getppid"][1] == 0


def test_default_profile_control(rt, bundle):
    """The same calls without a filter: keyctl and a new user namespace go through, so the test above proves
    the filter and not the missing capabilities."""
    c = run_calls(rt, bundle, "keyctl,0,-3", "unshare,%d" % CLONE_NEWUSER)
    assert c["keyctl,0,-3"][1] == 0
    assert c["unshare,%d" % CLONE_NEWUSER][1] == 0


def test_default_profile_runs_a_shell(rt, bundle):
    bundle.linux["seccomp"] = cell_spec_seccomp()["linux"]["seccomp"]
    bundle.sh("echo start; ls / >/dev/null && cat /etc/hostname && (sleep 0; echo sub) | cat; "
              "for i in 1 2; do echo $i; done; unshare -U true || echo no-userns")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode == 0, r.describe()
    assert r.stdout.split() == ["start", "rootfs", "sub", "1", "2", "no-userns"]


@pytest.mark.cell_only
@pytest.mark.parametrize("rootless", [False, True], ids=["root", "rootless"])
def test_spec_has_default_profile(rt, rootless):
    p = cell_spec_seccomp(rootless)["linux"]["seccomp"]
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == EPERM
    allowed = {n for r in p["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and "args" not in r for n in r["names"]}
    for name in ("keyctl", "add_key", "request_key", "bpf", "perf_event_open", "kexec_load", "open_by_handle_at",
                 "mount", "umount2", "swapon", "reboot", "unshare", "setns", "clone", "clone3"):
        assert name not in allowed, name
    for name in ("read", "write", "execve", "openat", "mmap", "exit_group", "wait4"):
        assert name in allowed, name


@pytest.mark.cell_only
def test_spec_config_runs(rt, bundle):
    """`cell spec`'s whole config (what make demo runs), terminal off, runs a shell in the busybox rootfs."""
    config = cell_spec_seccomp()
    config["process"]["terminal"] = False
    config["process"]["args"] = ["sh", "-c", "echo hello from $(hostname)"]
    config["process"]["env"].append("CELL_TEST_TOKEN=" + rt.token)
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    bundle.write(config)
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode == 0, r.describe()
    assert r.stdout.strip() == "hello from cell"


# ---------------------------------------------------------------- bad profiles

BAD = {
    "action": (profile(syscalls=[rule("a", "SCMP_ACT_ALLOW"), rule("b", "SCMP_ACT_ERRNO"),
                                 rule("c", "SCMP_ACT_FOO")]),
               "linux.seccomp.syscalls[2].action: unknown action 'SCMP_ACT_FOO'"),
    "default-action": (profile(default="SCMP_ACT_MAYBE"),
                       "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'"),
    "op": (profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", args=[arg(0, "SCMP_CMP_ABOUT", 1)])]),
           "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ABOUT'"),
    "arch": (profile(architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]),
             "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'"),
    "flag": (profile(flags=["SECCOMP_FILTER_FLAG_MAGIC"]),
             "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_MAGIC'"),
    "index": (profile(syscalls=[rule("umask", "SCMP_ACT_ERRNO", args=[arg(6, "SCMP_CMP_EQ", 1)])]),
              "linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument (0..5)"),
    "notify-no-listener": (profile(syscalls=[rule("mkdir", "SCMP_ACT_NOTIFY")]),
                           "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY"),
    "notify-default": (profile(default="SCMP_ACT_NOTIFY", listenerPath="/nonexistent.sock"),
                       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
}


@pytest.mark.cell_only
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_profile(rt, bundle, case):
    p, message = BAD[case]
    bundle.linux["seccomp"] = p
    bundle.write()
    r = rt.create(rt.new_id(), bundle, check=False).failed()
    assert message in r.stderr
    assert rt.list("-q").stdout.split() == []


@pytest.mark.parametrize("case", ["action", "default-action", "op", "arch"])
def test_bad_profile_refused(rt, bundle, case):
    """Every runtime refuses these (the messages differ); the leak checker sees that nothing is left."""
    bundle.linux["seccomp"] = BAD[case][0]
    bundle.write()
    rt.create(rt.new_id(), bundle, check=False).failed()


# ---------------------------------------------------------------- features

@pytest.mark.cell_only
def test_features(rt):
    r = subprocess.run([rt.binary, "features"], capture_output=True, text=True, timeout=TIMEOUT, check=True)
    s = json.loads(r.stdout)["linux"]["seccomp"]
    assert s["enabled"] is True
    assert set(s["actions"]) == {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                                 "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
                                 "SCMP_ACT_NOTIFY"}
    assert set(s["operators"]) == set(OPS)
    assert {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"} <= set(s["archs"])
    known = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
    assert s["knownFlags"] == known
    # This kernel (>= 5.19) has them all; each is exercised by a test above.
    if tuple(int(x) for x in os.uname().release.split(".")[:2]) >= (5, 19):
        assert s["supportedFlags"] == known
