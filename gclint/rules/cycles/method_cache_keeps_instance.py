"""GCL307 method-cache-keeps-instance."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.registry import Example, Rule, register

if TYPE_CHECKING:
    pass
from gclint.rules.cycles._truth import KEPT_TRUTH


@register
class MethodCacheKeepsInstance(Rule):
    """
    ## What it does
    Finds `functools.lru_cache` or `functools.cache` (under any alias) on an instance method.

    ## Why is this bad?
    The cache belongs to the function, which is shared by every instance, and `self` is part of
    every key: each instance the method is called on is kept alive, with everything it refers
    to, for as long as the cache holds the entry. An `lru_cache` keeps up to `maxsize` of them
    (128 by default); `cache` and `lru_cache(maxsize=None)` keep every instance ever used, as
    long as the program runs. `@cache` makes it worse, not better.

    ## Use instead
    (a cache on the instance, keyed by the arguments, which dies with the instance), or
    `functools.cached_property` for a method without arguments. Not
    `self.price = functools.lru_cache()(self._price)`: a bound method stored on its own instance
    is a reference cycle (GCL303).

    ## Fix safety
    There is no automatic fix.

    ## References
    - [How do I cache method calls?](https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls)
    """

    code = "GCL307"
    needles = ("cache",)
    name = "method-cache-keeps-instance"
    summary = "functools.lru_cache/cache on an instance method keeps every instance alive"
    message = (
        "'@{decorator}' on method '{method}' keeps {kept}: the shared cache holds 'self' in its "
        "keys; {advice}"
    )
    references = ("https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls",)
    CACHES = frozenset({"functools.lru_cache", "functools.cache"})
    TRANSPARENT = frozenset({"builtins.property", "abc.abstractmethod", "typing.override"})

    invalid = (
        Example(
            """
            import functools


            class PriceService:
                @functools.lru_cache(maxsize=1024)
                def price(self, sku):
                    return len(sku)
            """,
            expect=((5, 6),),
            trigger="""
            service = PriceService()
            service.price("ab")
            ref = weakref.ref(service)
            del service
            """,
            note="an lru_cache on a method of a long-lived service",
            doc=True,
        ),
        Example(
            """
            from functools import cache as memoize


            class Report:
                @memoize
                def total(self):
                    return 42
            """,
            expect=((5, 6),),
            trigger="""
            report = Report()
            report.total()
            ref = weakref.ref(report)
            del report
            """,
        ),
    )
    valid = (
        Example(
            """
            import functools


            class PriceService:
                def __init__(self):
                    self._prices = {}

                def price(self, sku):
                    if sku not in self._prices:
                        self._prices[sku] = len(self.normalise(sku))
                    return self._prices[sku]

                @staticmethod
                @functools.lru_cache
                def normalise(sku):
                    return sku.upper()
            """,
            trigger="""
            service = PriceService()
            service.price("ab")
            ref = weakref.ref(service)
            del service
            """,
            note="a cache on the instance, keyed by the arguments, dies with its instance",
        ),
        Example(
            """
            import functools


            class Report:
                @functools.cached_property
                def total(self):
                    return 42
            """,
            trigger="""
            report = Report()
            report.total
            ref = weakref.ref(report)
            del report
            """,
            note="cached_property stores the value on the instance itself",
        ),
        Example(
            """
            class PriceService:
                def __init__(self):
                    self._prices = {}

                def price(self, sku):
                    if sku not in self._prices:
                        self._prices[sku] = len(sku)
                    return self._prices[sku]
            """,
            trigger="""
            service = PriceService()
            service.price("ab")
            ref = weakref.ref(service)
            del service
            """,
            doc=True,
        ),
    )
    truth = KEPT_TRUTH

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        parent = self.ctx.parent()
        if not isinstance(parent, ast.ClassDef) or node.name in ("__new__", "__init_subclass__"):
            return
        if not node.decorator_list or not (node.args.posonlyargs or node.args.args):
            return  # no cache on it, or no instance to keep
        if _rebound_in_class(parent, node):
            return  # ``name = classmethod(name)`` later in the class body
        decorators = []
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            qual = self.ctx.scopes.qualname(target, self.ctx.scope_chain())
            if qual in ("builtins.staticmethod", "builtins.classmethod"):
                return
            if qual not in (*self.CACHES, *self.TRANSPARENT):
                return  # an unknown wrapper (``@classproperty``) may not pass instances
            decorators.append((dec, qual))
        args = [*node.args.posonlyargs, *node.args.args]
        if not args:
            return
        for dec, qual in decorators:
            if qual not in self.CACHES:
                continue
            size = _cache_size(dec) if qual == "functools.lru_cache" else None
            if size == "0":
                continue  # ``maxsize=0``: nothing is cached
            if size is None:
                kept = "every instance alive for as long as the program runs"
            else:
                kept = f"up to {size} instances alive"
            signature = node.args
            if len(args) == 1 and not (signature.vararg or signature.kwonlyargs or signature.kwarg):
                advice = "use functools.cached_property, which stores the value on the instance"
            else:
                advice = "keep a dict of results on the instance instead, keyed by the arguments"
            self.report(dec, decorator=ast.unparse(dec), method=node.name, kept=kept, advice=advice)

    visit_AsyncFunctionDef = visit_FunctionDef


def _cache_size(decorator: ast.expr) -> str | None:
    """How many entries ``@lru_cache(...)`` keeps ("128" by default; "0" for a negative or zero
    maxsize, which caches nothing), or None when unbounded (``maxsize=None``)."""
    if not isinstance(decorator, ast.Call):
        return "128"  # bare ``@lru_cache``
    maxsize = decorator.args[0] if decorator.args else None
    for keyword in decorator.keywords:
        if keyword.arg == "maxsize":
            maxsize = keyword.value
    if maxsize is None:
        return "128"
    if isinstance(maxsize, ast.Constant):
        if maxsize.value is None:
            return None
        if isinstance(maxsize.value, int) and maxsize.value <= 0:
            return "0"
    if (
        isinstance(maxsize, ast.UnaryOp)
        and isinstance(maxsize.op, ast.USub)
        and isinstance(maxsize.operand, ast.Constant)
    ):
        return "0"  # ``maxsize=-1``
    return ast.unparse(maxsize)


def _rebound_in_class(cls: ast.ClassDef, method: ast.AST) -> bool:
    name = getattr(method, "name", "")
    return any(
        isinstance(item, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in item.targets)
        for item in cls.body
    )
