"""The ``gclint`` command's entry point: nothing gclint does, from its first import on, may end
in a traceback. An unexpected exception is one line on standard error and exit status 2."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

EXIT_ERROR = 2


def internal_error(exc: BaseException) -> str:
    """The message that reports a bug in gclint, for a ``GCL000`` line."""
    text = str(exc).splitlines()[0] if str(exc).strip() else ""
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"internal error in gclint ({detail}); please report it"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from gclint.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:
        print("gclint: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as exc:  # anything else is a bug: one line, never a traceback
        with contextlib.suppress(BaseException):  # stderr itself may be gone
            print(f"gclint: GCL000 {internal_error(exc)}", file=sys.stderr)
        return EXIT_ERROR
