"""GCL108 process-not-waited: a subprocess.Popen that is never waited for."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gclint.analysis.acquisitions import ResourceFacts, is_detached
from gclint.registry import Example, register

if TYPE_CHECKING:
    pass
from gclint.rules.resources._shared import ScopeFindings
from gclint.rules.resources._truth import leak_truth


@register
class ProcessNotWaited(ScopeFindings):
    """
    ## What it does
    Finds a `subprocess.Popen` that is never waited for: no `wait()`, `communicate()` or
    `poll()`, not used as a `with` item, and not handed on (returned, stored). A `Popen(...)`
    whose result is discarded is reported too.

    ## Why is this bad?
    A child process that exits stays a zombie in the process table until its parent waits for
    it; Python only reaps it later, opportunistically, and warns `ResourceWarning: subprocess
    N is still running` when the `Popen` object is collected. Its exit status, and any failure,
    is lost.

    ## Fix safety
    There is no automatic fix: where to wait depends on the program.

    ## Options
    - `allow-detached-processes` (default `false`): do not report processes started with
      `start_new_session=True` (or `process_group=`, `creationflags=`), fire-and-forget by
      design.

    ## References
    - [Popen objects](https://docs.python.org/3/library/subprocess.html#popen-objects)
    """

    code = "GCL108"
    name = "process-not-waited"
    summary = "a subprocess.Popen that is never waited for"
    message = (
        "process started by '{label}()' at line {line} is never waited for: it stays a zombie "
        "and its exit status is lost; call '{name}.wait()' or use 'with {label}(...) as {name}:'"
    )
    references = ("https://docs.python.org/3/library/subprocess.html#popen-objects",)

    invalid = (
        Example(
            """
            import subprocess
            import sys


            def start_worker(code):
                proc = subprocess.Popen([sys.executable, "-c", code])
                print("started worker", proc.pid)
            """,
            expect=((6, 12),),
            trigger='start_worker("pass")',
        ),
        Example(
            """
            import subprocess
            import sys


            def notify(message):
                subprocess.Popen([sys.executable, "-c", "import sys; sys.argv[1]", message])
            """,
            expect=((6, 5),),
            trigger='notify("done")',
            note="the Popen object is discarded at once",
        ),
        Example(
            """
            import subprocess
            import sys


            def start_worker(args):
                proc = subprocess.Popen([sys.executable, "worker.py", *args])
                print("started worker", proc.pid)
            """,
            expect=((6, 12),),
            trigger="""
            from pathlib import Path

            Path("worker.py").write_text("import sys\\n")
            start_worker(["--once"])
            """,
            doc=True,
        ),
    )
    valid = (
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                with subprocess.Popen([sys.executable, "-c", code]) as proc:
                    print("started worker", proc.pid)
                return proc.returncode
            """,
            trigger='run_worker("pass")',
        ),
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
                out, _ = proc.communicate()
                return out
            """,
            trigger='run_worker("print(1)")',
        ),
        Example(
            """
            import subprocess
            import sys


            def run_worker(code):
                return subprocess.Popen([sys.executable, "-c", code]).wait()
            """,
            trigger='run_worker("pass")',
        ),
        Example(
            """
            import subprocess
            import sys


            def run_worker(args):
                with subprocess.Popen([sys.executable, "worker.py", *args]) as proc:
                    print("started worker", proc.pid)
                return proc.returncode
            """,
            trigger="""
            from pathlib import Path

            Path("worker.py").write_text("import sys\\n")
            run_worker(["--once"])
            """,
            doc=True,
        ),
    )
    truth = leak_truth()

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if not isinstance(value, ast.Call):
            return
        rtype = self.ctx.shared(ResourceFacts).classify(value, self.ctx.scope_chain())
        if rtype is None or rtype.kind != "process":
            return
        if is_detached(value) and self.ctx.config.allow_detached_processes:
            return
        self.report(value, label=ast.unparse(value.func), line=value.lineno, name=rtype.var)
