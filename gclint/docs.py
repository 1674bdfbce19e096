"""Rule documentation generated from each rule's own metadata (docstring, examples, options).

`docs/rules/GCLnnn.md` files are written by ``python -m gclint.docs`` and a test fails when they
are stale; `gclint rule CODE` prints the same text, and SARIF output carries it as help.

A page's sections are the docstring's ``## Heading`` sections, in the order of `SECTION_ORDER`
(other headings after them), completed from the rule's metadata:

- "Example" and "Use instead" show the INVALID and the VALID example flagged ``doc=True`` (see
  `gclint.registry.Example`): its `source` in a ``python`` code block, so the page shows code the
  tests run. When the docstring leaves that section out, the code is the whole section. When it
  keeps the section, the section holds only prose (say, what the replacement does), and the code
  goes between the heading and the prose: the prose follows the code as it follows the heading
  in the docstring, on the next line, or after a blank line when the docstring leaves one there.
  A docstring section with a code block of its own is hand-written (e.g. a shortened version of
  an example); flagging an example of its kind as well is an error.
- "Options" lists the rule's `options` when the docstring has no such section.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, Status, sentence
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
# The sections that show a flagged example (`Example.doc`), and whether it is the INVALID one.
EXAMPLE_SECTIONS = {"Example": True, "Use instead": False}
CODE_FENCE = "```"
RULES_TABLE_START = "<!-- rules-table:start -->"
RULES_TABLE_END = "<!-- rules-table:end -->"


def _docstring_parts(rule: type[Rule]) -> dict[str, str]:
    """The docstring's ``## Heading`` sections, in order, as written: the lines after each
    heading, the blank lines at the end left out (those at the start kept)."""
    found: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in rule.docstring().splitlines():
        match = re.match(r"^## (.+)$", line)
        if match:
            if current is not None:
                found[current] = "\n".join(lines).rstrip()
            current, lines = match.group(1).strip(), []
        else:
            lines.append(line)
    if current is not None:
        found[current] = "\n".join(lines).rstrip()
    return found


def docstring_sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring's ``## Heading`` sections, in order (only what the docstring says)."""
    return {title: text.strip() for title, text in _docstring_parts(rule).items()}


def doc_example(rule: type[Rule], title: str) -> Example | None:
    """The example flagged ``doc=True`` that section `title` shows ("Example": an INVALID one,
    "Use instead": a VALID one), or None."""
    if title not in EXAMPLE_SECTIONS:
        return None
    examples = rule.invalid if EXAMPLE_SECTIONS[title] else rule.valid
    flagged = [example for example in examples if example.doc]
    if len(flagged) > 1:
        raise ValueError(f"{rule.code}: {len(flagged)} examples flagged doc=True for '{title}'")
    return flagged[0] if flagged else None


def code_block(source: str) -> str:
    return f"{CODE_FENCE}python\n{source}{CODE_FENCE}"


def sections(rule: type[Rule]) -> dict[str, str]:
    """The sections of the rule's page, in page order: the docstring's, completed from the
    flagged examples and the options (see the module docstring)."""
    written = _docstring_parts(rule)
    body = {title: text.strip() for title, text in written.items()}
    for title in EXAMPLE_SECTIONS:
        example = doc_example(rule, title)
        if example is None:
            continue
        prose = written.get(title, "")
        if CODE_FENCE in prose:
            raise ValueError(
                f"{rule.code}: '## {title}' has a code block and an example flagged doc=True"
            )
        # the prose keeps the blank line the docstring leaves after the heading, if any
        body[title] = code_block(example.source) + (f"\n{prose}" if prose.strip() else "")
    if "Options" not in body and rule.options:
        body["Options"] = "\n".join(
            f"- `{o.name}` ({o.type}, default `{o.default}`): {o.description}" for o in rule.options
        )
    order = (*SECTION_ORDER, *[title for title in body if title not in SECTION_ORDER])
    return {title: body[title] for title in order if title in body}


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
    for title, text in sections(rule).items():
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
