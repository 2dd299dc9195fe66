"""Helpers for the tests that drive cell through its real callers (containerd and podman).

Nothing is pulled: the test image is built here with umoci from the busybox rootfs template, as an OCI layout
and an OCI archive (tar of the layout), and imported by the caller. Every service a test needs is started by the
test itself, with its own root, state and socket under the test's directory, and stopped by pid.
"""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from helpers import all_pids, copy_rootfs, proc_state

IMAGE_TAG = "busybox"


def run(argv, check=True, timeout=60, **kw):
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(map(str, argv)), p.returncode,
                                                                     p.stdout, p.stderr))
    return p


def build_image(d, rootfs_template, extra_tags=None):
    """An OCI image of the busybox rootfs (with /cellcheck), default command /bin/sh. Returns (layout dir,
    archive path); the image is tagged IMAGE_TAG, and extra_tags {tag: cmd list} adds images of the same
    layer with other commands."""
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    oci = d / "oci"
    ref = "%s:%s" % (oci, IMAGE_TAG)
    run(["umoci", "init", "--layout", oci])
    run(["umoci", "new", "--image", ref])
    b = d / "unpacked"
    run(["umoci", "unpack", "--image", ref, b])
    shutil.rmtree(b / "rootfs")
    copy_rootfs(rootfs_template, b / "rootfs")
    run(["umoci", "repack", "--image", ref, b])
    run(["umoci", "config", "--image", ref, "--config.cmd", "/bin/sh",
         "--config.env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    for tag, cmd in (extra_tags or {}).items():
        run(["umoci", "config", "--image", ref, "--tag", tag] + [a for c in cmd for a in ("--config.cmd", c)])
    run(["umoci", "gc", "--layout", oci])
    shutil.rmtree(b)
    archive = d / "image.tar"
    run(["tar", "-C", oci, "-cf", archive, "."])
    return oci, archive


def wait_for(pred, what, timeout=30, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def pids_with_arg(*needles):
    """Live processes whose argv contains every needle (bytes or str) as a whole argument or a substring of
    one."""
    out = []
    nb = [n.encode() if isinstance(n, str) else n for n in needles]
    for pid in all_pids():
        if pid == os.getpid() or proc_state(pid) in (None, "Z", "X"):
            continue
        argv = cmdline(pid)
        if all(any(n in a for a in argv) for n in nb):
            out.append(pid)
    return out


def stop_pid(proc, timeout=20):
    """SIGTERM a service we started (a Popen), then SIGKILL after timeout; reaps it."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def remove_empty_cgroups(path):
    """rmdir a cgroup directory and its (empty) children, deepest first; a populated one stays (a leak the
    tests report)."""
    path = Path(path)
    if not path.is_dir():
        return
    for dirpath, dirnames, _ in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass
