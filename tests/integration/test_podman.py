"""cell under podman (Debian's podman 4.3 and conmon 2.1), rootful; runc is the control.

podman runs with storage of its own under the module's directory (--root, --runroot, --tmpdir), the cgroupfs
manager, the file events backend, file locks and no network, and drives the runtime under test with
`--runtime DIR/NAME`, a two-line script that execs the runtime with `--root` in the test's directory (where
the leak checker looks). Not `--runtime-flag root=DIR`: podman leaves the runtime flags out of the exit command
conmon runs (`podman container cleanup`), whose delete then looks in the runtime's default root. The image is built with umoci and loaded with `podman load`; nothing is pulled. Every container
is named after the test's ids, carries the test token in its environment and lives under a cgroup parent named
after the token, so that a left-over container, conmon, cgroup, mount or process fails the test.

Host limits the containers.conf here works around, for runc as for cell: no CAP_SYS_RESOURCE (podman's default
RLIMIT_NOFILE/NPROC above the hard limits fail with EPERM in both), and in the cgroup v2 view of a hybrid host
no pids controller (podman's default pids limit 2048 is turned off there; the VM keeps it).
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from callers import IMAGE_TAG, build_image, cmdline, pids_with_arg, remove_empty_cgroups, run, wait_for
from helpers import (CGROUP_ROOT, all_pids, cgroup2_controllers, copy_rootfs, mounts_under, proc_state,
                     read_environ)

pytestmark = [
    pytest.mark.skipif(not shutil.which("podman") or not shutil.which("conmon")
                       or not shutil.which("umoci"),
                       reason="podman, conmon and umoci are needed (tests/deps.sh installs them)"),
    # the control is runc; crun 1.8.1 raises RLIMIT_MEMLOCK, which this host refuses (no CAP_SYS_RESOURCE)
    pytest.mark.skip_runtime("crun", "raises RLIMIT_MEMLOCK above the hard limit: EPERM without CAP_SYS_RESOURCE"),
]

IMAGE = "localhost/cell-test:%s" % IMAGE_TAG
VAR_LIB = Path("/var/lib/containers")  # containers/image's blob-info cache for root, whatever --root says

CONF = """\
[engine]
lock_type = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc={nproc}:{nproc}"]
{pids}
"""


class Podman:
    def __init__(self, d):
        self.dir = Path(d)
        self.conf = self.dir / "containers.conf"
        # conmon lowers its RLIMIT_NPROC hard limit to 32768 on this host: stay at or below it
        nproc = min(os.sysconf("SC_CHILD_MAX") if os.sysconf("SC_CHILD_MAX") > 0 else 32768, 32768)
        pids = "" if "pids" in cgroup2_controllers() else "pids_limit = 0"
        self.conf.write_text(CONF.format(nproc=nproc, pids=pids))

    def argv(self, *args, runtime=None):
        a = ["podman", "--root", self.dir / "root", "--runroot", self.dir / "runroot", "--tmpdir",
             self.dir / "tmp", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
             "--storage-driver", "overlay", "--network-config-dir", self.dir / "net"]
        if runtime:
            a += ["--runtime", runtime]
        return [str(x) for x in a + list(args)]

    def env(self):
        return dict(os.environ, CONTAINERS_CONF=str(self.conf))

    def __call__(self, *args, check=True, timeout=120, **kw):
        return run(self.argv(*args, **kw), check=check, timeout=timeout, env=self.env())


def load_image(pm, archive):
    """`podman load` the test image's archive and tag it IMAGE."""
    out = pm("load", "-i", archive).stdout
    m = re.search(r"Loaded image(?:\(s\))?: (\S+)", out)
    assert m, out
    pm("tag", m.group(1), IMAGE)


@pytest.fixture(scope="module")
def podman_env(session_dir, rootfs_template):
    d = session_dir / "podman"
    d.mkdir()
    had_var_lib = VAR_LIB.exists()
    _, archive = build_image(d / "image", rootfs_template)
    pm = Podman(d)
    load_image(pm, archive)
    yield pm
    pm("rm", "-af", check=False)
    pm("rmi", "-af", check=False)
    for mp in sorted(mounts_under(d), key=len, reverse=True):  # storage's own bind mount of root/overlay
        subprocess.run(["umount", mp], check=False)
    if not had_var_lib:
        shutil.rmtree(VAR_LIB, ignore_errors=True)
    assert not mounts_under(d), mounts_under(d)


