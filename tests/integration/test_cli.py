"""spec, features, --version, --preserve-fds: the rest of the runc command line."""
import json
import subprocess

import pytest


def test_spec_writes_config(rt):
    d = rt.workdir / "spec"
    d.mkdir()
    rt("spec", cwd=d).ok()
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["root"] == {"path": "rootfs", "readonly": True}
    assert {"pid", "mount", "network", "ipc", "uts"} <= {n["type"] for n in cfg["linux"]["namespaces"]}


def test_spec_refuses_overwrite(rt):
    d = rt.workdir / "spec"
    d.mkdir()
    (d / "config.json").write_text("mine")
    rt("spec", cwd=d).failed()
    assert (d / "config.json").read_text() == "mine"


def test_spec_runs(rt, bundle):
    """The default spec runs in a busybox bundle once args and terminal are set (and linux.resources dropped:
    the test host cannot apply device rules)."""
    d = rt.workdir / "spec"
    d.mkdir()
    rt("spec", cwd=d).ok()
    cfg = json.loads((d / "config.json").read_text())
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/cellcheck", "pid"]
    cfg["process"]["env"].append("CELL_TEST_TOKEN=" + rt.token)
    cfg["linux"].pop("resources", None)
    bundle.write(cfg)
    r = rt.run(rt.new_id(), bundle, check=True)
    assert r.facts["pid"] == "1"


@pytest.mark.skip_runtime("crun", "crun 1.8.1 has no features command")
def test_features(rt):
    f = json.loads(rt("features").ok().stdout)
    assert f["ociVersionMin"].startswith("1.")
    assert f["ociVersionMax"].startswith("1.")
    assert "prestart" in f["hooks"] and "poststop" in f["hooks"]
    assert "mount" in f["linux"]["namespaces"]


def test_version(rt):
    r = subprocess.run([rt.binary, "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert "version" in r.stdout.splitlines()[0]
    # runc and crun name the spec version; runc and cell also the libseccomp they were built with
    assert any(line.startswith("spec") for line in r.stdout.splitlines()), r.stdout
    if rt.name != "crun":
        assert any(line.startswith("libseccomp: 2.") for line in r.stdout.splitlines()), r.stdout


def test_preserve_fds(rt, bundle):
    """--preserve-fds 1 passes fd 3 into the container; without it, fd 3 is closed."""
    data = rt.workdir / "fd3-data"
    data.write_text("through fd 3")
    bundle.sh("cat <&3; /cellcheck fds")
    wrap = ["/bin/sh", "-c", 'exec 3<"$0"; exec "$@"', str(data)]

    def run(*extra):
        out = rt.workdir / "preserve.out"
        with open(out, "w") as fo:
            p = subprocess.run(wrap + rt.argv("run", *extra, "--bundle", bundle.path, rt.new_id()),
                               stdin=subprocess.DEVNULL, stdout=fo, stderr=subprocess.STDOUT, timeout=30)
        return p.returncode, out.read_text()

    rc, out = run("--preserve-fds", "1")
    assert rc == 0, out
    assert out.startswith("through fd 3"), out
    assert "fd 3 " + str(data) in out, out
    rc, out = run()
    assert "fd 3 " not in out, out
