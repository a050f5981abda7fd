"""Symbol and import extraction driven by per-language tree-sitter queries.

Each language with symbol support has ``queries/<language>.scm``, package data
loaded once per process and compiled into one :class:`tree_sitter.Query`.
A single ``QueryCursor.matches`` pass over the tree yields everything; Python
only post-processes the (few) matched nodes, it never walks the whole tree.
The metrics patterns (:func:`metrics.query_text`, captures prefixed ``m.``)
are appended to the same query, so that this one pass also primes the
metrics index (:func:`metrics.prime_captures`) and ``metrics.py`` needs no
traversal of its own; a query pass costs ~30 ms/MB whatever it captures.

Capture conventions used by the query files:

``@definition.<kind>``
    The node spanning a whole definition (``function``, ``method``, ``class``,
    ``struct``, ``interface``, ``trait``, ``enum``, ``module``).  In the same
    pattern, ``@name`` is its name, ``@params`` its parameter-list node (or
    the definition itself when parameters are its direct children),
    optionally ``@receiver`` a type name that qualifies it (Go receivers,
    Kotlin extension receivers, C++ ``A::f``), ``@doc`` a docstring node and
    ``@body`` a body that is a *sibling* of the definition node (Dart).
``@scope``
    A container that is not itself a symbol but qualifies what is inside it
    (a Rust ``impl`` block, a Swift ``extension``); ``@name`` names it.
``@namespace``
    A statement such as Perl ``package X;`` or PHP ``namespace X;`` that
    qualifies the top-level definitions after it; ``@name`` names it.
``@param``
    One parameter, in a pattern of its own; it belongs to the innermost
    ``@params`` node that contains it.  The text is used as written (runs of
    whitespace collapsed), without defaults or types, so variadic parameters
    keep their sigil: Python ``*args`` / ``**kwargs``, JS ``...rest``, Ruby
    ``*rest`` / ``**opts`` / ``&block``; Go ``args`` (the ``...`` belongs to the
    type).  Keyword-only / positional-only markers are not parameters.
``@import``
    A module / package / file name; quotes, angle brackets and a leading
    ``import`` keyword are stripped.  Imports are returned in source order,
    de-duplicated.
``; inherits: a, b``
    A comment line that splices in other query files (``_c.scm``,
    ``_ecma.scm`` are shared fragments, not languages).

Qualified names join the names of all enclosing symbols and scopes with ".".
A ``function`` whose nearest enclosing symbol is a class-like definition or a
scope is reported as a ``METHOD``.  ``end_line`` is the line of the last
non-comment token of the definition (tree-sitter folds trailing comments
into blocks).  Haskell / Erlang equations of one function are merged into one
symbol (the node returned is the first equation's).  Docstrings: Python
docstrings are cleaned like :func:`inspect.cleandoc`; elsewhere, a comment
block directly above the definition (no blank line between; attributes such
as Rust ``#[derive]`` may sit between) is used, with comment markers stripped.

Python files that tree-sitter-python mis-parses (ERROR nodes) but CPython's
``ast`` accepts take their symbols from ``ast``, paired with the smallest
tree-sitter node spanning each definition (see :func:`_python_ast_symbols`).
"""

from __future__ import annotations

import ast
import bisect
import inspect
import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from operator import attrgetter

from tree_sitter import Node, Query, QueryCursor, Tree

from subgraphs.parser.languages import get_language
from subgraphs.parser.metrics import CAPTURE_PREFIX, prime_captures
from subgraphs.parser.metrics import query_text as metrics_query_text
from subgraphs.parser.model import SymbolInfo, SymbolKind

_QUERY_PACKAGE = "subgraphs.parser"
_QUERY_DIR = "queries"

