"""Rule documentation generated from each rule's own metadata (docstring, examples, options).

`docs/rules/GCLnnn.md` files are written by ``python -m gclint.docs`` and a test fails when they
are stale; `gclint rule CODE` prints the same text, and SARIF output carries it as help.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gclint.diagnostics import FixSafety
from gclint.registry import Rule, Status, sentence
from gclint.rules import REGISTRY

SECTION_ORDER = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "References",
)
RULES_TABLE_START = "<!-- rules-table:start -->"
RULES_TABLE_END = "<!-- rules-table:end -->"


def sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring's ``## Heading`` sections, in order."""
    found: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in rule.docstring().splitlines():
        match = re.match(r"^## (.+)$", line)
        if match:
            if current is not None:
                found[current] = "\n".join(lines).strip()
            current, lines = match.group(1).strip(), []
        else:
            lines.append(line)
    if current is not None:
        found[current] = "\n".join(lines).strip()
    return found


def fix_text(rule: type[Rule]) -> str:
    """The rule's fix safety from the catalogue, marked when `--fix` cannot apply it yet."""
    if rule.status is Status.META:
        return "-"
    if rule.fix_safety is FixSafety.NONE or rule.fix_implemented:
        return rule.fix_safety.value
    return f"{rule.fix_safety.value} (planned)"


def status_text(rule: type[Rule]) -> str:
    return rule.status.value


def render_rule(rule: type[Rule]) -> str:
    parts = [f"# {rule.code} {rule.name}", ""]
    parts.append(f"*{sentence(rule.summary)}.*")
    parts.append("")
    facts = [f"Status: **{status_text(rule)}**"]
    if rule.status is not Status.META:
        facts.append(f"Fix: **{fix_text(rule)}**")
    parts.append(" · ".join(facts))
    parts.append("")
    body = sections(rule)
    for title in (*SECTION_ORDER, *[t for t in body if t not in SECTION_ORDER]):
        text = body.get(title)
        if title == "Options" and text is None and rule.options:
            text = "\n".join(
                f"- `{o.name}` ({o.type}, default `{o.default}`): {o.description}"
                for o in rule.options
            )
        if text is None:
            continue
        parts += [f"## {title}", "", text, ""]
    if rule.truth is not None:
        parts += [
            "## How the test suite proves it",
            "",
            f"Every example above is executed: the bad ones must show that {rule.truth.describe};"
            " the good ones must not.",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


def rules_table() -> str:
    rows = ["| code | name | fix | status | what it finds |", "| --- | --- | --- | --- | --- |"]
    for rule in REGISTRY:
        rows.append(
            f"| [{rule.code}](docs/rules/{rule.code}.md) | {rule.name} | {fix_text(rule)} "
            f"| {status_text(rule)} | {rule.summary} |"
        )
    return "\n".join(rows) + "\n"


def expected_files(root: Path) -> dict[Path, str]:
    files = {root / "docs" / "rules" / f"{rule.code}.md": render_rule(rule) for rule in REGISTRY}
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        start, end = text.find(RULES_TABLE_START), text.find(RULES_TABLE_END)
        if start != -1 and end > start:
            files[readme] = (
                text[: start + len(RULES_TABLE_START)] + "\n" + rules_table() + text[end:]
            )
    return files


def stale_files(root: Path) -> list[Path]:
    out = []
    for path, content in expected_files(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            out.append(path)
    rules_dir = root / "docs" / "rules"
    known = {f"{rule.code}.md" for rule in REGISTRY}
    out += [p for p in sorted(rules_dir.glob("GCL*.md")) if p.name not in known]
    return out


def write_docs(root: Path) -> list[Path]:
    written = []
    for path, content in expected_files(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[-1] if args and not args[-1].startswith("-") else ".")
    if "--check" in args:
        stale = stale_files(root)
        for path in stale:
            print(f"stale: {path} (run: python -m gclint.docs)")
        return 1 if stale else 0
    for path in write_docs(root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
