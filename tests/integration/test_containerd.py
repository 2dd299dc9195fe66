"""cell under containerd (Debian's containerd 1.6 and its runc shim v2), driven with ctr; runc is the control.

One containerd per module, started here with its own root, state, sockets and opt dir under the session's
directory (in the cgroup v2 view the suite runs in), stopped by pid at the end. The test image is built with
umoci and imported with `ctr images import`; nothing is pulled. Each test runs its containers through the
runtime under test (`ctr run --runc-binary`, `--runc-root` in the test's directory, so the leak checker sees
the runtime's state) and checks that nothing is left: no container, task, shim, state, cgroup or mount.

ctr asks for cpu.shares 1024 by default; where the v2 hierarchy has no cpu controller (the cgroup v2 view of a
hybrid host) runc and cell both refuse that (runc: "openat2 .../cpu.weight: no such file or directory"), so
there the tests pass `--cpu-shares 0` (no cpu limit); in the VM they keep ctr's default.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

import cri
from callers import IMAGE_TAG, build_image, pids_with_arg, remove_empty_cgroups, run, stop_pid, wait_for
from helpers import CGROUP_ROOT, cgroup2_controllers

pytestmark = [
    pytest.mark.skipif(not shutil.which("containerd") or not shutil.which("ctr")
                       or not shutil.which("umoci"),
                       reason="containerd, ctr and umoci are needed (tests/deps.sh installs them)"),
    # the control is runc; crun 1.8.1 raises RLIMIT_MEMLOCK, which this host refuses (no CAP_SYS_RESOURCE)
    pytest.mark.skip_runtime("crun", "raises RLIMIT_MEMLOCK above the hard limit: EPERM without CAP_SYS_RESOURCE"),
]

IMAGE = "cell.test/%s" % IMAGE_TAG
CRI_NAMESPACE = "k8s.io"  # where containerd's CRI plugin keeps its images and containers
# ctr's default cpu.shares needs the cpu controller (see above)
CPU_OPTS = [] if "cpu" in cgroup2_controllers() else ["--cpu-shares", "0"]

CONFIG = """\
version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # no CAP_SYS_RESOURCE here: the sandbox's oom_score_adj -998 would fail (in runc as in cell)
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni/bin"
    conf_dir = "{d}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "{default}"
{runtimes}"""

RUNTIME_ENTRY = """\
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}.options]
        BinaryName = "{binary}"
        Root = "{root}"
        SystemdCgroup = false
"""


class Containerd:
    """A containerd daemon of our own; ctr(...) runs ctr against it in the module's namespace."""

    def __init__(self, d, runtimes):
        self.dir = Path(d)
        self.namespace = "cell-test-%s" % secrets.token_hex(3)
        self.address = str(self.dir / "c.sock")
        self.runtimes = runtimes  # name -> binary, for the CRI runtime handlers
        self.proc = None

    def config(self, pause_image):
        entries = "".join(RUNTIME_ENTRY.format(name=n, binary=b, root=self.dir / ("cri-root-" + n))
                          for n, b in self.runtimes.items())
        return CONFIG.format(d=self.dir, pause=pause_image, runtimes=entries, default=next(iter(self.runtimes)))

    def start(self, pause_image):
        (self.dir / "cni" / "net.d").mkdir(parents=True)
        (self.dir / "cni" / "bin").mkdir(parents=True)
        (self.dir / "config.toml").write_text(self.config(pause_image))
        self.log = open(self.dir / "containerd.log", "w")
        # containerd 1.6 keeps its shims' sockets in /run/containerd/s whatever its config says: it runs in a
        # mount namespace of its own with a tmpfs on /run, so that nothing of it outlives the test there
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                      'mount -t tmpfs -o mode=0755 cell-test-run /run && exec "$@"', "containerd",
                                      "containerd", "--config", str(self.dir / "config.toml")],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_for(lambda: self.proc.poll() is not None or self.ctr("version", check=False).returncode == 0,
                 "containerd to answer on %s" % self.address)
        assert self.proc.poll() is None, "containerd exited:\n" + (self.dir / "containerd.log").read_text()

    def stop(self):
        stop_pid(self.proc)
        self.log.close()

    def ctr(self, *args, check=True, timeout=60, **kw):
        return run(self.ctr_argv(*args),
                   check=check, timeout=timeout, **kw)

    def ctr_argv(self, *args):
        """ctr against this daemon; run and exec get a --fifo-dir here (ctr's default is in /run/containerd)."""
        args = [str(a) for a in args]
        if args[:1] == ["run"] or args[:2] == ["tasks", "exec"]:
            n = 1 if args[0] == "run" else 2
            args[n:n] = ["--fifo-dir", str(self.dir / "fifo")]
        if args[:1] == ["--namespace"]:
            return ["ctr", "--address", self.address] + args
        return ["ctr", "--address", self.address, "--namespace", self.namespace] + args

    def mounts(self):
        """The mount table of containerd's own mount namespace (where the shims mount rootfs)."""
        with open("/proc/%d/mountinfo" % self.proc.pid) as f:
            return f.read().splitlines()

    def shims(self):
        """Live shim processes of this daemon (containerd-shim-runc-v2 -address OUR_SOCKET ...)."""
        return pids_with_arg("containerd-shim", self.address)

    def leftovers(self, ids, namespace=None):
        found = []
        for what, args in (("container", ("containers", "ls", "-q")), ("task", ("tasks", "ls", "-q"))):
            for line in self.ctr("--namespace", namespace or self.namespace, *args).stdout.split():
                if line in ids:
                    found.append("containerd %s: %s" % (what, line))
        for pid in self.shims():
            argv = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
            if any(i.encode() in argv for i in ids):
                found.append("shim: %d %s" % (pid, b" ".join(argv).decode(errors="replace")))
        for line in self.mounts():
            if any("/" + i + "/" in line for i in ids):
                found.append("mount in containerd's namespace: %s" % line)
        return found


