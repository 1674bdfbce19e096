"""Configuration: selection precedence, [tool.gclint] loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gclint.config import (
    Config,
    ConfigError,
    config_from_table,
    find_pyproject,
    parse_per_file_ignores,
    resolve_config,
)
from gclint.rules import REGISTRY

KNOWN = tuple(REGISTRY.rules)


@pytest.mark.parametrize(
    ("config", "code", "expected"),
    [
        (Config(), "GCL401", True),
        (Config(ignore=("GCL4",)), "GCL401", False),
        (Config(ignore=("GCL4",), extend_select=("GCL401",)), "GCL401", True),
        (Config(ignore=("GCL4",), extend_select=("GCL401",)), "GCL402", False),
        (Config(select=("GCL402",)), "GCL401", False),
        (Config(select=("ALL",), ignore=("GCL401",)), "GCL401", False),
        (Config(select=("GCL401",), ignore=("GCL401",)), "GCL401", False),
        (Config(extend_ignore=("GCL40",)), "GCL403", False),
    ],
)
def test_selection_precedence(config: Config, code: str, expected: bool) -> None:
    assert config.is_selected(code) is expected


def test_per_file_ignores() -> None:
    config = Config(per_file_ignores=(("tests/*", ("GCL402",)), ("legacy.py", ("GCL4",))))
    assert not config.is_selected("GCL402", "tests/test_x.py")
    assert config.is_selected("GCL401", "tests/test_x.py")
    assert not config.is_selected("GCL401", "pkg/legacy.py")
    assert config.is_selected("GCL402", "pkg/main.py")


def test_parse_per_file_ignores_flake8_syntax() -> None:
    assert parse_per_file_ignores("a/*.py:GCL401,GCL402 b.py:GCL4") == (
        ("a/*.py", ("GCL401", "GCL402")),
        ("b.py", ("GCL4",)),
    )
    with pytest.raises(ConfigError):
        parse_per_file_ignores("GCL401")


def test_table_values_and_errors(tmp_path: Path) -> None:
    config = config_from_table(
        {
            "select": ["GCL4"],
            "extend-ignore": ["GCL404"],
            "per-file-ignores": {"tests/*": ["GCL402"]},
            "extra-resource-factories": ["mypkg.db.connect"],
        },
        "pyproject.toml",
        str(tmp_path),
        known=KNOWN,
    )
    assert config.select == ("GCL4",)
    assert config.extra_resource_factories == ("mypkg.db.connect",)
    with pytest.raises(ConfigError, match="unknown key 'selct'"):
        config_from_table({"selct": ["GCL4"]}, "pyproject.toml", ".", known=KNOWN)
    with pytest.raises(ConfigError, match="unknown rule code or prefix 'GCL999'"):
        config_from_table({"ignore": ["GCL999"]}, "pyproject.toml", ".", known=KNOWN)
    with pytest.raises(ConfigError, match="list of strings"):
        config_from_table({"select": [4]}, "pyproject.toml", ".", known=KNOWN)


def test_nearest_pyproject_with_table(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.gclint]\nignore = ["GCL402"]\n')
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no table
    assert find_pyproject(sub) == tmp_path / "pyproject.toml"
    config = resolve_config(sub, {"extend_ignore": ("GCL403",)}, known=KNOWN)
    assert config.ignore == ("GCL402",)
    assert config.extend_ignore == ("GCL403",)
    assert config.root == str(tmp_path)
    assert resolve_config(sub, {}, isolated=True, known=KNOWN).ignore == ()


def test_search_stops_at_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.gclint]\nignore = ["GCL402"]\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find_pyproject(repo) is None


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.gclint\nselect = \n")
    with pytest.raises(ConfigError, match="cannot read configuration"):
        resolve_config(tmp_path, {}, config_path=tmp_path / "pyproject.toml", known=KNOWN)
