"""GCL401 fixer, case by case: exact fixed text, the reasons for skipping, and the fixed code
run before and after in a real interpreter. The rule's INVALID examples and their fixed text are
tested by tests/fixes/test_fix_examples.py; here, the cases beyond them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, fixed, invalid_source, run_both, skipped

from gclint import Config
from gclint.fixing import fix_source

GUARDED = "a guarded restore keeps its guard; comments and blank lines"
FIXES: list[tuple[str, str, str]] = [
    (
        GUARDED,
        """
        import gc


        def build_index(rows):
            was_enabled = gc.isenabled()
            gc.disable()

            # build it
            index = {row["id"]: row for row in rows}

            # restore
            if was_enabled:
                gc.enable()  # back on
            return index
        """,
        """
        import gc


        def build_index(rows):
            was_enabled = gc.isenabled()
            gc.disable()

            try:
                # build it
                index = {row["id"]: row for row in rows}
            finally:
                # restore
                if was_enabled:
                    gc.enable()  # back on
            return index
        """,
    ),
    (
        "break and continue inside a loop in between; a nested function that returns",
        """
        import gc


        async def scan(batches, fetch):
            gc.disable()
            for batch in batches:
                if not batch:
                    continue
                if batch == "stop":
                    break

                def key(item):
                    return item

                await fetch(sorted(batch, key=key))
            gc.enable()
        """,
        """
        import gc


        async def scan(batches, fetch):
            gc.disable()
            try:
                for batch in batches:
                    if not batch:
                        continue
                    if batch == "stop":
                        break

                    def key(item):
                        return item

                    await fetch(sorted(batch, key=key))
            finally:
                gc.enable()
        """,
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in FIXES], ids=[c[0] for c in FIXES])
def test_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL401") == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL401",)))
    assert result.text == dedent(expected)


def test_tabs_and_crlf() -> None:
    source = (
        "import gc\r\n\r\ndef f(work):\r\n\tif work:\r\n\t\tgc.disable()\r\n\t\twork()\r\n"
        "\t\tgc.enable()\r\n"
    )
    expected = (
        "import gc\r\n\r\ndef f(work):\r\n\tif work:\r\n\t\tgc.disable()\r\n\t\ttry:\r\n"
        "\t\t\twork()\r\n\t\tfinally:\r\n\t\t\tgc.enable()\r\n"
    )
    assert fixed(source, "GCL401") == expected


SKIPS: list[tuple[str, str, str]] = [
    (
        "a return in between",
        """
        import gc


        def build(rows):
            gc.disable()
            for row in rows:
                if not row:
                    return None
            gc.enable()
        """,
        "a 'return' between the disable and the restore",
    ),
    (
        "a break out of the enclosing loop",
        """
        import gc


        def build(batches, work):
            for batch in batches:
                gc.disable()
                if not batch:
                    break
                work(batch)
                gc.enable()
        """,
        "a 'break' between",
    ),
    (
        "the code in between toggles the collector",
        """
        import gc


        def build(work):
            gc.disable()
            work()
            gc.set_threshold(0)
            work()
            gc.enable()
        """,
        "turns the collector on or off itself",
    ),
    (
        "the restore is in another block",
        """
        import gc


        def build(work):
            gc.disable()
            try:
                work()
                gc.enable()
            except ValueError:
                pass
        """,
        "in another block",
    ),
    (
        "the restore reads a name set in between",
        """
        import gc


        def build(work, previous):
            gc.set_threshold(0)
            saved = previous()
            work()
            gc.set_threshold(*saved)
        """,
        "'saved' is used between",
    ),
    (
        "the disable shares its line",
        """
        import gc


        def build(work):
            gc.disable(); work()
            gc.enable()
        """,
        "shares its line",
    ),
    (
        "nothing in between",
        """
        import gc


        def build():
            gc.disable()
            gc.enable()
        """,
        "nothing runs between",
    ),
]


@pytest.mark.parametrize(("source", "reason"), [c[1:] for c in SKIPS], ids=[c[0] for c in SKIPS])
def test_skip(source: str, reason: str) -> None:
    text = dedent(source)
    line = next(i + 1 for i, t in enumerate(text.splitlines()) if "(0)" in t or "disable" in t)
    assert reason in skipped(text, "GCL401", line=line)


def test_fixed_code_restores_the_collector_after_an_error(tmp_path: Path) -> None:
    source = invalid_source("GCL401", 0)  # build_index: disable ... enable ... return
    result = fix_source(source, "example.py", Config(select=("GCL401",)))
    assert [a.code for a in result.applied] == ["GCL401"]
    driver = """
    import gc

    print(build_index([{"id": 1}]), gc.isenabled())
    try:
        build_index([{"name": "no id"}])
    except KeyError:
        print("KeyError")
    print("enabled after the error:", gc.isenabled())
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout.splitlines() == [
        "{1: {'id': 1}} True",
        "KeyError",
        "enabled after the error: False",
    ]
    assert after.stdout.splitlines() == [
        "{1: {'id': 1}} True",
        "KeyError",
        "enabled after the error: True",
    ]


def test_a_guarded_restore_keeps_a_disabled_caller_disabled(tmp_path: Path) -> None:
    source = dedent({name: text for name, text, _ in FIXES}[GUARDED])
    result = fix_source(source, "example.py", Config(select=("GCL401",)))
    driver = """
    import gc

    gc.disable()
    try:
        build_index([{"name": "no id"}])
    except KeyError:
        pass
    print("enabled:", gc.isenabled())
    gc.enable()
    try:
        build_index([{"name": "no id"}])
    except KeyError:
        pass
    print("enabled:", gc.isenabled())
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout.splitlines() == ["enabled: False", "enabled: False"]
    assert after.stdout.splitlines() == ["enabled: False", "enabled: True"]
