"""Fixtures for cell's integration tests.

  rt            a Runtime (cell, runc or crun, from CELL_TEST_RUNTIMES) with its own --root; after the test the
                leak checker fails the test if anything was left behind
  bundle        a busybox bundle (rootfs + config.json) in the test's directory; bundle.config is the dict
  make_bundle   a factory for more bundles
  netns         a named network namespace (ip netns add), deleted after the test

Markers:
  cell_only                     error-message tests: runc and crun word their errors differently
  skip_runtime(name, reason)    a runtime that cannot pass this test for a host reason
  cgroup_v2                     needs cgroup v2 controllers (memory cpu pids io): skipped where the host lacks
                                them; tests/vm/run-cgroup-suite runs these (natively or in a VM), and
                                tests/check.sh's main run deselects them
"""
import itertools
import os
import re
import secrets
import subprocess

import pytest

from helpers import (CGROUP_V2_NEEDED, REPO, Bundle, LeakChecker, Runtime, build_rootfs_template,
                     cgroup2_controllers, make_session_dir, remove_tree, runtime_binary, runtime_names)


def pytest_configure(config):
    config.addinivalue_line("markers", "cell_only: only cell runs this test (runtime-specific messages)")
    config.addinivalue_line("markers", "skip_runtime(name, reason): skip this test for one runtime")
    config.addinivalue_line("markers", "cgroup_v2: needs cgroup v2 controllers (tests/vm/run-cgroup-suite)")


def pytest_collection_modifyitems(config, items):
    missing = CGROUP_V2_NEEDED - cgroup2_controllers()
    if not missing:
        return
    skip = pytest.mark.skip(reason="cgroup v2 controllers missing here (%s): tests/vm/run-cgroup-suite runs "
                            "these in a VM" % " ".join(sorted(missing)))
    for item in items:
        if item.get_closest_marker("cgroup_v2"):
            item.add_marker(skip)


def pytest_report_header(config):
    try:
        fs = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout
    except OSError:
        fs = "?"
    line = "runtimes: %s; /sys/fs/cgroup: %s" % (" ".join(runtime_names()), fs.strip())
    if fs.strip() != "cgroup2fs":
        line += " (not a cgroup v2 view: run through tests/helper/cgroup2-view.sh, as tests/check.sh does)"
    return line


def pytest_generate_tests(metafunc):
    if "runtime_name" in metafunc.fixturenames:
        metafunc.parametrize("runtime_name", runtime_names())


@pytest.fixture(scope="session")
def session_dir():
    d = make_session_dir()
    yield d
    if not os.environ.get("CELL_TEST_KEEP"):
        remove_tree(d)


@pytest.fixture(scope="session")
def rootfs_template(session_dir):
    subprocess.run([str(REPO / "tests" / "helper" / "build.sh")], check=True)
    return build_rootfs_template(session_dir / "template")


_counter = itertools.count()


@pytest.fixture
def workdir(session_dir, request):
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:40]
    d = session_dir / ("%s-%d" % (name, next(_counter)))
    d.mkdir()
    return d


def _skip_for(request, name):
    if request.node.get_closest_marker("cell_only") and name != "cell":
        pytest.skip("cell only: runtime-specific error messages")
    for m in request.node.iter_markers("skip_runtime"):
        if m.args[0] == name:
            pytest.skip("%s: %s" % (name, m.args[1] if len(m.args) > 1 else m.kwargs.get("reason", "")))


@pytest.fixture
def rt(request, runtime_name, workdir):
    _skip_for(request, runtime_name)
    binary = runtime_binary(runtime_name)
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("runtime %s: no executable %s (build it: make cell)" % (runtime_name, binary))
    r = Runtime(runtime_name, binary, workdir, secrets.token_hex(6))
    checker = LeakChecker(r)
    yield r
    leaks = checker.check()
    if leaks:
        checker.cleanup()
        pytest.fail("%s left behind:\n  %s" % (runtime_name, "\n  ".join(leaks)), pytrace=False)


@pytest.fixture
def make_bundle(rt, rootfs_template):
    n = itertools.count()

    def make(name=None):
        return Bundle(rt.workdir / (name or "bundle%d" % next(n)), rootfs_template, rt.token)
    return make


@pytest.fixture
def bundle(make_bundle):
    return make_bundle("bundle")


@pytest.fixture(scope="session")
def netns_dir():
    """`ip netns add` mounts /run/netns on first use; do that once, before any leak snapshot."""
    name = "cell-test-%s" % secrets.token_hex(4)
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "delete", name], check=True)


@pytest.fixture
def netns(netns_dir, rt, request):
    """A netns named after the test (bind-mounted under /run/netns in our private mount namespace); yields
    its path."""
    name = "cell-%s-%s" % (re.sub(r"[^A-Za-z0-9_-]", "_", request.node.originalname)[:32], secrets.token_hex(4))
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield "/run/netns/" + name
    subprocess.run(["ip", "netns", "delete", name], check=False)
