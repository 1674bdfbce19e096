"""The ``gclint`` command: ``gclint check PATH...`` (or plain ``gclint PATH...``), ``gclint rules``,
``gclint rule CODE``.

Exit status: 0 clean, 1 findings, 2 an error (a file that cannot be read or parsed, a bad option
or configuration, a fixed file that could not be written). Errors are one line each; no
traceback reaches the user.

Fixing: ``--fix`` applies the safe fixes (``--unsafe-fixes`` adds the unsafe ones) and writes
the files, then reports what is left; ``--diff`` prints what ``--fix`` would change as a unified
diff and writes nothing (exit 1 when there would be changes); ``--fix -`` prints the fixed
standard input on stdout, and the diagnostics on stderr. libcst is imported only when a file
has a fixable diagnostic.
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import io
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gclint import hosting
from gclint.config import Config, ConfigError, parse_list, parse_per_file_ignores, resolve_config
from gclint.diagnostics import Diagnostic
from gclint.discovery import Missing, Unreadable, discover
from gclint.engine import check_file, error_diagnostic
from gclint.fixes import FixReport, needs_fixing, with_fix
from gclint.reporters import REPORTERS
from gclint.reporters.text import render as render_text
from gclint.rules import REGISTRY
from gclint.runner import Cache, Checked, check_paths, default_jobs
from gclint.version import __version__

SUBCOMMANDS = ("check", "rules", "rule")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit status 2
        self.exit(EXIT_ERROR, f"gclint: error: {message} (see 'gclint --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gclint",
        description="Find Python code whose objects live longer, or die later, than intended.",
    )
    parser.add_argument("--version", action="version", version=f"gclint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="check files and directories (the default command)")
    check.add_argument("paths", nargs="*", default=None, help="files or directories; - for stdin")
    sel = check.add_argument_group("rule selection")
    sel.add_argument("--select", metavar="CODES", help="codes or prefixes to run (replaces)")
    sel.add_argument("--ignore", metavar="CODES", help="codes or prefixes not to run (replaces)")
    sel.add_argument("--extend-select", metavar="CODES", help="codes or prefixes to add")
    sel.add_argument("--extend-ignore", metavar="CODES", help="codes or prefixes to add to ignore")
    sel.add_argument(
        "--per-file-ignores", metavar="MAP", help="'pattern:CODES pattern:CODES' as in flake8"
    )
    files = check.add_argument_group("files")
    files.add_argument("--exclude", metavar="PATTERNS", help="patterns to exclude (replaces)")
    files.add_argument("--extend-exclude", metavar="PATTERNS", help="patterns to exclude as well")
    files.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too (for pre-commit)",
    )
    files.add_argument("--stdin-filename", metavar="PATH", help="the file name of - (stdin)")
    files.add_argument("--config", metavar="PYPROJECT", help="read [tool.gclint] from this file")
    files.add_argument("--isolated", action="store_true", help="ignore configuration files")
    out = check.add_argument_group("output")
    out.add_argument("--format", choices=sorted(REPORTERS), default="text")
    out.add_argument("--show-source", action="store_true", help="show the line and a caret")
    out.add_argument("--statistics", action="store_true", help="count diagnostics per code")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    out.add_argument("-q", "--quiet", action="store_true", help="print diagnostics only")
    out.add_argument("--disable-noqa", action="store_true", help="ignore '# noqa' comments")
    fix = check.add_argument_group("fixes")
    fix.add_argument("--fix", action="store_true", help="apply safe fixes")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print fixes as a diff; write nothing")
    perf = check.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", metavar="N", help="processes to use (default: cores)")
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache")

    rules = sub.add_parser("rules", help="list every rule in the catalogue")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = sub.add_parser("rule", help="print the documentation of one rule")
    rule.add_argument("code", help="a rule code (GCL401) or name (gc-disabled-without-restore)")
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    if not args:
        return ["check"]
    first = args[0]
    if first in SUBCOMMANDS or first in ("-h", "--help", "--version"):
        return args
    return ["check", *args]


def _lenient(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Encoding error handler for output: a file name with undecodable bytes (held as lone
    surrogates) is written back as those bytes; any other unencodable character as an escape."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    try:
        return codecs.lookup_error("surrogateescape")(exc)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(exc)


codecs.register_error("gclint-lenient", _lenient)


def _lenient_output() -> None:
    """Printing a diagnostic must never fail (PYTHONIOENCODING=utf-8 makes stdout strict)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", None):
            stream.reconfigure(errors="gclint-lenient")


def main(argv: Sequence[str] | None = None) -> int:
    if argv is not None:  # called from Python: leave the caller's process as it was
        return _main(argv)
    hosting.use_batch()  # the `gclint` process itself only checks files
    return hosting.BATCH.exit(_main(sys.argv[1:]))


def _main(argv: Sequence[str]) -> int:
    _lenient_output()
    args = build_parser().parse_args(_normalise_argv(argv))
    try:
        if args.command == "rules":
            return _cmd_rules(args.format)
        if args.command == "rule":
            return _cmd_rule(args.code)
        return _cmd_check(args)
    except ConfigError as exc:
        print(f"gclint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("gclint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # keep the interpreter from complaining
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


def _cmd_rules(fmt: str) -> int:
    from gclint.docs import fix_text
    from gclint.rules import REGISTRY

    if fmt == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "fix": fix_text(r),
                "status": r.status.value,
                "summary": r.summary,
            }
            for r in REGISTRY
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    for r in REGISTRY:
        print(f"{r.code}  {r.name:<36} {fix_text(r):<16} {r.status.value:<12} {r.summary}")
    return EXIT_CLEAN


