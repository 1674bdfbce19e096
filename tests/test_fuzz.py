"""Property tests: gclint never raises, on any program hypothesmith can write or any bytes at all.

Bounded for the normal suite (a few hundred examples, derandomized so every run checks the same
programs); the properties and strategies are tests/fuzzing.py's, which `bench/fuzz.py` runs for
thousands of examples with a random seed.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

# Hypothesis caches under ./.hypothesis even without a database, and hypothesmith fills that
# cache as it is imported: point it at a temporary directory first (removed after the module).
_HOME = tempfile.mkdtemp(prefix="gclint-hypothesis-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)  # also when no test here runs
set_hypothesis_home_dir(_HOME)
hypothesmith = pytest.importorskip("hypothesmith")

from fuzzing import PATH, compiles, damaged, prefixed, problems  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gclint import Diagnostic, check_source  # noqa: E402

# hypothesmith compiles what it generates: CPython's own SyntaxWarnings are noise here
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
BOUNDED = settings(
    max_examples=150,
    deadline=None,
    database=None,  # leave no .hypothesis directory behind
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    # no Phase.explain: it writes a patch file under the storage directory on failure
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_home() -> Iterator[None]:
    yield
    shutil.rmtree(_HOME, ignore_errors=True)  # (left pointing there: nothing may write to ./)


def check(source: str | bytes) -> list[Diagnostic]:
    diagnostics = check_source(source, PATH)  # must not raise: that is the property
    found = problems(source, diagnostics)
    assert not found, (found, source)
    return diagnostics


@BOUNDED
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar(source: str) -> None:
    check(source)


@settings(BOUNDED, max_examples=100)  # libcst's generation is slow: ~0.1 s an example
@given(hypothesmith.from_node())
def test_programs_from_libcst_nodes(source: str) -> None:
    check(source)


@settings(BOUNDED, max_examples=100)
@given(damaged(hypothesmith.from_grammar()))
def test_damaged_programs(source: str) -> None:
    """A program with one character deleted, duplicated or replaced: parse errors, cleanly."""
    check(source)
    check(source.encode("utf-8", "surrogatepass"))


@BOUNDED
@given(st.binary(max_size=512))
def test_arbitrary_bytes(raw: bytes) -> None:
    check(raw)


@BOUNDED
@given(prefixed(st.binary(max_size=64).map(lambda body: b"x = 1\n" + body)))
def test_bytes_with_bom_and_cookies(raw: bytes) -> None:
    check(raw)


def test_the_examples_above_are_really_run() -> None:
    """A canary: a known finding comes out of `check`, so the properties are not vacuous."""
    source = "import gc\n\n\ndef f(rows):\n    gc.disable()\n    rows.sort()\n    gc.enable()\n"
    assert [d.code for d in check(source)] == ["GCL401"]


# -- the fix engine: every safe fix on generated programs parses and is idempotent -------------

# Fixable patterns with a slot for generated statements between acquisition and release.
FIXABLE_TEMPLATES = (
    "def read_{n}(path):\n    f = open(path)\n{body}    data = f.read()\n    f.close()\n"
    "    return data\n",
    "def head_{n}(path):\n    g = open(path)\n{body}    return g.readline()\n",
    "import threading\n\n_lock_{n} = threading.Lock()\n\n\ndef bump_{n}(d):\n"
    "    _lock_{n}.acquire()\n{body}    d['n'] = d.get('n', 0) + 1\n    _lock_{n}.release()\n",
    "import sqlite3\n\n\ndef add_{n}(path):\n    with sqlite3.connect(path) as conn:\n{body}"
    "        conn.execute('create table if not exists t(x)')\n",
)


def _indented(program: str, depth: int) -> str:
    lines = [line for line in program.splitlines() if line.strip()]
    return "".join(" " * depth + line + "\n" for line in lines[:6])


@settings(BOUNDED, max_examples=60)
@given(
    hypothesmith.from_grammar(),
    st.lists(st.integers(0, len(FIXABLE_TEMPLATES) - 1), min_size=1, max_size=3),
    st.booleans(),
)
def test_safe_fixes_parse_and_are_idempotent(program: str, picks: list[int], inside: bool) -> None:
    from gclint.fixing import fix_source

    parts = [program]
    for n, pick in enumerate(picks):
        template = FIXABLE_TEMPLATES[pick]
        depth = 8 if "conn:" in template else 4
        body = _indented(program, depth) if inside else ""
        parts.append(template.format(n=n, body=body))
    source = "\n\n".join(part.rstrip("\n") + "\n" for part in parts)
    if not compiles(source):
        return
    result = fix_source(source, PATH)  # must not raise
    assert compiles(result.text), (source, result.text)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    again = fix_source(result.text, PATH)
    assert again.text == result.text, (source, result.text, again.text)
    assert again.applied == []


def test_the_fix_property_is_not_vacuous() -> None:
    """A canary: the templates above are fixed when nothing gets in the way."""
    from gclint.fixing import fix_source

    source = "\n\n".join(t.format(n=i, body="") for i, t in enumerate(FIXABLE_TEMPLATES))
    result = fix_source(source, PATH)
    assert sorted(a.code for a in result.applied) == ["GCL101", "GCL103", "GCL105", "GCL106"]
