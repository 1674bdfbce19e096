"""GCL305 and GCL306 fixers, case by case: exact fixed text, the reasons for skipping, and the
fixed code run before and after in a real interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, fixed, invalid_source, run_both, skipped

from gclint import Config
from gclint.fixing import fix_source

WIDGET = """
class Widget:
    def __init__(self, subscribers):
        subscribers.append({call})

    def on_change(self, event):
        return event
"""

GCL305_FIXES: list[tuple[str, str, str]] = [
    (
        "import weakref as wr, with a callback",
        "import weakref as wr\n" + WIDGET.format(call="wr.ref(self.on_change, print)"),
        "import weakref as wr\n" + WIDGET.format(call="wr.WeakMethod(self.on_change, print)"),
    ),
    (
        "from weakref import ref: WeakMethod joins that line, in isort order",
        "from weakref import ref\n" + WIDGET.format(call="ref(self.on_change)"),
        "from weakref import WeakMethod, ref\n" + WIDGET.format(call="WeakMethod(self.on_change)"),
    ),
    (
        "an unsorted from-import: WeakMethod goes last",
        "from weakref import ref, finalize\n" + WIDGET.format(call="ref(self.on_change)"),
        "from weakref import ref, finalize, WeakMethod\n"
        + WIDGET.format(call="WeakMethod(self.on_change)"),
    ),
    (
        "a parenthesized from-import over several lines",
        "from weakref import (\n    proxy,\n    ref,\n)\n"
        + WIDGET.format(call="ref(self.on_change)"),
        "from weakref import (\n    WeakMethod,\n    proxy,\n    ref,\n)\n"
        + WIDGET.format(call="WeakMethod(self.on_change)"),
    ),
    (
        "WeakMethod already imported",
        "from weakref import WeakMethod, ref\n" + WIDGET.format(call="ref(self.on_change)"),
        "from weakref import WeakMethod, ref\n" + WIDGET.format(call="WeakMethod(self.on_change)"),
    ),
    (
        "a function-level alias: import weakref is added",
        """
        import os


        class Widget:
            def __init__(self, subscribers):
                from weakref import ref as weak

                subscribers.append(weak(self.on_change))

            def on_change(self, event):
                return event
        """,
        """
        import os
        import weakref


        class Widget:
            def __init__(self, subscribers):
                from weakref import ref as weak

                subscribers.append(weakref.WeakMethod(self.on_change))

            def on_change(self, event):
                return event
        """,
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in GCL305_FIXES], ids=[c[0] for c in GCL305_FIXES]
)
def test_gcl305_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL305") == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL305",)))
    assert result.text == dedent(expected)


GCL305_SKIPS: list[tuple[str, str, str]] = [
    (
        "a weak proxy of a bound method",
        "import weakref\n" + WIDGET.format(call="weakref.proxy(self.on_change)"),
        "WeakMethod is not a proxy",
    ),
    ("a temporary object", invalid_source("GCL305", 1), "keep a strong reference"),
    (
        "the name weakref is a variable here",
        """
        class Widget:
            def __init__(self, subscribers, weakref):
                from weakref import ref as weak

                subscribers.append(weak(self.on_change))

            def on_change(self, event):
                return event
        """,
        "'weakref' names something else",
    ),
]


@pytest.mark.parametrize(
    ("source", "reason"), [c[1:] for c in GCL305_SKIPS], ids=[c[0] for c in GCL305_SKIPS]
)
def test_gcl305_skip(source: str, reason: str) -> None:
    assert reason in skipped(dedent(source), "GCL305")


def test_gcl305_fixed_code_calls_back(tmp_path: Path) -> None:
    source = dedent("from weakref import ref\n" + WIDGET.format(call="ref(self.on_change)"))
    result = fix_source(source, "example.py", Config(select=("GCL305",)))
    assert [a.code for a in result.applied] == ["GCL305"]
    driver = """
    subscribers = []
    widget = Widget(subscribers)
    method = subscribers[0]()
    print("dead on arrival" if method is None else method("tick"))
    del widget, method
    print("after del:", subscribers[0]())
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout == "dead on arrival\nafter del: None\n"
    assert after.stdout == "tick\nafter del: None\n"