def _cmd_rule(code: str) -> int:
    from gclint.docs import render_rule
    from gclint.rules import REGISTRY

    rule = REGISTRY.get(code)
    if rule is None:
        print(f"gclint: error: unknown rule {code!r} (see 'gclint rules')", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(render_rule(rule))
    return EXIT_CLEAN


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option in ("select", "ignore", "extend_select", "extend_ignore", "exclude"):
        value = getattr(args, option)
        if value is not None:
            out[option] = parse_list(value)
    if args.extend_exclude is not None:
        out["extend_exclude"] = parse_list(args.extend_exclude)
    if args.per_file_ignores is not None:
        out["per_file_ignores"] = parse_per_file_ignores(args.per_file_ignores)
    return out


def _cmd_check(args: argparse.Namespace) -> int:
    paths: list[str] = args.paths or ["."]
    if args.jobs is not None and not (args.jobs.isdigit() and int(args.jobs) > 0):
        raise ConfigError(f"-j/--jobs takes a positive whole number, not {args.jobs!r}")
    if args.diff and args.fix:
        raise ConfigError("--diff and --fix cannot be used together")
    start = Path(args.stdin_filename or paths[0]) if paths != ["-"] else Path.cwd()
    if not start.exists():
        start = Path.cwd()
    config = resolve_config(
        start,
        _overrides(args),
        config_path=Path(args.config) if args.config else None,
        isolated=args.isolated,
        known=REGISTRY.rules.keys(),
    )
    stdin_raw = sys.stdin.buffer.read() if "-" in paths else None
    results = [
        dataclasses.replace(r, diagnostics=[with_fix(d, args.unsafe_fixes) for d in r.diagnostics])
        for r in _run(paths, config, args, stdin_raw)
    ]
    report: FixReport | None = None
    if args.fix or args.diff:
        report = FixReport()
        if any(needs_fixing(r, args.unsafe_fixes) for r in results):
            from gclint.fixing import fix_files  # libcst: only for a file with a fix

            report = fix_files(
                results,
                config,
                unsafe=args.unsafe_fixes,
                diff=args.diff,
                noqa=not args.disable_noqa,
                stdin=stdin_raw is not None,
                progress=sys.stderr.isatty() and not args.quiet,
            )
        if args.fix and stdin_raw is not None:
            sys.stdout.buffer.write(report.stdin if report.stdin is not None else stdin_raw)
            sys.stdout.buffer.flush()
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=Diagnostic.sort_key)
    sources: dict[str, str] = {}
    if args.show_source or args.diff:  # only the files that have something to show
        for result in results:
            if result.decoded and any(d.path == result.path for d in diagnostics):
                text = result.source.text if result.source is not None else result.source_text()
                if text is not None:
                    sources[result.path] = text
    findings = [d for d in diagnostics if not d.is_error]
    errors = [d for d in diagnostics if d.is_error]
    # --fix on stdin: the fixed source is the output, the diagnostics go to stderr
    out = sys.stderr if (args.fix and "-" in paths) else sys.stdout
    if args.diff:
        assert report is not None
        sys.stdout.write("".join(report.diffs))
        if errors:
            sys.stdout.write(render_text(errors, sources, args.show_source))
    else:
        out.write(REPORTERS[args.format](diagnostics, sources, args.show_source))
        if args.statistics and args.format == "text":
            _print_statistics(diagnostics, out)
    sys.stdout.flush()
    if not args.quiet and args.format == "text":
        if report is not None:
            report.print_summary(args.diff)
        checked = sum(1 for r in results if r.decoded)
        print(_summary(len(findings), len(errors), checked), file=sys.stderr)
    if errors:
        return EXIT_ERROR
    if args.diff:
        assert report is not None
        return EXIT_FINDINGS if report.diffs else EXIT_CLEAN
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _run(
    paths: list[str], config: Config, args: argparse.Namespace, stdin_raw: bytes | None
) -> list[Checked]:
    noqa = not args.disable_noqa
    results: list[Checked] = []
    if stdin_raw is not None:
        name = args.stdin_filename or "<stdin>"
        result = check_file(name, config, raw=stdin_raw, noqa=noqa)
        results.append(
            Checked(
                name, result.diagnostics, decoded=result.source is not None, source=result.source
            )
        )
    files: list[str] = []
    for item in discover([p for p in paths if p != "-"], config, force_exclude=args.force_exclude):
        if isinstance(item, Missing):
            message = "cannot read: no such file or directory"
            results.append(Checked(item.path, [error_diagnostic(item.path, "GCL002", message)]))
        elif isinstance(item, Unreadable):
            results.append(Checked(item.path, [error_diagnostic(item.path, "GCL002", item.reason)]))
        else:
            files.append(item)
    jobs = int(args.jobs) if args.jobs is not None else default_jobs()
    cache = None if args.no_cache else Cache(config.root, config, noqa)
    results.extend(check_paths(files, config, noqa=noqa, jobs=jobs, cache=cache))
    return results


def _print_statistics(diagnostics: Sequence[Diagnostic], out: Any = None) -> None:
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    for code in sorted(counts):
        print(f"{counts[code]:<6} {code}  {names[code]}", file=out or sys.stdout)


def _summary(findings: int, errors: int, checked: int) -> str:
    files = f"{checked} file{'s' if checked != 1 else ''} checked"
    parts = [f"{findings} finding{'s' if findings != 1 else ''}"]
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    return f"gclint: {', '.join(parts)} ({files})"
