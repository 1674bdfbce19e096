"""gclint as a guest: inside flake8 or any process that calls its Python API, it leaves the
host's collector, recursion limit and ``sys.path`` as it found them.

Each test runs a real host process (a fresh interpreter, so nothing else of the suite changes
what is measured) that records its state, checks a batch of files through the API, the flake8
plugin and the fix engine (one check needs astroid, one a deep stack), and prints both states.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from projects import PROJECT

HOST = r"""
import ast, gc, json, sys

gc.set_threshold(555, 7, 9)  # the host's own settings, not the defaults
sys.setrecursionlimit(1234)

def state():
    return {
        "enabled": gc.isenabled(),
        "threshold": list(gc.get_threshold()),
        "frozen": gc.get_freeze_count(),
        "recursion": sys.getrecursionlimit(),
        "path": list(sys.path),
    }

root = sys.argv[1]
before = state()

from gclint import check_file, check_source, fix_source
from gclint.analysis import inference
from gclint.flake8_plugin import Flake8Plugin

builds = inference.Inference.builds
codes = []
codes += [d.code for d in check_file(root + "/app/main.py").diagnostics]
astroid_used = inference.Inference.builds > builds
deep = "x = " + "+".join(["1"] * 2000) + "\n"
codes += [d.code for d in check_source(deep, root + "/app/deep.py")]
leaky = "def f(p):\n    fh = open(p)\n    return fh.read()\n"
codes += [d.code for d in check_source(leaky, root + "/app/leaky.py")]
codes += [r[2].split()[0] for r in Flake8Plugin(ast.parse(leaky), root + "/app/leaky.py").run()]
fixed = fix_source(leaky, root + "/app/leaky.py").text
after = state()
print(json.dumps({"before": before, "after": after, "codes": codes,
                  "astroid": astroid_used, "fixed": "with open(p) as fh" in fixed}))
"""


def _host(tmp_path: Path, disabled: bool) -> dict[str, object]:
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    script = HOST
    if disabled:
        script = HOST.replace("before = state()", "gc.disable()\nbefore = state()")
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_host_state_is_left_as_found(tmp_path: Path) -> None:
    data = _host(tmp_path, disabled=False)
    assert data["astroid"], "the batch must include a check that used astroid"
    codes = data["codes"]
    assert isinstance(codes, list)
    assert "GCL102" in codes  # astroid's answer (data_dir().open())
    assert codes[-2:] == ["GCL101", "GCL101"]  # the API and the flake8 plugin
    assert data["fixed"]
    assert data["after"] == data["before"]


def test_a_host_with_its_collector_disabled_keeps_it_disabled(tmp_path: Path) -> None:
    data = _host(tmp_path, disabled=True)
    before = data["before"]
    assert isinstance(before, dict)
    assert before["enabled"] is False
    assert data["after"] == before


def test_reset_forgets_every_cache(tmp_path: Path) -> None:
    """`gclint.hosting.reset()` empties every cache gclint keeps, astroid's included."""
    import astroid

    from gclint import check_file, hosting
    from gclint.analysis import classify, imports, inference

    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    previous = hosting.use(hosting.BATCH)  # a batch run keeps what it learnt between files
    try:
        builds = inference.Inference.builds
        check_file(str(tmp_path / "app" / "main.py"))
        assert inference.Inference.builds > builds
        kept = {
            "modules": len(imports._MODULES),
            "stamps": len(imports._STAMPS),
            "imported types": len(classify._IMPORTED_TYPES),
            "astroid": len(astroid.MANAGER.astroid_cache),
        }
        assert all(kept.values()), kept
        hosting.reset()
        after = {
            "modules": len(imports._MODULES),
            "stamps": len(imports._STAMPS),
            "imported types": len(classify._IMPORTED_TYPES),
            "foreign facts": len(classify._FOREIGN_FACTS),
            "packages": len(imports._PACKAGES),
            "digests": len(imports._DIGESTS),
        }
        assert not any(after.values()), after
        assert str(tmp_path) not in "".join(
            getattr(m, "file", None) or "" for m in astroid.MANAGER.astroid_cache.values()
        )
    finally:
        hosting.use(previous)
        hosting.reset()
        import gc

        gc.unfreeze()
