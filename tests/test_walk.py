"""The engine's own lifetimes: the layout walks slice, the trees it frees, the trees it shares.

gclint checks other code for objects kept alive by reference cycles; its own per-file state must
not be kept alive that way (a checked tree in a cycle waits for the cyclic collector, which then
traverses it: a third of a corpus run went there before `Context.release`).
"""

from __future__ import annotations

import ast
import gc
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from gclint import hosting
from gclint.analysis import imports, inference
from gclint.analysis.flow import SCOPE_BOUNDARIES, same_expression
from gclint.analysis.walk import (
    _layout_iterative,
    _layout_recursive,
    child_fields,
    indexed,
    walk,
    walk_shallow,
    walk_shallow_typed,
    walk_typed,
)
from gclint.engine import check_file

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLE = sorted(p for p in STDLIB.glob("*.py"))[::7]  # ~30 real modules of every shape


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in SAMPLE:
        yield path, ast.parse(path.read_bytes())


def test_layout_is_the_depth_first_order_of_every_node() -> None:
    assert len(SAMPLE) > 20
    for path, tree in _trees():
        order, ends, starts, by_type = _layout_recursive(tree)
        order2, ends2, starts2, by_type2 = _layout_iterative(tree)
        assert ends == ends2, path
        assert list(map(id, order)) == list(map(id, order2)), path
        assert starts == starts2, path
        assert by_type == by_type2, path
        # every node of a type with child fields is found where it is laid out (a leaf is not
        # looked up); each type's positions in order
        assert starts == {n: i for i, n in enumerate(order) if child_fields(type(n))}
        for kind, where in by_type.items():
            assert where == [i for i, n in enumerate(order) if type(n) is kind], (path, kind)
        # every node but the ctx/op singletons, once
        expected = [
            n for n in ast.walk(tree) if not isinstance(n, (ast.expr_context, ast.operator))
        ]
        expected = [n for n in expected if not isinstance(n, (ast.boolop, ast.unaryop))]
        assert sorted(map(id, order)) == sorted(map(id, expected)), path
        laid = {id(n) for n in order}
        for i, node in enumerate(order):  # a subtree is the slice up to its end
            inside = {id(n) for n in order[i + 1 : ends[i]]}
            below = {id(n) for n in ast.walk(node) if n is not node and id(n) in laid}
            assert inside == below, (path, i)


TYPE_SETS: list[tuple[type, ...]] = [
    (ast.Assign,),
    (ast.Assign, ast.AnnAssign, ast.Call),
    (ast.Name,),
    (ast.FunctionDef, ast.AsyncFunctionDef),  # the boundaries themselves
    (ast.stmt,),  # an abstract class: every concrete statement type
    (ast.Lambda, ast.Return, ast.Await),
]


def test_typed_walks_are_the_filtered_walks() -> None:
    """In an indexed tree, `walk_typed`/`walk_shallow_typed` slice positions by type; they must
    return exactly the nodes (and order) of the filtered `walk`/`walk_shallow`."""
    for path, tree in _trees():
        scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.Module, *SCOPE_BOUNDARIES))]
        for types in TYPE_SETS:
            for scope in scopes[::3]:
                body = [scope.body] if isinstance(scope, ast.Lambda) else list(scope.body)
                plain = [n for n in walk(scope) if isinstance(n, types)]
                shallow = [n for n in walk_shallow(body, SCOPE_BOUNDARIES) if isinstance(n, types)]
                with indexed(tree):
                    assert walk_typed(scope, types) == plain, (path, types)
                    typed = walk_shallow_typed(body, types, SCOPE_BOUNDARIES)
                    assert typed == shallow, (path, types, getattr(scope, "lineno", 0))
                    # a boundary as the top node is returned, never entered
                    assert walk_shallow_typed([scope], types, SCOPE_BOUNDARIES) == [
                        n for n in walk_shallow([scope], SCOPE_BOUNDARIES) if isinstance(n, types)
                    ]
                # outside an index: the same answers
                assert walk_typed(scope, types) == plain
                assert walk_shallow_typed(body, types, SCOPE_BOUNDARIES) == shallow