GCL306_FIXES: list[tuple[str, str, str]] = [
    (
        "a returned attribute: return None when the referent is gone",
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._parent = weakref.ref(parent)

            def siblings(self):
                # the parent's children
                return self._parent().children  # all of them
        """,
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._parent = weakref.ref(parent)

            def siblings(self):
                # the parent's children
                parent = self._parent()
                if parent is None:
                    return None
                return parent.children  # all of them
        """,
    ),
    (
        "a second dereference in the checking if: bind before the if",
        """
        import weakref


        def notify(listener, event):
            ref = weakref.ref(listener)
            if ref() is not None:
                listener = None
                ref().handle(event)
        """,
        """
        import weakref


        def notify(listener, event):
            ref = weakref.ref(listener)
            referent = ref()
            if referent is not None:
                listener = None
                referent.handle(event)
        """,
    ),
    (
        "a truthiness check and an 'and' test keep their meaning",
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._owner_ref = weakref.ref(parent)

            def ping(self, loud):
                if self._owner_ref() and loud:
                    self._owner_ref().ping()
        """,
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._owner_ref = weakref.ref(parent)

            def ping(self, loud):
                owner = self._owner_ref()
                if owner and loud:
                    owner.ping()
        """,
    ),
    (
        "an expression statement calling the referent; parent is taken: parent_obj",
        """
        import weakref


        class Child:
            def __init__(self, parent, callback):
                self._parent = weakref.ref(parent)
                self._callback = weakref.WeakMethod(callback)

            def attach(self, event, parent):
                self._callback()(event, parent)
        """,
        """
        import weakref


        class Child:
            def __init__(self, parent, callback):
                self._parent = weakref.ref(parent)
                self._callback = weakref.WeakMethod(callback)

            def attach(self, event, parent):
                callback = self._callback()
                if callback is not None:
                    callback(event, parent)
        """,
    ),
    (
        "an attribute of the referent assigned an inert value; an augmented one",
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._parent = weakref.ref(parent)

            def rename(self, name):
                self._parent().name = name
        """,
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._parent = weakref.ref(parent)

            def rename(self, name):
                parent = self._parent()
                if parent is not None:
                    parent.name = name
        """,
    ),
    (
        "awaited method of the referent",
        """
        import weakref


        class Client:
            def __init__(self, conn):
                self._conn = weakref.ref(conn)

            async def send(self, data):
                await self._conn().send(data)
        """,
        """
        import weakref


        class Client:
            def __init__(self, conn):
                self._conn = weakref.ref(conn)

            async def send(self, data):
                conn = self._conn()
                if conn is not None:
                    await conn.send(data)
        """,
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in GCL306_FIXES], ids=[c[0] for c in GCL306_FIXES]
)
def test_gcl306_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL306", unsafe=True) == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL306",)), unsafe=True)
    assert result.text == dedent(expected)


def test_gcl306_name_taken_in_the_function() -> None:
    source = dedent(
        """
        import weakref


        class Child:
            def __init__(self, parent):
                self._parent = weakref.ref(parent)

            def adopt(self, parent):
                self._parent().children.append(parent)
        """
    )
    assert "parent_obj = self._parent()\n" in fixed(source, "GCL306", unsafe=True)


def test_gcl306_augmented_target_tabs_crlf() -> None:
    source = (
        "import weakref\r\n\r\nclass C:\r\n\tdef __init__(self, p):\r\n"
        "\t\tself._p = weakref.ref(p)\r\n\r\n\tdef bump(self):\r\n\t\tself._p().count += 1\r\n"
    )
    expected = (
        "import weakref\r\n\r\nclass C:\r\n\tdef __init__(self, p):\r\n"
        "\t\tself._p = weakref.ref(p)\r\n\r\n\tdef bump(self):\r\n\t\tp = self._p()\r\n"
        "\t\tif p is not None:\r\n\t\t\tp.count += 1\r\n"
    )
    assert fixed(source, "GCL306", unsafe=True) == expected


