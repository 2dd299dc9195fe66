"""security: the host's files reached through the container's stdio or rootfs are never changed."""
import os
import subprocess

import pytest

from helpers import host_devnull

USERNS_MAP = [{"containerID": 0, "hostID": 1000, "size": 65536}]


@pytest.mark.skip_runtime("crun", "crun 1.8.1 chowns the host's /dev/null when it is the stdin of a userns container")
def test_devnull_stdio_not_chowned(rt, bundle):
    """With /dev/null as stdio and a user namespace, the host's /dev/null keeps its owner and mode."""
    before = host_devnull()
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = USERNS_MAP
    bundle.linux["gidMappings"] = USERNS_MAP
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.check("exit", "0")
    with open("/dev/null", "rb") as devnull:
        rt.run(rt.new_id(), bundle, stdin=devnull, check=True)
    assert host_devnull() == before


def test_rootfs_dev_null_symlink_to_host_file(rt, bundle):
    """A rootfs whose /dev/null is a symlink to a host file: masking and /dev setup never touch the host file."""
    victim = rt.workdir / "victim"
    victim.write_text("host data\n")
    os.chmod(victim, 0o600)
    before = os.stat(victim)
    (bundle.rootfs / "dev").mkdir(exist_ok=True)
    null = bundle.rootfs / "dev" / "null"
    if null.exists() or null.is_symlink():
        null.unlink()
    os.symlink(str(victim), null)
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/dev"]
    bundle.linux["maskedPaths"] = ["/etc/hostname"]
    (bundle.rootfs / "etc").mkdir(exist_ok=True)
    (bundle.rootfs / "etc" / "hostname").write_text("x\n")
    bundle.check("exit", "0")
    rt.run(rt.new_id(), bundle)
    after = os.stat(victim)
    assert victim.read_text() == "host data\n"
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
