"""GCL308 weak-key-value-references-key."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.walk import walk_typed
from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    from gclint.context import Context
from gclint.rules.cycles._shared import WEAKREF_DOCS, refers_to
from gclint.rules.cycles._truth import KEPT_TRUTH


@register
class WeakKeyValueReferencesKey(Rule):
    """
    ## What it does
    Finds `weak_key_dict[k] = value` on a `weakref.WeakKeyDictionary` where the value refers to
    the key: it contains the key itself (`(k, data)`, `[k]`), is built from it
    (`Wrapper(k)`), or is a lambda or bound method that captures it.

    ## Why is this bad?
    A `WeakKeyDictionary` holds its keys weakly but its values strongly. A value that refers to
    its key keeps the key alive, so the entry is never removed: the cache meant to forget
    objects keeps every one of them.

    ## Use instead
    ```python
    import weakref

    _wrappers = weakref.WeakKeyDictionary()


    class Wrapper:
        def __init__(self, obj):
            self.obj = weakref.ref(obj)


    def wrap(obj):
        _wrappers[obj] = Wrapper(obj)
        return _wrappers[obj]
    ```

    ## Fix safety
    There is no automatic fix.

    ## References
    - [weakref.WeakKeyDictionary](https://docs.python.org/3/library/weakref.html#weakref.WeakKeyDictionary)
    """

    code = "GCL308"
    needles = ("weakref",)
    name = "weak-key-value-references-key"
    summary = "a WeakKeyDictionary value references its own key, so the key never dies"
    message = (
        "'{text}' stores a value that refers to its own key '{key}': the WeakKeyDictionary "
        "keeps the key alive and the entry is never removed; refer to the key weakly"
    )
    references = (WEAKREF_DOCS + "#weakref.WeakKeyDictionary",)

    invalid = (
        Example(
            """
            import weakref

            _wrappers = weakref.WeakKeyDictionary()


            class Wrapper:
                def __init__(self, obj):
                    self.obj = obj


            def wrap(obj):
                _wrappers[obj] = Wrapper(obj)
                return _wrappers[obj]
            """,
            expect=((12, 5),),
            trigger="""
            class Thing:
                pass


            thing = Thing()
            wrap(thing)
            ref = weakref.ref(thing)
            del thing
            """,
            doc=True,
        ),
        Example(
            """
            import weakref

            _metadata = weakref.WeakKeyDictionary()


            def tag(obj, label):
                _metadata[obj] = (obj, label)
            """,
            expect=((7, 5),),
            trigger="""
            class Thing:
                pass


            thing = Thing()
            tag(thing, "x")
            ref = weakref.ref(thing)
            del thing
            """,
        ),
    )
    valid = (
        Example(
            """
            import weakref

            _metadata = weakref.WeakKeyDictionary()


            def tag(obj, label):
                _metadata[obj] = (type(obj).__name__, label)
            """,
            trigger="""
            class Thing:
                pass


            thing = Thing()
            tag(thing, "x")
            ref = weakref.ref(thing)
            del thing
            """,
        ),
        Example(
            """
            import weakref

            _wrappers = weakref.WeakKeyDictionary()


            class Wrapper:
                def __init__(self, obj):
                    self.obj = weakref.ref(obj)


            def wrap(obj):
                wrapper = Wrapper(obj)
                _wrappers[obj] = wrapper
                return wrapper
            """,
            trigger="""
            class Thing:
                pass


            thing = Thing()
            wrap(thing)
            ref = weakref.ref(thing)
            del thing
            """,
        ),
    )
    truth = KEPT_TRUTH

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._weak_dicts: set[str] | None = None

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Name)):
                continue
            if ast.unparse(target.value) not in self._dicts():
                continue
            key = target.slice.id
            if refers_to(node.value, key):
                self.report(node, text=ast.unparse(node), key=key)

    def _dicts(self) -> set[str]:
        if self._weak_dicts is None:
            found: set[str] = set()
            chain = [self.ctx.tree]
            for sub in walk_typed(self.ctx.tree, (ast.Assign,)):
                if (
                    isinstance(sub, ast.Assign)
                    and isinstance(sub.value, ast.Call)
                    and self.ctx.scopes.qualname(sub.value.func, chain)
                    == "weakref.WeakKeyDictionary"
                ):
                    found.update(ast.unparse(t) for t in sub.targets)
            self._weak_dicts = found
        return self._weak_dicts