_KINDS: dict[str, SymbolKind] = {
    "function": SymbolKind.FUNCTION,
    "method": SymbolKind.METHOD,
    "class": SymbolKind.CLASS,
    "struct": SymbolKind.STRUCT,
    "interface": SymbolKind.INTERFACE,
    "trait": SymbolKind.TRAIT,
    "enum": SymbolKind.ENUM,
    "module": SymbolKind.MODULE,
}
_CONTAINER_KINDS = frozenset(
    {SymbolKind.CLASS, SymbolKind.STRUCT, SymbolKind.INTERFACE, SymbolKind.TRAIT, SymbolKind.ENUM}
)
_COMMENT_TYPES = frozenset(
    {"comment", "line_comment", "block_comment", "doc_comment", "documentation_comment", "multiline_comment",
     "single_line_comment", "haddock", "pod"}
)
_WS = re.compile(rb"\s+")
_IMPORT_STRIP = " \t\r\n\"'`<>;"
_DOC_PREFIX = re.compile(r"^\s*(?:///?!?|//!|/\*\*?!?|\*/|\*|#+'?|--+\s*\|?|%+|;+|\(\*\*?|\*\))\s?")
_DOC_SUFFIX = re.compile(r"\s*(?:\*/|\*\))\s*$")


@dataclass(slots=True)
class _Def:
    node: Node  # the definition node (start line, doc comment)
    kind: SymbolKind | None  # None: a scope (qualifies names, not itself a symbol)
    name: str
    receiver: str | None
    params: Node | None
    doc: Node | None
    body: Node | None  # a body that is a sibling of ``node`` (Dart), else None
    start_byte: int
    end_byte: int


_INHERITS = re.compile(r"^;+\s*inherits:\s*([\w, ]+)$", re.MULTILINE)


def _query_text(language: str, _depth: int = 0) -> str | None:
    """A language's query text; ``; inherits: other`` lines splice in other languages' queries."""
    ref = resources.files(_QUERY_PACKAGE).joinpath(_QUERY_DIR, f"{language}.scm")
    try:
        text = ref.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    if _depth > 4:
        return text
    parents: list[str] = []
    for match in _INHERITS.finditer(text):
        for parent in match.group(1).split(","):
            inherited = _query_text(parent.strip(), _depth + 1)
            if inherited:
                parents.append(inherited)
    return "\n".join([*parents, text])


@cache
def symbol_languages() -> frozenset[str]:
    """Languages with symbol extraction (those that ship a query file)."""
    folder = resources.files(_QUERY_PACKAGE).joinpath(_QUERY_DIR)
    return frozenset(
        entry.name[:-4] for entry in folder.iterdir() if entry.name.endswith(".scm") and not entry.name.startswith("_")
    )


@cache
def _query(language: str) -> tuple[Query, int] | None:
    """The compiled query of a language (once per process), or None without a query file.

    The metrics patterns (:func:`metrics.query_text`) are appended so that one
    pass over the tree serves both; the second item is the index of the first
    metrics pattern (the pattern count when they could not be appended).
    """
    if language not in symbol_languages():
        return None
    text = _query_text(language)
    if not text:
        return None
    lang = get_language(language)
    try:
        extra = metrics_query_text(language)
        combined = Query(lang, text + "\n" + extra) if extra else None
    except Exception:  # pragma: no cover - metrics then run a pass of their own
        combined = None
    if combined is not None:
        own = len(text) + 1
        first = next((i for i in range(combined.pattern_count) if combined.start_byte_for_pattern(i) >= own),
                     combined.pattern_count)
        return combined, first
    query = Query(lang, text)
    return query, query.pattern_count


def _text(node: Node) -> str:
    raw = node.text or b""
    return raw.decode("utf-8", "replace")


def _code_end_line(node: Node) -> int:
    """1-based line of the last token of ``node`` that is not a comment or a zero-width node."""
    end = node.end_byte
    if end > node.start_byte:
        last = node.descendant_for_byte_range(end - 1, end)  # the last token, usually
        if last is not None and last.child_count == 0 and not last.is_extra and last.type not in _COMMENT_TYPES:
            return node.end_point[0] + 1
    current = node
    while True:
        count = current.child_count
        if count == 0:
            return current.end_point[0] + 1
        index = count - 1
        child: Node | None = current.child(index)
        while child is not None and (
            child.is_extra or child.type in _COMMENT_TYPES or child.start_byte == child.end_byte
        ):
            index -= 1
            child = current.child(index) if index >= 0 else None
        if child is None:
            return current.end_point[0] + 1 if current is node else current.start_point[0] + 1
        current = child


