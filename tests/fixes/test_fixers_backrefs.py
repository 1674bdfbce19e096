"""GCL302 fixer (unsafe): the back-reference gets a weakref.proxy. Exact fixed text, the
reasons for skipping, and the fixed code run before and after in a real interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixer_harness import dedent, fixed, run_both, skipped

from gclint import Config
from gclint.fixing import fix_source

TREE = """
{imports}class TreeNode{bases}:
{slots}    def __init__(self, name):
        self.name = name
        self.parent = None
        self.children = []

    def add(self, name):
        child = TreeNode(name)
        child.parent = {back}
        self.children.append(child)
        return child
{extra}"""


def tree(
    imports: str = "", bases: str = "", slots: str = "", back: str = "self", extra: str = ""
) -> str:
    return TREE.format(imports=imports, bases=bases, slots=slots, back=back, extra=extra)


FIXES: list[tuple[str, str, str]] = [
    (
        "the second argument, children in a list, weakref already imported",
        """
        import weakref


        class Child:
            def __init__(self, name, owner):
                self.name = name
                self.owner = owner


        class Parent:
            def __init__(self, names):
                self.children = []
                for name in names:
                    self.children.append(Child(name, self))
        """,
        """
        import weakref


        class Child:
            def __init__(self, name, owner):
                self.name = name
                self.owner = owner


        class Parent:
            def __init__(self, names):
                self.children = []
                for name in names:
                    self.children.append(Child(name, weakref.proxy(self)))
        """,
    ),
    (
        "reported at the container store: the back-reference is the other edge",
        tree(imports="import os\n\n\n"),
        tree(imports="import os\nimport weakref\n\n\n", back="weakref.proxy(self)"),
    ),
    (
        "slots with __weakref__ and a base of the module",
        tree(
            imports="class Node:\n    pass\n\n\n",
            bases="(Node)",
            slots='    __slots__ = ("name", "parent", "children", "__weakref__")\n\n',
        ),
        "import weakref\n\n\n"
        + tree(
            imports="class Node:\n    pass\n\n\n",
            bases="(Node)",
            slots='    __slots__ = ("name", "parent", "children", "__weakref__")\n\n',
            back="weakref.proxy(self)",
        ).lstrip("\n"),
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in FIXES], ids=[c[0] for c in FIXES])
def test_fix(source: str, expected: str) -> None:
    assert fixed(dedent(source), "GCL302", unsafe=True) == dedent(expected)
    result = fix_source(dedent(source), "example.py", Config(select=("GCL302",)), unsafe=True)
    assert result.text == dedent(expected)


def test_only_with_unsafe_fixes() -> None:
    source = dedent(tree())
    assert skipped(source, "GCL302") == "unsafe fix: needs --unsafe-fixes"
    assert fix_source(source, "example.py", Config(select=("GCL302",))).text == source


SKIPS: list[tuple[str, str, str]] = [
    (
        "neither object is known to stay alive",
        """
        class Endpoint:
            pass


        def link(a, b):
            a.peer = b
            b.peer = a
        """,
        "neither reference can be made weak",
    ),
    (
        "the holder is long-lived (a class): it may be all that keeps self alive",
        """
        class Options:
            def contribute_to_class(self, cls):
                cls._meta = self
                self.model = cls
        """,
        "neither reference can be made weak",
    ),
    (
        "the child is not made here: it may outlive its parent",
        """
        class Element:
            def __init__(self):
                self.parent = None
                self.children = []

            def add(self, node):
                node.parent = self
                self.children.append(node)
                return node
        """,
        "neither reference can be made weak",
    ),
    (
        "a child made outside __init__ (it may be handed on and outlive the parent)",
        """
        class SubTest:
            def __init__(self, case):
                self.case = case


        class Case:
            def sub_test(self):
                self._sub = SubTest(self)
                return self._sub
        """,
        "not being constructed here",
    ),
    (
        "the attribute is compared by identity",
        tree(extra="\n    def is_root_child(self, root):\n        return self.parent is root\n"),
        "compared by identity",
    ),
    (
        "the attribute is looked up in a set",
        tree(extra="\n    def seen(self, done):\n        return self.parent in done\n"),
        "looked up in a container",
    ),
    (
        "the attribute is hashed",
        tree(extra="\n    def key(self):\n        return hash(self.parent)\n"),
        "passed to hash()",
    ),
    (
        "the kept argument is compared by identity in __init__",
        """
        class Child:
            def __init__(self, parent, root):
                self.parent = parent
                self.is_top = parent is root


        class Parent:
            def __init__(self):
                self.child = Child(self, self)
        """,
        "'parent' is compared by identity",
    ),
    (
        "slots without __weakref__",
        tree(slots='    __slots__ = ("name", "parent", "children")\n\n'),
        "__slots__ without __weakref__",
    ),
    (
        "a base from elsewhere",
        tree(imports="from collections import UserDict\n\n\n", bases="(UserDict)"),
        "support weak references (base 'UserDict')",
    ),
    (
        "the name weakref is taken",
        tree(extra="\n\nweakref = None\n"),
        "'weakref' names something else",
    ),
]


@pytest.mark.parametrize(("source", "reason"), [c[1:] for c in SKIPS], ids=[c[0] for c in SKIPS])
def test_skip(source: str, reason: str) -> None:
    assert reason in skipped(dedent(source), "GCL302", unsafe=True)


def test_tabs_and_crlf() -> None:
    source = (
        "class Endpoint:\r\n\tpass\r\n\r\n\r\ndef connect():\r\n\ta = Endpoint()\r\n"
        "\tb = Endpoint()\r\n\ta.peer = b\r\n\tb.peer = a\r\n\treturn a\r\n"
    )
    expected = "import weakref\r\n\r\n\r\n" + source.replace(
        "\tb.peer = a", "\tb.peer = weakref.proxy(a)"
    )
    assert fixed(source, "GCL302", unsafe=True) == expected


def test_fixed_tree_is_freed_without_the_collector(tmp_path: Path) -> None:
    source = dedent(tree())
    result = fix_source(source, "example.py", Config(select=("GCL302",)), unsafe=True)
    assert [a.code for a in result.applied] == ["GCL302"]
    driver = """
    import gc
    import weakref

    gc.disable()
    root = TreeNode("root")
    leaf = root.add("leaf")
    print(leaf.parent.name, len(leaf.parent.children))
    ref = weakref.ref(root)
    del root
    print("alive after del:", ref() is not None)
    try:
        print(leaf.parent.name)
    except ReferenceError:
        print("ReferenceError")
    """
    before, after = run_both(source, result.text, driver, tmp_path)
    assert before.stdout.splitlines() == ["root 1", "alive after del: True", "root"]
    assert after.stdout.splitlines() == ["root 1", "alive after del: False", "ReferenceError"]
