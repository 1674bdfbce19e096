"""Long fuzz run: gclint on thousands of hypothesmith-generated (and damaged) programs.

Usage::

    python bench/fuzz.py                          # 3,000 examples per strategy, random seed
    python bench/fuzz.py --examples 20000 --minutes 10 --seed 1 --out /tmp/fuzz-findings

The properties of tests/test_fuzz.py, written once in tests/fuzzing.py, without stopping at the
first failure: every example is checked, and each failure (an exception out of `check_source`,
or one of `fuzzing.problems`: a malformed diagnostic, a GCL000 internal error, a GCL001/GCL002
on a program CPython compiles) is counted and, with ``--out``, written to a file to reproduce
it. Strategies: ``grammar`` (hypothesmith.from_grammar), ``node`` (hypothesmith.from_node,
libcst), ``damaged`` (a grammar program with one character deleted, duplicated or replaced) and
``bytes`` (arbitrary bytes, a BOM or coding cookie in front). Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/fuzzing.py

from fuzzing import PATH, damaged, prefixed, problems

from gclint import check_source

STRATEGIES = ("grammar", "node", "damaged", "bytes")


@dataclass
class Tally:
    examples: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str | bytes]] = field(default_factory=list)  # (what, source)
    check_seconds: float = 0.0
    slowest: tuple[float, int] = (0.0, 0)  # seconds, size of that source
    sizes: int = 0


def check(source: str | bytes, tally: Tally) -> None:
    tally.examples += 1
    tally.sizes += len(source)
    start = time.perf_counter()
    try:
        diagnostics = check_source(source, PATH)
    except Exception:
        tally.outcomes["exception"] += 1
        tally.failures.append((traceback.format_exc(), source))
        return
    finally:
        elapsed = time.perf_counter() - start
        tally.check_seconds += elapsed
        if elapsed > tally.slowest[0]:
            tally.slowest = (elapsed, len(source))
    found = problems(source, diagnostics)
    for problem in found:
        tally.outcomes["failure"] += 1
        tally.failures.append((problem, source))
    codes = {d.code for d in diagnostics}
    if "GCL001" in codes:
        tally.outcomes["GCL001 parse error"] += 1
    elif "GCL002" in codes:
        tally.outcomes["GCL002 read/decode error"] += 1
    elif codes:
        tally.outcomes["findings"] += 1
    else:
        tally.outcomes["clean"] += 1


def strategies() -> dict[str, st.SearchStrategy[Any]]:
    import hypothesmith  # imported late: it writes to Hypothesis's cache directory on import

    return {
        "grammar": hypothesmith.from_grammar(),
        "node": hypothesmith.from_node(),
        "damaged": damaged(hypothesmith.from_grammar()),
        "bytes": prefixed(st.binary()),
    }


def run_strategy(
    strategy: st.SearchStrategy[Any], examples: int, start_seed: int, deadline: float
) -> Tally:
    tally = Tally()
    batch = 200
    for i in range(0, examples, batch):
        if time.monotonic() > deadline:
            break

        @seed(start_seed + i)
        @settings(
            max_examples=min(batch, examples - i),
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def prop(source: str | bytes) -> None:
            check(source, tally)

        prop()
    return tally


def write_failures(out: Path, name: str, tally: Tally) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for what, source in tally.failures:
        raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
        digest = hashlib.sha1(raw).hexdigest()[:12]
        (out / f"{name}-{digest}.py").write_bytes(raw)
        (out / f"{name}-{digest}.txt").write_text(what + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="per strategy")
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget (all of it)")
    parser.add_argument("--seed", type=int, default=None, help="default: random")
    parser.add_argument("--strategy", action="append", choices=STRATEGIES)
    parser.add_argument("--out", metavar="DIR", help="write each failing input here")
    args = parser.parse_args(argv)
    start_seed = args.seed if args.seed is not None else random.randrange(2**32)
    names = args.strategy or list(STRATEGIES)
    print(f"seed {start_seed}, {args.examples} examples per strategy, {args.minutes} min budget")
    warnings.simplefilter("ignore", SyntaxWarning)  # hypothesmith compiles what it generates
    with tempfile.TemporaryDirectory(prefix="gclint-fuzz-") as home:
        set_hypothesis_home_dir(home)  # its caches go here, not into ./.hypothesis
        return _run(args, names, start_seed, strategies())


def _run(
    args: argparse.Namespace,
    names: list[str],
    start_seed: int,
    by_name: dict[str, st.SearchStrategy[Any]],
) -> int:
    start = time.monotonic()
    failed = 0
    for n, name in enumerate(names):
        # each strategy gets an equal share of what is left of the budget
        left = args.minutes * 60 - (time.monotonic() - start)
        deadline = time.monotonic() + left / (len(names) - n)
        t0 = time.monotonic()
        tally = run_strategy(by_name[name], args.examples, start_seed, deadline)
        wall = time.monotonic() - t0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items()))
        mean = tally.sizes / max(tally.examples, 1)
        print(
            f"{name:8} {tally.examples:6} examples in {wall:6.1f} s "
            f"(gclint {tally.check_seconds:5.1f} s, slowest {tally.slowest[0] * 1000:.0f} ms "
            f"on {tally.slowest[1]} chars, mean size {mean:.0f}): {outcomes}",
            flush=True,
        )
        for what, source in tally.failures[:5]:
            print(f"  FAIL {what.strip().splitlines()[-1]}\n    {source!r:.300}")
        if args.out and tally.failures:
            write_failures(Path(args.out), name, tally)
        failed += len(tally.failures)
    print(f"total failures: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