def _python_docstring(definition: Node) -> str | None:
    body = definition.child_by_field_name("body")
    if body is None:
        return None
    # named_child(0) raises on an empty body (e.g. `def f(:` at end of file): check the count first
    statement: Node | None = body.named_child(0) if body.named_child_count else None
    while statement is not None and statement.is_extra:
        statement = statement.next_named_sibling
    if statement is not None:
        if statement.type != "expression_statement" or statement.named_child_count != 1:
            return None
        literal = statement.named_child(0)
        if literal is None:
            return None
        kind = literal.type
        if kind not in ("string", "concatenated_string"):
            return None
        raw = literal.text or b""
        value: object = _plain_string_value(raw) if kind == "string" else None
        if value is None:
            try:
                value = ast.literal_eval(raw.decode("utf-8", "replace"))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return None
        return inspect.cleandoc(value) if isinstance(value, str) else None
    return None


def _plain_string_value(raw: bytes) -> str | None:
    """The value of a string literal without prefix or escapes, as ``ast.literal_eval`` gives it; else None.

    Most docstrings are such literals (``\"\"\"text\"\"\"``): their value is the text between the quotes, so
    compiling them is not needed.  Anything else (prefixes, backslashes, CR line ends that the tokenizer
    would translate, NUL bytes) returns None and goes through ``literal_eval``.
    """
    quote = raw[:3]
    if quote == b'"""' or quote == b"'''":
        if len(raw) < 6 or raw.find(quote, 3) != len(raw) - 3:  # the first closing quotes end it
            return None
        inner = raw[3:-3]
    else:
        quote = raw[:1]
        if (quote != b'"' and quote != b"'") or len(raw) < 2 or raw.find(quote, 1) != len(raw) - 1:
            return None
        inner = raw[1:-1]
        if b"\n" in inner:
            return None
    if b"\\" in inner or b"\r" in inner or b"\0" in inner:
        return None
    return inner.decode("utf-8", "replace")


def _comment_docstring(definition: Node, language: str) -> str | None:
    """The comment block directly above ``definition`` (or above the wrapper that starts on its line).

    Attributes between the comments and the definition (Rust ``#[derive]``) are skipped;
    a blank line detaches a comment.  Julia docstrings (a string literal right above) count too.
    """
    anchor = definition
    previous = anchor.prev_named_sibling
    # `export function f`, `pub(crate) fn`...: the comment sits above a wrapper on the same line.
    while (
        previous is None
        and anchor.parent is not None
        and anchor.parent.parent is not None
        and anchor.parent.start_point[0] == anchor.start_point[0]
    ):
        anchor = anchor.parent
        previous = anchor.prev_named_sibling
    expected_row = anchor.start_point[0]
    while previous is not None and previous.type in _ATTRIBUTE_TYPES and previous.end_point[0] + 1 >= expected_row:
        expected_row = previous.start_point[0]
        previous = previous.prev_named_sibling
    if previous is None:
        return None
    if language == "julia" and previous.type == "string_literal" and previous.end_point[0] + 1 >= expected_row:
        return _clean_doc(_text(previous))
    lines: list[str] = []
    while previous is not None and (previous.type in _COMMENT_TYPES or "comment" in previous.type):
        if previous.end_point[0] + 1 < expected_row:
            break
        before = previous.prev_sibling
        if before is not None and before.end_point[0] == previous.start_point[0] and before.type not in _COMMENT_TYPES:
            break  # a trailing comment of the code before it (`x = 1  // note`)
        lines[:0] = _text(previous).splitlines()
        expected_row = previous.start_point[0]
        previous = previous.prev_named_sibling
    if not lines:
        return None
    cleaned = [_DOC_SUFFIX.sub("", _DOC_PREFIX.sub("", line, count=1)) for line in lines]
    text = "\n".join(cleaned).strip()
    return text or None


