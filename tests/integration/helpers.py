"""Helpers for cell's integration tests: bundles, the runtime driver, fact parsing, the leak checker.

The same tests run against cell, runc and crun (CELL_TEST_RUNTIMES="cell runc crun"): everything here speaks
the runc command line only.
"""
import copy
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CELLCHECK = REPO / "build" / "cellcheck"
BUSYBOX = Path("/bin/busybox")
TIMEOUT = 30


# ---------------------------------------------------------------- runtimes

def runtime_names():
    names = os.environ.get("CELL_TEST_RUNTIMES", "cell").split()
    return names or ["cell"]


def runtime_binary(name):
    if name == "cell":
        return str(REPO / "cell")
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


# ---------------------------------------------------------------- facts printed by cellcheck

class Facts:
    """Lines "key value..." printed by /cellcheck; f["uid"] is the last value for a key, f.all("env") all."""

    def __init__(self, text):
        self.text = text
        self.pairs = []
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            self.pairs.append((key, value))

    def __getitem__(self, key):
        for k, v in reversed(self.pairs):
            if k == key:
                return v
        raise KeyError("%s not in output:\n%s" % (key, self.text))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        return any(k == key for k, _ in self.pairs)

    def all(self, key):
        return [v for k, v in self.pairs if k == key]

    def ns(self):
        return {v.split()[0]: v.split()[1] for v in self.all("ns")}

    def env(self):
        return dict(v.split("=", 1) for v in self.all("env"))

    def stat(self, path):
        """{"type": "char", "mode": "0666", ...} for a "stat PATH" line, or {"err": "2"}."""
        for v in self.all("stat"):
            p, _, rest = v.partition(" ")
            if p == path:
                return dict(kv.split("=", 1) for kv in rest.split())
        raise KeyError("no stat of %s in:\n%s" % (path, self.text))

    def mountinfo(self):
        return [MountInfo(line) for line in self.text.splitlines() if " - " in line and line[0].isdigit()]


class MountInfo:
    """One /proc/PID/mountinfo line."""

    def __init__(self, line):
        self.line = line
        left, _, right = line.partition(" - ")
        f = left.split()
        self.id, self.parent, self.root, self.mount_point = f[0], f[1], f[3], unescape(f[4])
        self.options = set(f[5].split(","))
        self.propagation = f[6:]
        r = right.split()
        self.fstype, self.source = r[0], r[1]
        self.super_options = set(r[2].split(",")) if len(r) > 2 else set()

    def __repr__(self):
        return "<mount %s %s %s>" % (self.mount_point, self.fstype, ",".join(sorted(self.options)))


def unescape(s):
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def mounts_at(mounts, path):
    """The mounts at mount point path, top-most last."""
    return [m for m in mounts if m.mount_point == path]


def caps_mask(names):
    return sum(1 << CAPS[n] for n in set(names))


