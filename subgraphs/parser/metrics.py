"""Complexity, nesting and size metrics, computed from tree-sitter queries.

Cyclomatic complexity (CCN) follows lizard's definition: ``1 +`` the number of
decision points owned by the function.  A decision point is a token or node
that lizard counts as a condition for that language; for Python that is every
``if`` (statements, ``elif`` excluded, ternaries, comprehension filters and
``case`` guards), ``elif``, ``for`` (loops and comprehensions), ``while``,
``except``, ``finally``, ``and``, ``or`` and each ``case`` clause.  ``else``,
``with``, ``assert``, ``return`` and ``not`` do not count.  For the C family
(JavaScript, TypeScript, Go, Java, C, C++, C#, ...) the points are ``if``,
``for``, ``while`` (also the one of ``do ... while``), ``catch``, ``case``,
the ternary ``?:`` and the ``&&`` / ``||`` operators; JavaScript and
TypeScript add ``??`` and each default value of a parameter or destructuring
binding (as lizard 1.24 does); other languages use the closest equivalent
(see ``_SPECS``).

Ownership: a decision point belongs to the innermost enclosing *function
node* (``def``, ``function``, arrow function, method, closure, ...), exactly
as lizard attributes tokens of a nested ``def`` to the nested function and
resumes the outer one afterwards.  Python lambdas are not functions for
lizard, so their conditions count for the enclosing function.

Maximum nesting depth: the largest number of control-flow blocks (``if``,
loops, ``try``, ``with``, ``switch``/``match`` ...) that enclose one another
inside the symbol's own body.  A symbol with no control flow has depth 0, a
single ``if`` gives 1, a ``for`` inside that ``if`` gives 2.  ``elif`` /
``else if`` chains and ``else``/``except``/``case`` arms stay at the depth of
their statement; a nested function starts again at 0 (it is its own symbol).

Lines: the number of source lines the symbol's node spans.

All queries are compiled once per process and language; the per-file work
(one query pass over the tree, then a sweep over the captured ranges) is
cached for the most recent source so that calling :func:`symbol_metrics` for
every symbol of a file costs one pass, not one pass per symbol.  A query pass
costs ~30 ms/MB of Python source whatever it captures, so a caller that
already runs one (the symbol extractor) can append :func:`query_text` to its
query and hand the captures over with :class:`CaptureSink`; metrics then need
no traversal of their own.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Language, Node, Query, QueryCursor, Tree

from subgraphs.parser.languages import get_language
from subgraphs.parser.model import FileMetrics, SymbolInfo, SymbolKind


@dataclass(frozen=True, slots=True)
class _Spec:
    """Node kinds of one language (kinds a grammar lacks are skipped)."""

    decisions: tuple[str, ...] = ()  # named node kinds, one point each
    tokens: tuple[str, ...] = ()  # anonymous tokens, one point each
    patterns: tuple[str, ...] = ()  # raw query patterns captured as @d
    functions: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()
    chained: tuple[str, ...] = ()  # patterns capturing @c: an if that continues an else-if chain


_JS = _Spec(
    # lizard also counts "??" and every default value in a parameter list or destructuring pattern
    decisions=("if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
               "catch_clause", "switch_case", "ternary_expression", "conditional_type", "assignment_pattern",
               "object_assignment_pattern"),
    tokens=("&&", "||", "??"),
    patterns=("(required_parameter value: (_) @d)", "(optional_parameter value: (_) @d)"),
    functions=("function_declaration", "function_expression", "function", "arrow_function", "method_definition",
               "generator_function", "generator_function_declaration"),
    blocks=("if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
            "try_statement", "switch_statement", "with_statement"),
    chained=("(else_clause (if_statement) @c)",),
)
_C = _Spec(
    decisions=("if_statement", "for_statement", "for_range_loop", "while_statement", "do_statement",
               "catch_clause", "conditional_expression"),
    tokens=("case", "#if", "#ifdef", "#elif"),  # lizard counts #if/#ifdef/#elif, not #ifndef
    patterns=('(binary_expression operator: ["&&" "||"]) @d',),
    functions=("function_definition", "lambda_expression"),
    blocks=("if_statement", "for_statement", "for_range_loop", "while_statement", "do_statement",
            "switch_statement", "try_statement", "seh_try_statement"),
    chained=("(else_clause (if_statement) @c)", "(if_statement alternative: (if_statement) @c)"),
)

_SPECS: dict[str, _Spec] = {
    "python": _Spec(
        tokens=("if", "elif", "for", "while", "except", "finally", "and", "or"),
        decisions=("case_clause",),
        functions=("function_definition",),
        blocks=("if_statement", "for_statement", "while_statement", "try_statement", "with_statement",
                "match_statement"),
    ),
    "javascript": _JS,
    "typescript": _JS,
    "tsx": _JS,
    "c": _C,
    "cpp": _C,
    "objc": _Spec(_C.decisions, _C.tokens, _C.patterns, (*_C.functions, "method_definition", "block_literal"),
                  _C.blocks, _C.chained),
    "go": _Spec(
        decisions=("if_statement", "for_statement", "expression_case", "type_case", "communication_case"),
        tokens=("&&", "||"),
        functions=("function_declaration", "method_declaration", "func_literal"),
        blocks=("if_statement", "for_statement", "expression_switch_statement", "type_switch_statement",
                "select_statement"),
        chained=("(if_statement alternative: (if_statement) @c)",),
    ),
    "rust": _Spec(
        decisions=("if_expression", "for_expression", "while_expression", "match_arm", "try_expression"),
        tokens=("&&", "||"),
        functions=("function_item", "closure_expression"),
        blocks=("if_expression", "for_expression", "while_expression", "loop_expression", "match_expression"),
        chained=("(else_clause (if_expression) @c)",),
    ),
    "java": _Spec(
        decisions=("if_statement", "for_statement", "enhanced_for_statement", "while_statement", "do_statement",
                   "catch_clause", "ternary_expression"),
        tokens=("case", "&&", "||"),
        functions=("method_declaration", "constructor_declaration", "compact_constructor_declaration",
                   "lambda_expression"),
        blocks=("if_statement", "for_statement", "enhanced_for_statement", "while_statement", "do_statement",
                "try_statement", "try_with_resources_statement", "switch_expression"),
        chained=("(if_statement alternative: (if_statement) @c)",),
    ),
    "csharp": _Spec(
        decisions=("if_statement", "for_statement", "foreach_statement", "while_statement", "do_statement",
                   "catch_clause", "conditional_expression", "switch_expression_arm"),
        tokens=("case", "&&", "||", "??"),
        functions=("method_declaration", "constructor_declaration", "local_function_statement",
                   "lambda_expression", "anonymous_method_expression"),
        blocks=("if_statement", "for_statement", "foreach_statement", "while_statement", "do_statement",
                "try_statement", "switch_statement", "switch_expression"),
        chained=("(if_statement alternative: (if_statement) @c)",),
    ),
    "ruby": _Spec(
        decisions=("if", "elsif", "unless", "while", "until", "for", "when", "rescue", "conditional",
                   "if_modifier", "unless_modifier", "while_modifier", "until_modifier", "rescue_modifier"),
        tokens=("and", "or", "&&", "||"),
        functions=("method", "singleton_method"),
        blocks=("if", "unless", "while", "until", "for", "case", "begin"),
    ),
    "php": _Spec(
        decisions=("if_statement", "else_if_clause", "for_statement", "foreach_statement", "while_statement",
                   "do_statement", "catch_clause", "case_statement", "conditional_expression",
                   "match_conditional_expression"),
        tokens=("&&", "||", "and", "or"),
        functions=("function_definition", "method_declaration", "anonymous_function", "arrow_function"),
        blocks=("if_statement", "for_statement", "foreach_statement", "while_statement", "do_statement",
                "switch_statement", "try_statement", "match_expression"),
    ),
    "bash": _Spec(
        decisions=("if_statement", "elif_clause", "for_statement", "c_style_for_statement", "while_statement",
                   "case_item", "ternary_expression"),
        tokens=("&&", "||"),
        functions=("function_definition",),
        blocks=("if_statement", "for_statement", "c_style_for_statement", "while_statement", "case_statement"),
    ),
    "kotlin": _Spec(
        decisions=("if_expression", "for_statement", "while_statement", "do_while_statement", "catch_block",
                   "when_condition"),
        tokens=("&&", "||", "?:"),
        functions=("function_declaration", "anonymous_function", "lambda_literal"),
        blocks=("if_expression", "for_statement", "while_statement", "do_while_statement", "try_expression",
                "when_expression"),
    ),
    "swift": _Spec(
        decisions=("if_statement", "guard_statement", "for_statement", "while_statement",
                   "repeat_while_statement", "catch_block", "switch_entry", "ternary_expression"),
        tokens=("&&", "||"),
        functions=("function_declaration", "lambda_literal", "init_declaration"),
        blocks=("if_statement", "guard_statement", "for_statement", "while_statement", "repeat_while_statement",
                "do_statement", "switch_statement"),
    ),
    "scala": _Spec(
        decisions=("if_expression", "for_expression", "while_expression", "do_while_expression", "case_clause"),
        tokens=("&&", "||"),
        patterns=('((infix_expression operator: (operator_identifier) @d) (#any-of? @d "&&" "||"))',),
        functions=("function_definition", "lambda_expression"),
        blocks=("if_expression", "for_expression", "while_expression", "do_while_expression",
                "match_expression", "try_expression"),
    ),
    "lua": _Spec(
        decisions=("if_statement", "elseif_statement", "for_statement", "while_statement", "repeat_statement"),
        tokens=("and", "or"),
        functions=("function_declaration", "function_definition"),
        blocks=("if_statement", "for_statement", "while_statement", "repeat_statement"),
    ),
    "dart": _Spec(
        decisions=("if_statement", "if_element", "for_statement", "for_element", "while_statement", "do_statement",
                   "catch_clause", "conditional_expression", "switch_statement_case", "switch_expression_case"),
        tokens=("&&", "||", "??"),
        functions=("function_body", "function_expression", "lambda_expression"),
        blocks=("if_statement", "for_statement", "while_statement", "do_statement", "try_statement",
                "switch_statement"),
    ),
    "julia": _Spec(
        decisions=("if_statement", "elseif_clause", "for_statement", "while_statement", "catch_clause",
                   "ternary_expression", "for_clause", "if_clause"),
        tokens=("&&", "||"),
        patterns=('((operator) @d (#any-of? @d "&&" "||"))',),
        functions=("function_definition", "arrow_function_expression", "macro_definition"),
        blocks=("if_statement", "for_statement", "while_statement", "try_statement"),
    ),
    "r": _Spec(
        decisions=("if_statement", "for_statement", "while_statement", "repeat_statement"),
        tokens=("&&", "||", "&", "|"),  # lizard's R reader counts the vectorised & and | too
        functions=("function_definition",),
        blocks=("if_statement", "for_statement", "while_statement", "repeat_statement"),
    ),
    "perl": _Spec(
        decisions=("conditional_statement", "elsif", "for_statement", "cstyle_for_statement", "loop_statement",
                   "postfix_conditional_expression", "postfix_loop_expression", "postfix_for_expression",
                   "conditional_expression"),
        tokens=("&&", "||", "and", "or"),
        functions=("subroutine_declaration_statement", "anonymous_subroutine_expression",
                   "method_declaration_statement"),
        blocks=("conditional_statement", "for_statement", "cstyle_for_statement", "loop_statement",
                "try_statement"),
    ),
    "erlang": _Spec(
        decisions=("if_clause", "cr_clause", "catch_clause", "guard"),
        tokens=("andalso", "orelse", "and", "or"),
        functions=("fun_decl", "anonymous_fun"),
        blocks=("if_expr", "case_expr", "try_expr", "receive_expr"),
    ),
    "haskell": _Spec(
        decisions=("alternative", "conditional", "multi_way_if", "guards"),
        tokens=("&&", "||"),
        functions=("function", "bind", "lambda"),
        blocks=("conditional", "case", "multi_way_if"),
    ),
    "ocaml": _Spec(
        decisions=("if_expression", "for_expression", "while_expression", "match_case", "guard"),
        tokens=("&&", "||"),
        functions=("fun_expression", "function_expression", "method_definition"),
        blocks=("if_expression", "for_expression", "while_expression", "match_expression", "try_expression"),
    ),
    "solidity": _Spec(
        decisions=("if_statement", "for_statement", "while_statement", "do_while_statement",
                   "ternary_expression", "catch_clause"),
        tokens=("&&", "||"),
        functions=("function_definition", "constructor_definition", "modifier_definition",
                   "fallback_receive_definition"),
        blocks=("if_statement", "for_statement", "while_statement", "do_while_statement", "try_statement"),
    ),
    "zig": _Spec(
        decisions=("IfStatement", "IfExpr", "IfTypeExpr", "ForStatement", "ForExpr", "ForTypeExpr",
                   "WhileStatement", "WhileExpr", "WhileTypeExpr", "SwitchProng"),
        tokens=("and", "or", "catch", "orelse"),
        functions=("Decl", "TestDecl"),
        blocks=("IfStatement", "ForStatement", "WhileStatement", "SwitchExpr"),
    ),
    "elixir": _Spec(  # definitions are plain calls (def/defp), so each symbol counts what its call contains
        decisions=("stab_clause",),
        tokens=("and", "or", "&&", "||", "when"),
        functions=("anonymous_function",),
    ),
}

# Languages without an entry get whatever of these kinds their grammar has.
_GENERIC = _Spec(
    decisions=("if_statement", "if_expression", "elif_clause", "elsif_clause", "else_if_clause",
               "for_statement", "for_expression", "for_in_statement", "foreach_statement", "while_statement",
               "while_expression", "do_statement", "do_while_statement", "catch_clause", "case_clause",
               "switch_case", "match_arm", "conditional_expression", "ternary_expression", "guard_statement"),
    tokens=("&&", "||"),
    functions=("function_definition", "function_declaration", "method_declaration", "method_definition",
               "function_item", "constructor_declaration", "lambda_expression", "arrow_function"),
    blocks=("if_statement", "if_expression", "for_statement", "for_expression", "for_in_statement",
            "foreach_statement", "while_statement", "while_expression", "do_statement", "do_while_statement",
            "try_statement", "switch_statement", "match_expression"),
)

# Wrapper nodes a symbol extractor may hand us for a function bound to a name.
_WRAPPERS = frozenset({
    "decorated_definition", "lexical_declaration", "variable_declaration", "variable_declarator",
    "export_statement", "pair", "assignment_expression", "expression_statement", "public_field_definition",
    "field_definition", "short_var_declaration", "let_declaration", "assignment", "property_declaration",
    "template_declaration", "assignment_statement", "binary_operator", "let_binding", "value_definition",
})


def _spec(language: str) -> _Spec:
    return _SPECS.get(language, _GENERIC)


def _valid(lang: Language, pattern: str) -> bool:
    try:
        Query(lang, pattern)
    except Exception:  # unknown node kind or field in this grammar
        return False
    return True


#: Prefix of the capture names in :func:`query_text` (``m.d`` decisions, ``m.f`` functions, ``m.b`` blocks,
#: ``m.c`` if-statements continuing an else-if chain, ``m.k`` comments).
CAPTURE_PREFIX = "m."


@cache
def query_text(language: str, prefix: str = CAPTURE_PREFIX) -> str:
    """The metrics query patterns of a language, capture names prefixed with ``prefix``.

    Another query pass (the symbol extractor's) can append this text to its
    own query and hand the captures to a :class:`CaptureSink`, so that the
    tree is traversed once for both (a query pass costs ~30 ms/MB).
    """
    lang = get_language(language)
    spec = _spec(language)

    def named(kinds: tuple[str, ...]) -> list[str]:
        return [f"({k})" for k in dict.fromkeys(kinds) if lang.id_for_node_kind(k, True)]

    def tokens(kinds: tuple[str, ...]) -> list[str]:
        out = []
        for k in dict.fromkeys(kinds):
            text = '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if lang.id_for_node_kind(k, False) and _valid(lang, text):
                out.append(text)
        return out

    parts: list[str] = []
    dec = named(spec.decisions) + tokens(spec.tokens)
    if dec:
        parts.append("[" + " ".join(dec) + "] @d")
    parts += [p for p in spec.patterns if _valid(lang, p)]
    funcs = named(spec.functions)
    if funcs:
        parts.append("[" + " ".join(funcs) + "] @f")
    blocks = named(spec.blocks)
    if blocks:
        parts.append("[" + " ".join(blocks) + "] @b")
    parts += [p for p in spec.chained if _valid(lang, p)]
    comment_kinds = sorted(
        {lang.node_kind_for_id(i) or "" for i in range(lang.node_kind_count)
         if lang.node_kind_is_named(i) and lang.node_kind_is_visible(i)} - {""}
    )
    comments = [f"({k})" for k in comment_kinds if k.endswith("comment") and _valid(lang, f"({k})")]
    if comments:
        parts.append("[" + " ".join(comments) + "] @k")
    text = "\n".join(parts)
    return re.sub(r"@([dfbck])\b", lambda m: "@" + prefix + m.group(1), text)


@cache
def _query(language: str) -> Query | None:
    """The metrics query of a language with plain capture names, compiled once per process."""
    text = query_text(language, "")
    return Query(get_language(language), text) if text else None


@dataclass(slots=True)
class _FileIndex:
    """Per-file results of one query pass: decision offsets and per-function totals."""

    decisions: list[int] = field(default_factory=list)  # sorted start bytes
    functions: list[tuple[int, int]] = field(default_factory=list)  # sorted (start, end)
    ccn: dict[tuple[int, int], int] = field(default_factory=dict)  # own decision points per function
    nesting: dict[tuple[int, int] | None, int] = field(default_factory=dict)
    # (start, end, depth, owner function) of each block, sorted by start; block_starts parallels it
    blocks: list[tuple[int, int, int, tuple[int, int] | None]] = field(default_factory=list)
    block_starts: list[int] = field(default_factory=list)
    comments: list[tuple[int, int]] = field(default_factory=list)  # (start, end) bytes, sorted


_cache_source: bytes | None = None
_cache_language: str | None = None
_cache_index: _FileIndex | None = None


def _root(node: Node) -> Node:
    while True:
        parent = node.parent
        if parent is None:
            return node
        node = parent


def _index(node: Node, source: bytes, language: str) -> _FileIndex:
    """The index of the file ``node`` belongs to, built on the first call for a given source object.

    The source object itself is the cache key (held here, so its id cannot be
    reused): a tree parsed from the same bytes has the same shape, so the
    offsets stay valid even if the caller re-parsed it.
    """
    global _cache_source, _cache_language, _cache_index
    if _cache_index is not None and _cache_source is source and _cache_language == language:
        return _cache_index
    index = _build_index(_root(node), language)
    _cache_source, _cache_language, _cache_index = source, language, index
    return index


class CaptureSink:
    """Collects the metrics captures of a shared query pass; see :func:`query_text`.

    Usage in the pass that owns the traversal::

        sink = CaptureSink()
        for _pattern, captures in QueryCursor(query).matches(root):
            if sink.take(captures):
                continue
            ...  # the owner's own patterns
        sink.prime(source, language)

    After ``prime``, :func:`symbol_metrics` and :func:`file_metrics` for the
    same ``source`` object use these captures instead of a pass of their own.
    """

    __slots__ = ("_captures", "prefix")

    def __init__(self, prefix: str = CAPTURE_PREFIX) -> None:
        self.prefix = prefix
        self._captures: dict[str, list[Node]] = {}

    def take(self, captures: Mapping[str, Sequence[Node]]) -> bool:
        """Keep the captures of a metrics match; False (and nothing kept) for any other match."""
        taken = False
        for name, nodes in captures.items():
            if name.startswith(self.prefix):
                self._captures.setdefault(name, []).extend(nodes)
                taken = True
        return taken

    def prime(self, source: bytes, language: str) -> None:
        prime_captures(source, language, self._captures, self.prefix)


def prime_captures(source: bytes, language: str, captures: Mapping[str, Sequence[Node]],
                   prefix: str = CAPTURE_PREFIX) -> None:
    """Like :meth:`CaptureSink.prime`, for a caller that gathered the ``prefix`` captures itself."""
    global _cache_source, _cache_language, _cache_index
    index = _index_from_captures(captures, prefix)
    _cache_source, _cache_language, _cache_index = source, language, index


def _build_index(root: Node, language: str) -> _FileIndex:
    query = _query(language)
    if query is None:
        return _FileIndex()
    return _index_from_captures(QueryCursor(query).captures(root))


def _index_from_captures(caps: Mapping[str, Sequence[Node]], prefix: str = "") -> _FileIndex:
    index = _FileIndex()
    if prefix:
        caps = {name[len(prefix):]: nodes for name, nodes in caps.items() if name.startswith(prefix)}
    index.comments = sorted((n.start_byte, n.end_byte) for n in caps.get("k", ()))
    decisions = sorted(n.start_byte for n in caps.get("d", ()))
    chained = {n.start_byte for n in caps.get("c", ())}
    items: list[tuple[int, int, bool]] = [(n.start_byte, -n.end_byte, True) for n in caps.get("f", ())]
    items += [(n.start_byte, -n.end_byte, False) for n in caps.get("b", ()) if n.start_byte not in chained]
    items.sort()
    index.decisions = decisions
    functions: list[tuple[int, int]] = []
    children: dict[tuple[int, int] | None, list[tuple[int, int]]] = {}
    nesting: dict[tuple[int, int] | None, int] = {None: 0}
    blocks = index.blocks
    # stack entries: (end byte, depth, owner function)
    stack: list[tuple[int, int, tuple[int, int] | None]] = []
    for start, neg_end, is_function in items:
        end = -neg_end
        while stack and stack[-1][0] <= start:
            stack.pop()
        depth, owner = (stack[-1][1], stack[-1][2]) if stack else (0, None)
        if is_function:
            fkey = (start, end)
            if fkey in nesting:  # the same node captured twice
                continue
            functions.append(fkey)
            children.setdefault(owner, []).append(fkey)
            nesting[fkey] = 0
            stack.append((end, 0, fkey))
        else:
            depth += 1
            if depth > nesting[owner]:
                nesting[owner] = depth
            blocks.append((start, end, depth, owner))
            stack.append((end, depth, owner))
    index.functions = functions
    index.nesting = nesting
    index.block_starts = [b[0] for b in blocks]

    def count(start: int, end: int) -> int:
        return bisect_left(decisions, end) - bisect_left(decisions, start)

    for fkey in functions:
        own = count(*fkey)
        for child in children.get(fkey, ()):
            own -= count(*child)
        index.ccn[fkey] = own
    return index


def _function_key(node: Node, source: bytes, index: _FileIndex) -> tuple[int, int] | None:
    key = (node.start_byte, node.end_byte)
    if key in index.ccn:
        return key
    if node.type in _WRAPPERS:
        # ``const f = () => ...;``, ``f <- function(x) ...``: measure the function that is the bound value,
        # i.e. the outermost function inside that runs to the end of the wrapper (bar a ";")
        i = bisect_left(index.functions, (node.start_byte, -1))
        if i < len(index.functions):
            fs, fe = index.functions[i]
            if fe <= node.end_byte and not source[fe:node.end_byte].strip(b"; \t\r\n"):
                return fs, fe
    return None


def symbol_metrics(node: Node, source: bytes, language: str) -> tuple[int, int, int]:
    """(cyclomatic complexity, max nesting depth, lines of code) of one symbol's definition node.

    See the module docstring for the exact definitions.  For a non-function
    node (a class, a struct, ...) the complexity and nesting are those of the
    code directly in it, outside any function it contains.  The first call
    for a file builds an index in one query pass; later calls for the same
    ``source`` object are dictionary look-ups.
    """
    lines = node.end_point[0] - node.start_point[0] + 1
    index = _index(node, source, language)
    key = _function_key(node, source, index)
    if key is not None:
        return 1 + index.ccn[key], index.nesting.get(key, 0), lines
    return (*_container_metrics(index, node.start_byte, node.end_byte), lines)


def _container_metrics(index: _FileIndex, start: int, end: int) -> tuple[int, int]:
    """Complexity and nesting of what lies in [start, end) but outside every function inside it."""
    decisions, functions = index.decisions, index.functions
    ccn = 1 + bisect_left(decisions, end) - bisect_left(decisions, start)
    reach = start
    for i in range(bisect_left(functions, (start, -1)), len(functions)):
        fs, fe = functions[i]
        if fs >= end:
            break
        if fs >= reach and fe <= end:  # an outermost function inside the node
            ccn -= bisect_left(decisions, fe) - bisect_left(decisions, fs)
            reach = fe
    depth = 0
    base: int | None = None
    blocks = index.blocks
    for i in range(bisect_left(index.block_starts, start), len(blocks)):
        bs, be, bdepth, owner = blocks[i]
        if bs >= end:
            break
        if be > end or (owner is not None and start <= owner[0] and owner[1] <= end):
            continue
        if base is None:
            base = bdepth - 1
        depth = max(depth, bdepth - base)
    return ccn, depth


def _line_count(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


_BLANKS = b" \t\r\f\v"


def _nonblank_lines(data: bytes) -> int:
    lines = data.translate(None, _BLANKS).split(b"\n")
    return len(lines) - lines.count(b"")


def code_line_count(tree: Tree, source: bytes, language: str) -> int:
    """Lines holding something other than whitespace and comments.

    A line is comment-only when a comment node starts it (after blanks) and
    nothing but blanks follows that comment on the line; the inner lines of
    a block comment that starts a line are comment-only too.
    """
    nonblank = _nonblank_lines(source)
    if not nonblank:
        return 0
    comment_only = 0
    rfind, find = source.rfind, source.find
    for start, end in _index(tree.root_node, source, language).comments:
        line_start = rfind(b"\n", 0, start) + 1
        if line_start != start and not source[line_start:start].isspace():
            continue  # code before the comment
        line_end = find(b"\n", end)
        tail_blank = line_end == end or not source[end:line_end if line_end >= 0 else len(source)].strip()
        newline = find(b"\n", start, end)
        if newline < 0 or not source[newline:end].strip(b"\r\n"):  # a one-line comment
            comment_only += tail_blank
        else:
            comment_only += _nonblank_lines(source[start:end].rstrip(b"\r\n")) - (0 if tail_blank else 1)
    return nonblank - comment_only


def file_metrics(tree: Tree, source: bytes, language: str, symbols: list[SymbolInfo]) -> FileMetrics:
    """Size of the file and complexity summary over its functions and methods.

    ``code_lines`` are lines with anything besides whitespace and comments
    (docstrings are string literals, so they count as code).
    """
    funcs = [s for s in symbols if s.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD)]
    cc = [s.complexity for s in funcs]
    return FileMetrics(
        lines=_line_count(source),
        code_lines=code_line_count(tree, source, language),
        functions=len(funcs),
        average_complexity=(sum(cc) / len(cc)) if cc else 0.0,
        max_complexity=max(cc, default=0),
    )