_ATTRIBUTE_TYPES = frozenset({"attribute_item", "attribute_list", "annotation", "decorator"})


@dataclass(slots=True)
class _Found:
    defs: list[_Def]
    params: list[Node]
    imports: list[Node]
    namespaces: list[tuple[Node, str]]


# One query pass serves both extract_symbols and extract_imports: analyze() calls
# them back to back on the same tree, so the last result is kept (one slot).
_last: tuple[Tree, bytes, str, _Found] | None = None


def _collect(tree: Tree, source: bytes, language: str) -> _Found:
    global _last
    last = _last
    if last is not None and last[0] is tree and last[1] is source and last[2] == language:
        return last[3]
    found = _Found([], [], [], [])
    compiled = _query(language)
    if compiled is not None:
        query, first_metric = compiled
        # matches of each metrics pattern, kept as they come (cheapest per match), flattened afterwards
        buckets: list[list[dict[str, list[Node]]]] = [[] for _ in range(query.pattern_count - first_metric)]
        try:
            _run_query(query, first_metric, tree, found, buckets)
        except Exception:  # pragma: no cover - a query problem must never break analysis
            found = _Found([], [], [], [])
        else:
            if buckets:
                prime_captures(source, language, _flatten(buckets), CAPTURE_PREFIX)
    _last = (tree, source, language, found)
    return found


def _flatten(buckets: list[list[dict[str, list[Node]]]]) -> dict[str, list[Node]]:
    """The nodes of each capture name over all matches (per pattern, in match order)."""
    out: dict[str, list[Node]] = {}
    for bucket in buckets:
        if not bucket:
            continue
        for name in sorted({name for captures in bucket for name in captures}):
            nodes = [node for captures in bucket for node in captures.get(name, ())]
            if name in out:
                out[name].extend(nodes)
            else:
                out[name] = nodes
    return out


def _run_query(query: Query, first_metric: int, tree: Tree, found: _Found,
               metric_buckets: list[list[dict[str, list[Node]]]]) -> None:
    defs, params, imports = found.defs, found.params, found.imports
    seen: dict[tuple[int, int, str], _Def] = {}
    for pattern, captures in QueryCursor(query).matches(tree.root_node):
        if pattern >= first_metric:  # a metrics pattern: handed over to metrics.py
            metric_buckets[pattern - first_metric].append(captures)
            continue
        if "param" in captures:
            params.extend(captures["param"])
            continue
        if "import" in captures:
            imports.extend(captures["import"])
            continue
        names = captures.get("name")
        if not names:
            continue
        if "namespace" in captures:
            label = _text(names[0]).strip().replace("::", ".").replace("\\", ".")
            found.namespaces.append((captures["namespace"][0], label))
            continue
        kind: SymbolKind | None = None
        node: Node | None = None
        for capture_name, nodes in captures.items():
            if capture_name.startswith("definition."):
                kind = _KINDS.get(capture_name[11:])
                if kind is not None:
                    node = nodes[0]
                    break
            elif capture_name == "scope":
                node = nodes[0]
                break
        if node is None:
            continue
        key = (node.start_byte, node.end_byte, node.type)
        previous = seen.get(key)
        if previous is not None:
            # the same node matched twice: a specific kind (enum, interface...) beats a plain class
            if previous.kind is SymbolKind.CLASS and kind is not None and kind is not SymbolKind.CLASS:
                previous.kind = kind
            continue
        receivers = captures.get("receiver")
        param_nodes = captures.get("params")
        docs = captures.get("doc")
        bodies = captures.get("body")
        name = _text(names[0]).strip().replace("\\", ".")  # PHP `namespace A\B {}` -> A.B
        receiver = _text(receivers[0]).strip().replace("::", ".") if receivers else None
        if "::" in name and not name.endswith("::"):  # C++ `A::B::f` -> receiver A.B, name f
            head, _, name = name.rpartition("::")
            receiver = ".".join(p for p in (receiver, head.replace("::", ".")) if p)
        body = bodies[0] if bodies else None
        definition = _Def(
            node,
            kind,
            name,
            receiver,
            param_nodes[0] if param_nodes else None,
            docs[0] if docs else None,
            body,
            node.start_byte,
            max(node.end_byte, body.end_byte) if body is not None else node.end_byte,
        )
        seen[key] = definition
        defs.append(definition)


