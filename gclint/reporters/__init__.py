"""Output formats. Each reporter turns a run's diagnostics into text for stdout."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gclint.diagnostics import Diagnostic
from gclint.reporters import github, json, sarif, text

Reporter = Callable[[Sequence[Diagnostic], Mapping[str, str], bool], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json.render,
    "sarif": sarif.render,
    "github": github.render,
}

__all__ = ["REPORTERS", "Reporter"]