def test_gcl306_is_applied_only_with_unsafe_fixes() -> None:
    source = dedent(GCL306_FIXES[0][1])
    assert skipped(source, "GCL306") == "unsafe fix: needs --unsafe-fixes"
    result = fix_source(source, "example.py", Config(select=("GCL306",)))
    assert result.text == source
    assert not result.applied


CHILD = """
import weakref


class Child:
    def __init__(self, parent):
        self._parent = weakref.ref(parent)

    def run(self, x, compute, log):
{body}
"""

GCL306_SKIPS: list[tuple[str, str, str]] = [
    ("the value is stored", "        y = self._parent().name\n        return y", "stored"),
    ("an augmented value", "        x += self._parent().size\n        return x", "value is used"),
    (
        "a value with effects assigned to the referent",
        "        self._parent().value = compute()",
        "binding the referent first would change the order",
    ),
    (
        "something with effects evaluated first",
        "        log(compute(), self._parent().name)",
        "binding the referent first would change the order",
    ),
    (
        "a while loop's body",
        "        while self._parent() is not None:\n            self._parent().step()",
        "'while' loop",
    ),
    (
        "an elif",
        "        if x:\n            pass\n        elif self._parent() is not None:\n"
        "            self._parent().step()",
        "'elif'",
    ),
    (
        "a test using the referent",
        "        if self._parent().alive:\n            self._parent().step()",
        "not a plain None check",
    ),
    (
        "a header",
        "        for item in self._parent().items:\n            log(item)",
        "header",
    ),
    (
        "the weak reference is rebound in the if",
        "        if self._parent() is not None:\n            self._parent = x\n"
        "            self._parent().step()",
        "is assigned where the referent would be reused",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"), [c[1:] for c in GCL306_SKIPS], ids=[c[0] for c in GCL306_SKIPS]
)
def test_gcl306_skip(body: str, reason: str) -> None:
    source = CHILD.format(body=body).lstrip("\n")
    lines = [i + 1 for i, text in enumerate(source.splitlines()) if "self._parent()" in text]
    assert reason in skipped(source, "GCL306", unsafe=True, line=lines[-1])


def test_gcl306_fixed_code_no_longer_fails_when_the_referent_is_gone(tmp_path: Path) -> None:
    source = dedent(GCL306_FIXES[0][1])
    result = fix_source(source, "example.py", Config(select=("GCL306",)), unsafe=True)
    assert [a.code for a in result.applied] == ["GCL306"]
    driver = """
    import gc


    class Parent:
        children = ["a", "b"]


    parent = Parent()
    child = Child(parent)
    print(child.siblings())
    del parent
    gc.collect()
    try:
        print(child.siblings())
    except AttributeError as exc:
        print("AttributeError")
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout == "['a', 'b']\nAttributeError\n"
    assert after.stdout == "['a', 'b']\nNone\n"


def test_special_methods_do_not_get_an_early_return_none() -> None:
    """Found on the corpus (sqlalchemy's collection adapter): ``return self._data().__len__()``
    in ``__len__`` must not become ``return None``, which makes ``len()`` raise TypeError."""
    from gclint import Config, fix_source

    source = (
        "import weakref\n\n\n"
        "class Adapter:\n"
        "    def __init__(self, data):\n"
        "        self._data = weakref.ref(data)\n\n"
        "    def __len__(self):\n"
        "        return len(self._data().items)\n"
    )
    result = fix_source(source, "example.py", Config(select=("GCL306",)), unsafe=True)
    assert result.text == source
    assert [s.reason for s in result.skipped] == [
        "fix skipped: '__len__' may not return None in place of its result"
    ]
