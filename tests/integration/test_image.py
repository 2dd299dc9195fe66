"""cell image: unpack, ls, inspect; the layer cache and overlay bundles; hostile layouts and layers.

Good images are built here with umoci (init/new/unpack/repack/config) and skopeo (copy, to zstd); for each, the
tree cell unpacks equals the tree `umoci unpack` makes of the same image, and the bundle runs with the image's
user, cwd and env. Hostile images are crafted with tarfile: each must fail with an error naming the blob or the
entry, non-zero exit, and leave nothing behind (no bundle, no temporary directory, nothing outside).
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from helpers import REPO, copy_rootfs

CELL = str(REPO / "cell")
REF_NAME = "org.opencontainers.image.ref.name"
MT_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MT_TAR = "application/vnd.oci.image.layer.v1.tar"

pytestmark = pytest.mark.skipif(not shutil.which("umoci") or not shutil.which("skopeo"),
                                reason="umoci and skopeo are needed (tests/deps.sh installs them)")


def run(*argv, check=True):
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("%s -> %d\n%s%s" % (" ".join(map(str, argv)), p.returncode, p.stdout, p.stderr))
    return p


def cell(*argv, check=True):
    return run(CELL, *argv, check=check)


# ---------------------------------------------------------------- a tree, as data

def tree(root):
    """{relative path: attributes} for everything under root (root itself included), never following links.
    Hard links show up as the sorted group of paths sharing an inode."""
    root = Path(root)
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames if dirpath == str(root) else dirnames + filenames:
            p = Path(dirpath) / name if name else Path(dirpath)
            rel = str(p.relative_to(root)) if name or dirpath != str(root) else "."
            st = os.lstat(p)
            a = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid,
                 "gid": st.st_gid, "xattrs": {k: os.getxattr(p, k, follow_symlinks=False)
                                              for k in sorted(os.listxattr(p, follow_symlinks=False))}}
            if stat.S_ISREG(st.st_mode):
                a["size"] = st.st_size
                a["sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
                a["mtime"] = int(st.st_mtime)
                inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                a["target"] = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                a["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            if rel == ".":
                a.pop("mode")  # the bundle's rootfs directory itself: umoci and cell each make it
            out[rel] = a
    for paths in inodes.values():
        for rel in paths:
            out[rel]["links"] = sorted(paths)
    return out


def assert_same_tree(a, b):
    ta, tb = tree(a), tree(b)
    only_a, only_b = sorted(set(ta) - set(tb)), sorted(set(tb) - set(ta))
    assert not only_a and not only_b, "only in %s: %s; only in %s: %s" % (a, only_a, b, only_b)
    diff = ["%s: %s != %s" % (k, ta[k], tb[k]) for k in sorted(ta) if ta[k] != tb[k]]
    assert not diff, "trees differ:\n" + "\n".join(diff[:20])
    return ta


# ---------------------------------------------------------------- images built with umoci and skopeo

CAP_NET_RAW = bytes.fromhex("01000002" "00200000" "00000000" "00000000" "00000000")  # vfs_cap_data v2


def populate_base(rootfs, template):
    """The first layer: the busybox test rootfs plus every kind of file an image carries."""
    shutil.rmtree(rootfs)
    copy_rootfs(template, rootfs)
    r = Path(rootfs)
    with open(r / "etc/passwd", "a") as f:
        f.write("app:x:1000:1000:app:/home/app:/bin/sh\n")
    with open(r / "etc/group", "a") as f:
        f.write("app:x:1000:\nstaff:x:50:app\n")
    (r / "home/app").mkdir()
    os.chown(r / "home/app", 1000, 1000)
    os.chmod(r / "home/app", 0o750)
    d = r / "data"
    d.mkdir()
    rng = random.Random(6)
    (d / "big").write_bytes(rng.randbytes(3 << 20))
    (d / "empty").write_bytes(b"")
    (d / "a").write_text("hard linked\n")
    os.link(d / "a", d / "a-link")
    os.setxattr(d / "a", "user.test", b"hello")
    (d / "owned").write_text("owned\n")
    os.chown(d / "owned", 1234, 5678)
    os.chmod(d / "owned", 0o640)
    (d / "setuid").write_text("#!/bin/sh\n")
    os.chmod(d / "setuid", 0o4755)
    (d / "setgid").write_text("#!/bin/sh\n")
    os.chmod(d / "setgid", 0o2711)
    (d / "capfile").write_text("cap\n")
    os.setxattr(d / "capfile", "security.capability", CAP_NET_RAW)
    os.symlink("a", d / "rel")
    os.symlink("/etc/passwd", d / "abs")
    os.symlink("/nowhere", d / "dangling")
    os.mkfifo(d / "fifo")
    os.mknod(d / "char", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(d / "block", 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    (d / "to-delete").write_text("bye\n")
    (r / "gone/deep").mkdir(parents=True)
    (r / "gone/deep/f").write_text("x\n")
    (r / "swap").mkdir()
    (r / "swap/f2d").write_text("file, then a directory\n")
    (r / "swap/d2f").mkdir()
    (r / "swap/d2f/child").write_text("x\n")


def modify_v2(rootfs):
    """The second layer: deletions (whiteouts), changed contents, modes and owners, type swaps."""
    r = Path(rootfs)
    (r / "data/to-delete").unlink()
    shutil.rmtree(r / "gone")
    (r / "data/big").write_bytes(random.Random(7).randbytes(1 << 20))
    os.chmod(r / "data/owned", 0o600)
    os.chown(r / "data/owned", 42, 43)
    (r / "swap/f2d").unlink()
    (r / "swap/f2d").mkdir()
    (r / "swap/f2d/inside").write_text("now a directory\n")
    shutil.rmtree(r / "swap/d2f")
    (r / "swap/d2f").write_text("now a file\n")
    (r / "home/app/.profile").write_text("export PS1='$ '\n")
    os.chown(r / "home/app/.profile", 1000, 1000)


@pytest.fixture(scope="session")
def images(session_dir, rootfs_template):
    """oci/ (gzip, refs base, v2, app) and zstd/ (ref app, zstd layers via skopeo)."""
    d = session_dir / "images"
    d.mkdir()
    oci = d / "oci"
    run("umoci", "init", "--layout", oci)
    run("umoci", "new", "--image", "%s:base" % oci)
    b = d / "b1"
    run("umoci", "unpack", "--image", "%s:base" % oci, b)
    populate_base(b / "rootfs", rootfs_template)
    run("umoci", "repack", "--image", "%s:base" % oci, b)
    b2 = d / "b2"
    run("umoci", "unpack", "--image", "%s:base" % oci, b2)
    modify_v2(b2 / "rootfs")
    run("umoci", "repack", "--image", "%s:v2" % oci, b2)
    run("umoci", "config", "--image", "%s:v2" % oci, "--tag", "app", "--config.user", "app",
        "--config.workingdir", "/home/app", "--config.env", "FOO=bar", "--config.entrypoint", "/cellcheck",
        "--config.cmd", "id", "--config.cmd", "cwd", "--config.cmd", "env", "--config.label", "com.example.k=v")
    zstd = d / "zstd"
    run("skopeo", "copy", "oci:%s:app" % oci, "oci:%s:app" % zstd, "--dest-compress-format", "zstd")
    return {"oci": oci, "zstd": zstd, "dir": d}


def umoci_unpack(image, dest, *extra):
    run("umoci", "unpack", *extra, "--image", image, dest)
    return Path(dest)


# ---------------------------------------------------------------- ls and inspect

def test_ls_lists_refs_digests_sizes(images):
    out = cell("image", "ls", images["oci"]).stdout
    index = json.loads((images["oci"] / "index.json").read_text())
    assert len(index["manifests"]) == 3
    for m in index["manifests"]:
        line = next(ln for ln in out.splitlines() if ln.split()[0] == m["annotations"][REF_NAME])
        assert m["digest"] in line.split() and str(m["size"]) in line.split()


def test_inspect_prints_the_verified_config(images):
    cfg = json.loads(cell("image", "inspect", "%s:app" % images["oci"]).stdout)
    assert cfg["config"]["User"] == "app" and cfg["config"]["WorkingDir"] == "/home/app"
    assert len(cfg["rootfs"]["diff_ids"]) == 2


# ---------------------------------------------------------------- unpack equals umoci unpack

@pytest.mark.parametrize("layout,ref", [("oci", "base"), ("oci", "app"), ("zstd", "app")])
def test_unpack_matches_umoci(images, workdir, layout, ref):
    image = "%s:%s" % (images[layout], ref)
    cell("image", "unpack", image, workdir / "cell")
    # umoci 0.4.7 reads no zstd layers: compare with its unpack of the gzip original skopeo converted
    umoci_unpack("%s:%s" % (images["oci"], ref), workdir / "umoci")
    t = assert_same_tree(workdir / "cell/rootfs", workdir / "umoci/rootfs")
    if ref == "app":
        assert "data/to-delete" not in t and "gone" not in t
        assert t["swap/f2d"]["type"] == stat.S_IFDIR and t["swap/d2f"]["type"] == stat.S_IFREG
        assert t["data/owned"]["uid"] == 42 and t["data/owned"]["mode"] == "0o600"
    assert t["data/setuid"]["mode"] == "0o4755"
    assert t["data/char"]["rdev"] == (1, 3)
    assert t["data/capfile"]["xattrs"] == {"security.capability": CAP_NET_RAW}
    assert t["data/a"]["links"] == ["data/a", "data/a-link"]
    assert sorted(os.listdir(workdir)) == ["cell", "umoci"]  # no temporary directory left


def test_unpack_rootless_matches_umoci_rootless(images, workdir):
    image = "%s:app" % images["oci"]
    cell("image", "unpack", "--rootless", image, workdir / "cell")
    umoci_unpack(image, workdir / "umoci", "--rootless")
    t = assert_same_tree(workdir / "cell/rootfs", workdir / "umoci/rootfs")
    assert t["data/char"]["type"] == stat.S_IFREG and t["data/char"]["size"] == 0  # no device nodes
    assert t["home/app"]["uid"] == os.getuid()  # owned by the caller ...
    assert t["home/app"]["xattrs"]["user.rootlesscontainers"] == b"\x08\xe8\x07\x10\xe8\x07"  # ... 1000:1000 kept
    cfg = json.loads((workdir / "cell/config.json").read_text())
    assert {"type": "user"} in cfg["linux"]["namespaces"]
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.getuid(), "size": 1}]


def test_unpack_into_empty_dir_and_refuses_existing(images, workdir):
    (workdir / "empty").mkdir()
    cell("image", "unpack", "%s:base" % images["oci"], workdir / "empty")
    assert (workdir / "empty/rootfs/bin/busybox").exists()
    r = cell("image", "unpack", "%s:base" % images["oci"], workdir / "empty", check=False)
    assert r.returncode != 0 and "exists" in r.stderr
    assert sorted(os.listdir(workdir)) == ["empty"]


class ImageBundle:
    def __init__(self, path):
        self.path = Path(path)


@pytest.mark.skip_runtime("crun", "crun 1.8.1 refuses the ociVersion 1.3.0 of cell spec's config")
def test_bundle_runs_with_image_user_cwd_env(rt, images, workdir):
    cell("image", "unpack", "%s:app" % images["oci"], workdir / "app")
    cfg = json.loads((workdir / "app/config.json").read_text())
    cfg["process"]["env"].append("CELL_TEST_TOKEN=" + rt.token)
    (workdir / "app/config.json").write_text(json.dumps(cfg))
    r = rt.run(rt.new_id(), ImageBundle(workdir / "app"))
    assert r.returncode == 0, r.describe()
    f = r.facts
    assert (f["uid"], f["gid"]) == ("1000", "1000")
    assert "50" in f["groups"].split()  # staff lists app as a member
    assert f["cwd"] == "/home/app"
    env = f.env()
    assert env["FOO"] == "bar" and env["HOME"] == "/home/app" and env["PATH"].startswith("/usr/local/sbin")


# ---------------------------------------------------------------- layer cache and overlay bundles

def chain_ids(diff_ids):
    out = [diff_ids[0]]
    for d in diff_ids[1:]:
        out.append(sha(("%s %s" % (out[-1], d)).encode()))
    return out


def overlay_tree_matches(bundle, reference, scratch):
    """Mount the overlay the bundle asks for (we run in a private mount namespace) and compare."""
    ann = json.loads((bundle / "config.json").read_text())["annotations"]
    scratch.mkdir()
    (scratch / "upper").mkdir()
    (scratch / "work").mkdir()
    (scratch / "mnt").mkdir()
    opts = "lowerdir=%s,upperdir=%s,workdir=%s" % (ann["io.cell.overlay.lowerdir"], scratch / "upper",
                                                    scratch / "work")
    run("mount", "-t", "overlay", "overlay", "-o", opts, scratch / "mnt")
    try:
        return assert_same_tree(scratch / "mnt", reference)
    finally:
        run("umount", scratch / "mnt")


@pytest.mark.cell_only
def test_cache_overlay_bundles(rt, images, workdir):
    cache = workdir / "cache"
    image = "%s:app" % images["oci"]
    cell("image", "unpack", "--cache", cache, image, workdir / "one")
    cell("image", "unpack", "--cache", cache, image, workdir / "two")
    layers = sorted(os.listdir(cache / "sha256"))
    diff_ids = json.loads(cell("image", "inspect", image).stdout)["rootfs"]["diff_ids"]
    assert layers == sorted(c.split(":")[1] for c in chain_ids(diff_ids))  # each layer once, by ChainID
    assert os.listdir(cache / "tmp") == []
    assert os.listdir(workdir / "one/rootfs") == []  # a mount point, nothing copied
    umoci_unpack(image, workdir / "umoci")
    overlay_tree_matches(workdir / "one", workdir / "umoci/rootfs", workdir / "ov")

    # the container sees the image through the overlay; its writes land in its own upper directory
    cfg = json.loads((workdir / "one/config.json").read_text())
    cfg["process"]["args"] = ["/bin/sh", "-c", "echo hi > /home/app/new && cat /data/a && ls /gone 2>&1; "
                              "/cellcheck id cwd"]
    cfg["process"]["env"].append("CELL_TEST_TOKEN=" + rt.token)
    (workdir / "one/config.json").write_text(json.dumps(cfg))
    r = rt.run(rt.new_id(), ImageBundle(workdir / "one"))
    assert r.returncode == 0, r.describe()
    assert "hard linked" in r.stdout and "No such file" in r.stdout
    assert r.facts["uid"] == "1000" and r.facts["cwd"] == "/home/app"
    assert (workdir / "one/upper/home/app/new").read_text() == "hi\n"
    assert not (workdir / "two/upper/home/app/new").exists()
    assert not any((cache / "sha256" / d / "home/app/new").exists() for d in layers)
    # (the leak checker then verifies that nothing is mounted on the host)


def test_cache_refuses_rootless(images, workdir):
    r = cell("image", "unpack", "--rootless", "--cache", workdir / "c", "%s:app" % images["oci"], workdir / "b",
             check=False)
    assert r.returncode != 0 and "not supported" in r.stderr
    assert not (workdir / "b").exists()


# ---------------------------------------------------------------- layouts crafted by hand

def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(entries):
    """entries: (name, kind, arg): kind file (arg: bytes), dir, symlink (arg: target), hardlink (arg: target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "file":
                ti.size, ti.mode = len(arg), 0o644
                t.addfile(ti, io.BytesIO(arg))
                continue
            ti.type, ti.mode = {"dir": (tarfile.DIRTYPE, 0o755), "symlink": (tarfile.SYMTYPE, 0o777),
                                "hardlink": (tarfile.LNKTYPE, 0o644)}[kind]
            if kind in ("symlink", "hardlink"):
                ti.linkname = arg
            t.addfile(ti)
    return buf.getvalue()


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


class Layout:
    """An OCI layout written by hand; layers are lists of tar entries (or raw tar bytes)."""

    def __init__(self, path, layers, ref="latest", compress="gzip", user=""):
        self.path = Path(path)
        (self.path / "blobs/sha256").mkdir(parents=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.layers, diff_ids = [], []
        for entries in layers:
            raw = entries if isinstance(entries, bytes) else tar_bytes(entries)
            diff_ids.append(sha(raw))
            blob = {"gzip": lambda b: gzip.compress(b, mtime=0), "zstd": zstd_bytes, "none": lambda b: b}[compress](raw)
            mt = {"gzip": MT_GZIP, "zstd": MT_ZSTD, "none": MT_TAR}[compress]
            self.layers.append({"mediaType": mt, "digest": self.blob(blob), "size": len(blob)})
        self.config = {"architecture": "amd64", "os": "linux", "config": {"User": user},
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        self.ref = ref
        self.write()

    def blob(self, data, digest=None):
        digest = digest or sha(data)
        (self.path / "blobs/sha256" / digest.split(":")[1]).write_bytes(data)
        return digest

    def blob_path(self, digest):
        return self.path / "blobs/sha256" / digest.split(":")[1]

    def write(self):
        c = json.dumps(self.config).encode()
        self.config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.blob(c),
                            "size": len(c)}
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": self.config_desc, "layers": self.layers}).encode()
        self.manifest_desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": self.blob(m),
                              "size": len(m), "annotations": {REF_NAME: self.ref}}
        (self.path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [self.manifest_desc]}))
        return self


