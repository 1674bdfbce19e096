"""Side by side: gclint, pylint R1732 and ruff SIM115 on fixtures/peers/cases.py.

Usage: python bench/peers.py [--write docs/peers.md]
Each function of the case file carries its right answer (`# expect: clean` or codes). A tool
gets a case right when it reports something inside the function exactly when the answer is not
`clean` (for gclint: exactly the expected codes).
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "fixtures" / "peers" / "cases.py"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Case:
    name: str
    start: int
    end: int
    expect: frozenset[str]  # empty: clean


def load_cases(path: Path = CASES) -> list[Case]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    cases = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            match = re.search(r"# expect: (.+)$", lines[node.lineno - 1])
            if match is None:
                continue
            label = match.group(1).strip()
            codes = frozenset() if label == "clean" else frozenset(label.split())
            cases.append(Case(node.name, node.lineno, node.end_lineno or node.lineno, codes))
    return sorted(cases, key=lambda c: c.start)


def _tool(name: str) -> str | None:
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name)


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
    return proc.stdout


def findings(tool: str) -> list[tuple[int, str]]:
    """(line, code) of what `tool` reports on the case file."""
    rel = str(CASES.relative_to(ROOT))
    if tool == "gclint":
        out = _run([str(BIN / "gclint"), "check", "--isolated", "-q", rel])
        pattern = r"^[^:]+:(\d+):\d+: (GCL\d+)"
    elif tool == "pylint":
        exe = _tool("pylint")
        if exe is None:
            return []
        out = _run(
            [
                exe,
                "--disable=all",
                "--enable=consider-using-with",
                "--score=n",
                "--msg-template={line}:{msg_id}",
                rel,
            ]
        )
        pattern = r"^(\d+):(R1732)"
    else:
        exe = _tool("ruff")
        if exe is None:
            return []
        out = _run(
            [
                exe,
                "check",
                "--isolated",
                "--no-cache",
                "--select",
                "SIM115,B019",
                "--output-format",
                "concise",
                rel,
            ]
        )
        pattern = r"^[^:]+:(\d+):\d+: (SIM115|B019)"
    return [(int(m.group(1)), m.group(2)) for m in re.finditer(pattern, out, re.M)]


def owner(cases: list[Case], line: int) -> Case | None:
    inside = [c for c in cases if c.start <= line <= c.end]
    return min(inside, key=lambda c: c.end - c.start) if inside else None


def table() -> tuple[str, dict[str, int], int]:
    cases = load_cases()
    reports: dict[str, dict[str, set[str]]] = {}
    for tool in ("gclint", "pylint", "ruff"):
        per: dict[str, set[str]] = {c.name: set() for c in cases}
        for line, code in findings(tool):
            case = owner(cases, line)
            if case is not None:
                per[case.name].add(code)
        reports[tool] = per
    right = {"gclint": 0, "pylint": 0, "ruff": 0}
    rows = [
        "| case | right answer | gclint | pylint R1732 | ruff SIM115 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        answer = " ".join(sorted(case.expect)) or "clean"
        cells = []
        for tool in ("gclint", "pylint", "ruff"):
            got = reports[tool][case.name]
            ok = got == set(case.expect) if tool == "gclint" else bool(got) == bool(case.expect)
            right[tool] += ok
            text = " ".join(sorted(got)) or "-"
            cells.append(f"{'✓' if ok else '✗'} {text}")
        rows.append(f"| `{case.name}` | {answer} | " + " | ".join(cells) + " |")
    total = len(cases)
    rows.append(
        f"| **right** | | **{right['gclint']}/{total}** | **{right['pylint']}/{total}** "
        f"| **{right['ruff']}/{total}** |"
    )
    return "\n".join(rows) + "\n", right, total


def versions() -> str:
    parts = []
    for tool, args in (("pylint", ["--version"]), ("ruff", ["--version"])):
        exe = _tool(tool)
        if exe is not None:
            parts.append(_run([exe, *args]).splitlines()[0].strip())
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", metavar="PATH")
    args = parser.parse_args()
    text, _right, _total = table()
    page = (
        "# gclint and its peers on the same cases\n\n"
        "Generated by `python bench/peers.py --write docs/peers.md` from "
        "`fixtures/peers/cases.py`: resource-lifetime cases that users of pylint and ruff "
        "reported as wrong, plus the traps neither knows. A peer gets a case right when it "
        "reports something exactly when the right answer is not `clean`; gclint must report "
        f"exactly the expected codes. Peers: {versions()}.\n\n" + text
    )
    if args.write:
        Path(args.write).write_text(page, encoding="utf-8")
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