@pytest.fixture(scope="module")
def containerd(session_dir, rootfs_template):
    from helpers import runtime_binary, runtime_names
    d = session_dir / ("containerd-" + secrets.token_hex(3))
    d.mkdir()
    # the pod sandbox's image: a process that waits to be killed, as pause does
    oci, archive = build_image(d / "image", rootfs_template, extra_tags={"pause": ["sleep", "2147483647"]})
    daemon = Containerd(d, {n: runtime_binary(n) for n in runtime_names()})
    daemon.start(pause_image=IMAGE + ":pause")
    try:
        out = daemon.ctr("images", "import", "--base-name", IMAGE, archive).stdout
        assert IMAGE in out, out
        daemon.ctr("--namespace", CRI_NAMESPACE, "images", "import", "--base-name", IMAGE, archive)
        yield daemon
        for ns in (daemon.namespace, CRI_NAMESPACE):
            for cid in daemon.ctr("--namespace", ns, "containers", "ls", "-q").stdout.split():
                daemon.ctr("--namespace", ns, "tasks", "kill", "-s", "SIGKILL", cid, check=False)
                daemon.ctr("--namespace", ns, "tasks", "delete", "--force", cid, check=False)
                daemon.ctr("--namespace", ns, "containers", "delete", cid, check=False)
    finally:
        daemon.stop()
        remove_empty_cgroups(CGROUP_ROOT / daemon.namespace)
    left = daemon.shims()
    assert not left, "containerd shims left running: %s" % left
    assert not (CGROUP_ROOT / daemon.namespace).exists(), "cgroup %s left" % daemon.namespace


class Ctr:
    """ctr run/tasks through one runtime (rt.binary), with its state in the test's directory."""

    def __init__(self, daemon, rt):
        self.d = daemon
        self.rt = rt
        self.runc_root = rt.workdir / "runc-root"
        rt.root = self.runc_root / daemon.namespace  # the shim adds the namespace: the leak checker looks there

    def new_id(self):
        return self.rt.new_id("ctr")

    def run_argv(self, *opts):
        return ["run", "--runc-binary", self.rt.binary, "--runc-root", self.runc_root,
                "--env", "CELL_TEST_TOKEN=" + self.rt.token] + CPU_OPTS + list(opts)

    def run(self, cid, *cmd, opts=(), check=False, timeout=60):
        return self.d.ctr(*self.run_argv(*opts), IMAGE + ":" + IMAGE_TAG, cid, *cmd, check=check,
                          timeout=timeout)

    def tasks(self, *args, check=True, **kw):
        return self.d.ctr("tasks", *args, check=check, **kw)

    def status(self, cid):
        for line in self.tasks("ls").stdout.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return f[2]
        return None

    def cgroup(self, cid):
        return CGROUP_ROOT / self.d.namespace / cid

    def remove(self, cid):
        """tasks delete (the shim's exit status is in its warning) + containers delete; returns delete's
        output."""
        r = self.tasks("delete", cid)
        self.d.ctr("containers", "delete", cid)
        return r.stdout + r.stderr


