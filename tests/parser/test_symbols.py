"""Symbol and import extraction, one realistic snippet per language (tests/fixtures/symbols/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Node

from subgraphs.parser.languages import LANGUAGES, get_parser
from subgraphs.parser.model import SymbolInfo, SymbolKind
from subgraphs.parser.symbols import extract_imports, extract_symbols, symbol_languages

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "symbols"

Row = tuple[str, str, int, int, list[str]]

# language -> (fixture file, [(kind, qualified name, start line, end line, parameters)], imports)
EXPECTED: dict[str, tuple[str, list[Row], list[str]]] = {
    "python": ("sample.py", [
        ('CLASS', 'Repository', 12, 30, []),
        ('METHOD', 'Repository.size', 19, 20, ['self']),
        ('METHOD', 'Repository.fetch', 22, 27, ['self', 'key', 'default', '*args', 'strict', '**kwargs']),
        ('FUNCTION', 'Repository.fetch.helper', 23, 24, ['x']),
        ('CLASS', 'Repository.Meta', 29, 30, []),
        ('FUNCTION', 'top', 33, 36, ['a', 'b', 'c']),
    ], ['__future__', 'os.path', 'sys', '.', '..pkg.mod', 'os']),
    "javascript": ("sample.js", [
        ('FUNCTION', 'add', 7, 9, ['a', 'b', '...rest']),
        ('CLASS', 'Widget', 11, 22, []),
        ('METHOD', 'Widget.constructor', 12, 15, ['name']),
        ('METHOD', 'Widget.render', 17, 20, ['{ title }', 'count']),
        ('FUNCTION', 'Widget.render.helper', 18, 18, ['x']),
        ('FUNCTION', 'arrow', 24, 26, ['p', 'q']),
        ('FUNCTION', 'gen', 28, 28, []),
    ], ['react', 'fs', './util']),
    "typescript": ("sample.ts", [
        ('INTERFACE', 'Shape', 4, 7, []),
        ('METHOD', 'Shape.area', 5, 5, []),
        ('ENUM', 'Color', 9, 9, []),
        ('CLASS', 'Circle', 13, 20, []),
        ('METHOD', 'Circle.constructor', 15, 15, ['radius']),
        ('METHOD', 'Circle.area', 17, 19, []),
        ('CLASS', 'Base', 22, 24, []),
        ('METHOD', 'Base.run', 23, 23, ['input', 'retries']),
        ('FUNCTION', 'make', 26, 28, ['radius', '...others']),
        ('FUNCTION', 'handler', 30, 30, ['event', 'ctx']),
    ], ['@angular/core', './foo']),
    "tsx": ("sample.tsx", [
        ('INTERFACE', 'Props', 3, 3, []),
        ('FUNCTION', 'Button', 5, 7, ['{ label }']),
        ('CLASS', 'Panel', 9, 13, []),
        ('METHOD', 'Panel.render', 10, 12, []),
        ('FUNCTION', 'Icon', 15, 15, ['props']),
    ], ['react']),
    "go": ("sample.go", [
        ('STRUCT', 'Point', 11, 13, []),
        ('INTERFACE', 'Shape', 15, 17, []),
        ('METHOD', 'Shape.Area', 16, 16, []),
        ('METHOD', 'Point.Dist', 20, 22, ['q', 'scale']),
        ('METHOD', 'Point.String', 24, 24, []),
        ('FUNCTION', 'main', 26, 30, []),
        ('FUNCTION', 'main.helper', 27, 27, ['a']),
        ('FUNCTION', 'Variadic', 32, 32, ['format', 'args']),
        ('FUNCTION', 'Map', 34, 34, ['xs', 'f']),
    ], ['fmt', 'strings', 'os']),
    "rust": ("sample.rs", [
        ('STRUCT', 'Point', 7, 10, []),
        ('ENUM', 'Shape', 12, 15, []),
        ('TRAIT', 'Area', 17, 22, []),
        ('METHOD', 'Area.area', 18, 18, ['self']),
        ('METHOD', 'Area.describe', 19, 21, ['self']),
        ('METHOD', 'Point.new', 26, 28, ['x', 'y']),
        ('METHOD', 'Point.dist', 30, 32, ['self', 'other']),
        ('METHOD', 'Shape.area', 36, 38, ['self']),
        ('FUNCTION', 'main', 41, 44, []),
        ('FUNCTION', 'main.inner', 42, 42, ['v']),
        ('MODULE', 'geometry', 46, 48, []),
        ('FUNCTION', 'geometry.scale', 47, 47, ['(a, b)']),
    ], ['std::collections::HashMap', 'std::io::{self, Read}', 'crate::util', 'serde']),
    "java": ("Sample.java", [
        ('CLASS', 'Greeter', 10, 29, []),
        ('METHOD', 'Greeter.Greeter', 13, 15, ['name']),
        ('METHOD', 'Greeter.run', 17, 20, []),
        ('METHOD', 'Greeter.sum', 22, 24, ['a', 'rest']),
        ('CLASS', 'Greeter.Inner', 26, 28, []),
        ('METHOD', 'Greeter.Inner.go', 27, 27, ['items', 'counts']),
        ('INTERFACE', 'Service', 31, 33, []),
        ('METHOD', 'Service.start', 32, 32, ['config']),
        ('ENUM', 'Level', 35, 35, []),
        ('METHOD', 'Level.weight', 35, 35, []),
        ('CLASS', 'Pair', 37, 37, []),
    ], ['java.util.List', 'java.util', 'java.lang.Math.max']),
    "c": ("sample.c", [
        ('STRUCT', 'point', 4, 7, []),
        ('STRUCT', 'size_t2', 9, 9, []),
        ('ENUM', 'color', 11, 11, []),
        ('FUNCTION', 'add', 14, 16, ['a', 'b']),
        ('FUNCTION', 'find', 18, 20, ['name', 'len', '...']),
        ('FUNCTION', 'main', 22, 25, ['argc', 'argv']),
    ], ['stdio.h', 'util.h']),
    "cpp": ("sample.cpp", [
        ('MODULE', 'geo', 4, 24, []),
        ('CLASS', 'geo.Shape', 6, 13, []),
        ('METHOD', 'geo.Shape.~Shape', 8, 8, []),
        ('METHOD', 'geo.Shape.Shape', 10, 10, ['sides']),
        ('STRUCT', 'geo.Square', 15, 18, []),
        ('METHOD', 'geo.Square.area', 16, 16, []),
        ('FUNCTION', 'geo.Square_helper', 20, 22, ['s', 'scale']),
        ('METHOD', 'geo.Shape.perimeter', 26, 28, ['n']),
        ('FUNCTION', 'max_of', 31, 31, ['a', 'b']),
        ('ENUM', 'Mode', 33, 33, []),
    ], ['vector', 'shape.hpp']),
    "csharp": ("Sample.cs", [
        ('MODULE', 'Demo.App', 5, 30, []),
        ('INTERFACE', 'Demo.App.IRepository', 8, 11, []),
        ('METHOD', 'Demo.App.IRepository.Get', 10, 10, ['id']),
        ('CLASS', 'Demo.App.UserRepository', 13, 23, []),
        ('METHOD', 'Demo.App.UserRepository.UserRepository', 15, 15, ['connection']),
        ('METHOD', 'Demo.App.UserRepository.Get', 17, 20, ['id']),
        ('METHOD', 'Demo.App.UserRepository.Log', 22, 22, ['message', 'args']),
        ('STRUCT', 'Demo.App.Money', 25, 25, []),
        ('ENUM', 'Demo.App.Status', 27, 27, []),
        ('CLASS', 'Demo.App.Person', 29, 29, []),
    ], ['System', 'System.Collections.Generic', 'System.Math']),
    "ruby": ("sample.rb", [
        ('MODULE', 'Utils', 6, 25, []),
        ('CLASS', 'Utils.Greeter', 8, 20, []),
        ('METHOD', 'Utils.Greeter.initialize', 9, 11, ['name', 'greeting', '*rest', 'key', 'opt', '**opts', '&block']),
        ('METHOD', 'Utils.Greeter.create', 13, 15, ['name']),
        ('METHOD', 'Utils.Greeter.greet', 17, 19, []),
        ('FUNCTION', 'Utils.helper', 22, 24, ['x']),
        ('FUNCTION', 'top_level', 27, 29, ['a', 'b']),
    ], ['json', 'lib/helper', 'tasks.rb']),
    "php": ("sample.php", [
        ('INTERFACE', 'App.Models.Shape', 9, 11, []),
        ('METHOD', 'App.Models.Shape.area', 10, 10, []),
        ('TRAIT', 'App.Models.Loggable', 13, 15, []),
        ('METHOD', 'App.Models.Loggable.log', 14, 14, ['$msg']),
        ('CLASS', 'App.Models.User', 20, 30, []),
        ('METHOD', 'App.Models.User.__construct', 23, 23, ['$name', '$age']),
        ('METHOD', 'App.Models.User.area', 25, 25, []),
        ('METHOD', 'App.Models.User.find', 27, 29, ['$id', '$opts']),
        ('ENUM', 'App.Models.Suit', 32, 35, []),
        ('METHOD', 'App.Models.Suit.label', 34, 34, []),
        ('FUNCTION', 'App.Models.helper', 37, 39, ['$a', '$b']),
    ], ['App\\Contracts\\Repository', 'Illuminate\\Support\\Str', 'config.php', 'helpers.php']),
    "bash": ("sample.sh", [
        ('FUNCTION', 'greet', 6, 8, []),
        ('FUNCTION', 'cleanup', 10, 12, []),
        ('FUNCTION', 'main', 14, 17, []),
    ], ['./lib.sh', '/etc/profile']),
    "kotlin": ("sample.kt", [
        ('INTERFACE', 'Shape', 7, 9, []),
        ('METHOD', 'Shape.area', 8, 8, []),
        ('CLASS', 'Point', 11, 11, []),
        ('CLASS', 'Circle', 13, 23, []),
        ('METHOD', 'Circle.area', 14, 16, []),
        ('METHOD', 'Circle.scale', 18, 18, ['factor', 'extra']),
        ('METHOD', 'Circle.unit', 21, 21, []),
        ('ENUM', 'Color', 25, 25, []),
        ('CLASS', 'Registry', 27, 29, []),
        ('METHOD', 'Registry.register', 28, 28, ['name']),
        ('METHOD', 'String.shout', 31, 31, ['times']),
        ('FUNCTION', 'main', 33, 36, ['args']),
        ('FUNCTION', 'main.local', 34, 34, ['n']),
    ], ['kotlin.math.max', 'java.util']),
    "swift": ("sample.swift", [
        ('INTERFACE', 'Vehicle', 5, 7, []),
        ('METHOD', 'Vehicle.drive', 6, 6, ['speed']),
        ('STRUCT', 'Point', 9, 14, []),
        ('METHOD', 'Point.distance', 11, 13, ['other']),
        ('CLASS', 'Car', 16, 26, []),
        ('METHOD', 'Car.init', 17, 17, ['name']),
        ('METHOD', 'Car.drive', 19, 21, ['speed']),
        ('METHOD', 'Car.make', 23, 25, ['model', 'y']),
        ('ENUM', 'Direction', 28, 31, []),
        ('METHOD', 'Direction.opposite', 30, 30, []),
        ('METHOD', 'Car.honk', 34, 34, []),
        ('FUNCTION', 'topLevel', 37, 40, ['values']),
        ('FUNCTION', 'topLevel.nested', 38, 38, []),
    ], ['Foundation', 'UIKit']),
    "scala": ("sample.scala", [
        ('TRAIT', 'Shape', 7, 10, []),
        ('METHOD', 'Shape.area', 8, 8, []),
        ('METHOD', 'Shape.scale', 9, 9, ['factor']),
        ('CLASS', 'Circle', 12, 15, []),
        ('METHOD', 'Circle.area', 13, 13, []),
        ('METHOD', 'Circle.scale', 14, 14, ['factor']),
        ('CLASS', 'Main', 17, 22, []),
        ('METHOD', 'Main.main', 18, 21, ['args']),
        ('FUNCTION', 'Main.main.helper', 19, 19, ['x', 'y']),
        ('CLASS', 'Box', 24, 26, []),
        ('METHOD', 'Box.get', 25, 25, []),
        ('ENUM', 'Color', 28, 30, []),
    ], ['scala.collection.mutable', 'java.io.{File, InputStream}']),
    "lua": ("sample.lua", [
        ('FUNCTION', 'add', 5, 7, ['a', 'b']),
        ('METHOD', 'M.greet', 9, 11, ['name', '...']),
        ('METHOD', 'Account.deposit', 13, 15, ['amount']),
        ('FUNCTION', 'helper', 17, 20, ['x']),
        ('FUNCTION', 'helper.inner', 18, 18, ['y']),
        ('FUNCTION', 'global_fn', 22, 23, []),
    ], ['json', 'lib.util']),
    "haskell": ("sample.hs", [
        ('STRUCT', 'Shape', 7, 7, []),
        ('INTERFACE', 'Describable', 9, 10, []),
        ('METHOD', 'Describable.describe', 10, 10, []),
        ('FUNCTION', 'describe', 13, 13, ['_']),
        ('FUNCTION', 'area', 17, 18, ['(Circle r)']),
        ('FUNCTION', 'add', 21, 21, ['x', 'y']),
        ('FUNCTION', 'main', 24, 25, []),
    ], ['Data.List', 'Data.Map']),
    "elixir": ("sample.ex", [
        ('MODULE', 'MyApp.Greeter', 1, 24, []),
        ('FUNCTION', 'MyApp.Greeter.hello', 9, 11, ['name', 'greeting']),
        ('FUNCTION', 'MyApp.Greeter.secret', 13, 13, ['x']),
        ('FUNCTION', 'MyApp.Greeter.no_args', 15, 17, []),
        ('MODULE', 'MyApp.Greeter.Inner', 19, 23, []),
        ('FUNCTION', 'MyApp.Greeter.Inner.run', 20, 22, ['a', 'b']),
    ], ['Enum', 'MyApp.Repo', 'Logger', 'GenServer']),
    "dart": ("sample.dart", [
        ('CLASS', 'Shape', 5, 7, []),
        ('METHOD', 'Shape.area', 6, 6, []),
        ('CLASS', 'Circle', 9, 19, []),
        ('METHOD', 'Circle.Circle', 11, 11, ['radius']),
        ('METHOD', 'Circle.area', 14, 16, []),
        ('METHOD', 'Circle.scale', 18, 18, ['factor', 'times']),
        ('ENUM', 'Color', 21, 21, []),
        ('TRAIT', 'Walker', 23, 25, []),
        ('METHOD', 'Walker.walk', 24, 24, ['steps']),
        ('FUNCTION', 'main', 27, 29, ['args']),
        ('FUNCTION', 'add', 31, 31, ['a', 'b']),
    ], ['dart:async', 'package:flutter/material.dart']),
    "r": ("sample.r", [
        ('FUNCTION', 'add', 6, 8, ['x', 'y', '...']),
        ('FUNCTION', 'square', 10, 10, ['n']),
        ('FUNCTION', 'process', 12, 17, ['data']),
        ('FUNCTION', 'process.inner', 13, 15, ['row']),
    ], ['dplyr', 'ggplot2', 'helpers.R']),
    "julia": ("sample.jl", [
        ('MODULE', 'Geometry', 1, 32, []),
        ('FUNCTION', 'Geometry.area', 11, 13, ['r']),
        ('STRUCT', 'Geometry.Point', 15, 18, []),
        ('INTERFACE', 'Geometry.Shape', 20, 20, []),
        ('STRUCT', 'Geometry.Counter', 22, 24, []),
        ('FUNCTION', 'Geometry.add', 26, 26, ['a', 'b']),
        ('FUNCTION', 'Geometry.scale', 28, 30, ['p', 'factor', 'inplace', 'kwargs...']),
    ], ['LinearAlgebra', 'Base']),
    "ocaml": ("sample.ml", [
        ('FUNCTION', 'add', 5, 5, ['x', 'y']),
        ('FUNCTION', 'fact', 7, 8, ['n']),
        ('ENUM', 'shape', 10, 10, []),
        ('MODULE', 'Geometry', 12, 16, []),
        ('FUNCTION', 'Geometry.area', 13, 15, ['s']),
        ('CLASS', 'counter', 18, 21, []),
        ('METHOD', 'counter.incr', 20, 20, []),
    ], ['Printf', 'Core.List']),
    "perl": ("sample.pl", [
        ('FUNCTION', 'Animal.new', 9, 12, []),
        ('FUNCTION', 'Animal.speak', 14, 17, []),
        ('FUNCTION', 'main.helper', 21, 21, []),
    ], ['strict', 'warnings', 'List::Util', 'Data::Dumper']),
    "zig": ("sample.zig", [
        ('STRUCT', 'Point', 5, 12, []),
        ('METHOD', 'Point.add', 9, 11, ['self', 'other']),
        ('ENUM', 'Color', 14, 14, []),
        ('STRUCT', 'Value', 16, 16, []),
        ('FUNCTION', 'main', 18, 20, []),
        ('FUNCTION', 'helper', 22, 24, ['a', 'b']),
    ], ['std', 'util.zig']),
    "erlang": ("sample.erl", [
        ('FUNCTION', 'area', 7, 10, ['{circle, R}']),
        ('FUNCTION', 'add', 12, 13, ['X', 'Y']),
    ], ['records.hrl', 'kernel/include/file.hrl']),
    "solidity": ("sample.sol", [
        ('CLASS', 'Token', 7, 19, []),
        ('STRUCT', 'Token.Holder', 8, 8, []),
        ('ENUM', 'Token.State', 9, 9, []),
        ('METHOD', 'Token.constructor', 12, 12, ['supply']),
        ('METHOD', 'Token.transfer', 14, 16, ['to', 'amount']),
        ('METHOD', 'Token.onlyAdmin', 18, 18, []),
        ('INTERFACE', 'IToken', 21, 23, []),
        ('METHOD', 'IToken.balanceOf', 22, 22, ['who']),
        ('CLASS', 'SafeMath', 25, 27, []),
        ('METHOD', 'SafeMath.add', 26, 26, ['a', 'b']),
    ], ['./IERC20.sol', '@openzeppelin/contracts/access/Ownable.sol']),
    "objc": ("sample.m", [
        ('CLASS', 'Circle', 5, 7, []),
        ('METHOD', 'Circle.area', 6, 6, []),
        ('METHOD', 'Circle.area', 11, 13, []),
        ('METHOD', 'Circle.scaleBy', 15, 16, ['factor', 'n']),
        ('METHOD', 'Circle.circleWithRadius', 18, 20, ['r']),
        ('INTERFACE', 'Drawable', 24, 26, []),
        ('METHOD', 'Drawable.draw', 25, 25, []),
        ('FUNCTION', 'helper', 28, 30, ['a', 'b']),
    ], ['Foundation/Foundation.h', 'Shape.h', 'UIKit']),
}


def _run(language: str, source: bytes) -> tuple[list[tuple[SymbolInfo, Node]], list[str]]:
    tree = get_parser(language).parse(source)
    return extract_symbols(tree, source, language), extract_imports(tree, source, language)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_language_symbols(language: str) -> None:
    fixture, rows, imports = EXPECTED[language]
    source = (FIXTURES / fixture).read_bytes()
    pairs, found_imports = _run(language, source)
    actual = [(s.kind.name, s.qualified_name, s.start_line, s.end_line, s.parameters) for s, _ in pairs]
    assert actual == rows
    assert found_imports == imports
    for symbol, node in pairs:
        assert symbol.qualified_name.endswith(symbol.name)
        if language in ("haskell", "erlang"):
            continue  # equations of one function merge; the node is the first equation's
        # the node handed to the metrics code covers the symbol's code
        assert node.end_point[0] + 1 >= symbol.end_line
        assert (symbol.complexity, symbol.max_nesting, symbol.lines) == (1, 0, 0)


def test_at_least_26_languages_have_symbols() -> None:
    assert set(EXPECTED) == symbol_languages()
    assert len(symbol_languages()) >= 26
    assert symbol_languages() <= set(LANGUAGES)


def test_python_details() -> None:
    pairs, _ = _run("python", (FIXTURES / "sample.py").read_bytes())
    by_name = {s.qualified_name: (s, n) for s, n in pairs}
    repo, repo_node = by_name["Repository"]
    assert repo.docstring == "Stores things.\n\nSecond paragraph."
    assert repo_node.type == "class_definition"
    size, size_node = by_name["Repository.size"]
    assert size_node.type == "function_definition"  # not the decorated_definition
    assert size.start_line == 19  # the `def` line, not the decorator's
    assert by_name["top"][0].docstring == "One-line doc."
    assert by_name["Repository.fetch"][0].docstring is None


@pytest.mark.parametrize(
    ("language", "source", "doc"),
    [
        ("javascript", b"/** Adds numbers. */\nexport function add(a, b) { return a + b; }\n", "Adds numbers."),
        ("go", b"package p\n\n// Dist returns the distance.\n// In metres.\nfunc Dist() int { return 0 }\n",
         "Dist returns the distance.\nIn metres."),
        ("rust", b"/// A point.\nstruct P { x: i32 }\n", "A point."),
        ("java", b"class A {\n  /**\n   * Runs.\n   */\n  void run() {}\n}\n", "Runs."),
        ("ruby", b"# Greets.\ndef hi\nend\n", "Greets."),
        ("c", b"int x;\n\n/* not attached */\n\nint f(void) { return 0; }\n", None),
        ("c", b"int x = 1; /* trailing, not a doc */\nint f(void) { return 0; }\n", None),
        ("rust", b"/// Debuggable.\n#[derive(Debug)]\n#[repr(C)]\npub struct P { x: i32 }\n", "Debuggable."),
        ("julia", b'"""\n    f(x)\n\nIdentity.\n"""\nf(x) = x\n', "    f(x)\n\nIdentity."),
        ("lua", b"-- Adds.\n-- Twice.\nlocal function add(a, b) return a + b end\n", "Adds.\nTwice."),
    ],
)
def test_doc_comments(language: str, source: bytes, doc: str | None) -> None:
    pairs, _ = _run(language, source)
    assert pairs[-1][0].docstring == doc


def test_end_line_ignores_trailing_comments() -> None:
    source = b"fn main() {\n    let x = 1;\n    // trailing\n}\n// after\n"
    (symbol, _), = _run("rust", source)[0]
    assert (symbol.start_line, symbol.end_line) == (1, 4)
    source = b"def f():\n    return 1\n    # trailing\n\n# after\n"
    (symbol, _), = _run("python", source)[0]
    assert (symbol.start_line, symbol.end_line) == (1, 2)


def test_go_receivers_and_rust_impls() -> None:
    pairs, _ = _run("go", b"package p\nfunc (s *Stack[T]) Push(v T) {}\nfunc (Stack) Len() int { return 0 }\n")
    assert [(s.kind, s.qualified_name, s.parameters) for s, _ in pairs] == [
        (SymbolKind.METHOD, "Stack.Push", ["v"]),
        (SymbolKind.METHOD, "Stack.Len", []),
    ]
    pairs, _ = _run("rust", b"impl<T> fmt::Display for Wrapper<T> {\n    fn fmt(&self, f: &mut fmt::Formatter) {}\n}\n")
    assert [(s.kind, s.qualified_name, s.parameters) for s, _ in pairs] == [
        (SymbolKind.METHOD, "Wrapper.fmt", ["self", "f"]),
    ]


@pytest.mark.parametrize("language", sorted(symbol_languages()))
@pytest.mark.parametrize(
    "source",
    [b"", b"\n\n", b"}}}{{{ ((( def class fn func function", b"\x00\xff\xfe\x80 broken", b"class A {\n  def f(\n"],
)
def test_bad_input_does_not_raise(language: str, source: bytes) -> None:
    pairs, imports = _run(language, source)
    assert isinstance(pairs, list)
    assert isinstance(imports, list)


def test_partial_tree_still_yields_symbols() -> None:
    source = b"def ok(a):\n    return a\n\ndef broken(:\n    pass\n\nclass C:\n    def m(self):\n        return 1\n"
    names = [s.qualified_name for s, _ in _run("python", source)[0]]
    assert "ok" in names
    assert "C.m" in names
    source = b"function good(a) { return a; }\nfunction bad( { \n"
    names = [s.qualified_name for s, _ in _run("javascript", source)[0]]
    assert "good" in names


def test_javascript_object_members_and_commonjs() -> None:
    source = (
        b"const path = require('path');\n"
        b"module.exports = {\n"
        b"  f: function (a) { return a; },\n"
        b"  g: b => b,\n"
        b"  h(c, ...d) { return c; },\n"
        b"};\n"
        b"exports.run = async function (opts = {}) {};\n"
    )
    pairs, imports = _run("javascript", source)
    assert [(s.kind, s.qualified_name, s.start_line, s.parameters) for s, _ in pairs] == [
        (SymbolKind.FUNCTION, "f", 3, ["a"]),
        (SymbolKind.FUNCTION, "g", 4, ["b"]),
        (SymbolKind.FUNCTION, "h", 5, ["c", "...d"]),
        (SymbolKind.FUNCTION, "run", 7, ["opts"]),
    ]
    assert imports == ["path"]


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("php", b"<?php\nnamespace A\\B {\n  class C { function m($x) {} }\n}\n",
         [("MODULE", "A.B", []), ("CLASS", "A.B.C", []), ("METHOD", "A.B.C.m", ["$x"])]),
        ("cpp", b"void ns::Widget::draw(int x, int y) {}\nns::Widget::~Widget() {}\n",
         [("METHOD", "ns.Widget.draw", ["x", "y"]), ("METHOD", "ns.Widget.~Widget", [])]),
        ("kotlin", b"fun String?.orBlank(fallback: String): String = this ?: fallback\n",
         [("METHOD", "String.orBlank", ["fallback"])]),
        ("typescript", b"namespace NS {\n  export function f(a: number) {}\n}\n",
         [("MODULE", "NS", []), ("FUNCTION", "NS.f", ["a"])]),
        ("ruby", b"class A\n  class << self\n    def build(*args) end\n  end\nend\n",
         [("CLASS", "A", []), ("METHOD", "A.build", ["*args"])]),
    ],
)
def test_qualification_rules(language: str, source: bytes, expected: list[tuple[str, str, list[str]]]) -> None:
    pairs, _ = _run(language, source)
    assert [(s.kind.name, s.qualified_name, s.parameters) for s, _ in pairs] == expected


def test_python_grammar_gaps_fall_back_to_ast() -> None:
    # valid Python that tree-sitter-python mis-parses (a dedented continuation line inside brackets)
    source = (
        b"class T:\n"
        b"    def test(self):\n"
        b"        def f():\n"
        b"            (bar.\n"
        b"        baz)\n"
        b"        return f\n"
        b"\n"
        b"    def after(self, *a, **k):\n"
        b'        """Doc."""\n'
    )
    tree = get_parser("python").parse(source)
    assert tree.root_node.has_error
    pairs = extract_symbols(tree, source, "python")
    assert [(s.kind, s.qualified_name, s.start_line, s.end_line, s.parameters, s.docstring) for s, _ in pairs] == [
        (SymbolKind.CLASS, "T", 1, 9, [], None),
        (SymbolKind.METHOD, "T.test", 2, 6, ["self"], None),
        (SymbolKind.FUNCTION, "T.test.f", 3, 5, [], None),
        (SymbolKind.METHOD, "T.after", 8, 9, ["self", "*a", "**k"], "Doc."),
    ]
    for _symbol, node in pairs:
        assert isinstance(node, Node)


def test_languages_without_queries_give_nothing() -> None:
    assert "json" not in symbol_languages()
    assert _run("json", b'{"a": 1}') == ([], [])


def test_imports_are_deduplicated_in_source_order() -> None:
    _, imports = _run("javascript", b'import b from "b";\nconst a = require("a");\nimport b2 from "b";\nimport("c");\n')
    assert imports == ["b", "a", "c"]
    _, imports = _run("c", b'#include <stdio.h>\n#include "local.h"\n#include <stdio.h>\n')
    assert imports == ["stdio.h", "local.h"]