def test_child_fields_read_from_the_node_signatures() -> None:
    assert child_fields(ast.Name) == ()
    assert child_fields(ast.Constant) == ()
    assert child_fields(ast.Attribute) == (("value", False),)
    assert child_fields(ast.ImportFrom) == (("names", True),)
    assert child_fields(ast.Global) == ()
    assert ("ops", True) in child_fields(ast.Compare)  # cmpop nodes are kept, as before
    assert ("keys", True) in child_fields(ast.Dict)  # which may hold None (``**rest``)


@pytest.mark.parametrize(
    "name", ["asyncio/base_events.py", "subprocess.py", "tempfile.py", "http/cookiejar.py"]
)
def test_a_check_leaves_no_tree_in_a_reference_cycle(name: str) -> None:
    """No cyclic garbage at all when astroid is not asked (`hosting.Batch.running` relies on it: it
    collects only after a file that used astroid). cookiejar.py made 564 closures of
    ``ast.dump`` (each a cycle) before `same_expression`."""
    path = STDLIB / name
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    builds = inference.Inference.builds
    try:
        result = check_file(str(path))
        assert not result.has_error
        del result
        gc.collect()
        kept = [o for o in gc.garbage if isinstance(o, ast.AST)]
        garbage = len(gc.garbage) if inference.Inference.builds == builds else 0
        from_gclint = {
            type(o).__qualname__
            for o in gc.garbage
            if type(o).__module__.startswith("gclint")
            or getattr(o, "__module__", "").startswith("gclint")
        }
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert kept == []
    assert from_gclint == set()
    assert garbage == 0


def test_a_batch_file_run_pauses_the_collector_and_puts_it_back() -> None:
    before = (gc.isenabled(), gc.get_threshold())
    with hosting.current().running():  # not a batch run: nothing changes
        assert gc.isenabled()
    previous = hosting.use(hosting.BATCH)
    try:
        with hosting.current().running():
            assert not gc.isenabled()
            cycle: list[object] = []
            cycle.append(cycle)  # noqa: GCL301 - the cycle the collector must free
            del cycle
        assert gc.isenabled()
        assert gc.get_count()[0] < 10  # the young generation was collected on the way out
    finally:
        hosting.use(previous)
        gc.unfreeze()
    assert (gc.isenabled(), gc.get_threshold()) == before


CLIENT = """\
import socket


class Client:
    def __init__(self, host):
        self.sock = socket.create_connection((host, 80))

    def close(self):
        self.sock.close()
"""

USES = """\
from .net import Client


def ping(host):
    client = Client(host)
    client.send(b"ping")
"""


def test_a_module_parsed_for_an_import_is_checked_from_the_same_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text(CLIENT)
    (pkg / "use.py").write_text(USES + "\n\ndef leak(p):\n    f = open(p)\n    return f.read()\n")
    imports.release_caches()
    fresh = [d.code for d in check_file(str(pkg / "net.py")).diagnostics]
    imports.release_caches()

    monkeypatch.setattr(hosting, "_current", [hosting.BATCH])  # a batch run keeps trees
    first = check_file(str(pkg / "use.py")).diagnostics
    assert [d.code for d in first] == ["GCL101", "GCL101"]  # the client, via net.py; the file
    raw = (pkg / "net.py").read_bytes()
    shared = imports.parsed_module(str(pkg / "net.py"), raw)
    assert shared is not None
    assert [d.code for d in check_file(str(pkg / "net.py")).diagnostics] == fresh

    # other bytes at the same path are never answered from the kept tree
    assert imports.parsed_module(str(pkg / "net.py"), raw + b"\n# edited\n") is None
    monkeypatch.chdir(tmp_path)
    assert imports.parsed_module("app/net.py", raw) is shared  # relative paths too
    imports.release_caches()


