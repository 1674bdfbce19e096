"""The fix of GCL101 (unclosed-resource)."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.diagnostics import Diagnostic
from gclint.fixes.with_block import rewrite


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    return rewrite(wrapper, diagnostic)
