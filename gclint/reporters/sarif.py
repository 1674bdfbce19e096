"""SARIF 2.1.0, as GitHub code scanning reads it: one rule entry per code, help from the docs."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gclint.diagnostics import Diagnostic
from gclint.registry import Rule, Status
from gclint.version import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_entry(rule: type[Rule]) -> dict[str, Any]:
    from gclint.docs import render_rule, sections

    body = sections(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": body.get("What it does", rule.summary)},
        "help": {"text": body.get("Why is this bad?", rule.summary), "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": "error" if rule.status is Status.META else "warning"},
        "properties": {"tags": ["gclint", rule.name]},
    }


def _artifact(path: str) -> dict[str, str]:
    """An artifactLocation: absolute paths as file URIs, relative ones against %SRCROOT%."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}  # no uriBaseId with an absolute URI (SARIF 3.4.4)
    return {
        "uri": quote(Path(path).as_posix(), errors="surrogateescape"),
        "uriBaseId": "%SRCROOT%",
    }


def render(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], show_source: bool) -> str:
    from gclint.rules import REGISTRY

    # every implemented rule is described, reported or not, plus any GCL0xx that occurred
    rules = {r.code: r for r in REGISTRY.implemented()}
    for diag in diagnostics:
        found = REGISTRY.get(diag.code)
        if found is not None:
            rules.setdefault(found.code, found)
    ordered = sorted(rules)
    index = {code: i for i, code in enumerate(ordered)}
    results = []
    for d in diagnostics:
        # SARIF's own `fixes` need the replacement text; availability goes in a property bag
        fix = (
            {}
            if d.fix is None
            else {
                "properties": {
                    "fixAvailable": True,
                    "fixSafety": d.fix.safety.value,
                    "fixTitle": d.fix.title,
                }
            }
        )
        results.append(
            {
                **fix,
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": "error" if d.is_error else "warning",
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": _artifact(d.path),
                            "region": {
                                "startLine": d.range.line,
                                "startColumn": d.range.col + 1,
                                "endLine": d.range.end_line,
                                "endColumn": d.range.end_col + 1,
                            },
                        }
                    }
                ],
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gclint",
                        "version": __version__,
                        "rules": [_rule_entry(rules[code]) for code in ordered],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
