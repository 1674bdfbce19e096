"""The corpus round trip of `bench/fix_roundtrip.py`, on a few files of the installed standard
library: `gclint check --fix` (the real command) on a copy, then every changed file parses and
compiles, a second `--fix` changes no byte, files without a fixable diagnostic are untouched,
and no fixed file gains a diagnostic. The whole corpus run is in docs/fixes.md."""

from __future__ import annotations

import ast
import json
import shutil
import sysconfig
from collections import Counter
from pathlib import Path

import pytest
from conftest import Runner

# Modules present in every supported version; on 3.11 contextlib.py has two GCL304 fixes,
# the others have fixable diagnostics whose fix is skipped (a reason is printed) or none.
SAMPLE = ("contextlib.py", "gzip.py", "socket.py", "webbrowser.py", "queue.py", "shlex.py")


@pytest.fixture
def stdlib_copy(tmp_path: Path) -> dict[str, bytes]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    found = [stdlib / name for name in SAMPLE if (stdlib / name).is_file()]
    if len(found) < 3:
        pytest.skip(f"the standard library's sources are not installed in {stdlib}")
    for path in found:
        shutil.copyfile(path, tmp_path / path.name)
    return {path.name: path.read_bytes() for path in found}


def codes(rows: list[dict[str, object]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for row in rows:
        out.setdefault(str(row["path"]), Counter())[str(row["code"])] += 1
    return out


def test_fix_round_trip_on_standard_library_files(
    gclint: Runner, tmp_path: Path, stdlib_copy: dict[str, bytes]
) -> None:
    check = gclint("check", "--isolated", "--format", "json", "--exit-zero", ".")
    assert check.returncode == 0, check.stderr
    rows = json.loads(check.stdout)
    before = codes(rows)
    fixable = {r["path"] for r in rows if r["fix"] is not None and r["fix"]["applicable"]}

    fixed = gclint("check", "--isolated", "--fix", ".")
    assert fixed.returncode in {0, 1}, fixed.stderr
    assert "Traceback" not in fixed.stderr
    assert "GCL000" not in fixed.stdout + fixed.stderr
    assert "internal error" not in fixed.stderr
    after_fix = {name: (tmp_path / name).read_bytes() for name in stdlib_copy}
    changed = sorted(name for name, data in after_fix.items() if data != stdlib_copy[name])
    assert set(changed) <= fixable
    for name in changed:
        ast.parse(after_fix[name], name)
        compile(after_fix[name], name, "exec", dont_inherit=True)

    second = gclint("check", "--isolated", "--fix", "--format", "json", "--exit-zero", ".")
    assert second.returncode == 0, second.stderr
    assert {name: (tmp_path / name).read_bytes() for name in stdlib_copy} == after_fix
    after = codes(json.loads(second.stdout))
    for name in stdlib_copy:
        old, new = before.get(name, Counter()), after.get(name, Counter())
        if name in changed:
            assert all(new[code] <= old[code] for code in new), (name, old, new)
            assert new.total() < old.total(), (name, old, new)
        else:
            assert new == old, (name, old, new)
    if changed:
        assert f"in {len(changed)} file" in fixed.stderr
