"""The analysis core: source text in, ``ParseResult`` out.

Pure and synchronous; the service runs it in worker processes (see
``pool.py``) because tree-sitter holds the GIL and a grammar can hang.
"""

from __future__ import annotations

from tree_sitter import Node, Tree

from subgraphs.parser.languages import detect_language, get_parser
from subgraphs.parser.metrics import file_metrics, symbol_metrics
from subgraphs.parser.model import ParseResult, SyntaxErrorInfo
from subgraphs.parser.security import scan
from subgraphs.parser.symbols import extract_imports, extract_symbols

MAX_SYNTAX_ERRORS = 50


def analyze(source: str, path: str | None = None, language: str | None = None) -> ParseResult:
    """Parse ``source`` and compute symbols, imports, metrics, findings and syntax errors."""
    name = detect_language(source, path, language)
    data = source.encode("utf-8", "surrogatepass")
    tree = get_parser(name).parse(data)
    pairs = extract_symbols(tree, data, name)
    symbols = []
    for symbol, node in pairs:
        symbol.complexity, symbol.max_nesting, symbol.lines = symbol_metrics(node, data, name)
        symbols.append(symbol)
    return ParseResult(
        language=name,
        symbols=symbols,
        imports=extract_imports(tree, data, name),
        metrics=file_metrics(tree, data, name, symbols),
        findings=scan(tree, data, name),
        syntax_errors=syntax_errors(tree),
    )


def syntax_errors(tree: Tree) -> list[SyntaxErrorInfo]:
    """ERROR and MISSING nodes as data (1-based line and column), never an exception."""
    root = tree.root_node
    if not root.has_error:
        return []
    found: list[SyntaxErrorInfo] = []
    stack: list[Node] = [root]
    while stack and len(found) < MAX_SYNTAX_ERRORS:
        node = stack.pop()
        if not node.has_error:
            continue
        row, col = node.start_point
        if node.is_missing:
            found.append(SyntaxErrorInfo(row + 1, col + 1, f"missing {node.type!r}"))
            continue
        if node.is_error:
            snippet = (node.text or b"")[:40].decode("utf-8", "replace").split("\n", 1)[0]
            found.append(SyntaxErrorInfo(row + 1, col + 1, f"unexpected {snippet!r}" if snippet else "syntax error"))
            continue
        stack.extend(reversed(node.children))
    found.sort(key=lambda e: (e.line, e.column))
    return found
