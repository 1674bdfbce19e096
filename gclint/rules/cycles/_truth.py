"""How the examples of the cycles rules are run to prove them (truth probes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gclint.registry import Truth

if TYPE_CHECKING:
    pass


# Cycle truth: with automatic collection off, the trigger builds the structure, keeps only a
# weak reference `ref` to an object of it, and drops everything else. A cycle keeps the object
# alive after `del`; only gc.collect() frees it.
CYCLE_SETUP = "import gc\nimport weakref\n\ngc.disable()\n"


CYCLE_PROBE = """
alive_after_del = ref() is not None
gc.collect()
misbehaved = alive_after_del and ref() is None
"""


CYCLE_TRUTH = Truth(
    setup=CYCLE_SETUP,
    probe=CYCLE_PROBE,
    describe="the object survives `del` of its last name (with gc.disable()) and dies only at "
    "gc.collect()",
)


# The object is never freed at all, not even by gc.collect().
KEPT_TRUTH = Truth(
    setup=CYCLE_SETUP,
    probe="gc.collect()\nmisbehaved = ref() is not None\n",
    describe="the object survives `del` of its last name and even gc.collect()",
)


# The trigger observes the failure itself and sets `observed`.
OBSERVED_TRUTH = Truth(
    setup=CYCLE_SETUP + "observed = False\n",
    probe="misbehaved = bool(observed)\n",
    describe="the failure happens when the example runs (see each example's trigger)",
)