_START_BYTE = attrgetter("start_byte")


def _assign_params(defs: list[_Def], params: list[Node]) -> dict[int, list[str]]:
    """Parameter names per definition index (innermost enclosing ``@params`` node wins)."""
    owners = sorted(
        ((d.params.start_byte, d.params.end_byte, i) for i, d in enumerate(defs) if d.params is not None),
    )
    result: dict[int, list[str]] = {}
    if not owners:
        return result
    starts = [o[0] for o in owners]
    bisect_right = bisect.bisect_right
    for param in sorted(params, key=_START_BYTE):
        start, end = param.start_byte, param.end_byte
        index = bisect_right(starts, start) - 1
        while index >= 0:
            o_start, o_end, owner = owners[index]
            if o_start <= start and end <= o_end:
                # runs of whitespace collapsed to one space (bytes.split() splits on exactly what rb"\s" matches)
                name = b" ".join((param.text or b"").split()).decode("utf-8", "replace").strip()
                if name:
                    bucket = result.setdefault(owner, [])
                    if name not in bucket:
                        bucket.append(name)
                break
            index -= 1
    return result


def extract_symbols(tree: Tree, source: bytes, language: str) -> list[tuple[SymbolInfo, Node]]:
    """Symbols of a parsed file with their definition nodes, in source order."""
    found = _collect(tree, source, language)  # first: the same pass feeds the metrics and the imports
    if language == "python" and tree.root_node.has_error:
        fallback = _python_ast_symbols(tree, source)
        if fallback is not None:
            return fallback
    defs, params = list(found.defs), found.params
    if not defs:
        return []
    defs.sort(key=lambda d: (d.start_byte, -d.end_byte))
    param_names = _assign_params(defs, params)
    namespaces = sorted(
        (n.start_byte, n.end_byte, n.parent.end_byte if n.parent is not None else n.end_byte, name)
        for n, name in found.namespaces
    )
    python = language == "python"
    out: list[tuple[SymbolInfo, Node]] = []
    stack: list[tuple[int, str, SymbolKind | None]] = []  # (end_byte, qualified name, kind)
    for index, definition in enumerate(defs):
        node = definition.node
        while stack and stack[-1][0] < definition.end_byte:
            stack.pop()
        if stack:
            parts = [stack[-1][1]]
        elif namespaces:
            parts = [_namespace_for(namespaces, definition)]
        else:
            parts = []
        if definition.receiver:
            parts.append(definition.receiver)
        parts.append(definition.name)
        qualified = ".".join(p for p in parts if p)
        kind = definition.kind
        if kind is SymbolKind.FUNCTION and (
            definition.receiver or (stack and (stack[-1][2] is None or stack[-1][2] in _CONTAINER_KINDS))
        ):
            kind = SymbolKind.METHOD
        stack.append((definition.end_byte, qualified, kind))
        if kind is None:
            continue
        if python:
            doc = _python_docstring(node) if kind is not SymbolKind.MODULE else None
        elif definition.doc is not None:
            doc = _clean_doc(_text(definition.doc))
        else:
            doc = _comment_docstring(node, language)
        end_line = _code_end_line(definition.body if definition.body is not None else node)
        if language in _CLAUSE_LANGUAGES and out:
            last, last_node = out[-1]
            if last.qualified_name == qualified and last.kind is kind and _adjacent(last_node, node):
                last.end_line = max(last.end_line, end_line)  # one more clause of the same function
                continue
        info = SymbolInfo(
            kind=kind,
            name=definition.name,
            qualified_name=qualified,
            start_line=node.start_point[0] + 1,
            end_line=end_line,
            parameters=param_names.get(index, []),
            docstring=doc,
        )
        out.append((info, definition.body if definition.body is not None else node))
    return out