class PodmanRT:
    """podman through one runtime (rt): run() names the container after the test and puts it under a cgroup
    parent named after the token."""

    def __init__(self, pm, rt):
        self.pm = pm
        self.rt = rt
        self.cgroup_parent = "/cell-test-%s" % rt.token
        # named as the runtime: podman decides by the name what a runtime supports
        self.runtime = rt.workdir / "runtime" / rt.name
        self.runtime.parent.mkdir()
        self.runtime.write_text('#!/bin/sh\nexec %s --root %s "$@"\n' % (rt.binary, rt.root))
        self.runtime.chmod(0o755)

    def __call__(self, *args, check=True, timeout=120):
        return self.pm(*args, check=check, timeout=timeout, runtime=self.runtime)

    def argv(self, *args):
        return self.pm.argv(*args, runtime=self.runtime)

    def run(self, *args, opts=(), name=None, check=False, timeout=120):
        name = name or self.rt.new_id("pm")
        r = self("run", "--name", name, "--network", "none", "--cgroup-parent", self.cgroup_parent,
                 "--env", "CELL_TEST_TOKEN=" + self.rt.token, *opts, IMAGE, *args, check=check, timeout=timeout)
        return name, r

    def inspect(self, name, fmt):
        return self("inspect", "--format", fmt, name).stdout.strip()

    def cid(self, name):
        return self.inspect(name, "{{.Id}}")

    def status(self, name):
        return self.inspect(name, "{{.State.Status}}")

    def leftovers(self):
        found = []
        out = self("ps", "-a", "--format", "{{.Names}}").stdout.split()
        found += ["podman container: %s" % n for n in out if n in self.rt.ids]
        for n in self.rt.ids:
            found += ["conmon: %d" % pid for pid in pids_with_arg("conmon", n)]
        return found


@pytest.fixture
def podman(podman_env, rt):
    p = PodmanRT(podman_env, rt)
    yield p
    try:  # conmon ends once the exit command it runs (podman container cleanup) is done
        wait_for(lambda: not p.leftovers(), "podman's containers and conmons to go", timeout=20)
    except AssertionError:
        pass
    left = p.leftovers()
    p("rm", "-f", *[n for n in rt.ids], check=False)
    remove_empty_cgroups(CGROUP_ROOT / p.cgroup_parent.lstrip("/"))
    assert not left, "%s under podman left behind:\n  %s" % (rt.name, "\n  ".join(left))


