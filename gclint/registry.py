"""Rules and their metadata: the base class, examples, truth probes, and the registry.

A rule is one small class. Its docstring (with ruff's sections) is its documentation page; its
`valid` and `invalid` examples drive the generated tests; its `truth` probe lets the test suite run
every example and prove that the INVALID ones misbehave and the VALID ones do not.
"""

from __future__ import annotations

import ast
import enum
import inspect
import re
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from gclint.diagnostics import FixSafety

if TYPE_CHECKING:
    from gclint.context import Context

CODE_RE = re.compile(r"^GCL\d{3}$")

# Node types of newer Pythons than the oldest supported (3.10). A handler for one of them is legal
# everywhere and simply never runs on a Python whose parser cannot produce that node.
NEWER_NODE_TYPES = frozenset({"TryStar", "TypeAlias", "TypeVar", "ParamSpec", "TypeVarTuple"})


class Status(enum.Enum):
    IMPLEMENTED = "implemented"
    PLANNED = "planned"  # listed in the catalogue, documented, never run
    META = "meta"  # GCL0xx: diagnostics about gclint itself


class Example(NamedTuple):
    """A code example of a rule.

    `code` is the example's text (`source` is it dedented). For an INVALID example, `expect` lists
    the (line, column) of every diagnostic the rule must report, 1-based like flake8's output.
    `trigger` is appended when the truth test runs the example (it drives the code into its bad
    path); `path` is the file name the example is checked under (some rules depend on it, e.g.
    test files).

    An INVALID example of a rule that has a fixer declares what `--fix` makes of it: `fixed`, the
    exact fixed source (dedented like `code`; `fixed_source` is the text), or `no_fix`, why the
    fixer declines at this site. The generated tests check both, and the truth test runs the
    fixed source like a VALID example and compares its observable behaviour with the original's.

    `doc` shows the example in the rule's docs page (gclint.docs): the INVALID example with
    ``doc=True`` is the page's "Example", the VALID one its "Use instead" (its `source`, in a
    ``python`` code block), so the code on the page is code the tests run. At most one example of
    each kind is flagged. The docstring then has no code block in that section: it leaves the
    section out, or keeps it with only the prose to show after the code (a blank line after the
    heading puts one between the code and the prose). A docstring section that writes its own
    code block instead (when no example can be that code) must not be flagged for as well.
    """

    code: str
    expect: tuple[tuple[int, int], ...] = ()
    trigger: str = ""
    path: str = "example.py"
    note: str = ""
    static_only: str = ""  # why the example cannot be run here (e.g. it needs a server)
    fixed: str = ""  # the source `--fix` makes of an INVALID example
    no_fix: str = ""  # or why the rule's fixer declines this example
    doc: bool = False  # shown in the docs: INVALID as the page's Example, VALID as Use instead

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).strip("\n") + "\n"

    @property
    def fixed_source(self) -> str:
        return textwrap.dedent(self.fixed).strip("\n") + "\n"


class Truth(NamedTuple):
    """How the truth test runs an example and decides whether it misbehaved.

    `setup`, the example's source, its `trigger`, then `probe` run as one script in a fresh
    interpreter with `interpreter_flags`. The probe must assign a bool to `misbehaved`;
    `describe` says in words what misbehaving means (shown in the docs and by a failing test).

    With `across_pythons`, the script runs under every supported Python found on the machine and
    the example misbehaves when the value it leaves in `observed` differs between them (or the
    probe says so).
    """

    probe: str
    describe: str
    interpreter_flags: tuple[str, ...] = ("-X", "dev")
    setup: str = ""
    across_pythons: bool = False


class OptionDoc(NamedTuple):
    name: str
    type: str
    default: str
    description: str