# Languages whose functions are written as several adjacent clauses (`f 0 = 1; f n = ...`).
_CLAUSE_LANGUAGES = frozenset({"haskell", "erlang"})


def _adjacent(first: Node, second: Node) -> bool:
    """Whether ``second`` follows ``first`` with only comments (or signatures) between them."""
    sibling = first.next_named_sibling
    while sibling is not None and sibling.start_byte < second.start_byte:
        if not (sibling.is_extra or sibling.type in _COMMENT_TYPES or sibling.type == "signature"):
            return False
        sibling = sibling.next_named_sibling
    return sibling is not None and sibling.start_byte == second.start_byte


def _namespace_for(namespaces: list[tuple[int, int, int, str]], definition: _Def) -> str:
    """The latest `package X;` / `namespace X;` statement before a top-level definition.

    ``namespaces`` holds (start byte, end byte, end byte of the parent, name), sorted by start.
    """
    index = bisect.bisect_right(namespaces, definition.start_byte, key=lambda entry: entry[0]) - 1
    while index >= 0:
        _start, end, parent_end, name = namespaces[index]
        if end >= definition.end_byte or parent_end >= definition.end_byte:
            return name
        index -= 1
    return ""


def _python_ast_symbols(tree: Tree, source: bytes) -> list[tuple[SymbolInfo, Node]] | None:
    """Symbols from CPython's ``ast`` when tree-sitter errs on source that CPython accepts.

    tree-sitter-python's scanner mis-reads some valid code (for example a
    continuation line inside brackets that is dedented below the block), which
    turns whole classes into ERROR nodes.  When the interpreter parses the file
    the tree-sitter errors are grammar bugs, so names and lines come from ``ast``
    and each symbol is paired with the smallest tree-sitter node spanning it.
    Returns None when ``ast`` rejects the source too (then the tree is used).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(source)
    except Exception:
        return None
    root = tree.root_node
    out: list[tuple[SymbolInfo, Node]] = []

    def visit(parent: ast.AST, prefix: str, in_class: bool) -> None:
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualified = f"{prefix}.{child.name}" if prefix else child.name
                end_line = child.end_lineno or child.lineno
                end_col = child.end_col_offset or 0
                node = root.descendant_for_point_range((child.lineno - 1, child.col_offset), (end_line - 1, end_col))
                if isinstance(child, ast.ClassDef):
                    kind, params = SymbolKind.CLASS, []
                else:
                    kind = SymbolKind.METHOD if in_class else SymbolKind.FUNCTION
                    params = _ast_params(child.args)
                info = SymbolInfo(
                    kind=kind,
                    name=child.name,
                    qualified_name=qualified,
                    start_line=child.lineno,
                    end_line=end_line,
                    parameters=params,
                    docstring=ast.get_docstring(child, clean=True),
                )
                out.append((info, node or root))
                visit(child, qualified, isinstance(child, ast.ClassDef))
            else:
                visit(child, prefix, in_class)

    try:
        visit(module, "", False)
    except RecursionError:
        return None
    out.sort(key=lambda pair: (pair[0].start_line, -pair[0].end_line))
    return out


def _ast_params(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg is not None:
        names.append("*" + args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg is not None:
        names.append("**" + args.kwarg.arg)
    return names


def _clean_doc(raw: str) -> str | None:
    text = raw.strip()
    for quote in ('"""', "'''", '"', "'"):
        if len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            text = text[len(quote) : -len(quote)]
            break
    text = inspect.cleandoc(text)
    return text or None


def extract_imports(tree: Tree, source: bytes, language: str) -> list[str]:
    """Imported module / package / file names in source order, de-duplicated."""
    imports = _collect(tree, source, language).imports
    seen: dict[str, None] = {}
    for node in sorted(imports, key=lambda n: n.start_byte):
        name = _WS.sub(b" ", node.text or b"").decode("utf-8", "replace").strip(_IMPORT_STRIP)
        if name.startswith("import "):
            name = name[7:].strip(_IMPORT_STRIP)
        if name:
            seen.setdefault(name, None)
    return list(seen)
