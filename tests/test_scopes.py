"""Qualified-name resolution through imports, aliases and Python's scoping rules."""

from __future__ import annotations

import ast
import textwrap

import pytest

from gclint.analysis.scopes import SCOPE_TYPES, Scopes
from gclint.analysis.walk import indexed

# Resolution inside `indexed` (the module being checked) first rules out, from module-wide name
# sets, the names no import can have bound; outside it (a module reached through an import) it
# always reads the scopes' bindings. Both must give every answer below.
MODES = pytest.mark.parametrize("checked", [True, False], ids=["checked", "imported"])


def resolve_last_call(source: str, checked: bool = True) -> str | None:
    """Resolve the function of the last call in `source`, at its position."""
    tree = ast.parse(textwrap.dedent(source))
    if checked:
        with indexed(tree):
            return _resolve_last_call(tree)
    return _resolve_last_call(tree)


def _resolve_last_call(tree: ast.Module) -> str | None:
    scopes = Scopes(tree)
    found: list[tuple[ast.Call, list[ast.AST]]] = []

    def walk(node: ast.AST, chain: list[ast.AST]) -> None:
        if isinstance(node, SCOPE_TYPES):
            chain = [*chain, node]
        if isinstance(node, ast.Call):
            found.append((node, chain))
        for child in ast.iter_child_nodes(node):
            walk(child, chain)

    walk(tree, [])
    call, chain = found[-1]
    return scopes.qualname(call.func, chain)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import gc\ngc.disable()", "gc.disable"),
        ("import gc as _gc\n_gc.disable()", "gc.disable"),
        ("from gc import disable as d\nd()", "gc.disable"),
        ("from gc import disable\ndisable()", "gc.disable"),
        ("import os.path\nos.path.join()", "os.path.join"),
        ("import os.path as p\np.join()", "os.path.join"),
        ("open()", "builtins.open"),
        ("def f():\n    import gc\n    gc.collect()", "gc.collect"),
        ("import gc\ndef f():\n    gc.collect()", "gc.collect"),
        ("def f():\n    gc.collect()\nimport gc", "gc.collect"),
        # a None fallback does not make the name ambiguous
        (
            "try:\n    import psycopg2\nexcept ImportError:\n    psycopg2 = None\n"
            "psycopg2.connect()",
            "psycopg2.connect",
        ),
        # global declaration reaches the module binding
        ("import gc\ndef f():\n    global gc\n    gc.collect()", "gc.collect"),
        # relative imports keep their dots
        ("from . import util\nutil.run()", ".util.run"),
        ("from ..pkg import mod\nmod.f()", "..pkg.mod.f"),
        # an import may bind a builtin's name, at any depth
        ("import io as str\nstr.open()", "io.open"),
        ("def f():\n    from io import open as len\n    len()", "io.open"),
        ("def f():\n    def g():\n        import io as dict\n        dict.open()", "io.open"),
    ],
)
@MODES
def test_resolves(source: str, expected: str, checked: bool) -> None:
    assert resolve_last_call(source, checked) == expected


@pytest.mark.parametrize(
    "source",
    [
        # rebound to something else: unsure
        "import gc\ngc = Collector()\ngc.collect()",
        # a parameter shadows the import
        "import gc\ndef f(gc):\n    gc.collect()",
        # a local assignment shadows a builtin
        "def f(open):\n    open()",
        "def f():\n    open = make_opener()\n    open()",
        # star imports may bind anything, builtins included
        "from os import *\nopen()",
        # two different imports of one name
        "try:\n    from a import load\nexcept ImportError:\n    from b import load\nload()",
        # unknown name
        "something()",
        # class bodies are not visible from methods
        "class C:\n    import gc\n    def m(self):\n        gc.collect()",
        # a call result is not a name
        "get()()",
        # loop variable, with target, except name, walrus, match capture
        "for gc in xs:\n    gc.collect()",
        "with x as gc:\n    gc.collect()",
        "try:\n    pass\nexcept E as gc:\n    gc.collect()",
        "import gc\nif (gc := thing()):\n    gc.collect()",
        "import gc\nmatch x:\n    case gc:\n        gc.collect()",
        "import gc\n[gc.collect() for gc in items]",
        # a builtin's attribute, or a builtin's name bound by something else than an import
        "str.join()",
        "def len():\n    pass\nlen()",
        "import io\nlen = io.open\nlen()",
        "self.close()",
    ],
)
@MODES
def test_unsure_is_none(source: str, checked: bool) -> None:
    assert resolve_last_call(source, checked) is None


def test_builtin_named_definitions_are_still_followed() -> None:
    """A function or class named like a builtin is followed to its body (``len(x)`` of a
    module that defines ``len`` is not the builtin), and an import that rebinds a builtin's
    name resolves to what it imports, however deep."""
    from gclint import check_source

    source = textwrap.dedent(
        """
        import io

        def input(path):
            return open(path)

        def use(path):
            f = input(path)
            return f.read()

        def deep(path):
            def inner():
                from io import open as len
                g = len(path)
                return g.read()
            return inner()
        """
    )
    found = {(d.code, d.range.line) for d in check_source(source, "m.py")}
    assert ("GCL101", 8) in found
    assert ("GCL101", 14) in found


def test_nonlocal_reaches_enclosing_function() -> None:
    source = """
    def outer():
        import gc
        def inner():
            nonlocal gc
            gc.collect()
    """
    assert resolve_last_call(source) == "gc.collect"


def test_import_aliases_index() -> None:
    tree = ast.parse(
        "from gc import disable as pause\nimport sqlite3 as db\ndef f():\n    import x.y\n"
    )
    aliases = Scopes(tree).import_aliases()
    assert aliases["pause"] == {"disable"}
    assert aliases["db"] == {"sqlite3"}
    assert aliases["x"] == {"x"}


def test_self_referential_assignment_does_not_recurse() -> None:
    from gclint import check_source

    source = (
        "def outer(level):\n"
        "    def step(node):\n"
        "        nonlocal level\n"
        "        level = level.next()\n"
        "        return level\n"
        "    cursor = cursor.next()\n"
        "    return step\n"
    )
    assert [d.code for d in check_source(source, "x.py")] == []
