"""`gclint check --format sarif` against the OASIS SARIF 2.1.0 JSON schema (tests/data), and
what GitHub code scanning needs from it: one rule per code with its help, results that point
at their rule by id and index, and 1-based regions."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from projects import LOADER_BAD, LOADER_GOOD

from gclint.rules import REGISTRY

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

SYNTAX_ERROR = "def load(:\n"

# name: (file text, expected exit status, expected (ruleId, startLine, startColumn) of results)
CASES: dict[str, tuple[str, int, list[tuple[str, int, int]]]] = {
    "finding": (LOADER_BAD, 1, [("GCL401", 6, 5)]),
    "clean": (LOADER_GOOD, 0, []),
    "syntax-error": (SYNTAX_ERROR, 2, [("GCL001", 1, 10)]),
}


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def sarif_log(gclint: Runner, tmp_path: Path, case: str) -> dict[str, Any]:
    text, status, _ = CASES[case]
    (tmp_path / "loader.py").write_text(text, encoding="utf-8")
    proc = gclint("check", "--isolated", "--no-cache", "--format", "sarif", "loader.py")
    assert proc.returncode == status, proc.stdout + proc.stderr
    log = json.loads(proc.stdout)
    assert isinstance(log, dict)
    return log


def schema_errors(validator: Draft7Validator, log: dict[str, Any]) -> list[str]:
    return [
        f"/{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(log)
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_is_valid_sarif_2_1_0(
    case: str, gclint: Runner, tmp_path: Path, validator: Draft7Validator
) -> None:
    log = sarif_log(gclint, tmp_path, case)
    assert schema_errors(validator, log) == []
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    assert log["runs"][0]["tool"]["driver"]["name"] == "gclint"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rules_and_results_agree_for_code_scanning(
    case: str, gclint: Runner, tmp_path: Path
) -> None:
    run = sarif_log(gclint, tmp_path, case)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), f"duplicate rule entries: {ids}"
    assert {r.code for r in REGISTRY.implemented()} <= set(ids)
    for rule in rules:
        assert rule["shortDescription"]["text"].strip(), rule["id"]
        assert rule["help"]["text"].strip(), rule["id"]
        assert rule["help"]["markdown"].strip(), rule["id"]

    results = run["results"]  # present, even empty: the log describes an actual scan
    found = []
    for result in results:
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"].strip()
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "loader.py"
        region = physical["region"]
        assert region["startLine"] >= 1
        assert region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
        found.append((result["ruleId"], region["startLine"], region["startColumn"]))
    assert found == CASES[case][2]


def test_uris_absolute_and_percent_encoded(gclint: Runner, tmp_path: Path) -> None:
    (tmp_path / "sp ace#1.py").write_text(LOADER_BAD, encoding="utf-8")
    relative = json.loads(gclint("check", "--isolated", "--format", "sarif", "sp ace#1.py").stdout)
    location = relative["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "sp%20ace%231.py", "uriBaseId": "%SRCROOT%"}
    absolute = json.loads(
        gclint("check", "--isolated", "--format", "sarif", str(tmp_path / "sp ace#1.py")).stdout
    )
    location = absolute["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": (tmp_path / "sp ace#1.py").as_uri()}