BASE = [("bin", "dir", None), ("bin/sh", "file", b"#!\n"), ("etc", "dir", None),
        ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n")]


def unpack_fails(layout_ref, workdir, *expect):
    """cell image unpack must fail naming what is wrong, and leave nothing in workdir/out's parent."""
    parent = workdir / "target"
    parent.mkdir()
    r = cell("image", "unpack", layout_ref, parent / "bundle", check=False)
    assert r.returncode != 0, r.stdout + r.stderr
    for e in expect:
        assert e in r.stderr, "%r not in %r" % (e, r.stderr)
    assert os.listdir(parent) == [], "left behind: %s" % os.listdir(parent)
    return r


def test_whiteouts_match_umoci(workdir):
    """.wh. files and opaque directories (before and after the layer's own entries) as umoci applies them."""
    lay = Layout(workdir / "img", [
        BASE + [("d", "dir", None), ("d/old", "file", b"old"), ("d/sub", "dir", None), ("d/sub/x", "file", b"x"),
                ("e", "dir", None), ("e/old", "file", b"old"), ("f", "file", b"f"), ("g", "dir", None),
                ("g/h", "file", b"h")],
        [("d", "dir", None), ("d/.wh..wh..opq", "file", b""), ("d/new", "file", b"new"),
         ("e", "dir", None), ("e/new", "file", b"new"), ("e/.wh..wh..opq", "file", b""),
         (".wh.f", "file", b""), ("g/.wh.h", "file", b""), ("g/.wh..wh.plnk", "file", b"")],
    ])
    cell("image", "unpack", "%s:latest" % lay.path, workdir / "cell")
    umoci_unpack("%s:latest" % lay.path, workdir / "umoci")
    t = assert_same_tree(workdir / "cell/rootfs", workdir / "umoci/rootfs")
    assert "d/new" in t and "d/old" not in t and "d/sub" not in t
    assert "e/new" in t and "e/old" not in t and "f" not in t and "g/h" not in t and "g" in t
    overlay_cache = workdir / "cache"
    cell("image", "unpack", "--cache", overlay_cache, "%s:latest" % lay.path, workdir / "ov-bundle")
    overlay_tree_matches(workdir / "ov-bundle", workdir / "umoci/rootfs", workdir / "ov")


@pytest.mark.parametrize("compress", ["none", "zstd"])
def test_plain_and_zstd_layers(workdir, compress):
    lay = Layout(workdir / "img", [BASE, [("etc/motd", "file", b"hello\n")]], compress=compress)
    cell("image", "unpack", str(lay.path), workdir / "b")  # no ref: the only image
    assert (workdir / "b/rootfs/etc/motd").read_bytes() == b"hello\n"


def test_image_index_picks_this_platform(workdir):
    lay = Layout(workdir / "img", [BASE])
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        dict(lay.manifest_desc, platform={"os": "linux", "architecture": "s390x"}, annotations={}),
        dict(lay.manifest_desc, platform={"os": "linux", "architecture": "amd64"}, annotations={})]}
    # the s390x entry points at a missing blob: picking it would fail
    idx["manifests"][0]["digest"] = sha(b"nothing")
    data = json.dumps(idx).encode()
    desc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": lay.blob(data), "size": len(data),
            "annotations": {REF_NAME: "multi"}}
    (lay.path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    if os.uname().machine != "x86_64":
        pytest.skip("the index is written for amd64")
    cell("image", "unpack", "%s:multi" % lay.path, workdir / "b")
    assert (workdir / "b/rootfs/bin/sh").exists()


# ---------------------------------------------------------------- hostile input: an error, and nothing left

@pytest.mark.parametrize("entries,expect", [
    ([("../evil", "file", b"x")], "'../evil'"),
    ([("a/../../evil", "file", b"x")], "'a/../../evil'"),
    ([("/abs-evil", "file", b"x")], "'/abs-evil'"),
    ([("link", "symlink", "/"), ("link/abs-evil", "file", b"x")], "'link/abs-evil'"),
    ([("link", "symlink", "../../../../.."), ("link/tmp/rel-evil", "file", b"x")], "'link/tmp/rel-evil'"),
    ([("inside", "symlink", "etc"), ("inside/passwd2", "file", b"x")], "'inside/passwd2'"),
    ([("hl", "hardlink", "../../../../etc/passwd")], "'hl'"),
    ([("hl", "hardlink", "/etc/passwd")], "'hl'"),
    ([("etc2", "symlink", "/etc"), ("hl", "hardlink", "etc2/passwd")], "'hl'"),
    ([("etc/.wh.x/../../../evil", "file", b"")], "evil"),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink-abs", "symlink-rel", "symlink-inside", "hardlink-dotdot",
        "hardlink-abs", "hardlink-symlink", "whiteout-dotdot"])
def test_hostile_entries(workdir, entries, expect):
    lay = Layout(workdir / "img", [BASE + entries])
    unpack_fails(str(lay.path), workdir, expect, lay.layers[0]["digest"])
    assert not Path("/evil").exists() and not Path("/abs-evil").exists() and not Path("/tmp/rel-evil").exists()


def test_symlink_planted_by_an_earlier_layer(workdir):
    outside = workdir / "outside"
    outside.mkdir()
    lay = Layout(workdir / "img", [BASE + [("trap", "symlink", str(outside))],
                                   [("trap/evil", "file", b"x")]])
    unpack_fails(str(lay.path), workdir, "'trap/evil'", lay.layers[1]["digest"])
    assert os.listdir(outside) == []
    lay2 = Layout(workdir / "img2", [BASE + [("trap", "symlink", str(outside))], [("trap/.wh.x", "file", b"")]])
    (outside / "x").write_text("keep")
    shutil.rmtree(workdir / "target")
    unpack_fails(str(lay2.path), workdir, "trap", lay2.layers[1]["digest"])
    assert (outside / "x").read_text() == "keep"  # a whiteout cannot reach through the symlink either


def test_bad_blob_digest(workdir):
    lay = Layout(workdir / "img", [BASE, [("x", "file", b"x")]])
    p = lay.blob_path(lay.layers[1]["digest"])
    p.write_bytes(gzip.compress(tar_bytes([("y", "file", b"y")]), mtime=0)[:lay.layers[1]["size"]].ljust(
        lay.layers[1]["size"], b"\0"))
    unpack_fails(str(lay.path), workdir, lay.layers[1]["digest"])


def test_bad_digest_same_size(workdir):
    lay = Layout(workdir / "img", [BASE])
    raw = tar_bytes(BASE[:1] + [("bin/sx", "file", b"#!\n")])
    blob = gzip.compress(raw, mtime=0)
    lay.blob_path(lay.layers[0]["digest"]).write_bytes(blob)
    lay.layers[0]["size"] = len(blob)
    lay.write()
    unpack_fails(str(lay.path), workdir, lay.layers[0]["digest"], "digest mismatch")


def test_bad_size(workdir):
    lay = Layout(workdir / "img", [BASE])
    lay.layers[0]["size"] += 1
    lay.write()
    unpack_fails(str(lay.path), workdir, lay.layers[0]["digest"], "size")


def test_bad_diff_id(workdir):
    lay = Layout(workdir / "img", [BASE])
    lay.config["rootfs"]["diff_ids"] = [sha(b"other")]
    lay.write()
    unpack_fails(str(lay.path), workdir, lay.layers[0]["digest"], "diffID")


def test_bad_manifest_digest(workdir):
    lay = Layout(workdir / "img", [BASE])
    p = lay.blob_path(lay.manifest_desc["digest"])
    p.write_bytes(p.read_bytes().replace(b"schemaVersion", b"schemaVersioN"))
    unpack_fails(str(lay.path), workdir, lay.manifest_desc["digest"], "digest mismatch")


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_truncated_layer(workdir, compress):
    big = [("big", "file", random.Random(1).randbytes(200000))]
    lay = Layout(workdir / "img", [BASE + big], compress=compress)
    old = lay.layers[0]["digest"]
    data = lay.blob_path(old).read_bytes()[:-5000]
    lay.blob_path(old).unlink()
    lay.layers[0] = {"mediaType": lay.layers[0]["mediaType"], "digest": lay.blob(data), "size": len(data)}
    lay.write()
    r = unpack_fails(str(lay.path), workdir, lay.layers[0]["digest"])
    assert "truncat" in r.stderr.lower() or "premature" in r.stderr.lower() or "unexpected" in r.stderr.lower() \
        or "damaged" in r.stderr.lower(), r.stderr


def test_missing_blob(workdir):
    lay = Layout(workdir / "img", [BASE, [("x", "file", b"x")]])
    lay.blob_path(lay.layers[1]["digest"]).unlink()
    unpack_fails(str(lay.path), workdir, lay.layers[1]["digest"], "missing")


def test_unknown_media_type(workdir):
    lay = Layout(workdir / "img", [BASE])
    lay.layers[0]["mediaType"] = "application/vnd.example.layer.v1.tar+lz4"
    lay.write()
    unpack_fails(str(lay.path), workdir, lay.layers[0]["digest"], "unknown media type")


def test_unknown_ref(workdir):
    lay = Layout(workdir / "img", [BASE], ref="v1")
    r = unpack_fails("%s:nope" % lay.path, workdir, "'nope'", "v1")
    assert cell("image", "inspect", "%s:nope" % lay.path, check=False).returncode != 0
    assert "No such file" not in r.stderr


def test_unknown_user(workdir):
    lay = Layout(workdir / "img", [BASE], user="ghost")
    unpack_fails(str(lay.path), workdir, "'ghost'")


def test_not_a_layout(workdir):
    (workdir / "img").mkdir()
    unpack_fails(str(workdir / "img"), workdir, "not an OCI image layout")
