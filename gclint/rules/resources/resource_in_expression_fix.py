"""GCL102 (resource-in-expression): hoist the unbound resource into a ``with`` statement.

``data = json.load(open(path))`` becomes::

    with open(path) as f:
        data = json.load(f)

and ``for line in open(path):`` becomes ``with open(path) as f:`` around the loop. The ``with``
wraps exactly the statement that used the resource, so the resource is closed when that
statement ends (on CPython it was closed about then anyway, by its reference count), and also
when it raises, and on interpreters without reference counting.

The fixer proves four things, and skips the site (`FixSkipped`, with the reason) otherwise:

1. the call is a factory whose ``with`` closes the object and binds the object itself
   (`WITH_CLOSES`, or ``x.open()``/``x.makefile()`` on a path, archive or socket), not e.g.
   ``sqlite3.connect`` (its ``with`` only commits) or ``TemporaryDirectory`` (binds a str);
2. the statement is done with the resource when it ends: the resource goes into a method that
   reads or writes it at once (`EAGER_METHODS`), into a function that consumes it
   (`EAGER_CONSUMERS`, possibly through a lazy wrapper such as ``csv.reader``), is iterated
   by the ``for`` statement or an eager comprehension, or is discarded;
3. hoisting the call out of the statement does not reorder anything that matters: whatever
   the statement evaluates before the call is a name, a dotted name or a literal (so running
   the call first changes nothing), the call is evaluated on every path (not behind ``and``/
   ``or``, a conditional expression, a lambda or a comprehension clause), and the statement
   does not ``await`` or ``yield`` (the resource would stay open while it is suspended);
4. for a resource that may be written to, nothing in the statement runs after the write
   (which would now see the file still open and its data unflushed).

The hoisted statement must be a line of its own (``x = ...``, ``return ...``, an expression,
``x += ...``) or a ``for`` loop, in a function or at module level; in a class body the new
name would become a class attribute, so it is skipped, and so is a scope that calls
``locals()``, ``vars()``, ``dir()``, ``exec`` or ``eval`` (they would see the new name).
``open(p).read()`` is not rewritten to ``Path(p).read_text()``: ``open`` also accepts a file
descriptor or a bytes path, which ``Path`` does not.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from gclint.analysis.catalogue import FACTORIES, WITH_CLOSES
from gclint.diagnostics import Diagnostic
from gclint.fixes.base import FixSkipped
from gclint.fixes.edit import indented, replace_statement
from gclint.fixes.site import Site, dotted, evaluation_step, fresh_name, is_inert, only_statement

# ``x.open()`` (a Path, an archive member) and ``sock.makefile()`` return file objects; the rule
# reports them only on receivers it knows
OPENER_METHODS = frozenset({"open", "makefile"})


# factories whose ``mode`` (second positional argument, or ``mode=``) says whether they write;
# the others here never write through the object
MODE_FACTORIES = frozenset(
    {
        "builtins.open",
        "io.open",
        "codecs.open",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        "tarfile.open",
        "zipfile.ZipFile",
    }
)


READ_ONLY_FACTORIES = frozenset(
    {"io.open_code", "tokenize.open", "urllib.request.urlopen", "os.scandir"}
)


# methods that use the resource at once and return something that does not need it
EAGER_METHODS = frozenset(
    {
        "read",
        "read1",
        "readall",
        "readinto",
        "readline",
        "readlines",
        "write",
        "writelines",
        "getvalue",
        "tell",
        "seek",
        "truncate",
        "flush",
        "namelist",
        "infolist",
        "getinfo",
        "getnames",
        "getmembers",
        "getmember",
        "extract",
        "extractall",
        "testzip",
        "send",
        "sendall",
        "recv",
        "getcode",
        "geturl",
        "getheader",
        "getheaders",
        "info",
        "writerow",
        "writerows",
        "writeheader",
    }
)


# functions that consume a file (or iterable) they are given before they return, and keep
# nothing of it
EAGER_CONSUMERS = frozenset(
    {
        "json.load",
        "json.dump",
        "pickle.load",
        "pickle.dump",
        "marshal.load",
        "marshal.dump",
        "plistlib.load",
        "plistlib.dump",
        "tomllib.load",
        "tomli.load",
        "toml.load",
        "yaml.load",
        "yaml.safe_load",
        "yaml.full_load",
        "shutil.copyfileobj",
        "hashlib.file_digest",
        "email.message_from_file",
        "email.message_from_binary_file",
        "xml.etree.ElementTree.parse",
        "xml.dom.minidom.parse",
        "builtins.list",
        "builtins.tuple",
        "builtins.set",
        "builtins.frozenset",
        "builtins.dict",
        "builtins.sorted",
        "builtins.sum",
        "builtins.min",
        "builtins.max",
        "builtins.any",
        "builtins.all",
        "builtins.next",
        "builtins.print",
    }
)


# functions returning a lazy view of what they are given: fine if that view is consumed in
# the same statement
LAZY_WRAPPERS = frozenset(
    {
        "builtins.iter",
        "builtins.enumerate",
        "builtins.zip",
        "builtins.map",
        "builtins.filter",
        "builtins.reversed",
        "csv.reader",
        "csv.DictReader",
        "csv.writer",
        "csv.DictWriter",
        "itertools.islice",
        "itertools.chain",
    }
)


WRITE_MODE_CHARS = frozenset("wax+")


def fix(wrapper: MetadataWrapper, diagnostic: Diagnostic, unsafe: bool) -> cst.Module:
    site = Site(wrapper)
    call = site.node_at(diagnostic.range, cst.Call)
    var = _variable_name(site, call)
    use, kind = _use(site, call)
    if kind == "for":
        assert isinstance(use, cst.For)
        return _hoist_for(site, call, use, var)
    return _hoist_statement(site, call, use, kind, var)


def _variable_name(site: Site, call: cst.Call) -> str:
    """The name the fix binds the resource to (by its kind); FixSkipped if `with` would not
    close it."""
    known = site.imported_names(call.func)
    closed = sorted(known & WITH_CLOSES)
    if closed:
        return FACTORIES[closed[0]].var  # the name the rule's message names
    if known:
        label = dotted(call.func) or "the call"
        raise FixSkipped(f"'with {label}(...)' is not known to close what '{label}()' returns")
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in OPENER_METHODS:
        return "f"
    label = dotted(call.func) or "the call"
    raise FixSkipped(f"'with {label}(...)' is not known to close what '{label}()' returns")


def _use(site: Site, call: cst.Call) -> tuple[cst.CSTNode, str]:
    """The node that finishes using the resource, and how: "eager" (an expression whose value
    no longer needs the resource), "for" (the loop statement iterating it), "discarded"."""
    value: cst.CSTNode = call
    while True:
        parent = site.parent(value)
        if isinstance(parent, cst.Attribute) and parent.value is value:
            grand = site.parent(parent)
            if not (isinstance(grand, cst.Call) and grand.func is parent):
                raise FixSkipped(
                    f"'.{parent.attr.value}' is taken from the resource without being called: "
                    "it may still need the resource"
                )
            if parent.attr.value not in EAGER_METHODS:
                raise FixSkipped(
                    f"what '.{parent.attr.value}()' returns may still need the open resource"
                )
            return grand, "eager"
        if isinstance(parent, cst.Arg) and parent.value is value:
            if parent.star:
                raise FixSkipped("the resource is unpacked into a call")
            consumer = site.parent(parent)
            assert isinstance(consumer, cst.Call)
            names = site.imported_names(consumer.func)
            label = dotted(consumer.func) or "the function"
            if names & EAGER_CONSUMERS:
                return consumer, "eager"
            if names & LAZY_WRAPPERS:
                value = consumer
                continue
            raise FixSkipped(f"'{label}()' may keep the resource after the statement")
        if isinstance(parent, cst.For) and parent.iter is value:
            if parent.asynchronous is not None:
                raise FixSkipped("'async for' over the resource")
            return parent, "for"
        if isinstance(parent, cst.CompFor) and parent.iter is value:
            comp = site.parent(parent)
            if not (
                isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))
                and comp.for_in is parent
            ):
                raise FixSkipped("the resource is opened once per item of an outer 'for' clause")
            if isinstance(comp, cst.GeneratorExp):
                value = comp  # lazy: fine only if something consumes it in the statement
                continue
            return comp, "eager"
        if isinstance(parent, cst.Expr) and parent.value is value and value is call:
            return parent, "discarded"
        if isinstance(parent, cst.Await):
            raise FixSkipped("the resource is awaited: it needs 'async with'")
        raise FixSkipped("the resource is used in a way that may outlive the statement")


def _read_only(site: Site, call: cst.Call) -> bool:
    """Whether the resource surely only reads (then code running while it stays open a bit
    longer cannot see unflushed data)."""
    names = site.imported_names(call.func)
    if names & READ_ONLY_FACTORIES:
        return True
    if names & MODE_FACTORIES:
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args):
            return False
        modes = [a.value for a in call.args if a.keyword is not None and a.keyword.value == "mode"]
        modes += [a.value for a in positional[1:2]]
        return all(_read_mode(m) for m in modes)
    if not names and isinstance(call.func, cst.Attribute) and call.func.attr.value == "open":
        # Path.open(mode) or ZipFile.open(name, mode): every positional and mode= argument
        # must be a literal naming no writing
        args = [a for a in call.args if a.keyword is None or a.keyword.value == "mode"]
        return all(not a.star and _read_mode(a.value) for a in args)
    return False


def _read_mode(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.SimpleString):
        return False
    text = node.evaluated_value
    return isinstance(text, str) and not (set(text) & WRITE_MODE_CHARS)


def _check_no_suspension(node: cst.CSTNode) -> None:
    finder = _Suspends()
    node.visit(finder)
    if finder.found:
        raise FixSkipped("the statement suspends ('await'/'yield'): the resource would stay open")


class _Suspends(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Await(self, node: cst.Await) -> None:
        self.found = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found = True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _check_order(site: Site, call: cst.Call, top: cst.CSTNode) -> None:
    """Everything `top` evaluates before `call` must be inert (hoisting the call out of the
    statement runs it first)."""
    for parent, child in site.path_up(call, top):
        before, _after = evaluation_step(parent, child)
        if not all(is_inert(node) for node in before):
            raise FixSkipped(
                "the statement evaluates something before the resource is created; "
                "hoisting it would change the order"
            )


def _check_scope(site: Site, stmt: cst.BaseStatement) -> cst.CSTNode:
    scope = site.scope_of(stmt)
    if isinstance(scope, cst.ClassDef):
        raise FixSkipped("in a class body the new name would become a class attribute")
    return scope


def _with(item: cst.BaseExpression, var: str | None, body: list[cst.BaseStatement]) -> cst.With:
    asname = cst.AsName(name=cst.Name(var)) if var is not None else None
    return cst.With(items=[cst.WithItem(item=item, asname=asname)], body=indented(body))


def _hoist_for(site: Site, call: cst.Call, loop: cst.For, var: str) -> cst.Module:
    _check_no_suspension(loop.iter)
    scope = _check_scope(site, loop)
    site.block_of(loop)
    if call is not loop.iter:
        _check_order(site, call, loop.iter)
    name = fresh_name(site, scope, [var])
    inner = loop.deep_replace(call, cst.Name(name))
    assert isinstance(inner, cst.For)
    hoisted = _with(call, name, [inner.with_changes(leading_lines=())]).with_changes(
        leading_lines=loop.leading_lines
    )
    return replace_statement(site, loop, [hoisted])


HEADER_KEYWORDS: dict[type[cst.CSTNode], str] = {
    cst.If: "if",
    cst.While: "while",
    cst.For: "for",
    cst.With: "with",
    cst.Try: "try",
    cst.FunctionDef: "def",
    cst.ClassDef: "class",
    cst.Match: "match",
}


STATEMENT_PARTS: dict[type[cst.CSTNode], str] = {
    cst.Expr: "value",
    cst.Assign: "value",
    cst.AnnAssign: "value",
    cst.AugAssign: "value",
    cst.Return: "value",
}


def _hoist_statement(
    site: Site, call: cst.Call, use: cst.CSTNode, kind: str, var: str
) -> cst.Module:
    small = site.small_statement_of(call)
    if small is None:
        header = site.statement_of(call)
        keyword = HEADER_KEYWORDS.get(type(header), type(header).__name__)
        raise FixSkipped(f"the resource is used in the header of a '{keyword}' statement")
    if isinstance(site.parent(small), cst.SimpleStatementSuite):
        raise FixSkipped("the statement shares its line with its block's header")
    stmt = site.statement_of(small)
    if only_statement(stmt) is not small:
        raise FixSkipped("the statement shares its line with other code")
    if type(small) not in STATEMENT_PARTS:
        raise FixSkipped(f"a '{type(small).__name__}' statement is not hoisted into 'with'")
    assert isinstance(stmt, cst.SimpleStatementLine)
    site.block_of(stmt)
    _check_no_suspension(small)
    scope = _check_scope(site, stmt)
    read_only = _read_only(site, call)
    value = getattr(small, "value", None)
    if value is None:
        raise FixSkipped("internal: the statement has no value")
    # the statement's own parts: an augmented target is read first, assignment targets and an
    # annotation are evaluated after the value
    if isinstance(small, cst.AugAssign) and not is_inert(small.target):
        raise FixSkipped("the augmented target is evaluated before the resource is created")
    if not read_only and use is not value and kind != "discarded":
        raise FixSkipped(
            "the resource may be written to and the statement does more after using it"
        )
    if not read_only:
        targets: list[cst.CSTNode] = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign):
            targets = [small.target, small.annotation.annotation]
        if not all(is_inert(t) for t in targets):
            raise FixSkipped(
                "the resource may be written to and the statement does more after using it"
            )
    if call is not value:
        _check_order(site, call, value)
    if kind == "discarded":
        body: list[cst.BaseStatement] = [cst.SimpleStatementLine(body=[cst.Pass()])]
        hoisted = _with(call, None, body).with_changes(leading_lines=stmt.leading_lines)
        hoisted = hoisted.with_changes(
            body=hoisted.body.with_changes(header=stmt.trailing_whitespace)
        )
        return replace_statement(site, stmt, [hoisted])
    name = fresh_name(site, scope, [var])
    inner = stmt.deep_replace(call, cst.Name(name))
    assert isinstance(inner, cst.SimpleStatementLine)
    hoisted = _with(call, name, [inner.with_changes(leading_lines=())]).with_changes(
        leading_lines=stmt.leading_lines
    )
    return replace_statement(site, stmt, [hoisted])