def test_same_expression_is_ast_dump_equality() -> None:
    """`same_expression` answers as comparing ``ast.dump`` of both would, on real expressions."""
    exprs: list[ast.AST] = []
    for _path, tree in list(_trees())[:6]:
        exprs += [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.Name, ast.Attribute, ast.Constant, ast.Subscript, ast.Call))
        ][:150]
    exprs += [ast.parse(s, mode="eval").body for s in ("0.0", "-0.0", "1", "True", "u'a'", "'a'")]
    assert len(exprs) > 500
    dumps = [ast.dump(e) for e in exprs]
    for a, dump_a in zip(exprs, dumps, strict=True):
        for b, dump_b in zip(exprs, dumps, strict=True):
            assert same_expression(a, b) == (dump_a == dump_b), (dump_a, dump_b)


def test_a_host_process_keeps_no_tree_across_files(tmp_path: Path) -> None:
    """Inside flake8 (not a batch run) nothing of a check's trees outlives it, the collector is
    as it was, and the answers are the batch run's."""
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text(CLIENT)
    (pkg / "use.py").write_text(USES)
    imports.release_caches()
    before = (gc.isenabled(), gc.get_threshold())
    codes = [d.code for d in check_file(str(pkg / "use.py")).diagnostics]
    assert codes == ["GCL101"]  # the client, found through net.py
    assert (gc.isenabled(), gc.get_threshold()) == before
    assert imports.parsed_module(str(pkg / "net.py"), (pkg / "net.py").read_bytes()) is None
    assert not imports._MODULES
    assert imports._resolve_definition.cache_info().currsize == 0
    assert [d.code for d in check_file(str(pkg / "use.py")).diagnostics] == codes
    # an edit of the imported module between two checks is seen by the next one
    (pkg / "net.py").write_text(CLIENT.replace("self.sock.close()", "self.sock = None"))
    assert [d.code for d in check_file(str(pkg / "use.py")).diagnostics] == []
    (pkg / "net.py").write_text(CLIENT)
    gc.disable()  # a host that paused its collector finds it paused
    try:
        assert [d.code for d in check_file(str(pkg / "use.py")).diagnostics] == codes
        assert not gc.isenabled()
    finally:
        gc.enable()
    imports.release_caches()


def test_a_batch_run_imports_a_module_it_just_checked_without_parsing_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text(CLIENT)
    (pkg / "use.py").write_text(USES)
    parsed: list[str] = []
    real = imports._parse_quietly

    def counting(raw: bytes, path: str) -> ast.Module:
        parsed.append(os.path.basename(path))
        return real(raw, path)

    monkeypatch.setattr(imports, "_parse_quietly", counting)
    monkeypatch.setattr(hosting, "_current", [hosting.BATCH])
    imports.release_caches()
    try:
        check_file(str(pkg / "net.py"))  # checked first, then imported by use.py
        assert [d.code for d in check_file(str(pkg / "use.py")).diagnostics] == ["GCL101"]
        assert parsed == []  # net.py's checked tree answered the import
        # other bytes at the same path are parsed again, never answered from the kept tree
        imports.release_trees()
        check_file(str(pkg / "net.py"))
        (pkg / "net.py").write_text(CLIENT + "\n\ndef helper():\n    return 1\n")
        found = imports.resolve_definition(".net.helper", str(pkg))
        assert found is not None
        assert parsed == ["net.py"]
    finally:
        imports.release_caches()


def test_a_process_that_checks_one_file_makes_no_generated_layout() -> None:
    """flake8 on the file being edited checks one file: the generated layers (`_make_layer`)
    would cost more than they save, so the first trees use the generic layout; later ones the
    generated layers."""
    import subprocess
    import sys

    script = (
        "from gclint.analysis import walk\n"
        "from gclint import check_source\n"
        "src = 'def f(p):\\n    fh = open(p)\\n    return fh.read()\\n'\n"
        "counts = []\n"
        "for _ in range(walk.GENERIC_LAYOUTS + 1):\n"
        "    assert [d.code for d in check_source(src, 'm.py')] == ['GCL101']\n"
        "    counts.append(len(walk._LAYERS))\n"
        "print(counts)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    counts = [int(n) for n in out.strip().strip("[]").split(",")]
    assert counts[:-1] == [0] * (len(counts) - 1)
    assert counts[-1] > 0
