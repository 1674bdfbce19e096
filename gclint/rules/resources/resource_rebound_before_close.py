"""GCL107 resource-rebound-before-close."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gclint.registry import Example, register

if TYPE_CHECKING:
    pass
from gclint.rules.resources._shared import WITH_DOCS, ScopeFindings
from gclint.rules.resources._truth import leak_truth


@register
class ResourceReboundBeforeClose(ScopeFindings):
    """
    ## What it does
    Finds a name that holds an open resource being assigned another value (often a second
    resource) before the first is closed, including the next iteration of a loop that skipped
    the close with `continue`.

    ## Why is this bad?
    The first resource is no longer reachable by name, so nothing will close it: it leaks until
    the garbage collector finalizes it, with a `ResourceWarning`.

    ## Fix safety
    There is no automatic fix.

    ## References
    - [The with statement](https://docs.python.org/3/reference/compound_stmts.html#the-with-statement)
    """

    code = "GCL107"
    name = "resource-rebound-before-close"
    summary = "a name holding an unclosed resource is assigned another value, leaking the first"
    message = (
        "{noun} {verb} by '{label}()' at line {line} is still open when '{name}' is rebound at "
        "line {rebind_line}: nothing can close it any more; close it first, or use 'with'"
    )
    references = (WITH_DOCS,)

    invalid = (
        Example(
            """
            def copy_file(src, dst):
                f = open(src)
                data = f.read()
                f = open(dst, "w")
                f.write(data)
                f.close()
            """,
            expect=((2, 9),),
            trigger="""
            from pathlib import Path

            Path("src.txt").write_text("payload")
            copy_file("src.txt", "dst.txt")
            """,
            doc=True,
        ),
        Example(
            """
            def non_empty(paths):
                found = []
                for path in paths:
                    f = open(path)
                    if not f.read(1):
                        continue
                    found.append(path)
                    f.close()
                return found
            """,
            expect=((4, 13),),
            trigger="""
            from pathlib import Path

            Path("empty.txt").write_text("")
            Path("full.txt").write_text("x")
            non_empty(["empty.txt", "full.txt"])
            """,
            note="'continue' skips the close; the next iteration rebinds the name",
        ),
    )
    valid = (
        Example(
            """
            def copy_file(src, dst):
                with open(src) as f:
                    data = f.read()
                with open(dst, "w") as f:
                    f.write(data)
            """,
            trigger="""
            from pathlib import Path

            Path("src.txt").write_text("payload")
            copy_file("src.txt", "dst.txt")
            """,
            doc=True,
        ),
        Example(
            """
            import io


            def text_reader(path):
                f = open(path, "rb")
                f = io.TextIOWrapper(f, encoding="utf-8")
                return f
            """,
            trigger="""
            from pathlib import Path

            Path("a.txt").write_text("alpha")
            text_reader("a.txt").close()
            """,
            note="the new value wraps, and owns, the old one",
        ),
    )
    truth = leak_truth()
