"""GCL102 resource-in-expression."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.acquisitions import ResourceFacts
from gclint.analysis.catalogue import BORROWERS, OWNERSHIP_METHODS, OWNERSHIP_TAKERS
from gclint.analysis.classify import PROVISIONAL
from gclint.analysis.flow import (
    FUNCTION_TYPES,
)
from gclint.diagnostics import FixSafety
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.resources._truth import leak_truth

# unittest's context managers that expect the block to raise (pytest.raises: by its import)
ASSERT_RAISES = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})


@register
class ResourceInExpression(Rule):
    """
    ## What it does
    Finds a resource created and used without ever being bound to a name:
    `open(p).read()`, `json.load(open(p))`, `for line in open(p):`, `urlopen(u).read()`,
    `len(Path(p).open().read())`. `open(p).close()` (creating or truncating a file) is not
    reported, nor is a resource that is returned, yielded, stored, used as a `with` item, or
    passed to a wrapper that takes ownership (`contextlib.closing`, `io.TextIOWrapper`,
    `ExitStack.enter_context`), nor one made in the body of `with pytest.raises(...):` or
    `with self.assertRaises(...):`, where the test expects the construction to raise.

    ## Why is this bad?
    Nothing ever closes the resource. CPython closes it when its reference count drops, with a
    `ResourceWarning`; PyPy closes it at some later garbage collection; and if an exception
    keeps the frame alive (a stored traceback), it stays open until that is gone.

    ## Fix safety
    The fix is safe: it hoists the resource into a `with` statement around the statement that
    uses it (`with open(path) as f:` then `return len(f.read())`; a `for` loop over the
    resource goes inside the `with`), so the resource is closed when that statement ends,
    which is when CPython's reference count closed it anyway. It is applied only where that
    provably changes nothing else, and skipped (with the reason) otherwise:

    - the factory must be one whose `with` closes the object and binds the object itself
      (files, archives, sockets, selectors, `urlopen`, `Path.open`); not `sqlite3.connect`
      (its `with` only commits) nor `TemporaryDirectory` (it binds a path);
    - the statement must be done with the resource when it ends: the resource goes into a
      method that reads or writes at once (`.read()`, `.write()`, `.readlines()`...), into a
      function that consumes it (`json.load`, `list`, `sum`..., also through `csv.reader`
      and other lazy wrappers consumed in the statement), is iterated by the `for` statement
      or an eager comprehension, or is discarded (`with open(p, "w"):` / `pass`);
    - nothing the statement evaluates before the call may have an effect (only names,
      dotted names and literals), the call must run on every path (not behind `and`/`or`,
      a conditional expression, a lambda or a comprehension clause), and the statement must
      not `await` or `yield`;
    - a resource that may be written to must be the last thing the statement uses;
    - the statement must have its own line, in a function or at module level (in a class
      body the new name would become a class attribute; a `while`/`if` condition, a default
      argument or a decorator is not a statement of its own), and its scope must not call
      `locals()`, `vars()`, `dir()`, `exec` or `eval`, which would see the new name.

    The new name is `f` (`sock`, `response`, `archive`... by kind), or `f2`... when the
    function already uses it. `open(p).read()` is not turned into `Path(p).read_text()`:
    `open` also accepts a file descriptor or a bytes path, which `Path` does not.

    ## References
    - [pathlib.Path.read_text](https://docs.python.org/3/library/pathlib.html#pathlib.Path.read_text)
    - [Python Development Mode: ResourceWarning](https://docs.python.org/3/library/devmode.html#resourcewarning-example)
    """

    code = "GCL102"
    name = "resource-in-expression"
    summary = "a resource is created and used inside an expression without being bound or closed"
    message = "{noun} {verb} by '{label}()' is {how} but never closed; {advice}"
    fix_safety = FixSafety.SAFE
    fix_title = "Hoist into 'with'"
    references = ("https://docs.python.org/3/library/pathlib.html#pathlib.Path.read_text",)

    invalid = (
        Example(
            """
            def size_of(path):
                return len(open(path).read())
            """,
            expect=((2, 16),),
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            size_of("a.txt")
            """,
            note="both pylint R1732 and ruff SIM115 miss this one",
            fixed="""
            def size_of(path):
                with open(path) as f:
                    return len(f.read())
            """,
            doc=True,
        ),
        Example(
            """
            import json


            def load_config(path):
                return json.load(open(path))
            """,
            expect=((5, 22),),
            trigger="""
            from pathlib import Path

            Path("config.json").write_text("{}")
            load_config("config.json")
            """,
            fixed="""
            import json


            def load_config(path):
                with open(path) as f:
                    return json.load(f)
            """,
        ),
        Example(
            """
            def count_errors(path):
                errors = 0
                for line in open(path):
                    errors += "ERROR" in line
                return errors
            """,
            expect=((3, 17),),
            trigger="""
            from pathlib import Path

            Path("app.log").write_text("ERROR a\\nok\\n")
            count_errors("app.log")
            """,
            fixed="""
            def count_errors(path):
                errors = 0
                with open(path) as f:
                    for line in f:
                        errors += "ERROR" in line
                return errors
            """,
        ),
        Example(
            """
            from pathlib import Path


            def size(path: Path):
                return len(path.open("rb").read())
            """,
            expect=((5, 16),),
            trigger="""
            Path("data.bin").write_bytes(b"abc")
            size(Path("data.bin"))
            """,
            note="the receiver is a Path (from the annotation)",
            fixed="""
            from pathlib import Path


            def size(path: Path):
                with path.open("rb") as f:
                    return len(f.read())
            """,
        ),
    )
    valid = (
        Example(
            """
            def touch(path):
                open(path, "a").close()
            """,
            trigger='touch("touched.txt")',
            note="the touch idiom closes at once",
        ),
        Example(
            """
            from pathlib import Path


            def size_of(path):
                return len(Path(path).read_text())
            """,
            trigger="""
            Path("a.txt").write_text("alpha")
            size_of("a.txt")
            """,
            doc=True,
        ),
        Example(
            """
            import io


            def text_stream(path):
                return io.TextIOWrapper(open(path, "rb"), encoding="utf-8")
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            text_stream("a.txt").close()
            """,
            note="the wrapper owns (and closes) the file",
        ),
        Example(
            """
            def open_all(paths):
                return [open(path) for path in paths]
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            for f in open_all(["a.txt"]):
                f.close()
            """,
            note="returned: the caller owns them",
        ),
        Example(
            """
            import pytest


            def test_a_missing_file_is_an_error():
                with pytest.raises(FileNotFoundError):
                    open("missing.txt").read()
            """,
            path="test_example.py",
            trigger="test_a_missing_file_is_an_error()",
            note="a test that expects the construction to raise (also unittest's assertRaises)",
        ),
    )
    truth = leak_truth()

    def visit_Call(self, node: ast.Call) -> None:
        parent = self.ctx.parent()
        expr: ast.AST = node
        if isinstance(parent, ast.Await) and parent.value is node:
            expr, parent = parent, self._grandparent()
        how = self._unbound_use(node, expr, parent)  # cheap: only then ask what it returns
        if how is None or self._expected_to_raise():
            return
        facts = self.ctx.shared(ResourceFacts)
        # astroid is asked what the receiver of ``x.open()`` is (names could not say) only when
        # the opened object is used: a discarded ``x.open(...)`` statement is an object opening
        # itself (``pool.open()``, ``xhr.open(method, url)``, Django's ``file.open(mode)``).
        # A discarded ``Path(p).open()`` is still reported (names tell what the receiver is).
        opener = isinstance(node.func, ast.Attribute) and node.func.attr == "open"
        infer = opener and how != "discarded"
        rtype = facts.classify(expr, self.ctx.scope_chain(), infer=infer)
        if rtype is None or rtype is PROVISIONAL or rtype.kind == "process":
            return  # not a resource (or not known to be one); processes: GCL108
        if how == "iterated" and rtype.closes_when_exhausted:
            return  # fileinput closes each file as it is exhausted
        if rtype.kind == "user" and how.startswith("used through"):
            return  # ``Client(...).get()``: a project object may own nothing (not sure: silent)
        label = ast.unparse(node.func)
        advice = rtype.advice(label, rtype.var)
        self.report(node, noun=rtype.noun, verb="opened", label=label, how=how, advice=advice)

    def _grandparent(self) -> ast.AST | None:
        return self.ctx.ancestors[-2] if len(self.ctx.ancestors) > 1 else None

    def _expected_to_raise(self) -> bool:
        """In the body of ``with pytest.raises(...):`` or ``with self.assertRaises(...):`` (in
        the same scope): the test expects the construction to raise, not to leak."""
        for node, child in self.ctx.walk_up():
            if isinstance(node, (*FUNCTION_TYPES, ast.Lambda, ast.ClassDef)):
                return False
            if isinstance(node, (ast.With, ast.AsyncWith)) and not isinstance(child, ast.withitem):
                for item in node.items:
                    func = (
                        item.context_expr.func if isinstance(item.context_expr, ast.Call) else None
                    )
                    if isinstance(func, ast.Attribute) and func.attr in ASSERT_RAISES:
                        return True
                    if func is not None and self.ctx.qualname(func) == "pytest.raises":
                        return True
        return False

    def _unbound_use(self, call: ast.Call, expr: ast.AST, parent: ast.AST | None) -> str | None:
        """How the unbound resource is used, if that leaks it (None when it is fine)."""
        if isinstance(parent, ast.Attribute) and parent.value is expr:
            owner = self.ctx.ancestors[-2] if len(self.ctx.ancestors) > 1 else None
            if (
                isinstance(owner, ast.Call)
                and owner.func is parent
                and parent.attr
                in (
                    "close",
                    "__exit__",
                )
            ):
                return None  # open(p).close(): the touch idiom
            return f"used through '.{parent.attr}'"
        iterated = isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension))
        if iterated and getattr(parent, "iter", None) is expr:
            return "iterated"
        if isinstance(parent, ast.Expr):
            return "discarded"
        owner_call = parent
        if isinstance(parent, (ast.keyword, ast.Starred)):
            index = self.ctx.ancestors.index(parent)
            owner_call = self.ctx.ancestors[index - 1] if index else None
        if isinstance(owner_call, ast.Call) and owner_call.func is not expr:
            func = owner_call.func
            if isinstance(func, ast.Attribute) and func.attr in OWNERSHIP_METHODS:
                return None
            qual = self.ctx.qualname(func)
            if qual in OWNERSHIP_TAKERS:
                return None
            if qual in BORROWERS:
                return f"passed to '{ast.unparse(func)}()'"
            return None  # an unknown callee may keep it: not sure, so silent
        return None
