"""sd_notify: with NOTIFY_SOCKET set, the container's READY=1 reaches the caller's socket, as runc proxies it
(systemd units of Type=notify, podman --sdnotify=container)."""
import array
import os
import socket

import pytest

from helpers import Facts


class HostSocket:
    """The caller's NOTIFY_SOCKET: a datagram socket in the test's directory."""

    def __init__(self, workdir):
        self.path = str(workdir / "host-notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(15)

    def env(self):
        return dict(os.environ, NOTIFY_SOCKET=self.path)

    def receive(self):
        """One datagram: (text, fds passed with it)."""
        fds = array.array("i")
        msg, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
        return msg.decode(), list(fds)

    def expect_ready(self, pid):
        """READY=1, MAINPID=pid, then BARRIER=1 with a pipe that we close (sd_notify_barrier)."""
        assert self.receive() == ("READY=1\n", [])
        assert self.receive() == ("MAINPID=%d\n" % pid, [])
        text, fds = self.receive()
        assert text == "BARRIER=1" and len(fds) == 1, (text, fds)
        os.close(fds[0])

    def pending(self):
        self.sock.settimeout(0.2)
        try:
            return self.sock.recv(4096)
        except (BlockingIOError, socket.timeout):
            return None
        finally:
            self.sock.settimeout(15)

    def close(self):
        self.sock.close()


@pytest.fixture
def host_socket(rt):
    s = HostSocket(rt.workdir)
    yield s
    s.close()


@pytest.mark.skip_runtime("runc", "runc 1.1.5 forwarded nothing here within 15 s (the container's datagram was "
                          "sent; not investigated further)")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 hands the caller's socket itself to the container (no proxy)")
def test_notify_ready_forwarded_at_start(rt, bundle, host_socket):
    """create binds a socket directory at /run/notify and sets the container's NOTIFY_SOCKET; start waits for
    the container's READY=1 and forwards it with MAINPID and a barrier, and nothing else (STATUS= stays)."""
    bundle.check("env", "mounts", "notify", "STATUS=starting", "notify", "READY=1", "sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle, env=host_socket.env())
    pid = rt.state(cid)["pid"]
    start = rt.popen("start", cid, env=host_socket.env())
    host_socket.expect_ready(pid)
    r = start.result()
    assert r.returncode == 0, r.describe()
    f = Facts(rt.wait_output(cid, "sigwait ready"))
    assert f.env()["NOTIFY_SOCKET"] == "/run/notify/notify.sock"
    assert f.all("notify") == ["ok socket=/run/notify/notify.sock"] * 2, f.text
    m = [x for x in f.mountinfo() if x.mount_point == "/run/notify"][-1]
    assert "ro" in m.options, m
    assert host_socket.pending() is None
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("runc", "runc 1.1.5 forwarded nothing here within 15 s (the container's datagram was "
                          "sent; not investigated further)")
@pytest.mark.skip_runtime("crun", "crun 1.8.1 hands the caller's socket itself to the container (no proxy)")
def test_notify_run_detached(rt, bundle, host_socket):
    """run -d waits for READY=1 as well, then returns with the container running."""
    bundle.check("notify", "READY=1", "sigwait")
    cid = rt.new_id()
    p = rt.popen("run", "--bundle", bundle.path, "-d", cid, env=host_socket.env())
    rt.ids.append(cid)
    text, fds = host_socket.receive()
    assert (text, fds) == ("READY=1\n", [])
    text, _ = host_socket.receive()
    assert text.startswith("MAINPID=")
    pid = int(text.split("=")[1])
    rt.remember(pid)
    text, fds = host_socket.receive()
    assert text == "BARRIER=1" and len(fds) == 1
    os.close(fds[0])
    r = p.result()
    assert r.returncode == 0, r.describe()
    assert rt.status(cid) == "running" and rt.state(cid)["pid"] == pid
    rt.delete(cid, force=True)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 hands the caller's socket itself to the container (no proxy)")
def test_notify_container_exits_without_ready(rt, bundle, host_socket):
    """A container that exits without READY: start returns once its init is gone, and sends nothing."""
    bundle.check("exit", "0")
    cid = rt.new_id()
    rt.create(cid, bundle, env=host_socket.env())
    r = rt("start", cid, env=host_socket.env(), tag="start")
    assert r.returncode == 0, r.describe()
    assert host_socket.pending() is None
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


@pytest.mark.cell_only
def test_notify_without_socket_in_create(rt, bundle, host_socket):
    """Created without NOTIFY_SOCKET: no /run/notify, and a start with it set fails (as runc's and crun's do:
    nothing could reach the caller), leaving the container created."""
    bundle.check("env", "mounts", "sigwait")
    cid = rt.new_id()
    rt.create(cid, bundle)
    r = rt("start", cid, env=host_socket.env(), tag="start")
    assert r.returncode != 0 and "created without it" in r.stderr, r.describe()
    assert rt.status(cid) == "created"
    rt.start(cid)
    f = Facts(rt.wait_output(cid, "sigwait ready"))
    assert "NOTIFY_SOCKET" not in f.env()
    assert not [x for x in f.mountinfo() if x.mount_point == "/run/notify"]
    rt.delete(cid, force=True)
