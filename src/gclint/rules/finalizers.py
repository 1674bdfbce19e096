"""GCL2xx: finalizers (``__del__``, ``weakref.finalize``, ``atexit``). Planned: see rules.md."""

from __future__ import annotations

from gclint.diagnostics import FixSafety
from gclint.registry import planned

_DEL = "https://docs.python.org/3/reference/datamodel.html#object.__del__"
_WHY = (
    "Since PEP 442 objects with `__del__` in reference cycles are collected, but only when the "
    "cyclic garbage collector runs, in an undefined order, and `__del__` is not guaranteed to "
    "run at interpreter exit at all."
)

planned(
    "GCL201",
    "finalizer-in-reference-cycle",
    "a class defining __del__ whose instances take part in a reference cycle",
    FixSafety.NONE,
    why=_WHY,
    reference=_DEL,
)
planned(
    "GCL202",
    "finalizer-releases-resource",
    "__del__ releases a resource while the class offers no context-manager protocol",
    FixSafety.NONE,
    why=_WHY,
    reference=_DEL,
)
planned(
    "GCL203",
    "explicit-finalizer-call",
    "x.__del__() called explicitly (other than super().__del__() inside __del__)",
    FixSafety.NONE,
    why=_WHY,
    reference=_DEL,
)
planned(
    "GCL204",
    "finalizer-keeps-object-alive",
    "a weakref.finalize or atexit callback holds the object it should finalize",
    FixSafety.NONE,
    why="`weakref.finalize(self, self.close)` keeps `self` alive through the bound method, so "
    "the object is never collected and the finalizer runs only at exit.",
    reference="https://docs.python.org/3/library/weakref.html#weakref.finalize",
)
planned(
    "GCL205",
    "unsafe-finalizer-body",
    "__del__ that can raise, takes a lock, reads module globals or resurrects self",
    FixSafety.NONE,
    why=_WHY,
    reference=_DEL,
)
