"""What an expression evaluates to, when names cannot say: astroid, and only here.

`Inference` builds the file's astroid tree lazily, once, only when a rule asks
(``data_dir().open()``: is the receiver a ``Path``?), and infers the expression. Any failure or
ambiguity answers "unknown", and unknown means no diagnostic.
"""

from __future__ import annotations

import ast
import os
import sys
from contextlib import suppress
from typing import Any, ClassVar

from gclint.analysis import memo
from gclint.analysis.imports import depend_on, is_recording, project_root


def _key(node: ast.AST) -> tuple[str, int, int, int, int]:
    return (
        type(node).__name__,
        getattr(node, "lineno", -1),
        getattr(node, "col_offset", -1),
        getattr(node, "end_lineno", -1) or -1,
        getattr(node, "end_col_offset", -1) or -1,
    )


def _depend_on_astroid_modules() -> None:
    """Inference may have read any module astroid knows: the check depends on all of them."""
    if not is_recording() or "astroid" not in sys.modules:
        return
    import astroid

    for module in list(astroid.MANAGER.astroid_cache.values()):
        path = getattr(module, "file", None)
        if isinstance(path, str) and path.endswith(".py"):
            depend_on(path)


class Inference:
    """Lazily built astroid view of one file."""

    builds = 0  # how many astroid modules were asked for, in this process (`gclint.hosting`)
    roots: ClassVar[list[str]] = []  # project directories this process appended to sys.path

    def __init__(self, path: str, source: str | None = None) -> None:
        self.path = path
        self.source = source
        self._module: Any = None
        self._failed = False
        self._nodes: dict[tuple[str, int, int, int, int], Any] | None = None

    def _build(self) -> Any:
        if self._module is None and not self._failed:
            Inference.builds += 1
            try:
                import astroid

                root = project_root(self.path)
                if root is not None and root not in sys.path:
                    sys.path.append(root)  # so that astroid finds the project's own modules
                    Inference.roots.append(root)
                if self.source is not None:
                    self._module = astroid.parse(self.source, path=self.path)
                elif os.path.isfile(self.path):
                    self._module = astroid.MANAGER.ast_from_file(self.path)
                else:
                    self._failed = True
            except Exception:  # astroid cannot build it: every question is unanswerable
                self._failed = True
        return self._module

    @staticmethod
    def release_project_modules() -> None:
        """Forget what astroid built from the project, and take its directories off sys.path.

        For a process that checks files among other work (`gclint.hosting.Guest`), after a
        check that used astroid: astroid keeps every module it built, and inference results that
        point into them, for the life of the process, which the host's collector would traverse
        on every full pass. The modules of the standard library
        and installed packages stay (they are the same for every file).
        """
        roots = [os.path.join(root, "") for root in Inference.roots]
        for root in Inference.roots:
            with suppress(ValueError):
                sys.path.remove(root)
        Inference.roots.clear()
        if not roots or "astroid" not in sys.modules:
            return
        import astroid

        cache = astroid.MANAGER.astroid_cache
        for name, module in list(cache.items()):
            path = getattr(module, "file", None)
            if not name or (isinstance(path, str) and path.startswith(tuple(roots))):
                del cache[name]
        with suppress(Exception):  # the caches of inference results (they point into modules)
            from astroid.inference_tip import clear_inference_tip_cache

            clear_inference_tip_cache()
        invalidate = getattr(getattr(astroid, "context", None), "_invalidate_cache", None)
        if callable(invalidate):
            with suppress(Exception):
                invalidate()

    def _node_at(self, node: ast.AST) -> Any:
        """The astroid node at the same position as a standard `ast` call or name."""
        module = self._build()
        if module is None:
            return None
        if self._nodes is None:
            import astroid

            self._nodes = {}
            kinds = (astroid.nodes.Call, astroid.nodes.Name, astroid.nodes.Attribute)
            for sub in module.nodes_of_class(kinds):
                # ``f().g()``: calls and callees share a start; type and end tell them apart
                key = (
                    type(sub).__name__,
                    sub.lineno,
                    sub.col_offset,
                    sub.end_lineno,
                    sub.end_col_offset,
                )
                self._nodes.setdefault(key, sub)
        return self._nodes.get(_key(node))

    def instance_of(self, expr: ast.AST) -> str | None:
        """The qualified class name of what `expr` surely evaluates to, or None."""
        try:
            return self._instance_of(expr)
        finally:
            _depend_on_astroid_modules()

    def _instance_of(self, expr: ast.AST) -> str | None:
        target = self._node_at(expr)
        if target is None:
            return None
        try:
            import astroid

            names = set()
            for value in target.infer():
                if not isinstance(value, astroid.bases.Instance):
                    return None
                names.add(public_name(value.pytype()))
        except Exception:  # inference failed: unknown
            return None
        return names.pop() if len(names) == 1 else None


def public_name(qualname: str) -> str:
    """The name a package exports a class under, from where it is defined: private modules
    between the package and the class are dropped (``pathlib._local.Path`` on 3.13 and
    ``zipfile._path.Path`` on 3.12 are ``pathlib.Path`` and ``zipfile.Path``)."""
    parts = qualname.split(".")
    if len(parts) < 3:
        return qualname
    kept = [parts[0]]
    kept += [p for p in parts[1:-1] if not (p.startswith("_") and not p.startswith("__"))]
    kept.append(parts[-1])
    return ".".join(kept)


def forget_astroid() -> None:
    """Drop everything astroid built in this process (its modules and inference caches)."""
    Inference.release_project_modules()
    if "astroid" in sys.modules:
        import astroid

        astroid.MANAGER.clear_cache()


memo.cache(forget_astroid)
