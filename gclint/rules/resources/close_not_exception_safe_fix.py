"""The fix of GCL103 (close-not-exception-safe)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.with_block import rewrite


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    return rewrite(wrapper, diagnostic)
