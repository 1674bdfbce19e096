"""Property test for the fixers of GCL102, GCL104, GCL302, GCL304, GCL305, GCL306 and GCL401:
their patterns with statements hypothesmith writes around and inside them. Whatever the
statements are, fixing never fails inside a fixer (an internal error is a skipped fix with
"internal error"), the result compiles, has no GCL0xx error, and a second run changes nothing.

Bounded and derandomized like tests/test_fuzz.py.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from collections.abc import Iterator

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

_HOME = tempfile.mkdtemp(prefix="gclint-hypothesis-fixers-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
set_hypothesis_home_dir(_HOME)
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gclint import Config  # noqa: E402
from gclint.fixing import fix_source  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
BOUNDED = settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
CODES = ("GCL102", "GCL104", "GCL302", "GCL304", "GCL305", "GCL306", "GCL401")

# {body} is at function-body depth (4), {inner} one level deeper (8)
TEMPLATES = (
    "def load_{n}(path):\n{body}    data = open(path).read()\n{body}    return data\n",
    "def scan_{n}(path):\n    for line in open(path):\n{inner}        pass\n",
    "import sqlite3\n\n\ndef count_{n}(path):\n    try:\n        conn = sqlite3.connect(path)\n"
    "{inner}    finally:\n        conn.close()\n",
    "import sqlite3\n\n\ndef send_{n}(path):\n    try:\n{inner}"
    "        conn = sqlite3.connect(path)\n{inner}    except OSError:\n        conn.close()\n"
    "        raise\n",
    "import sys\n\n\ndef where_{n}(log):\n    frame = sys._getframe()\n{body}"
    "    log(frame)\n{body}",
    "import gc\n\n\ndef paused_{n}(work):\n    gc.disable()\n{body}    work()\n    gc.enable()\n",
    "import weakref\n\n\nclass Widget{n}:\n    def __init__(self, subs):\n{inner}"
    "        subs.append(weakref.ref(self.changed))\n\n    def changed(self):\n        pass\n",
    "import weakref\n\n\nclass Child{n}:\n    def __init__(self, parent):\n"
    "        self._parent = weakref.ref(parent)\n\n    def run(self):\n{inner}"
    "        self._parent().go()\n",
    "class Node{n}:\n    def __init__(self):\n        self.parent = None\n"
    "        self.kids = []\n\n    def add(self):\n        kid = Node{n}()\n{inner}"
    "        kid.parent = self\n"
    "        self.kids.append(kid)\n        return kid\n",
)


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_home() -> Iterator[None]:
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


def compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _indented(program: str, depth: int) -> str:
    lines = [line for line in program.splitlines() if line.strip()]
    return "".join(" " * depth + line + "\n" for line in lines[:6])


def _fix(source: str) -> tuple[str, list[str]]:
    result = fix_source(source, "fuzz.py", Config(select=CODES), unsafe=True)
    assert compiles(result.text), (source, result.text)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    internal = [s.reason for s in result.skipped if "internal error" in s.reason]
    assert not internal, (source, internal)
    return result.text, [a.code for a in result.applied]


@BOUNDED
@given(
    hypothesmith.from_grammar(),
    st.lists(st.integers(0, len(TEMPLATES) - 1), min_size=1, max_size=3),
    st.booleans(),
)
def test_fixes_around_generated_code(program: str, picks: list[int], inside: bool) -> None:
    parts = [program]
    for n, pick in enumerate(picks):
        body = _indented(program, 4) if inside else ""
        inner = _indented(program, 8) if inside else ""
        parts.append(TEMPLATES[pick].format(n=n, body=body, inner=inner))
    source = "\n\n".join(part.rstrip("\n") + "\n" for part in parts)
    if not compiles(source):
        return
    text, _applied = _fix(source)
    again, applied_again = _fix(text)
    assert again == text
    assert applied_again == []


def test_the_templates_are_fixed_when_nothing_gets_in_the_way() -> None:
    """A canary: the property above is not vacuous."""
    source = "\n\n".join(t.format(n=i, body="", inner="") for i, t in enumerate(TEMPLATES))
    _text, applied = _fix(source)
    expected = ["GCL102", "GCL102", "GCL104", "GCL104", "GCL302", "GCL304", "GCL305"]
    assert sorted(applied) == [*expected, "GCL306", "GCL401"]
