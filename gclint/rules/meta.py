"""GCL0xx: diagnostics about gclint itself. They are errors (exit status 2), never filtered."""

from __future__ import annotations

from gclint.registry import Rule, Status, register


@register
class InternalError(Rule):
    """
    ## What it does
    Reports that a rule failed with an internal error on this file. The other rules, and the
    other files, are still checked.

    ## Why is this bad?
    It is a bug in gclint: please report it with the file (or a reduced example).
    """

    code = "GCL000"
    name = "internal-error"
    summary = "a rule failed with an internal error on this file (please report)"
    status = Status.META


@register
class ParseError(Rule):
    """
    ## What it does
    Reports a file that could not be parsed as Python 3: a syntax error, Python 2 source, or
    nesting deeper than the parser allows. Nothing else is checked in that file.

    ## Why is this bad?
    gclint can only analyse code that parses; the file is probably not valid for the Python it
    runs on either.
    """

    code = "GCL001"
    name = "parse-error"
    summary = "the file could not be parsed as Python 3"
    status = Status.META


@register
class ReadError(Rule):
    """
    ## What it does
    Reports a file that could not be read or decoded: missing, unreadable, not UTF-8 and
    without a valid coding cookie, a BOM that contradicts the cookie, or binary content.

    ## Why is this bad?
    gclint can only analyse text it can decode exactly as Python would.
    """

    code = "GCL002"
    name = "read-error"
    summary = "the file could not be read or decoded"
    status = Status.META


@register
class WriteError(Rule):
    """
    ## What it does
    Reports a file that `--fix` could not write back: it is read-only, its directory cannot be
    written, it changed on disk since gclint read it, or the fixed text cannot be encoded in the
    file's encoding. The file is left exactly as it was.

    ## Why is this bad?
    The fixes reported for it were not applied; run `--fix` again once the file can be written
    (or after the other change to it is done).
    """

    code = "GCL003"
    name = "write-error"
    summary = "a fixed file could not be written back (it is left unchanged)"
    status = Status.META