class Rule:
    """Base class of every rule. Subclasses set the class attributes and `visit_*` methods.

    An instance is created per checked file, with that file's `Context`. The engine walks the tree
    once and calls `visit_<NodeType>(node)` on entering and `leave_<NodeType>(node)` on leaving
    every node of that type, for every selected rule that defines them.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    message: ClassVar[str] = ""
    fix_safety: ClassVar[FixSafety] = FixSafety.NONE
    fix_title: ClassVar[str | None] = None
    fix_implemented: ClassVar[bool] = False  # set when the rule has a fix (gclint.rules)
    fix_module: ClassVar[str | None] = None  # the module beside the rule that holds its fix
    # The rule runs on a module only if its text contains one of these (empty: always runs). They
    # must be sound: every way of writing what the rule reports contains one of them.
    needles: ClassVar[tuple[str, ...]] = ()
    needle_words: ClassVar[tuple[str, ...]] = ()  # the same, matched as whole identifiers
    status: ClassVar[Status] = Status.IMPLEMENTED
    references: ClassVar[tuple[str, ...]] = ()
    valid: ClassVar[tuple[Example, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    truth: ClassVar[Truth | None] = None
    options: ClassVar[tuple[OptionDoc, ...]] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def report(self, node: ast.AST, **fmt: object) -> None:
        """Report this rule at `node`, its message formatted with `fmt`."""
        self.ctx.report(self, node, fmt)

    @classmethod
    def docstring(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def handlers(cls) -> Iterator[tuple[str, str, str]]:
        """Yield (phase, node type name, method name) for each visit_/leave_ method.

        Handlers of node types this Python does not have (`NEWER_NODE_TYPES`) are left out.
        """
        names = {name for klass in cls.__mro__ for name in vars(klass)}
        for attr in sorted(names):
            for phase in ("visit", "leave"):
                prefix = phase + "_"
                if attr.startswith(prefix) and callable(getattr(cls, attr)):
                    node_type = attr[len(prefix) :]
                    if node_type in NEWER_NODE_TYPES and not hasattr(ast, node_type):
                        continue
                    yield phase, node_type, attr


class Registry:
    """The rules by code; `register` checks a rule's metadata as it is added."""

    def __init__(self) -> None:
        self.rules: dict[str, type[Rule]] = {}

    def register(self, rule: type[Rule]) -> type[Rule]:
        code = rule.code
        if not CODE_RE.match(code):
            raise ValueError(f"bad rule code {code!r} on {rule.__name__}")
        if code in self.rules:
            raise ValueError(f"duplicate rule code {code}: {self.rules[code].__name__}, {rule}")
        if any(r.name == rule.name for r in self.rules.values()):
            raise ValueError(f"duplicate rule name {rule.name!r}")
        for _phase, node_type, _attr in rule.handlers():
            if not isinstance(getattr(ast, node_type, None), type):
                raise ValueError(f"{rule.__name__} handles unknown node type {node_type!r}")
        self.rules[code] = rule
        return rule

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(sorted(self.rules.values(), key=lambda r: r.code))

    def get(self, code_or_name: str) -> type[Rule] | None:
        key = code_or_name.strip()
        if key.upper() in self.rules:
            return self.rules[key.upper()]
        for rule in self.rules.values():
            if rule.name == key:
                return rule
        return None

    def implemented(self) -> list[type[Rule]]:
        return [r for r in self if r.status is Status.IMPLEMENTED]

    def is_known_prefix(self, prefix: str) -> bool:
        return any(code.startswith(prefix) for code in self.rules)


REGISTRY = Registry()


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the global registry."""
    return REGISTRY.register(rule)


def sentence(text: str) -> str:
    """Capitalise a summary for use as a sentence, unless it starts with code (``gc.x()``)."""
    first = text.split(" ", 1)[0]
    return text[0].upper() + text[1:] if first.isalpha() else text


def planned(
    code: str, name: str, summary: str, fix_safety: FixSafety, *, why: str, reference: str
) -> type[Rule]:
    """Register a catalogue entry that is specified in rules.md but not implemented yet.

    It is listed by `gclint rules` and documented, and never run.
    """
    doc = (
        f"## What it does\n{sentence(summary)}.\n\n"
        f"## Why is this bad?\n{why}\n\n"
        "## Status\nPlanned: this rule is part of gclint's catalogue but is not run yet.\n\n"
        f"## References\n- {reference}"
    )
    attrs = {
        "__doc__": doc,
        "code": code,
        "name": name,
        "summary": summary,
        "fix_safety": fix_safety,
        "status": Status.PLANNED,
        "references": (reference,),
    }
    cls = type("".join(p.title() for p in name.split("-")), (Rule,), attrs)
    return register(cls)
