"""Python symbols must equal what the ``ast`` module finds, over the whole installed stdlib.

For every ``.py`` file of the running interpreter's standard library (not its
site-packages) that ``ast.parse`` accepts and that is UTF-8, the set of
``(qualified name, def/class line, end line, function-or-class)`` from ``ast``
must equal the one from :func:`extract_symbols`.  Parameters (``*args`` /
``**kwargs`` keep their stars; ``/`` and ``*`` markers are not parameters) and
docstrings (``ast.get_docstring``, cleaned) must agree as well.
"""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings
from pathlib import Path

import pytest

from subgraphs.parser.languages import get_parser
from subgraphs.parser.model import SymbolKind
from subgraphs.parser.symbols import extract_symbols

# Files where tree-sitter-python's grammar cannot agree with CPython; each with the reason.
KNOWN_GRAMMAR_GAPS: dict[str, str] = {}

_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__"}

Row = tuple[str, int, int, str]
Detail = tuple[list[str], str | None]


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        found.extend(Path(folder, f) for f in sorted(files) if f.endswith(".py"))
    return found


def _parameters(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg is not None:
        names.append("*" + args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg is not None:
        names.append("**" + args.kwarg.arg)
    return names


def _ast_rows(tree: ast.AST) -> tuple[set[Row], dict[Row, Detail]]:
    rows: dict[Row, Detail] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualified = f"{prefix}.{child.name}" if prefix else child.name
                if isinstance(child, ast.ClassDef):
                    kind, params = "class", []
                else:
                    kind, params = "function", _parameters(child.args)
                row = (qualified, child.lineno, child.end_lineno or child.lineno, kind)
                rows[row] = (params, ast.get_docstring(child, clean=True))
                visit(child, qualified)
            else:
                visit(child, prefix)

    visit(tree, "")
    return set(rows), rows


def _our_rows(data: bytes) -> tuple[set[Row], dict[Row, Detail]]:
    tree = get_parser("python").parse(data)
    rows: dict[Row, Detail] = {}
    for symbol, _node in extract_symbols(tree, data, "python"):
        kind = "class" if symbol.kind is SymbolKind.CLASS else "function"
        rows[(symbol.qualified_name, symbol.start_line, symbol.end_line, kind)] = (
            symbol.parameters,
            symbol.docstring,
        )
    return set(rows), rows


def test_stdlib_symbols_equal_ast() -> None:
    files = _stdlib_files()
    assert len(files) > 500, "the running interpreter's stdlib was not found"
    compared = 0
    mismatches: dict[str, tuple[set[Row], set[Row]]] = {}
    detail_mismatches: list[str] = []
    for path in files:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected, expected_details = _ast_rows(ast.parse(text, filename=str(path)))
        except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
            continue
        if str(path) in KNOWN_GRAMMAR_GAPS:
            continue
        compared += 1
        actual, actual_details = _our_rows(data)
        if actual != expected:
            mismatches[str(path)] = (expected - actual, actual - expected)
            continue
        for row, detail in expected_details.items():
            if actual_details[row] != detail:
                detail_mismatches.append(f"{path}: {row}: ast {detail!r} != ours {actual_details[row]!r}")
    report = "\n".join(
        f"{path}:\n  only in ast: {sorted(missing)[:5]}\n  only ours:   {sorted(extra)[:5]}"
        for path, (missing, extra) in sorted(mismatches.items())[:20]
    )
    assert not mismatches, f"{len(mismatches)} of {compared} files differ:\n{report}"
    assert not detail_mismatches, "\n".join(detail_mismatches[:20])
    assert compared > 500


@pytest.mark.parametrize(
    "source",
    [
        b"def f(:\n    pass\nclass C:\n    def m(self): return 1\n",
        b"class\n",
        b"\xff\xfe garbage \x00 def",
        b"",
    ],
)
def test_broken_python_does_not_raise(source: bytes) -> None:
    _our_rows(source)
