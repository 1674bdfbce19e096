"""How the examples of the finalizers rules are run to prove them (truth probes)."""

from __future__ import annotations

from gclint.registry import Truth

# The trigger runs the experiment (automatic collection is off) and sets `observed` when it
# sees the finalizer misbehave: late, twice, never, or failing.
SETUP = """
import gc
import sys
import weakref

gc.disable()
observed = False
unraisable = []
sys.unraisablehook = lambda u: unraisable.append(u)
"""


OBSERVED = Truth(
    setup=SETUP,
    probe="misbehaved = bool(observed)\n",
    describe="the finalizer misbehaves when the example runs (late, twice, never, or failing; "
    "see each example's trigger)",
)


KEPT = Truth(
    setup=SETUP,
    probe="gc.collect()\nmisbehaved = ref() is not None\n",
    describe="the object survives `del` of its last name and even gc.collect()",
)