@pytest.fixture
def ctr(containerd, rt):
    c = Ctr(containerd, rt)
    yield c
    left = containerd.leftovers(rt.ids)
    for cid in rt.ids:  # after a failure: clean up, so that the next tests start clean
        containerd.ctr("tasks", "delete", "--force", cid, check=False)
        containerd.ctr("containers", "delete", cid, check=False)
    assert not left, "%s under containerd left behind:\n  %s" % (rt.name, "\n  ".join(left))


def test_run_foreground(ctr):
    """`ctr run --rm`: the container's output and exit status reach ctr; the process runs with the image's
    env and containerd's default spec (uid 0, its own pid namespace)."""
    cid = ctr.new_id()
    r = ctr.run(cid, "/bin/sh", "-c", 'echo "hello $$"; echo "path $PATH"; id -u; exit 5',
                opts=["--rm"])
    assert r.returncode == 5, r
    lines = r.stdout.splitlines()
    assert lines[0] == "hello 1", r.stdout
    assert lines[1] == "path /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert lines[2] == "0"


def test_run_foreground_tty(ctr):
    """`ctr run -t` through a pty (script): the container's stdio is a terminal the shim got from the
    runtime's --console-socket."""
    cid = ctr.new_id()
    argv = ctr.d.ctr_argv(*ctr.run_argv("--rm", "-t"), IMAGE + ":" + IMAGE_TAG, cid, "/cellcheck", "tty",
                          "exit", "3")
    p = subprocess.run(["script", "-qec", " ".join(argv), "/dev/null"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert re.search(r"tty0 1 /dev/pts/\d+", p.stdout), p.stdout


def test_detached_exec_ps_pause_metrics_kill(ctr):
    """`ctr run -d`, then tasks exec (plain and --tty), ps, pause/resume, metrics, kill: the init's exit
    status reaches the shim, and delete removes everything."""
    cid = ctr.new_id()
    script = 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done'
    ctr.run(cid, "/bin/sh", "-c", script, opts=["-d"], check=True)
    assert ctr.status(cid) == "RUNNING"
    init_pid = int(ctr.tasks("ls").stdout.split(cid)[1].split()[0])
    ctr.rt.remember(init_pid)
    st = ctr.rt.state(cid)  # the runtime under test made it: its own state sees it
    assert st["status"] == "running" and st["pid"] == init_pid, st

    r = ctr.tasks("exec", "--exec-id", "e1", cid, "/bin/sh", "-c", 'echo "exec $$ $(cat /proc/1/cmdline)"; exit 3',
                  check=False)
    assert r.returncode == 3, r
    assert re.match(r"exec \d+ /bin/sh-c", r.stdout), r.stdout

    argv = ctr.d.ctr_argv("tasks", "exec", "-t", "--exec-id", "e2", cid, "/cellcheck", "tty", "exit", "4")
    p = subprocess.run(["script", "-qec", " ".join(argv), "/dev/null"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 4, (p.stdout, p.stderr)
    assert re.search(r"tty0 1 /dev/pts/\d+", p.stdout), p.stdout

    ps = ctr.tasks("ps", cid).stdout.split()
    assert str(init_pid) in ps, ps

    ctr.tasks("pause", cid)
    assert ctr.status(cid) == "PAUSED"
    assert (ctr.cgroup(cid) / "cgroup.freeze").read_text().strip() == "1"
    ctr.tasks("resume", cid)
    assert ctr.status(cid) == "RUNNING"
    assert (ctr.cgroup(cid) / "cgroup.freeze").read_text().strip() == "0"

    m = ctr.tasks("metrics", "--format", "json", cid).stdout
    assert "cpu" in json.loads(m), m

    ctr.tasks("kill", cid)  # SIGTERM
    wait_for(lambda: ctr.status(cid) == "STOPPED", "the task to stop")
    out = ctr.remove(cid)
    assert "exit code 7" in out, out
    assert not ctr.cgroup(cid).exists()


def test_kill_foreground_status(ctr):
    """SIGKILL from `ctr tasks kill` ends a foreground `ctr run` with 128+9."""
    cid = ctr.new_id()
    p = subprocess.Popen(ctr.d.ctr_argv(*ctr.run_argv("--rm"), IMAGE + ":" + IMAGE_TAG, cid, "sleep", "1000"),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: ctr.status(cid) == "RUNNING", "the task to run")
        ctr.tasks("kill", "-s", "SIGKILL", cid)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 137, (p.returncode, out, err)


@pytest.mark.cgroup_v2
def test_memory_limit_enforced(ctr):
    """`ctr run --memory-limit`: memory.max of the container's cgroup is the limit, and a memory hog is
    OOM-killed (SIGKILL, 137)."""
    limit = 32 << 20
    cid = ctr.new_id()
    ctr.run(cid, "sleep", "1000", opts=["-d", "--memory-limit", str(limit)], check=True)
    assert (ctr.cgroup(cid) / "memory.max").read_text().strip() == str(limit)
    assert ctr.rt.state(cid)["status"] == "running"
    ctr.tasks("kill", "-s", "SIGKILL", cid)
    wait_for(lambda: ctr.status(cid) == "STOPPED", "the task to stop")
    ctr.remove(cid)

    cid = ctr.new_id()
    r = ctr.run(cid, "/bin/sh", "-c", 'tail /dev/zero; echo "hog $?"', opts=["--rm", "--memory-limit", str(limit)],
                timeout=300)
    assert r.returncode == 0 and r.stdout == "hog 137\n", r  # the hog, SIGKILLed by the OOM killer


@pytest.mark.cgroup_v2
def test_cri_pod(containerd, rt):
    """containerd's CRI plugin with a runtime handler per runtime (runtime_type io.containerd.runc.v2,
    BinaryName, SystemdCgroup = false), driven as the kubelet does: RunPodSandbox, CreateContainer,
    StartContainer, ExecSync, StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox. The pod's
    sandbox (pause) container and the app container both run through the handler's runtime. Needs cgroup v2
    controllers: the CRI plugin gives every sandbox cpu.shares 2."""
    if cri.grpc is None:
        pytest.skip("python3-grpcio is needed (tests/deps.sh installs it)")
    rt.root = containerd.dir / ("cri-root-" + rt.name) / CRI_NAMESPACE
    client = cri.CRI(containerd.address)
    cg_parent = "/cell-test-%s" % rt.token
    ids = []
    try:
        assert client.version()["runtime_name"] == "containerd"
        config = cri.CRI.sandbox_config("pod-" + rt.token, rt.token, "default", cg_parent,
                                        str(rt.workdir / "logs"))
        pod = client.run_pod_sandbox(config, rt.name)
        ids.append(pod)
        st = rt.state(pod)  # the handler's runtime runs the sandbox container
        assert st["status"] == "running", st
        rt.remember(st["pid"])

        script = 'trap "exit 3" TERM; echo started; while :; do sleep 0.1; done'
        cid = client.create_container(pod, config, "app", IMAGE + ":" + IMAGE_TAG, ["/bin/sh", "-c", script],
                                      envs=[("CELL_TEST_TOKEN", rt.token)], log_path="app.log")
        ids.append(cid)
        client.start_container(cid)
        st = rt.state(cid)
        assert st["status"] == "running", st
        rt.remember(st["pid"])
        assert client.container_status(cid)["state"] == cri.CONTAINER_RUNNING

        rc, out, err = client.exec_sync(cid, ["/bin/sh", "-c", 'echo "out $(cat /proc/1/cmdline)"; echo err >&2; '
                                              'exit 4'])
        assert (rc, out, err) == (4, "out /bin/sh-c%s\n" % script, "err\n")
        wait_for(lambda: "started" in (rt.workdir / "logs" / "app.log").read_text(), "the container's log")

        client.stop_container(cid, 30)
        s = client.container_status(cid)
        assert s == {"state": cri.CONTAINER_EXITED, "exit_code": 3}, s
        client.remove_container(cid)
        client.stop_pod_sandbox(pod)
        client.remove_pod_sandbox(pod)
        assert pod not in client.list_pod_sandbox()
        left = containerd.leftovers(ids, namespace=CRI_NAMESPACE)
        assert not left, "%s under CRI left behind:\n  %s" % (rt.name, "\n  ".join(left))
    finally:
        for i in reversed(ids):
            for call in (client.stop_pod_sandbox, client.remove_pod_sandbox):
                try:
                    call(i)
                except Exception:
                    pass
        client.close()
        remove_empty_cgroups(CGROUP_ROOT / cg_parent.lstrip("/"))
