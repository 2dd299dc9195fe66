#!/usr/bin/python3
"""Benchmark of `cell image`:

1. unpack of a ~200 MB multi-layer gzip image (generated here, deterministically: seeded random and text
   files of mixed sizes, a busybox), `cell image unpack` vs `umoci unpack`, alternating, median of --reps runs;
   the goal is cell <= 0.5 x umoci.
2. N containers (default 100) from that one image: N x (`cell image unpack --cache` + `cell run`) vs
   N x (plain `cell image unpack` + `cell run`): wall time and disk used (du of the bundles and the cache).

  tests/bench/image.py [--dir DIR] [-n 100] [--reps 3] [--size-mb 200]
Run it in a cgroup v2 view (tests/bench/image.sh does). DIR must be on a disk filesystem with room for
N plain unpacks (~N x 250 MB); it is removed afterwards.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CELL = str(REPO / "cell")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


WORDS = [b"container", b"layer", b"overlay", b"digest", b"manifest", b"rootfs", b"bundle", b"namespace",
         b"cgroup", b"seccomp", b"mount", b"process", b"image", b"index", b"config", b"whiteout"]


def content(rng, size):
    """Half incompressible, half text-like: what real layers hold, roughly."""
    if rng.random() < 0.5:
        return rng.randbytes(size)
    out, n = [], 0
    while n < size:
        line = b" ".join(rng.choice(WORDS) for _ in range(12)) + b"\n"
        out.append(line)
        n += len(line)
    return b"".join(out)[:size]


def layer(rng, index, budget):
    """A tar of about budget bytes of files of mixed sizes, in 32 directories."""
    buf = io.BytesIO()
    used, n = 0, 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in range(32):
            ti = tarfile.TarInfo("layer%d/d%02d" % (index, d))
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            t.addfile(ti)
        if index == 0:
            for d in ("bin", "etc", "proc", "sys", "dev"):
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1700000000
                t.addfile(ti)
            t.add("/bin/busybox", arcname="bin/busybox")
            for name in ("true", "sh"):
                ti = tarfile.TarInfo("bin/" + name)
                ti.type, ti.linkname, ti.mode, ti.mtime = tarfile.SYMTYPE, "busybox", 0o777, 1700000000
                t.addfile(ti)
            data = b"root:x:0:0:root:/root:/bin/sh\n"
            ti = tarfile.TarInfo("etc/passwd")
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))
        while used < budget:
            # mostly small files (64 B .. 64 KiB), one in ten large (64 KiB .. 8 MiB), log-uniform
            size = int(64 * 2 ** (rng.random() * 10)) if rng.random() < 0.9 else int(65536 * 2 ** (rng.random() * 7))
            data = content(rng, size)
            ti = tarfile.TarInfo("layer%d/d%02d/f%05d" % (index, n % 32, n))
            ti.size, ti.mode, ti.mtime = len(data), rng.choice((0o644, 0o600, 0o755)), 1700000000
            ti.uid = ti.gid = rng.choice((0, 0, 0, 1000))
            t.addfile(ti, io.BytesIO(data))
            used += size
            n += 1
    return buf.getvalue(), n


def make_image(path, size_mb, layers=4, seed=42):
    """An OCI layout with `layers` gzip layers of about size_mb MB compressed in all; returns a summary."""
    rng = random.Random(seed)
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')

    def blob(data):
        d = sha(data)
        (blobs / d[7:]).write_bytes(data)
        return d

    descs, diff_ids, files, raw_total = [], [], 0, 0
    # the half that is text compresses ~4x: ask for a bit more raw data than the compressed target
    per_layer = int(size_mb * 1.45 * (1 << 20) / layers)
    for i in range(layers):
        raw, n = layer(rng, i, per_layer)
        gz = gzip.compress(raw, compresslevel=6, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(gz),
                      "size": len(gz)})
        diff_ids.append(sha(raw))
        files += n
        raw_total += len(raw)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg),
                                 "size": len(cfg)}, "layers": descs}).encode()
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(man), "size": len(man),
         "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))
    return {"layers": layers, "files": files, "compressed": sum(d["size"] for d in descs), "raw": raw_total}


def timed(argv):
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def du_kib(*paths):
    out = subprocess.run(["du", "-sk", "--total"] + [str(p) for p in paths], capture_output=True, text=True,
                         check=True).stdout
    return int(out.splitlines()[-1].split()[0])


def unpack_vs_umoci(work, image, reps):
    times = {"cell": [], "umoci": []}
    for i in range(reps + 1):  # the first round warms the page cache and is not counted
        for tool in ("cell", "umoci"):
            dest = work / ("%s-%d" % (tool, i))
            argv = [CELL, "image", "unpack", image, dest] if tool == "cell" else \
                ["umoci", "unpack", "--image", image, dest]
            t = timed([str(a) for a in argv])
            shutil.rmtree(dest)
            if i:
                times[tool].append(t)
    return {k: statistics.median(v) for k, v in times.items()}


def many(work, image, n, cache):
    """n x (unpack [--cache] + cell run /bin/true); wall time, and disk used before the bundles go."""
    root = work / ("state-%s" % ("cache" if cache else "plain"))
    bundles = work / ("bundles-%s" % ("cache" if cache else "plain"))
    bundles.mkdir()
    cdir = work / "cache"
    t_unpack = t_run = 0.0
    for i in range(n):
        b = bundles / ("b%03d" % i)
        argv = [CELL, "image", "unpack"] + (["--cache", str(cdir)] if cache else []) + [image, str(b)]
        t_unpack += timed(argv)
        t_run += timed([CELL, "--root", str(root), "run", "-b", str(b), "c%03d" % i])
    disk = du_kib(bundles, cdir) if cache else du_kib(bundles)
    shutil.rmtree(bundles)
    return {"unpack_s": t_unpack, "run_s": t_run, "disk_kib": disk}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/var/tmp")
    ap.add_argument("-n", type=int, default=int(os.environ.get("IMAGE_BENCH_N", "100")))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--size-mb", type=int, default=200)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cell-image-bench-", dir=a.dir))
    try:
        t = time.perf_counter()
        info = make_image(work / "image", a.size_mb)
        print("image: %d gzip layers, %d files, %.0f MB compressed, %.0f MB uncompressed (generated in %.0f s)"
              % (info["layers"], info["files"], info["compressed"] / 1e6, info["raw"] / 1e6,
                 time.perf_counter() - t))
        image = "%s:bench" % (work / "image")
        m = unpack_vs_umoci(work, image, a.reps)
        ratio = m["cell"] / m["umoci"]
        print("unpack (median of %d): cell %.2f s, umoci %.2f s: cell = %.2f x umoci (goal <= 0.5): %s"
              % (a.reps, m["cell"], m["umoci"], ratio, "ok" if ratio <= 0.5 else "MISSED"))
        if a.n > 0:
            for cache in (True, False):
                r = many(work, image, a.n, cache)
                print("%d containers, %-18s unpack %6.1f s  run %5.1f s  disk %8.1f MB"
                      % (a.n, "layer cache+overlay:" if cache else "plain unpacks:", r["unpack_s"], r["run_s"],
                         r["disk_kib"] / 1024))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
