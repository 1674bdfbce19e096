"""The shape of the package (CONTRIBUTING.md): the rule is the unit, analyses below, drivers above.

Each test reads the sources with `ast`; none imports code to find out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gclint.registry import Status
from gclint.rules import REGISTRY

PACKAGE = Path(__file__).resolve().parent.parent / "gclint"
MAX_LINES = 800
FAMILIES = ("resources", "finalizers", "cycles", "gcmodule")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path, *, type_checking: bool) -> set[str]:
    """The gclint modules `path` imports anywhere in its body (function-level imports too);
    with `type_checking`, also those imported only for type checkers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(sub) for sub in ast.walk(node))
    name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            out.update(subs)
            if len(subs) < len(node.names) and base in MODULES:
                out.add(base)
    out.discard(name.removesuffix(".__init__"))
    return out


def test_no_import_cycle() -> None:
    graph = {name: _imports(path, type_checking=False) for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_too_long(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_analysis_never_imports_the_rules_side() -> None:
    """Facts about a module know nothing of rules, their context or fixes (type hints included)."""
    for name, path in MODULES.items():
        if not name.startswith("gclint.analysis"):
            continue
        above = [
            dep
            for dep in _imports(path, type_checking=True)
            if dep.startswith(("gclint.rules", "gclint.fixes", "gclint.context", "gclint.engine"))
        ]
        assert above == [], name


def test_config_is_a_leaf() -> None:
    assert _imports(MODULES["gclint.config"], type_checking=True) == set()


def test_every_rule_is_its_own_module_named_after_it() -> None:
    for rule in REGISTRY:
        if rule.status is Status.PLANNED or rule.code.startswith("GCL0"):
            continue
        package, _, leaf = rule.__module__.rpartition(".")
        assert package.removeprefix("gclint.rules.") in FAMILIES, rule.code
        assert leaf == rule.name.replace("-", "_"), rule.code
    for family in FAMILIES:
        for path in sorted((PACKAGE / "rules" / family).glob("*.py")):
            if path.name.startswith("_"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            registered = [
                node.name
                for node in tree.body
                if isinstance(node, ast.ClassDef)
                and any(getattr(d, "id", None) == "register" for d in node.decorator_list)
            ]
            if path.stem.endswith("_fix"):
                assert registered == [], path
                assert (path.parent / f"{path.stem.removesuffix('_fix')}.py").exists(), path
                assert any(isinstance(n, ast.FunctionDef) and n.name == "fix" for n in tree.body), (
                    f"{path}: no fix()"
                )
            else:
                assert len(registered) == 1, f"{path}: {registered}"


def test_rule_modules_do_not_import_libcst() -> None:
    """Checking never imports libcst: only a rule's ``_fix`` module and the toolkit may."""
    for name, path in MODULES.items():
        if name.endswith("_fix") or name.startswith(("gclint.fixes.", "gclint.rules.meta")):
            continue
        if name in ("gclint.fixing", "gclint.fixes"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [
            node
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            and any(
                (a.name if isinstance(node, ast.Import) else node.module or "").startswith("libcst")
                for a in node.names
            )
        ]
        assert top == [], name
