"""GCL1xx: resource lifetimes (``with``, try/finally, ownership). Planned: see rules.md."""

from __future__ import annotations

from gclint.diagnostics import FixSafety
from gclint.registry import planned

_WITH = "https://docs.python.org/3/reference/compound_stmts.html#the-with-statement"
_WHY = (
    "A file, socket, connection or process that is not closed on every path keeps its operating "
    "system handle until the garbage collector happens to reclaim the object: promptly on "
    "CPython only while nothing else refers to it, later on PyPy, never if a cycle or a kept "
    "traceback holds it. Under `python -X dev` it shows as a ResourceWarning."
)

planned(
    "GCL101",
    "unclosed-resource",
    "a resource bound to a name is neither closed nor handed on along some path",
    FixSafety.SAFE,
    why=_WHY,
    reference=_WITH,
)
planned(
    "GCL102",
    "resource-in-expression",
    "a resource is created and used inside an expression without being bound or closed",
    FixSafety.SAFE,
    why=_WHY,
    reference=_WITH,
)
planned(
    "GCL103",
    "close-not-exception-safe",
    "a resource is closed on the normal path only, not when a statement before close() raises",
    FixSafety.SAFE,
    why=_WHY,
    reference=_WITH,
)
planned(
    "GCL104",
    "finally-uses-unbound-resource",
    "a finally/except block closes a name that is unbound when the acquisition itself raised",
    FixSafety.SAFE,
    why="If the acquisition inside `try:` raises, the name was never bound and the cleanup "
    "raises UnboundLocalError, which hides the real error.",
    reference="https://docs.python.org/3/reference/executionmodel.html#resolution-of-names",
)
planned(
    "GCL105",
    "context-manager-does-not-close",
    "a connection used as a context manager whose __exit__ ends a transaction but does not "
    "close it",
    FixSafety.SAFE,
    why="`with sqlite3.connect(p) as conn:` commits or rolls back on exit but leaves the "
    "connection open.",
    reference="https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager",
)
planned(
    "GCL106",
    "lock-acquire-not-released-safely",
    "lock.acquire() whose release() is not in a finally block, or missing",
    FixSafety.SAFE,
    why="An exception between acquire() and release() leaves the lock held and every later "
    "acquirer deadlocked.",
    reference="https://docs.python.org/3/library/threading.html#using-locks-conditions-and-semaphores-in-the-with-statement",
)
planned(
    "GCL107",
    "resource-rebound-before-close",
    "a name holding an unclosed resource is assigned another value, leaking the first",
    FixSafety.NONE,
    why=_WHY,
    reference=_WITH,
)
planned(
    "GCL108",
    "process-not-waited",
    "a subprocess.Popen that is never waited for",
    FixSafety.NONE,
    why="A child process that is never waited for stays a zombie until the Popen object is "
    "collected, and CPython then emits a ResourceWarning.",
    reference="https://docs.python.org/3/library/subprocess.html#popen-objects",
)
