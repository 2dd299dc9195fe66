#!/usr/bin/python3
"""The house rules of the source tree (README, "Architecture"), checked mechanically.

Usage: /usr/bin/python3 tests/layout-check.py [BUILD]   (BUILD: the object tree of `make`, default build)

Rooms: runtime/base (base), runtime/config (config), runtime/rootfs (rootfs), runtime/process (process),
runtime/*.c|h (lifecycle), cgroups (cgroups), cgroups/overcommit (overcommit), namespaces, image, cli.
Checks, each one counted:
  - every #include "..." resolves (as cc does: the file's folder, then -I. and -Iruntime);
  - includes follow ALLOWED below (room -> rooms it may include; a few single files are listed with why);
    cli/ includes only the faces (runtime.h, image/image.h, cgroups/overcommit/overcommit.h) and base/;
  - no include circle between files;
  - from the objects in BUILD (nm): calls and data references follow the same ALLOWED table, no circle
    between object files, and every libcell symbol cli/ uses is declared in a face header;
  - no .c or .h file over MAX_LINES lines unless BIG_FILES says why;
  - tests/unit mirrors the sources: tests/unit/<dir>/test-<name>.c tests <dir>/<name>.c or .h.
Prints "ok - ..." or "FAIL - ..." per check, then "layout: N passed, N failed"; exits non-zero on a failure."""

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ["runtime", "cgroups", "namespaces", "image", "cli"]
OTHER_DIRS = ["tests/unit", "tests/fuzz", "tests/helper"]  # checked for resolution, sizes, circles only
INCLUDE_PATH = [".", "runtime"]  # the Makefile's -I. -Iruntime (tests add -Itests/unit)
MAX_LINES = 1000
BIG_FILES = {}  # path -> why it may be longer than MAX_LINES

# room -> the rooms it may include from and call into (itself always). The direction of the house: cli on
# top, then the lifecycle, then the rooms it drives, then the config model, then base.
ALLOWED = {
    "base": set(),
    "config": {"base"},
    "rootfs": {"config", "base"},
    "process": {"config", "base"},
    "lifecycle": {"config", "rootfs", "process", "cgroups", "overcommit", "namespaces", "base"},
    "cgroups": {"config", "base"},
    "overcommit": {"cgroups", "config", "base"},
    "namespaces": {"config", "base"},
    "image": {"base"},
    "cli": {"base"},
}
# Single files a room may include beyond ALLOWED, with the reason.
EXTRA_INCLUDES = {
    # libseccomp lives in process/seccomp.c only; config validation asks it about names (architectures).
    "config": {"runtime/process/seccomp-filter.h"},
    # the faces cli/ may use
    "cli": {"runtime/runtime.h", "image/image.h", "cgroups/overcommit/overcommit.h"},
}
# Symbols a room may use beyond ALLOWED, with the reason (the same as above).
EXTRA_SYMBOLS = {
    "config": {"cell_seccomp_validate"},
}
# Headers whose declarations cli/ may use.
FACES = ["runtime/runtime.h", "runtime/config/config.h", "image/image.h", "cgroups/overcommit/overcommit.h"]

results = []


def check(name, problems):
    results.append((name, list(problems)))


def room(path):
    """The room of a repository path, None outside the sources (tests)."""
    parts = path.split("/")
    if parts[0] == "runtime":
        if len(parts) > 2:
            return {"base": "base", "config": "config", "rootfs": "rootfs", "process": "process"}.get(parts[1], "?")
        return "lifecycle"
    if parts[0] == "cgroups":
        return "overcommit" if len(parts) > 2 and parts[1] == "overcommit" else "cgroups"
    if parts[0] in ("namespaces", "image", "cli"):
        return parts[0]
    return None


def sources():
    out = []
    for d in SOURCE_DIRS + OTHER_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.suffix in (".c", ".h") and p.is_file():
                out.append(p.relative_to(ROOT).as_posix())
    return out


INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def resolve(frm, name):
    dirs = [os.path.dirname(frm)] + INCLUDE_PATH + (["tests/unit"] if frm.startswith("tests/unit/") else [])
    for d in dirs:
        p = os.path.normpath(os.path.join(d, name))
        if (ROOT / p).is_file():
            return p
    return None


