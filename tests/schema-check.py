#!/usr/bin/python3
"""Check config.schema.json against the fixtures: every tests/fixtures/config/good/*.json must validate and
every bad/*.json must not (a document that is not JSON at all counts as rejected). The parser side of the same
fixtures is tests/unit/runtime/config/test-config.c, so schema and parser cannot drift apart.

Usage: /usr/bin/python3 tests/schema-check.py [-v]   (-v: print why each bad fixture was rejected)
Prints one line per fixture and "schema: N passed, N failed"; exits non-zero on any failure."""

import json
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "config.schema.json"
FIXTURES = ROOT / "tests" / "fixtures" / "config"


def load_validator():
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)  # the schema itself must be valid draft 2020-12
    return cls(schema)


def first_error(validator, path):
    """None when the document is valid, else a one-line reason."""
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        return f"invalid JSON: {e}"
    err = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"{where}: {err.message[:160]}"


def main():
    verbose = "-v" in sys.argv[1:]
    try:
        validator = load_validator()
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"schema: {SCHEMA}: {e}")
        print("schema: 0 passed, 1 failed")
        return 1

    passed = failed = 0
    for kind in ("good", "bad"):
        files = sorted((FIXTURES / kind).glob("*.json"))
        if not files:
            print(f"FAIL {kind}/: no fixtures")
            failed += 1
        for path in files:
            reason = first_error(validator, path)
            name = f"{kind}/{path.name}"
            if kind == "good" and reason is not None:
                print(f"FAIL {name}: rejected: {reason}")
                failed += 1
            elif kind == "bad" and reason is None:
                print(f"FAIL {name}: accepted by the schema")
                failed += 1
            else:
                print(f"ok   {name}" + (f"  ({reason})" if verbose and reason else ""))
                passed += 1

    print(f"schema: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
