"""process.terminal: --console-socket (the pty master arrives over SCM_RIGHTS) and run on a pty."""
import array
import os
import pty
import select
import socket
import time

import pytest

from helpers import Facts


class ConsoleReceiver:
    """An AF_UNIX listener for --console-socket; master() accepts and returns the received pty master fd."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.fds = []

    def master(self, timeout=10):
        self.sock.settimeout(timeout)
        conn, _ = self.sock.accept()
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        assert len(fds) == 1, "expected one fd, got %r (msg %r)" % (list(fds), msg)
        self.fds.append(fds[0])
        return fds[0]

    def close(self):
        self.sock.close()
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def console(rt):
    c = ConsoleReceiver(rt.workdir / "console.sock")
    yield c
    c.close()


def read_until_eof(fd, timeout=10, until=None):
    """Read a pty master until EIO (no slave left), `until` appears, or the timeout."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if until and until in out:
            break
    return out.decode(errors="replace").replace("\r\n", "\n")


def test_console_socket(rt, bundle, console):
    bundle.process["terminal"] = True
    bundle.check("tty", "stat", "/dev/console")
    cid = rt.new_id()
    rt.create(cid, bundle, "--console-socket", console.path)
    master = console.master()
    rt.start(cid)
    f = Facts(read_until_eof(master))
    for fd in (0, 1, 2):
        isatty, name = f["tty%d" % fd].split()
        assert isatty == "1", f.text
        assert name in ("/dev/pts/0", "/dev/console"), f.text
    assert f.stat("/dev/console")["type"] == "char"
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_console_interactive(rt, bundle, console):
    bundle.process["terminal"] = True
    bundle.args("/bin/sh")
    cid = rt.new_id()
    rt.create(cid, bundle, "--console-socket", console.path)
    master = console.master()
    rt.start(cid)
    os.write(master, b"echo hel''lo-$((6*7)); exit 3\n")
    out = read_until_eof(master)
    assert "hello-42" in out, out
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_console_size(rt, bundle, console):
    bundle.process["terminal"] = True
    bundle.process["consoleSize"] = {"height": 33, "width": 111}
    bundle.args("/bin/stty", "size")
    cid = rt.new_id()
    rt.create(cid, bundle, "--console-socket", console.path)
    master = console.master()
    rt.start(cid)
    assert read_until_eof(master).strip() == "33 111"
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_terminal_without_console_socket(rt, bundle):
    """create with terminal:true and no --console-socket has nowhere to send the master: refused."""
    bundle.process["terminal"] = True
    bundle.check("tty")
    rt.create(rt.new_id(), bundle, check=False).failed()
    assert rt.list("-q").stdout.split() == []


def test_run_on_pty(rt, bundle):
    """run in the foreground with terminal:true and no socket: the runtime proxies its own pty."""
    bundle.process["terminal"] = True
    bundle.sh("/cellcheck tty; read line; echo got=$line; exit 5")
    cid = rt.new_id()
    argv = rt.argv("run", "--bundle", bundle.path, cid)
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    try:
        out = read_until_eof(master, until=b"tty2 ")
        os.write(master, b"ping\n")
        out += read_until_eof(master)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(master)
    f = Facts(out)
    assert f["tty0"].split()[0] == "1", out
    assert f["tty1"].split()[0] == "1", out
    assert "got=ping" in out, out
    assert os.waitstatus_to_exitcode(status) == 5, out


@pytest.mark.skip_runtime("runc", "runc exec in the foreground proxies its own pty and ignores --console-socket")
def test_exec_tty_console_socket(rt, bundle, console):
    """exec -t --console-socket: the exec'd process gets its own pty inside the container."""
    bundle.check("sigwait")
    cid = rt.started(bundle)
    rt.wait_output(cid, "sigwait ready")
    p = rt.popen("exec", "-t", "--console-socket", console.path, cid, "/cellcheck", "tty", "exit", "4")
    master = console.master()
    f = Facts(read_until_eof(master))
    assert p.result().returncode == 4
    for fd in (0, 1, 2):
        isatty, name = f["tty%d" % fd].split()
        assert isatty == "1", f.text
        assert name.startswith("/dev/pts/"), f.text
    rt.delete(cid, force=True)