CAPS = {name: i for i, name in enumerate([
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"])}


# ---------------------------------------------------------------- bundles

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def default_config(token):
    """`runc spec` without terminal, linux.resources, the cgroup mount and seccomp; args run /cellcheck."""
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": ["/cellcheck", "id"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                    "CELL_TEST_TOKEN=" + token],
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "cell-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                            "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


ROOTFS_DIRS = ["bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "etc", "tmp", "root", "mnt", "run",
               "var/tmp", "home"]


def build_rootfs_template(path):
    """A busybox rootfs: /bin/busybox, its applet links, /cellcheck, /etc/passwd and /etc/group."""
    path = Path(path)
    for d in ROOTFS_DIRS:
        (path / d).mkdir(parents=True, exist_ok=True)
    os.chmod(path / "tmp", 0o1777)
    shutil.copy2(BUSYBOX, path / "bin" / "busybox")
    shutil.copy2(CELLCHECK, path / "cellcheck")
    applets = subprocess.run([str(BUSYBOX), "--list-full"], capture_output=True, text=True, check=True).stdout
    for rel in applets.split():
        link = path / rel
        if rel == "bin/busybox" or link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    (path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (path / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n")
    (path / "etc" / "hostname").write_text("rootfs\n")
    return path


def copy_rootfs(template, dest):
    """Directories copied, files hard-linked (tests never write into existing rootfs files)."""
    try:
        subprocess.run(["cp", "-al", str(template), str(dest)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        subprocess.run(["cp", "-a", str(template), str(dest)], check=True)


class Bundle:
    def __init__(self, path, template, token):
        self.path = Path(path)
        self.path.mkdir(parents=True)
        self.rootfs = self.path / "rootfs"
        copy_rootfs(template, self.rootfs)
        self.config = default_config(token)
        self.write()

    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def args(self, *args):
        self.config["process"]["args"] = list(args)
        return self.write()

    def check(self, *cellcheck_args):
        """Make the container run /cellcheck with these subcommands."""
        return self.args("/cellcheck", *cellcheck_args)

    def sh(self, script):
        return self.args("/bin/sh", "-c", script)

    def set_namespace(self, ns_type, path=None):
        nss = [n for n in self.linux["namespaces"] if n["type"] != ns_type]
        nss.append({"type": ns_type, "path": path} if path else {"type": ns_type})
        self.linux["namespaces"] = nss
        return self.write()

    def drop_namespace(self, ns_type):
        self.linux["namespaces"] = [n for n in self.linux["namespaces"] if n["type"] != ns_type]
        return self.write()

    def add_mount(self, destination, type=None, source=None, options=None):
        m = {"destination": destination}
        if type is not None:
            m["type"] = type
        if source is not None:
            m["source"] = str(source)
        if options is not None:
            m["options"] = list(options)
        self.config["mounts"].append(m)
        return self.write()

    def write(self, config=None, raw=None):
        """Write config.json: self.config, another dict, or raw text."""
        text = raw if raw is not None else json.dumps(config if config is not None else self.config, indent=1)
        (self.path / "config.json").write_text(text)
        return self

    def clone_config(self):
        return copy.deepcopy(self.config)


# ---------------------------------------------------------------- the runtime driver

class Result:
    """A finished runtime command: returncode, stdout, stderr (text)."""

    def __init__(self, argv, returncode, stdout, stderr, out_path=None):
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr
        self.out_path = out_path

    @property
    def facts(self):
        return Facts(self.stdout)

    def ok(self):
        assert self.returncode == 0, self.describe()
        return self

    def failed(self):
        assert self.returncode != 0, "expected failure: " + self.describe()
        return self

    def describe(self):
        return "%s -> %s\nstdout:\n%s\nstderr:\n%s" % (" ".join(map(str, self.argv)), self.returncode,
                                                      self.stdout, self.stderr)

    def __repr__(self):
        return "<Result %s>" % self.describe()


class Runtime:
    """Drives one runtime binary with its own --root. Output goes through files, never pipes: a created
    container inherits the runtime's stdio and would hold a pipe open forever."""

    def __init__(self, name, binary, workdir, token):
        self.name = name
        self.binary = binary
        self.workdir = Path(workdir)
        self.root = self.workdir / "state"
        self.token = token
        self.ids = []  # every container id this test used
        self.pids = []  # (pid, starttime) of container processes seen
        self.outputs = {}  # id -> path of the stdout file of the container's create
        self._n = 0

    def __repr__(self):
        return "<Runtime %s>" % self.name

    def argv(self, *args):
        return [self.binary, "--root", str(self.root)] + [str(a) for a in args]

    def _files(self, tag):
        self._n += 1
        out = self.workdir / ("out-%d-%s" % (self._n, tag))
        return out, Path(str(out) + ".err")

    def __call__(self, *args, stdin=None, timeout=TIMEOUT, env=None, cwd=None, tag="cmd",
                 pass_fds=()):
        out, err = self._files(tag)
        argv = self.argv(*args)
        if stdin is None:
            stdin = self.empty_stdin()
        with open(out, "w+") as fo, open(err, "w+") as fe:
            try:
                p = subprocess.run(argv, stdin=stdin, stdout=fo, stderr=fe, timeout=timeout, env=env, cwd=cwd,
                                   pass_fds=pass_fds)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        return Result(argv, rc, out.read_text(errors="replace"), err.read_text(errors="replace"), out)

    def empty_stdin(self):
        """An empty regular file as stdin. Not /dev/null: crun 1.8.1 chowns its stdio to the container's user
        when there is a user namespace, and the host's /dev/null with it (see test_security.py)."""
        p = self.workdir / "empty-stdin"
        p.touch()
        return open(p, "rb")

    def popen(self, *args, stdin=None, tag="bg", **kw):
        """Start a runtime command in the background; .result(timeout) waits and returns a Result."""
        if stdin is None:
            stdin = self.empty_stdin()
        out, err = self._files(tag)
        argv = self.argv(*args)
        fo, fe = open(out, "w+"), open(err, "w+")
        p = subprocess.Popen(argv, stdin=stdin, stdout=fo, stderr=fe, **kw)
        fo.close()
        fe.close()

        def result(timeout=TIMEOUT):
            try:
                rc = p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                rc = "timeout"
            return Result(argv, rc, out.read_text(errors="replace"), err.read_text(errors="replace"))
        p.result = result
        return p

    def new_id(self, prefix="c"):
        cid = "%s-%s" % (prefix, secrets.token_hex(4))
        self.ids.append(cid)
        return cid

    # -- verbs

    def create(self, cid, bundle, *extra, check=True, **kw):
        if cid not in self.ids:
            self.ids.append(cid)
        r = self("create", "--bundle", bundle.path, *extra, cid, tag="create-" + cid, **kw)
        self.outputs[cid] = r.out_path
        if check:
            r.ok()
            self.remember_pid(cid)
        return r

    def start(self, cid, check=True):
        r = self("start", cid, tag="start")
        return r.ok() if check else r

    def run(self, cid, bundle, *extra, check=False, **kw):
        """Foreground `run`: the container's stdout is the Result's stdout."""
        if cid not in self.ids:
            self.ids.append(cid)
        r = self("run", "--bundle", bundle.path, *extra, cid, tag="run-" + cid, **kw)
        if "--detach" in extra or "-d" in extra:
            self.outputs[cid] = r.out_path
            if r.returncode == 0:
                self.remember_pid(cid)
        return r.ok() if check else r

    def run_check(self, bundle, *cellcheck_args, expect_rc=0):
        """Run /cellcheck with these subcommands in a fresh container and return its Facts."""
        bundle.check(*cellcheck_args)
        r = self.run(self.new_id(), bundle)
        assert r.returncode == expect_rc, r.describe()
        return r.facts

    def output(self, cid):
        """What a created/detached container wrote to stdout so far."""
        return self.outputs[cid].read_text(errors="replace")

    def state(self, cid, check=True):
        r = self("state", cid, tag="state")
        if not check:
            return r
        r.ok()
        return json.loads(r.stdout)

    def status(self, cid):
        return self.state(cid)["status"]

    def kill(self, cid, *sig, check=True):
        r = self("kill", cid, *sig, tag="kill")
        return r.ok() if check else r

    def delete(self, cid, force=False, check=True):
        r = self("delete", *(["--force"] if force else []), cid, tag="delete")
        return r.ok() if check else r

    def exec(self, cid, *cmd, opts=(), check=False, **kw):
        """runc exec [opts] cid cmd..."""
        r = self("exec", *opts, cid, *cmd, tag="exec", **kw)
        return r.ok() if check else r

    def list(self, *args):
        return self("list", *args, tag="list").ok()

    def wait_status(self, cid, status, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(cid)
            if st["status"] == status:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("%s: status %s, expected %s" % (cid, st["status"], status))
            time.sleep(0.02)

    def wait_output(self, cid, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.output(cid):
            if time.monotonic() > deadline:
                raise AssertionError("%s: no %r in output %r" % (cid, text, self.output(cid)))
            time.sleep(0.02)
        return self.output(cid)

    def remember_pid(self, cid):
        r = self.state(cid, check=False)
        if r.returncode == 0:
            pid = json.loads(r.stdout).get("pid") or 0
            if pid > 0:
                self.remember(pid)

    def remember(self, pid):
        st = proc_starttime(pid)
        if st is not None:
            self.pids.append((pid, st))

    def started(self, bundle, *extra, prefix="c"):
        """create + start a container; returns its id."""
        cid = self.new_id(prefix)
        self.create(cid, bundle, *extra)
        self.start(cid)
        return cid


# ---------------------------------------------------------------- processes

def proc_starttime(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0]
    except OSError:
        return None


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def read_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


def readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


# ---------------------------------------------------------------- leak checker

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_V2_NEEDED = {"memory", "cpu", "pids", "io"}


def cgroup2_controllers():
    """The controllers of the cgroup v2 hierarchy (/sys/fs/cgroup when it is one, else the unified one of a
    hybrid host); an empty set when there is none."""
    for d in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        try:
            return set((d / "cgroup.controllers").read_text().split())
        except OSError:
            continue
    return set()


def mount_ids():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[0]: line.rstrip("\n") for line in f}


def cgroup_dirs(depth=4):
    out = set()

    def walk(d, level):
        try:
            entries = list(os.scandir(d))
        except OSError:
            return
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                out.add(e.path)
                if level < depth:
                    walk(e.path, level + 1)
    walk(str(CGROUP_ROOT), 1)
    return out


def host_devnull():
    """Owner and mode of the host's /dev/null: no runtime may ever change them (the container is hostile)."""
    st = os.stat("/dev/null")
    return (st.st_uid, st.st_gid, oct(st.st_mode))


class LeakChecker:
    """Snapshot at the start of a test; check() after it lists what the runtime left behind:
    state dir entries, new mounts in our mount namespace, new cgroups named after the test's containers,
    live processes of the test's containers (tracked pids, the test token in their environment, a root or
    cwd inside the test's directory)."""

    def __init__(self, rt):
        self.rt = rt
        self.mounts = mount_ids()
        self.cgroups = cgroup_dirs()
        self.devnull = host_devnull()

    def leaks(self):
        rt = self.rt
        found = []
        if rt.root.exists():
            for dirpath, dirnames, filenames in os.walk(rt.root):
                if dirpath == str(rt.root) and ".cache" in dirnames:
                    dirnames.remove(".cache")  # cell's seccomp BPF cache outlives containers, by design
                for n in dirnames + filenames:
                    found.append("state: %s" % os.path.join(dirpath, n))
        for mid, line in mount_ids().items():
            if mid not in self.mounts:
                found.append("mount: %s" % line)
        names = set(rt.ids) | {rt.token}
        for d in cgroup_dirs() - self.cgroups:
            if any(n in d for n in names):
                found.append("cgroup: %s" % d)
        for pid in self.leaked_pids():
            found.append("process: %d %s" % (pid, readlink("/proc/%d/exe" % pid)))
        if host_devnull() != self.devnull:
            found.append("host /dev/null changed: %s -> %s" % (self.devnull, host_devnull()))
        return found

    def leaked_pids(self):
        rt = self.rt
        me = os.getpid()
        pids = set()
        for pid, start in rt.pids:
            if proc_starttime(pid) == start and proc_state(pid) not in (None, "Z", "X"):
                pids.add(pid)
        token = ("CELL_TEST_TOKEN=" + rt.token).encode()
        work = str(rt.workdir)
        for pid in all_pids():
            if pid == me or proc_state(pid) in (None, "Z", "X"):
                continue
            if token in read_environ(pid).split(b"\0"):
                pids.add(pid)
                continue
            for link in ("root", "cwd"):
                target = readlink("/proc/%d/%s" % (pid, link))
                if target == work or target.startswith(work + "/"):
                    pids.add(pid)
        return sorted(pids)

    def check(self, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            found = self.leaks()
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def cleanup(self):
        """Best effort after a leak, so the next tests start clean: force-delete the containers, kill
        the leaked processes (they carry this test's token or pid, so they are ours)."""
        rt = self.rt
        if rt.root.exists():
            for cid in os.listdir(rt.root):
                rt("delete", "--force", cid, tag="cleanup", timeout=10)
        for pid in self.leaked_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
        for mid, line in sorted(mount_ids().items(), key=lambda kv: -int(kv[0])):
            point = unescape(line.split()[4])
            if mid not in self.mounts and point.startswith(str(rt.workdir) + "/"):
                subprocess.run(["umount", "-l", point], check=False)
        names = set(rt.ids) | {rt.token}
        for d in sorted(cgroup_dirs() - self.cgroups, key=len, reverse=True):
            if any(n in d for n in names):
                try:
                    os.rmdir(d)
                except OSError:
                    pass


def mounts_under(path):
    path = str(path)
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if unescape(line.split()[4]).startswith(path + "/")
                or unescape(line.split()[4]) == path]


def make_session_dir():
    """World-traversable (0755) so that containers in user namespaces can reach their rootfs."""
    d = tempfile.mkdtemp(prefix="cell-it-", dir=os.environ.get("CELL_TEST_TMPDIR", "/tmp"))
    os.chmod(d, 0o755)
    return Path(d)


def remove_tree(path):
    """rm -rf, unless something is still mounted under path (never recurse into a leaked bind mount)."""
    if mounts_under(path):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True