def includes(files):
    graph, missing = defaultdict(set), []
    for f in files:
        for name in INCLUDE_RE.findall((ROOT / f).read_text(errors="replace")):
            target = resolve(f, name)
            if target is None:
                missing.append(f"{f}: #include \"{name}\" not found")
            else:
                graph[f].add(target)
    return graph, missing


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    for start in list(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def allowed(frm_room, to_room):
    return to_room == frm_room or to_room in ALLOWED.get(frm_room, set())


def include_rules(graph):
    bad = []
    for f, targets in sorted(graph.items()):
        r = room(f)
        if r is None:
            continue
        for t in sorted(targets):
            tr = room(t)
            if tr is None or allowed(r, tr) or t in EXTRA_INCLUDES.get(r, set()):
                continue
            bad.append(f"{f} ({r}) includes {t} ({tr})")
    return bad


def nm(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRCGSV":
            defined.add(p[2])
        elif len(p) == 2 and p[0] == "U":
            undefined.add(p[1])
    return defined, undefined


def face_names():
    names, missing = set(), []
    for h in FACES + [p.relative_to(ROOT).as_posix() for p in (ROOT / "runtime/base").glob("*.h")]:
        if not (ROOT / h).is_file():
            missing.append(f"face header {h} missing")
            continue
        names |= set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", (ROOT / h).read_text()))
    return names, missing


def object_rules(build, files):
    objs = {}
    for f in files:
        if f.endswith(".c") and room(f) is not None:
            o = ROOT / build / (f[:-2] + ".o")
            if not o.is_file():
                msg = [f"{o.relative_to(ROOT)} missing: run make first"]
                return msg, msg, msg
            if o.stat().st_mtime < (ROOT / f).stat().st_mtime:
                msg = [f"{o.relative_to(ROOT)} older than {f}: run make first"]
                return msg, msg, msg
            objs[f] = nm(str(o))
    owner = {}
    for f, (defined, _) in objs.items():
        for s in defined:
            owner[s] = f
    graph, bad = defaultdict(set), []
    faces, cli_bad = face_names()
    for f, (_, undefined) in sorted(objs.items()):
        r = room(f)
        for s in sorted(undefined):
            t = owner.get(s)
            if t is None or t == f:
                continue
            graph[f].add(t)
            tr = room(t)
            if r == "cli":
                if tr != "cli" and s not in faces:
                    cli_bad.append(f"{f} uses {s} ({t}), which no face header declares")
                continue
            if not allowed(r, tr) and s not in EXTRA_SYMBOLS.get(r, set()):
                bad.append(f"{f} ({r}) uses {s} from {t} ({tr})")
    circles = [" <-> ".join(c) for c in cycles(graph)]
    return bad, circles, cli_bad


def sizes(files):
    bad = []
    for f in files:
        n = (ROOT / f).read_text(errors="replace").count("\n")
        if n > MAX_LINES and f not in BIG_FILES:
            bad.append(f"{f}: {n} lines (limit {MAX_LINES}; split it or list it in BIG_FILES with why)")
    return bad


def unit_mirror():
    bad = []
    for t in sorted((ROOT / "tests/unit").rglob("test-*.c")):
        rel = t.relative_to(ROOT / "tests/unit")
        d, name = rel.parent, rel.name[len("test-"):-2]
        if not any((ROOT / d / (name + ext)).is_file() for ext in (".c", ".h")):
            bad.append(f"tests/unit/{rel}: no {d}/{name}.c or .h")
    return bad


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    files = sources()
    graph, missing = includes(files)
    check("every #include resolves", missing)
    rules = include_rules(graph)
    check("cli/ includes only the faces and base/", [b for b in rules if b.startswith("cli/")])
    check("rootfs/ and process/ include neither the lifecycle nor each other",
          [b for b in rules if room(b.split()[0]) in ("rootfs", "process")])
    check("cgroups/, namespaces/, image/ include only themselves, the config model and base/",
          [b for b in rules if room(b.split()[0]) in ("cgroups", "overcommit", "namespaces", "image")])
    check("config/ and base/ include only what is below them",
          [b for b in rules if room(b.split()[0]) in ("config", "base")])
    check("every other include follows the direction of the house",
          [b for b in rules if room(b.split()[0]) not in
           ("cli", "rootfs", "process", "cgroups", "overcommit", "namespaces", "image", "config", "base")])
    check("no include circle between files", [" <-> ".join(c) for c in cycles(graph)])
    bad, circles, cli_bad = object_rules(build, files)
    check("calls follow the direction of the house (nm of the objects)", bad)
    check("no call circle between object files", circles)
    check("cli/ calls only what the face headers declare", cli_bad)
    check(f"no source file over {MAX_LINES} lines", sizes(files))
    check("tests/unit mirrors the sources", unit_mirror())
    failed = 0
    for name, problems in results:
        if problems:
            failed += 1
            print(f"FAIL - {name}")
            for p in problems:
                print(f"    {p}")
        else:
            print(f"ok - {name}")
    print(f"layout: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
