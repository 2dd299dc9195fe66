"""escape classes that have hit runc, crun and youki: each test plays the attack (stopped before it does
harm) and fails on a runtime that is vulnerable to it."""
import errno
import os
import shutil
import stat
import subprocess
import threading
import time

import pytest

from helpers import Facts, Result, runtime_binary

TMPFS_TMP = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}


def wait_for(path, text, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        out = path.read_text(errors="replace")
        if text in out:
            return out
        if time.monotonic() > deadline:
            raise AssertionError("no %r in %s:\n%s" % (text, path, out))
        time.sleep(0.02)


# ---------------------------------------------------------------- CVE-2019-5736: /proc/PID/exe

def assert_exe_not_writable(rt, text):
    """The probe's report: the runtime's binary behind /proc/PID/exe could not be reopened for writing."""
    f = Facts(text)
    assert int(f["exe"].split()[1]) > 0, "the probe found no process:\n" + text
    opened = f["exe-open"]
    if opened.startswith("err="):
        assert int(opened[4:]) in (errno.EACCES, errno.EPERM), text  # not even reachable
        return
    fields = dict(kv.split("=") for kv in opened.split())
    maj, mnr = map(int, fields["dev"].split(":"))
    host = os.stat(runtime_binary(rt.name))
    if (maj, mnr, int(fields["ino"])) != (os.major(host.st_dev), os.minor(host.st_dev), host.st_ino):
        return  # a copy (memfd): writing it cannot reach the host's binary
    reopen = f["exe-reopen"]
    assert reopen != "ok", "the host's %s binary was writable from the container:\n%s" % (rt.name, text)
    assert reopen != "err=%d" % errno.ETXTBSY, "inconclusive, the binary stayed busy:\n%s" % text


def copy_libs(rootfs, binary):
    """The shared libraries of binary (ldd), copied into the rootfs at their paths: the image of the original
    exploit had them, and the runtime's binary cannot start in the container without them."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    for line in out.splitlines():
        path = [w for w in line.split() if w.startswith("/")]
        if path:
            dest = rootfs / path[0].lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                shutil.copy2(os.path.realpath(path[0]), dest)


def shebang_bundle(rt, bundle):
    """/sheb runs the runtime's own binary in the container; --log makes it block opening a FIFO until the
    probe holds its /proc/PID/exe."""
    copy_libs(bundle.rootfs, runtime_binary(rt.name))
    sheb = bundle.rootfs / "sheb"
    sheb.write_text("#!/proc/self/exe --log=/tmp/fifo\n")
    os.chmod(sheb, 0o755)
    bundle.config["mounts"].append(TMPFS_TMP)
    return bundle.write()


@pytest.mark.parametrize("ptrace", [False, True], ids=["default-caps", "CAP_SYS_PTRACE"])
def test_exe_while_created(rt, bundle, ptrace):
    """A process exec'd into a created container goes for /proc/1/exe, the runtime's init, and waits for
    start to reopen it for writing. With CAP_SYS_PTRACE the init's not being dumpable does not stop it."""
    if ptrace:
        for s in ("bounding", "effective", "permitted"):
            bundle.process["capabilities"][s].append("CAP_SYS_PTRACE")
    bundle.check("sleep", "30")
    cid = rt.new_id()
    rt.create(cid, bundle)
    probe = rt.exec(cid, "/cellcheck", "exe-probe", "1", opts=("-d",)).ok()
    out = wait_for(probe.out_path, "exe-open")
    rt.start(cid)
    if "exe-open err" not in out:
        out = wait_for(probe.out_path, "exe-reopen")
    rt.delete(cid, force=True)
    assert_exe_not_writable(rt, out)
    if ptrace:
        assert "exe-open err" not in out, "CAP_SYS_PTRACE should reach /proc/1/exe:\n" + out


@pytest.mark.skip_runtime("crun", "crun does not open --log=PATH at startup: nothing blocks it for the probe")
def test_exe_shebang_at_start(rt, bundle):
    """process.args is a `#!/proc/self/exe` script: the init's execve runs the runtime's binary in the
    container (no pid namespace, so that the probe outlives it)."""
    shebang_bundle(rt, bundle).args("/sheb")
    bundle.drop_namespace("pid")
    cid = rt.new_id()
    rt.create(cid, bundle)
    probe = rt.exec(cid, "/cellcheck", "exe-probe", "fifo:/tmp/fifo", opts=("-d",)).ok()
    wait_for(probe.out_path, "exe-fifo ready")
    rt.start(cid)
    out = wait_for(probe.out_path, "exe-reopen")
    rt.delete(cid, force=True)
    assert_exe_not_writable(rt, out)


@pytest.mark.skip_runtime("crun", "crun does not open --log=PATH at startup: nothing blocks it for the probe")
def test_exe_shebang_exec(rt, bundle):
    """`exec` of a `#!/proc/self/exe` script in a running container."""
    shebang_bundle(rt, bundle).check("sleep", "30")
    cid = rt.started(bundle)
    probe = rt.exec(cid, "/cellcheck", "exe-probe", "fifo:/tmp/fifo", opts=("-d",)).ok()
    wait_for(probe.out_path, "exe-fifo ready")
    rt.exec(cid, "/sheb")  # fails (the runtime's usage error) once the probe lets it go
    out = wait_for(probe.out_path, "exe-reopen")
    rt.delete(cid, force=True)
    assert_exe_not_writable(rt, out)


# ---------------------------------------------------------------- fds and cwd (CVE-2024-21626 class)

def fd_targets(facts):
    return {int(v.split()[0]): v.split(" ", 1)[1] if " " in v else "" for v in facts.all("fd")}


@pytest.fixture
def host_fds(rt):
    """{3: a host directory (with a marker file), 5: a host file, 7: the host's /}: what the runtime's caller
    holds open, placed at these numbers in the runtime's process by fd_call()."""
    hostdir = rt.workdir / "hostdir"
    hostdir.mkdir()
    (hostdir / "HOSTMARK").write_text("host\n")
    opened = {3: os.open(hostdir, os.O_RDONLY | os.O_DIRECTORY), 5: os.open(hostdir / "HOSTMARK", os.O_RDONLY),
              7: os.open("/", os.O_RDONLY | os.O_DIRECTORY)}
    yield opened
    for fd in opened.values():
        os.close(fd)


def fd_call(rt, fds, *args, tag="fds"):
    """Run the runtime with fds (number -> our fd) open in it, as a caller that leaks them would."""
    out, err = rt.workdir / ("out-%s-%d" % (tag, len(list(rt.workdir.iterdir())))), None
    err = out.with_suffix(".err")

    def place():
        for n, fd in fds.items():
            os.dup2(fd, n)
    argv = rt.argv(*args)
    with open(out, "w+") as fo, open(err, "w+") as fe, rt.empty_stdin() as fi:
        p = subprocess.run(argv, stdin=fi, stdout=fo, stderr=fe, pass_fds=tuple(fds), preexec_fn=place,
                           timeout=30)
    return Result(argv, p.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"), out)


def test_caller_fds_not_inherited(rt, bundle, host_fds):
    """Without --preserve-fds nothing but stdio reaches the container; with --preserve-fds 1 exactly fd 3."""
    bundle.check("fds")
    r = fd_call(rt, host_fds, "run", "--bundle", bundle.path, rt.new_id()).ok()
    assert fd_targets(r.facts) == {}, r.stdout
    r = fd_call(rt, host_fds, "run", "--bundle", bundle.path, "--preserve-fds", "1", rt.new_id()).ok()
    assert list(fd_targets(r.facts)) == [3], r.stdout
    assert fd_targets(r.facts)[3].endswith("/hostdir"), r.stdout


@pytest.mark.skip_runtime("crun", "crun 1.8.1 keeps its caller's fds until execve: a created container's init holds them")
def test_caller_fds_not_held_while_created(rt, bundle, host_fds):
    """The init waiting for start holds none of its caller's fds (a process exec'd meanwhile could reach them
    through /proc/1/fd)."""
    bundle.check("exit", "0")
    cid = rt.new_id()
    fd_call(rt, host_fds, "create", "--bundle", bundle.path, cid).ok()
    pid = rt.state(cid)["pid"]
    held = [os.readlink("/proc/%d/fd/%s" % (pid, n)) for n in os.listdir("/proc/%d/fd" % pid)]
    rt.delete(cid, force=True)
    hostdir = str(rt.workdir / "hostdir")
    assert not [h for h in held if h == "/" or h.startswith(hostdir)], held


def test_exec_fds(rt, bundle, host_fds):
    bundle.check("sleep", "30")
    cid = rt.started(bundle)
    r = fd_call(rt, host_fds, "exec", cid, "/cellcheck", "fds").ok()
    assert fd_targets(r.facts) == {}, r.stdout
    r = fd_call(rt, host_fds, "exec", "--preserve-fds", "1", cid, "/cellcheck", "fds").ok()
    assert sorted(fd_targets(r.facts)) == [3], r.stdout
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("runc", "runc 1.1.5 passes its own fd 4 (/sys/fs/cgroup) as the unopened preserved fd")
def test_exec_preserve_fds_hole(rt, bundle, host_fds):
    """--preserve-fds 2 with fd 4 not open in the caller: whatever the runtime holds at 4 stays out."""
    bundle.check("sleep", "30")
    cid = rt.started(bundle)
    r = fd_call(rt, host_fds, "exec", "--preserve-fds", "2", cid, "/cellcheck", "fds").ok()
    assert sorted(fd_targets(r.facts)) == [3], r.stdout
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 keeps its caller's fds until execve: /proc/self/fd/N reaches them")
@pytest.mark.parametrize("n", [3, 5, 7, 8, 9])
def test_cwd_proc_self_fd(rt, bundle, host_fds, n):
    """process.cwd /proc/self/fd/N: the container's process never starts with a cwd outside its root."""
    bundle.process["cwd"] = "/proc/self/fd/%d" % n
    bundle.check("cwd", "stat", "HOSTMARK", "stat", "../../../../../../etc/shadow")
    r = fd_call(rt, host_fds, "run", "--bundle", bundle.path, rt.new_id())
    if r.returncode != 0:
        return  # refused: fine
    assert "err" in r.facts.stat("HOSTMARK"), r.stdout
    assert "err" in r.facts.stat("../../../../../../etc/shadow"), r.stdout


@pytest.mark.skip_runtime("crun", "crun 1.8.1 keeps its caller's fds until execve: /proc/self/fd/N reaches them")
@pytest.mark.parametrize("n", [3, 5, 7, 8, 9])
def test_exec_cwd_proc_self_fd(rt, bundle, host_fds, n):
    bundle.check("sleep", "30")
    cid = rt.started(bundle)
    r = fd_call(rt, host_fds, "exec", "--cwd", "/proc/self/fd/%d" % n, cid, "/cellcheck", "cwd", "stat",
                "HOSTMARK", "stat", "../../../../../../etc/shadow")
    rt.delete(cid, force=True)
    if r.returncode != 0:
        return
    assert "err" in r.facts.stat("HOSTMARK"), r.stdout
    assert "err" in r.facts.stat("../../../../../../etc/shadow"), r.stdout


def test_fd_cwd_inside_container(rt, bundle, host_fds):
    """Once running, the container's process finds no runtime fd to chdir through."""
    bundle.check("fd-cwd", "3", "fd-cwd", "4", "fd-cwd", "5", "fd-cwd", "6", "fd-cwd", "7")
    r = fd_call(rt, host_fds, "run", "--bundle", bundle.path, rt.new_id()).ok()
    assert "cwd" not in r.facts, r.stdout
    assert len(r.facts.all("fd-cwd")) == 5, r.stdout


# ---------------------------------------------------------------- /proc and /sys (CVE-2019-16884, CVE-2019-19921)

def no_dev_tmpfs(bundle):
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/dev")]


@pytest.mark.parametrize("what", ["proc", "sys"])
def test_proc_sys_symlink_refused(rt, bundle, what):
    """/proc (or /sys) in the rootfs is a symlink: the runtime must not mount proc (sysfs) where it points."""
    (bundle.rootfs / what).rmdir()
    (bundle.rootfs / "evil").mkdir()
    os.symlink("/evil", bundle.rootfs / what)
    bundle.check("exit", "0")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0, r.describe()


@pytest.mark.skip_runtime("crun", "crun 1.8.1 mounts whatever a symlink points to, /proc included")
def test_mount_onto_proc_through_symlink_refused(rt, bundle):
    """A later mount whose destination resolves to /proc (a symlink in the rootfs) would hide the real proc
    under a fake one."""
    os.symlink("/proc", bundle.rootfs / "fakeproc")
    bundle.add_mount("/fakeproc", "tmpfs", "tmpfs")
    bundle.check("exit", "0")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0, r.describe()


@pytest.mark.skip_runtime("crun", "crun 1.8.1 mounts whatever a symlink points to, /proc included")
def test_mount_into_proc_through_symlink_refused(rt, bundle):
    """Same, for a bind that lands inside /proc (on /proc/sys/kernel)."""
    os.symlink("/proc/sys/kernel", bundle.rootfs / "fakesys")
    src = rt.workdir / "src"
    src.mkdir()
    bundle.add_mount("/fakesys", "bind", src, ["rbind", "ro"])
    bundle.check("exit", "0")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0, r.describe()


@pytest.mark.skip_runtime("crun", "crun 1.8.1 binds a host directory on /proc")
def test_bind_on_proc_refused(rt, bundle):
    src = rt.workdir / "src"
    src.mkdir()
    (src / "self").mkdir()
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/proc"]
    bundle.add_mount("/proc", "bind", src, ["rbind"])
    bundle.check("exit", "0")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0, r.describe()


def test_lxcfs_style_bind_allowed(rt, bundle):
    """The one exception: a file bound over /proc/meminfo and friends (lxcfs)."""
    src = rt.workdir / "meminfo"
    src.write_text("MemTotal: 1 kB\n")
    bundle.add_mount("/proc/meminfo", "bind", src, ["bind", "ro"])
    bundle.sh("cat /proc/meminfo")
    r = rt.run(rt.new_id(), bundle).ok()
    assert r.stdout == "MemTotal: 1 kB\n"


# ---------------------------------------------------------------- /dev and device nodes (CVE-2021-30465 class)

@pytest.mark.skip_runtime("runc", "runc 1.1.5 creates /dev/{fd,stdin,...} in the host directory")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 creates the device nodes in the host directory")
def test_dev_symlink_to_host(rt, bundle):
    """/dev in the image is a symlink to a host directory (absolute): nodes, links and the console land in the
    rootfs, never in the host directory."""
    victim = rt.workdir / "victim"
    victim.mkdir()
    no_dev_tmpfs(bundle)
    (bundle.rootfs / "dev").rmdir()
    os.symlink(str(victim), bundle.rootfs / "dev")
    bundle.linux["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3}]
    bundle.check("exit", "0")
    rt.run(rt.new_id(), bundle)
    assert os.listdir(victim) == []


@pytest.mark.skip_runtime("runc", "runc 1.1.5 masks with, and reopens its stdio on, the file /dev/null points to")
@pytest.mark.skip_runtime("crun", "crun 1.8.1: the container's output goes into the file /dev/null points to")
def test_masking_dev_null_is_a_proc_file(rt, bundle):
    """CVE-2025-31133: the image's /dev/null is a symlink to a procfs file; masking with it would give the
    container that file in place of the masked path. The attack points it at /proc/sys/kernel/core_pattern; the
    test uses the harmless /proc/self/comm (a vulnerable runc 1.1.5 even writes the container's output into it:
    never point this at a real sysctl)."""
    no_dev_tmpfs(bundle)
    null = bundle.rootfs / "dev" / "null"
    if null.exists() or null.is_symlink():
        null.unlink()
    os.symlink("/proc/self/comm", null)
    bundle.linux["maskedPaths"] = ["/etc/hostname"]
    bundle.check("stat", "/etc/hostname")
    r = rt.run(rt.new_id(), bundle)
    if r.returncode == 0:
        st = r.facts.stat("/etc/hostname")
        assert st["type"] == "char" and st["rdev"] == "1:3", r.stdout


def renameat2_exchange(a, b):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, str(a).encode(), -100, str(b).encode(), 2) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")


@pytest.mark.skip_runtime("runc", "runc 1.1.5 loses the race: mknod in the host directory")
def test_symlink_swap_race(rt, bundle):
    """A racer swaps a rootfs directory with a symlink to a host directory while the runtime makes a device node
    below it (a shared volume can do this to a running create): nothing lands in the host directory. Bounded:
    20 containers. (A mount or a masked path that landed there would only be visible in the container's own
    mount namespace, outside its root: not observable from here, so not tested this way.)"""
    victim = rt.workdir / "victim"
    victim.mkdir()
    (victim / "f").write_text("host\n")
    before = sorted(os.listdir(victim))
    race = bundle.rootfs / "race"
    race.mkdir()
    (race / "f").write_text("rootfs\n")
    alt = bundle.rootfs / "race-alt"
    os.symlink(str(victim), alt)
    bundle.linux["devices"] = [{"path": "/race/d0", "type": "c", "major": 1, "minor": 3}]
    bundle.check("exit", "0")
    stop = threading.Event()

    def racer():
        while not stop.is_set():
            try:
                renameat2_exchange(race, alt)
            except OSError:
                pass
    t = threading.Thread(target=racer)
    t.start()
    try:
        for _ in range(20):
            rt.run(rt.new_id(), bundle)
    finally:
        stop.set()
        t.join()
    assert sorted(os.listdir(victim)) == before
    assert (victim / "f").read_text() == "host\n"
    assert os.stat(victim / "f").st_uid == 0 and stat.S_IMODE(os.stat(victim / "f").st_mode) == 0o644


# ---------------------------------------------------------------- huge values (CVE-2021-43784 class)

def host_ns():
    return {n: str(os.stat("/proc/self/ns/" + n).st_ino) for n in ("mnt", "net", "pid", "ipc", "uts")}


def assert_own_namespaces(facts):
    ns = facts.ns()
    for n, ino in host_ns().items():
        assert ns[n] != ino, "the container shares the host's %s namespace:\n%s" % (n, facts.text)


def test_huge_hostname_refused(rt, bundle):
    bundle.config["hostname"] = "h" * 70000
    bundle.check("exit", "0")
    r = rt.run(rt.new_id(), bundle)
    assert r.returncode != 0, r.describe()
    if rt.name == "cell":
        assert "hostname" in r.stderr and len(r.stderr) < 1000, r.stderr[:300]


def test_many_masked_paths(rt, bundle):
    """10,000 masked paths (most missing, as in an image that lacks them): handled, and the container still has
    every namespace it asked for."""
    paths = ["/proc/kcore", "/etc/hostname"] + ["/nonexistent/%05d" % i for i in range(9998)]
    bundle.linux["maskedPaths"] = paths
    bundle.check("ns", "stat", "/etc/hostname")
    r = rt.run(rt.new_id(), bundle, timeout=120).ok()
    assert_own_namespaces(r.facts)
    assert r.facts.stat("/etc/hostname")["type"] == "char", r.stdout


def test_megabyte_annotations(rt, bundle):
    """2 MB of annotations, with hooks (so that the state with the annotations travels to them): handled; the
    container has its namespaces; state and delete still work."""
    bundle.config["annotations"] = {"a%03d" % i: "x" * 20000 for i in range(100)}
    out = rt.workdir / "hook-state"
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s" % out]}]}
    bundle.check("ns", "sleep", "30")
    cid = rt.new_id()
    rt.create(cid, bundle, timeout=120)
    st = rt.state(cid)
    assert len(st["annotations"]) == 100
    rt.start(cid)
    facts = Facts(wait_for(rt.outputs[cid], "ns uts"))
    assert_own_namespaces(facts)
    rt.delete(cid, force=True)
    assert out.stat().st_size > 2000000
