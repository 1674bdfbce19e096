"""GCL3xx: reference cycles and weak references. Planned: see rules.md."""

from __future__ import annotations

from gclint.diagnostics import FixSafety
from gclint.registry import planned

_GC = "https://docs.python.org/3/library/gc.html"
_WEAKREF = "https://docs.python.org/3/library/weakref.html"
_WHY = (
    "An object in a reference cycle is not freed when its last outside reference goes: it "
    "waits for the cyclic garbage collector, and so does everything it refers to."
)

planned(
    "GCL301",
    "self-reference",
    "an object is made to reference itself",
    FixSafety.NONE,
    why=_WHY,
    reference=_GC,
)
planned(
    "GCL302",
    "strong-back-reference",
    "two objects keep strong references to each other (parent/child back-reference)",
    FixSafety.UNSAFE,
    why=_WHY,
    reference=_WEAKREF,
)
planned(
    "GCL303",
    "bound-method-stored-on-self",
    "a bound method, closure or partial of self is stored on self",
    FixSafety.NONE,
    why=_WHY,
    reference="https://docs.python.org/3/library/weakref.html#weakref.WeakMethod",
)
planned(
    "GCL304",
    "exception-or-frame-kept",
    "an exception, traceback or frame is kept beyond its handler without being deleted",
    FixSafety.SAFE,
    why="traceback -> frame -> locals -> traceback is a cycle that keeps every local alive.",
    reference="https://docs.python.org/3/reference/compound_stmts.html#except-clause",
)
planned(
    "GCL305",
    "weakref-to-ephemeral",
    "a weak reference to a bound method or a temporary, dead on arrival",
    FixSafety.SAFE,
    why="A bound method or a temporary has no other reference, so the weak reference is dead "
    "as soon as it is made.",
    reference="https://docs.python.org/3/library/weakref.html#weakref.WeakMethod",
)
planned(
    "GCL306",
    "weakref-dereference-unchecked",
    "a weak reference dereferenced without a None check, or twice",
    FixSafety.UNSAFE,
    why="The referent may die at any time, so a dereference can return None.",
    reference="https://docs.python.org/3/library/weakref.html#weakref.ref",
)
planned(
    "GCL307",
    "method-cache-keeps-instance",
    "functools.lru_cache/cache on an instance method keeps every instance alive",
    FixSafety.NONE,
    why="The cache is shared by the class and holds `self` in its keys, so no instance that was "
    "ever called is freed while the cache lives.",
    reference="https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls",
)
planned(
    "GCL308",
    "weak-key-value-references-key",
    "a WeakKeyDictionary value references its own key, so the key never dies",
    FixSafety.NONE,
    why="The dictionary holds its values strongly, so a value that refers to its key keeps the "
    "key alive and the entry is never removed.",
    reference="https://docs.python.org/3/library/weakref.html#weakref.WeakKeyDictionary",
)