def script_tty(argv, env=None, timeout=60):
    """Run argv on a pty (util-linux script), returning (exit status, output)."""
    import shlex
    p = subprocess.run(["script", "-qec", " ".join(shlex.quote(a) for a in argv), "/dev/null"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env)
    return p.returncode, p.stdout + p.stderr


def test_run_rm(podman):
    """`podman run --rm`: output, exit status, the image's env, nothing left."""
    _, r = podman.run("/bin/sh", "-c", 'echo "hello $$ $PATH"; id -u; exit 5', opts=["--rm"])
    assert r.returncode == 5, r
    assert r.stdout.splitlines() == ["hello 1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "0"]


def test_detached_exec_logs_top_pause_stats_stop(podman):
    """run -d, exec (plain and -it on a pty), logs, top, pause/unpause, stats, then stop: the stop signal
    (SIGTERM) reaches the init, whose exit status podman reports."""
    script = 'trap "echo got-term; exit 9" TERM; echo up; while :; do sleep 0.1; done'
    name, r = podman.run("/bin/sh", "-c", script, opts=["-d"], check=True)
    cid = podman.cid(name)
    st = podman.rt.state(cid)  # the runtime under test holds it
    assert st["status"] == "running", st
    podman.rt.remember(st["pid"])

    r = podman("exec", name, "/bin/sh", "-c", 'echo "exec $(cat /proc/1/cmdline)"; exit 3', check=False)
    assert r.returncode == 3, r
    assert r.stdout.startswith("exec /bin/sh-c"), r.stdout

    rc, out = script_tty(podman.argv("exec", "-it", name, "/cellcheck", "tty", "exit", "4"), env=podman.pm.env())
    assert rc == 4, out
    assert re.search(r"tty0 1 /dev/pts/\d+", out), out

    wait_for(lambda: "up" in podman("logs", name).stdout, "the container's output in podman logs")

    top = podman("top", name, "pid", "args").stdout
    assert re.search(r"^\s*1\s+/bin/sh -c trap", top, re.M), top

    podman("pause", name)
    assert podman.status(name) == "paused"
    assert podman.rt.state(cid)["status"] == "paused"
    podman("unpause", name)
    assert podman.status(name) == "running"
    assert podman.rt.state(cid)["status"] == "running"

    stats = json.loads(podman("stats", "--no-stream", "--format", "json", name).stdout)
    assert [s["name"] for s in stats] == [name], stats

    podman("stop", "-t", "30", name)
    assert podman.inspect(name, "{{.State.ExitCode}}") == "9"
    assert "got-term" in podman("logs", name).stdout
    podman("rm", name)


def test_stop_signal_and_timeout(podman):
    """stop sends the container's stop signal (--stop-signal), and SIGKILL once the timeout has passed
    when the init ignores it."""
    name, _ = podman.run("/bin/sh", "-c", 'trap "exit 10" USR1; trap "" TERM; while :; do sleep 0.1; done',
                         opts=["-d", "--stop-signal", "SIGUSR1"], check=True)
    wait_for(lambda: podman.rt.state(podman.cid(name))["status"] == "running", "running")
    time.sleep(0.3)  # let the shell install its traps before the signal (not a timed assertion)
    podman("stop", "-t", "30", name)
    assert podman.inspect(name, "{{.State.ExitCode}}") == "10"

    name2, _ = podman.run("/bin/sh", "-c", 'trap "" TERM; echo ready; while :; do sleep 0.1; done',
                          opts=["-d"], check=True)
    wait_for(lambda: "ready" in podman("logs", name2).stdout, "the traps")
    podman("stop", "-t", "1", name2)
    assert podman.inspect(name2, "{{.State.ExitCode}}") == "137"
    podman("rm", name, name2)


def test_kill_and_rm_f(podman):
    """kill with a signal reaches the init; rm -f removes a running container and everything it held."""
    name, _ = podman.run("/bin/sh", "-c", 'trap "exit 12" USR2; echo ready; while :; do sleep 0.1; done',
                         opts=["-d"], check=True)
    wait_for(lambda: "ready" in podman("logs", name).stdout, "the traps")
    podman("kill", "--signal", "USR2", name)
    wait_for(lambda: podman.status(name) == "exited", "exited")
    assert podman.inspect(name, "{{.State.ExitCode}}") == "12"
    podman("rm", name)

    name, _ = podman.run("sleep", "1000", opts=["-d"], check=True)
    cid = podman.cid(name)
    podman.rt.remember(podman.rt.state(cid)["pid"])
    podman("rm", "-f", name)
    assert podman.rt.state(cid, check=False).returncode != 0


def test_user_readonly_capdrop(podman):
    """--user, --read-only and --cap-drop reach the container's process."""
    _, r = podman.run("/bin/sh", "-c", "id -u; id -g; touch /x 2>&1; grep CapEff /proc/self/status",
                      opts=["--rm", "--user", "65534:65534", "--read-only", "--cap-drop", "all"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[:2] == ["65534", "65534"], r.stdout
    assert "Read-only file system" in lines[2], r.stdout
    assert lines[3].split() == ["CapEff:", "0000000000000000"], r.stdout

    _, r = podman.run("/bin/sh", "-c", "grep CapBnd /proc/self/status",
                      opts=["--rm", "--cap-drop", "CAP_NET_RAW,CAP_CHOWN"])
    bnd = int(r.stdout.split()[1], 16)
    assert bnd and not bnd & (1 << 13) and not bnd & (1 << 0), r.stdout  # CAP_NET_RAW, CAP_CHOWN


def test_seccomp(podman):
    """podman's default seccomp profile is loaded (mode 2; it refuses bpf(2) with EPERM where the kernel says
    EINVAL to these arguments); seccomp=unconfined loads none."""
    for opts, mode, errno in (([], "2", 1), (["--security-opt", "seccomp=unconfined"], "0", 22)):
        _, r = podman.run("/bin/sh", "-c", "grep ^Seccomp: /proc/self/status; /cellcheck syscall bpf,0,0,0",
                          opts=["--rm"] + opts)
        assert r.returncode == 0, r
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["Seccomp:", mode], r.stdout
        assert lines[1] == "syscall bpf,0,0,0 ret=-1 errno=%d" % errno, r.stdout


def test_rootfs_dir(podman, rootfs_template):
    """--rootfs DIR: a directory as the container's root, no image."""
    d = podman.rt.workdir / "rootfs"
    copy_rootfs(rootfs_template, d)
    (d / "marker").write_text("from-rootfs\n")
    name = podman.rt.new_id("pm")
    r = podman("run", "--rm", "--name", name, "--network", "none", "--cgroup-parent", podman.cgroup_parent,
               "--env", "CELL_TEST_TOKEN=" + podman.rt.token, "--rootfs", d, "cat", "/marker", check=False)
    assert r.returncode == 0 and r.stdout == "from-rootfs\n", r


def test_missing_command_127_not_executable_126(podman):
    """A command missing from the image: exit 127 and podman's "not found" message; a file that is not
    executable: 126 and "permission denied". podman maps the runtime's error text to these."""
    _, r = podman.run("/no/such/cmd", opts=["--rm"])
    assert r.returncode == 127, r
    assert "OCI runtime attempted to invoke a command that was not found" in r.stderr, r.stderr
    _, r = podman.run("no-such-cmd", opts=["--rm"])
    assert r.returncode == 127, r
    assert "executable file not found in $PATH" in r.stderr, r.stderr
    _, r = podman.run("/etc/passwd", opts=["--rm"])
    assert r.returncode == 126, r
    assert "OCI permission denied" in r.stderr, r.stderr
    assert "does not exist" not in r.stderr, r.stderr  # the delete --force after a failed create is quiet


@pytest.mark.cgroup_v2
def test_memory_cpus_pids_limits(podman):
    """--memory, --cpus and --pids-limit reach the container's cgroup, and the memory limit is enforced."""
    _, r = podman.run("/bin/sh", "-c", "cd /sys/fs/cgroup; cat memory.max cpu.max pids.max",
                      opts=["--rm", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "77"])
    assert r.returncode == 0, r
    assert r.stdout.split() == [str(64 << 20), "50000", "100000", "77"], r.stdout
    _, r = podman.run("/bin/sh", "-c", 'tail /dev/zero; echo "hog $?"', opts=["--rm", "--memory", "32m"],
                      timeout=180)
    assert r.returncode == 0 and r.stdout == "hog 137\n", r  # the hog, SIGKILLed by the OOM killer


# ---------------------------------------------------------------- rootless

ROOTLESS_UID = 65534  # Debian's nobody: no /etc/subuid range, so podman maps just this uid to root


class RootlessPodman(Podman):
    """podman as an unprivileged user, in the user namespace it makes (root inside is ROOTLESS_UID outside);
    its storage, XDG_RUNTIME_DIR and HOME under the module's directory. The runtime runs in that namespace and
    keeps its state in its rootless default, $XDG_RUNTIME_DIR/<runtime>."""

    def __init__(self, d):
        super().__init__(d)
        self.xdg = self.dir / "xdg"
        for sub in ("home", "xdg"):
            (self.dir / sub).mkdir()
        self.xdg.chmod(0o700)
        subprocess.run(["chown", "-R", "%d:%d" % (ROOTLESS_UID, ROOTLESS_UID), str(self.dir)], check=True)

    def argv(self, *args, runtime=None):
        # in a directory of the user's own: podman refuses to start in a cwd it cannot enter (a clone under
        # /root, as on a new machine)
        a = ["setpriv", "--reuid", str(ROOTLESS_UID), "--regid", str(ROOTLESS_UID), "--clear-groups",
             "env", "--chdir", self.dir, "podman", "--root", self.dir / "root", "--runroot", self.dir / "runroot", "--tmpdir",
             self.dir / "tmp", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        if runtime:
            a += ["--runtime", runtime]
        return [str(x) for x in a + list(args)]

    def env(self):
        return dict(os.environ, CONTAINERS_CONF=str(self.conf), HOME=str(self.dir / "home"),
                    XDG_RUNTIME_DIR=str(self.xdg), XDG_CONFIG_HOME=str(self.dir / "home" / ".config"),
                    USER="nobody")

    def processes(self):
        """Live processes of this podman (its rootless pause process, which holds the user and mount
        namespaces, conmons, containers): their environment has our XDG_RUNTIME_DIR."""
        mark = b"XDG_RUNTIME_DIR=" + str(self.xdg).encode()
        return [p for p in all_pids() if p != os.getpid() and proc_state(p) not in (None, "Z", "X")
                and mark in read_environ(p).split(b"\0")]


@pytest.fixture(scope="module")
def rootless_env(session_dir, rootfs_template):
    if subprocess.run(["id", "-un", str(ROOTLESS_UID)], capture_output=True).returncode != 0:
        pytest.skip("no user %d" % ROOTLESS_UID)
    d = session_dir / "podman-rootless"
    d.mkdir()
    d.chmod(0o755)
    had_var_lib = VAR_LIB.exists()
    pm = RootlessPodman(d)
    _, archive = build_image(d / "image", rootfs_template)
    archive.parent.chmod(0o755)
    load_image(pm, archive)
    yield pm
    pm("rm", "-af", check=False)
    pm("rmi", "-af", check=False)
    left = [(p, cmdline(p)) for p in pm.processes() if cmdline(p)[:1] != [b"podman"]]
    for pid in pm.processes():  # the pause process is podman's by design; anything else is a leak
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pm.processes(), "rootless podman's processes to go", timeout=10)
    if not had_var_lib:
        shutil.rmtree(VAR_LIB, ignore_errors=True)
    assert not left, "rootless podman left running: %s" % left


def user_reachable(pm, binary):
    """binary itself when the rootless user can execute it; else (a clone under /root, as on a new machine) a
    copy of it, with the same name, in a directory of the user's own."""
    probe = ["setpriv", "--reuid", str(ROOTLESS_UID), "--regid", str(ROOTLESS_UID), "--clear-groups", "test",
             "-x", binary]
    if subprocess.run(probe).returncode == 0:
        return binary
    d = pm.dir / ("bin-%s" % secrets.token_hex(3))
    d.mkdir(mode=0o755)
    copy = d / os.path.basename(binary)
    shutil.copy2(binary, copy)
    copy.chmod(0o755)
    return str(copy)


def test_rootless(rootless_env, rt):
    """Rootless podman: the container's root is the unprivileged user outside (a user namespace mapping
    0 -> 65534), run --rm, run -d + exec + stop, a missing command gives 127; the runtime keeps its state in
    $XDG_RUNTIME_DIR/<runtime>."""
    pm = rootless_env
    rt.root = pm.xdg / rt.name  # the runtime's rootless default (runc's rule, which cell follows)
    runtime = user_reachable(pm, shutil.which(rt.binary) or rt.binary)
    name = rt.new_id("pm")
    base = ["--network", "none", "--env", "CELL_TEST_TOKEN=" + rt.token]
    r = pm("run", "--rm", "--name", name, *base, IMAGE, "/bin/sh", "-c", "id -u; cat /proc/self/uid_map",
           runtime=runtime, check=False)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "0" and lines[1].split() == ["0", str(ROOTLESS_UID), "1"], r.stdout

    name = rt.new_id("pm")
    pm("run", "-d", "--name", name, *base, IMAGE, "/bin/sh", "-c",
       'trap "exit 9" TERM; while :; do sleep 0.1; done', runtime=runtime)
    cid = pm("inspect", "--format", "{{.Id}}", name, runtime=runtime).stdout.strip()
    st = rt.state(cid)
    assert st["status"] == "running", st
    rt.remember(st["pid"])
    with open("/proc/%d/status" % st["pid"]) as f:
        uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
    assert uids == [str(ROOTLESS_UID)] * 4, uids
    r = pm("exec", name, "/bin/sh", "-c", "echo in-exec; exit 3", runtime=runtime, check=False)
    assert (r.returncode, r.stdout) == (3, "in-exec\n"), r
    pm("stop", "-t", "30", name, runtime=runtime)
    assert pm("inspect", "--format", "{{.State.ExitCode}}", name, runtime=runtime).stdout.strip() == "9"
    pm("rm", name, runtime=runtime)

    r = pm("run", "--rm", "--name", rt.new_id("pm"), *base, IMAGE, "/no/such/cmd", runtime=runtime, check=False)
    assert r.returncode == 127, r
    wait_for(lambda: not [n for n in rt.ids for _ in pids_with_arg("conmon", n)], "conmon to go", timeout=20)
    out = pm("ps", "-a", "--format", "{{.Names}}", runtime=runtime).stdout.split()
    assert not set(out) & set(rt.ids), out
