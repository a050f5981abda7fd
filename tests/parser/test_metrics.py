"""Unit tests for complexity, nesting and size metrics."""

from __future__ import annotations

import textwrap

import pytest
from tree_sitter import Node, Query, QueryCursor

from subgraphs.parser.languages import LANGUAGES, get_language, get_parser
from subgraphs.parser.metrics import (
    CaptureSink,
    _query,
    code_line_count,
    file_metrics,
    query_text,
    symbol_metrics,
)
from subgraphs.parser.model import SymbolInfo, SymbolKind

FUNCTION_KINDS = {
    "python": "(function_definition) @f",
    "javascript": "[(function_declaration) (arrow_function) (method_definition) (function_expression)] @f",
    "typescript": "[(function_declaration) (arrow_function) (method_definition)] @f",
    "go": "[(function_declaration) (method_declaration)] @f",
    "java": "(method_declaration) @f",
    "c": "(function_definition) @f",
    "cpp": "(function_definition) @f",
    "rust": "(function_item) @f",
}


def functions(code: str, language: str) -> tuple[bytes, dict[str, Node]]:
    """Parse ``code`` and map each function's first identifier text to its node."""
    data = textwrap.dedent(code).encode()
    tree = get_parser(language).parse(data)
    query = Query(get_language(language), FUNCTION_KINDS[language])
    found: dict[str, Node] = {}
    for node in QueryCursor(query).captures(tree.root_node).get("f", ()):
        name = node.child_by_field_name("name") or node.child_by_field_name("declarator")
        key = (name.text or b"").decode() if name is not None else f"anon@{node.start_point[0] + 1}"
        found[key.split("(")[0]] = node
    return data, found


def metrics(code: str, language: str, name: str) -> tuple[int, int, int]:
    data, found = functions(code, language)
    return symbol_metrics(found[name], data, language)


# ---------------------------------------------------------------- Python


def test_python_straight_line() -> None:
    assert metrics("def f(x):\n    return x + 1\n", "python", "f") == (1, 0, 2)


def test_python_decision_points() -> None:
    code = """
    def f(a, b):
        if a and b:            # if, and
            pass
        elif a or b:           # elif, or
            pass
        else:
            pass
        for x in a:            # for
            while b:           # while
                break
        try:
            pass
        except ValueError:     # except
            pass
        except KeyError:       # except
            pass
        finally:               # finally
            pass
        with open(a) as fh:    # with does not count
            pass
        return [y for y in b if y]  # for, if
    """
    assert metrics(code, "python", "f")[0] == 1 + 2 + 2 + 1 + 1 + 2 + 1 + 2


def test_python_ternary_lambda_and_match() -> None:
    code = """
    def f(a):
        g = lambda v: v if v else 0      # ternary inside a lambda counts for f
        match a:
            case 1:
                return 1
            case [x, y] if x > y:         # case + guard if
                return 2
            case _:
                return g(a)
    """
    assert metrics(code, "python", "f")[0] == 1 + 1 + 3 + 1


def test_python_nested_function_is_separate() -> None:
    code = """
    def outer(a):
        if a:
            pass
        def inner(b):
            if b and a:
                return 1
            return 0
        while a:
            a -= 1
        return inner
    """
    data, found = functions(code, "python")
    assert symbol_metrics(found["outer"], data, "python")[:2] == (3, 1)
    assert symbol_metrics(found["inner"], data, "python")[:2] == (3, 1)


def test_python_fstring_conditions_count() -> None:
    code = 'def f(a):\n    return f"{a if a else 0}"\n'
    assert metrics(code, "python", "f")[0] == 2


def test_python_nesting_depth() -> None:
    code = """
    def f(items):
        for item in items:              # 1
            if item:                    # 2
                try:                    # 3
                    with open(item):    # 4
                        pass
                except OSError:
                    pass
            elif item is None:          # elif stays at 2
                while True:             # 3
                    break
        return 0
    """
    assert metrics(code, "python", "f") == (1 + 1 + 1 + 1 + 1 + 1, 4, 12)


def test_python_class_node_counts_class_body_only() -> None:
    data = textwrap.dedent("""
    class C:
        if DEBUG:
            x = 1
        def m(self):
            if self and self.x:
                return 1
    """).encode()
    tree = get_parser("python").parse(data)
    cls = tree.root_node.named_children[0]
    assert cls.type == "class_definition"
    assert symbol_metrics(cls, data, "python")[:2] == (2, 1)


def test_python_decorated_definition_wrapper() -> None:
    data = b"@dec\ndef f(a):\n    if a:\n        return 1\n"
    tree = get_parser("python").parse(data)
    wrapped = tree.root_node.named_children[0]
    assert wrapped.type == "decorated_definition"
    assert symbol_metrics(wrapped, data, "python") == (2, 1, 4)


# ------------------------------------------------------------ JavaScript


def test_javascript_decision_points() -> None:
    code = """
    function f(a, b) {
      if (a && b) {                 // if, &&
        return 1;
      } else if (a || b) {          // if, ||
        return 2;
      }
      for (let i = 0; i < 3; i++) {}   // for
      for (const k in a) {}            // for
      while (b) { b--; }               // while
      do { a--; } while (a > 0);       // do-while
      switch (a) {
        case 1: break;                 // case
        case 2: break;                 // case
        default: break;
      }
      try { g(); } catch (e) { }       // catch
      return a ? 1 : 2;                // ?:
    }
    """
    assert metrics(code, "javascript", "f")[0] == 1 + 2 + 2 + 2 + 1 + 1 + 2 + 1 + 1


def test_javascript_nested_callbacks_are_separate_functions() -> None:
    code = """
    function outer(xs) {
      if (xs) {
        xs.forEach((x) => {
          if (x && x.y) { console.log(x); }
        });
      }
      return xs;
    }
    """
    data, found = functions(code, "javascript")
    assert symbol_metrics(found["outer"], data, "javascript")[:2] == (2, 1)
    arrow = next(n for k, n in found.items() if k.startswith("anon"))
    assert symbol_metrics(arrow, data, "javascript")[:2] == (3, 1)


def test_javascript_else_if_chain_does_not_deepen_nesting() -> None:
    code = """
    function f(a) {
      if (a === 1) { return 1; }
      else if (a === 2) { return 2; }
      else if (a === 3) { for (;;) { break; } }
      return 0;
    }
    """
    cc, depth, lines = metrics(code, "javascript", "f")
    assert (cc, depth, lines) == (5, 2, 6)


def test_javascript_arrow_bound_to_const() -> None:
    data = b"const f = (a) => {\n  if (a) { return 1; }\n  return a ? 2 : 3;\n};\n"
    tree = get_parser("javascript").parse(data)
    decl = tree.root_node.named_children[0]
    assert decl.type == "lexical_declaration"
    assert symbol_metrics(decl, data, "javascript") == (3, 1, 4)


# ------------------------------------------------------------ other languages


@pytest.mark.parametrize(
    ("language", "code", "name", "expected"),
    [
        ("typescript", "function f(a: number): number {\n  if (a > 1 && a < 3) { return 1; }\n  return 0;\n}\n",
         "f", 3),
        ("go", "package m\nfunc f(a int) int {\n\tif a > 1 || a < 0 {\n\t\treturn 1\n\t}\n"
               "\tfor i := 0; i < a; i++ {}\n\tswitch a {\n\tcase 1:\n\tcase 2:\n\t}\n\treturn 0\n}\n", "f", 6),
        ("java", "class C {\n  int f(int a) {\n    if (a > 1 && a < 3) { return 1; }\n"
                 "    return a > 0 ? 1 : 0;\n  }\n}\n", "f", 4),
        ("c", "int f(int a) {\n  while (a--) { if (a == 3 || a == 4) return 1; }\n  return 0;\n}\n", "f", 4),
        ("cpp", "int f(int&& a) {\n  for (auto x : v) { if (x && a) return 1; }\n  return 0;\n}\n", "f", 4),
        ("rust", "fn f(a: i32) -> i32 {\n    match a {\n        1 => 1,\n        _ => if a > 2 && a < 9 { 2 } else { 3 },\n"
                 "    }\n}\n", "f", 5),
    ],
)
def test_other_languages(language: str, code: str, name: str, expected: int) -> None:
    assert metrics(code, language, name)[0] == expected


def test_every_language_has_compiling_queries() -> None:
    for name in LANGUAGES:
        _query(name)  # raises if a pattern does not compile


# ------------------------------------------------------------ file metrics


def test_code_lines_skip_blank_and_comment_lines() -> None:
    code = b"# header\n\nx = 1  # trailing\n\n    # indented comment\ny = 2\n"
    tree = get_parser("python").parse(code)
    assert code_line_count(tree, code, "python") == 2


def test_code_lines_block_comments_javascript() -> None:
    code = b"/* a\n * b\n */\nlet x = 1; /* c */\n/* d */ let y = 2;\n// e\n"
    tree = get_parser("javascript").parse(code)
    assert code_line_count(tree, code, "javascript") == 2


def test_file_metrics_summary() -> None:
    code = b"def f():\n    pass\n\n# c\n"
    tree = get_parser("python").parse(code)
    symbols = [
        SymbolInfo(SymbolKind.FUNCTION, "f", "f", 1, 2, complexity=3),
        SymbolInfo(SymbolKind.METHOD, "m", "C.m", 5, 6, complexity=1),
        SymbolInfo(SymbolKind.CLASS, "C", "C", 4, 6, complexity=9),
    ]
    fm = file_metrics(tree, code, "python", symbols)
    assert (fm.lines, fm.code_lines, fm.functions, fm.average_complexity, fm.max_complexity) == (4, 2, 2, 2.0, 3)
    empty = file_metrics(get_parser("python").parse(b""), b"", "python", [])
    assert (empty.lines, empty.code_lines, empty.functions, empty.average_complexity) == (0, 0, 0, 0.0)


def test_cache_follows_new_source() -> None:
    a = metrics("def f(a):\n    if a:\n        pass\n", "python", "f")
    b = metrics("def f(a):\n    return a\n", "python", "f")
    assert a[0] == 2 and b[0] == 1


def test_capture_sink_shares_a_query_pass() -> None:
    code = textwrap.dedent("""
    # comment
    def f(a):
        if a and a > 1:
            return [x for x in a if x]
        return 0

    class C:
        def m(self):
            while self:
                pass
    """).encode()
    tree = get_parser("python").parse(code)
    own = "(function_definition name: (identifier) @name) @definition.function"
    query = Query(get_language("python"), own + "\n" + query_text("python"))
    sink = CaptureSink()
    defs = []
    for _pattern, captures in QueryCursor(query).matches(tree.root_node):
        if sink.take(captures):
            continue
        defs.append(captures["definition.function"][0])
    copy = bytes(bytearray(code))  # a different object: no cache hit, computed by its own pass
    expected = [symbol_metrics(node, copy, "python") for node in defs]
    sink.prime(code, "python")
    assert [symbol_metrics(node, code, "python") for node in defs] == expected == [(5, 1, 4), (2, 1, 3)]
    assert code_line_count(tree, code, "python") == code_line_count(tree, copy, "python") == 8


def test_javascript_defaults_and_nullish_count_like_lizard() -> None:
    code = "function f(a, b = 1, { c = 2 } = {}) {\n  return a ?? b;\n}\n"
    assert metrics(code, "javascript", "f")[0] == 1 + 3 + 1


def test_typescript_default_parameter_counts() -> None:
    code = "function f(a: number, b: number = 1): number {\n  return a ?? b;\n}\n"
    assert metrics(code, "typescript", "f")[0] == 3


def test_c_preprocessor_conditions_count_like_lizard() -> None:
    code = "int f(int a) {\n#ifdef X\n  a++;\n#elif Y\n  a--;\n#endif\n#ifndef Z\n#endif\n  return a;\n}\n"
    assert metrics(code, "c", "f")[0] == 3


@pytest.mark.parametrize(
    ("language", "code", "kind", "expected"),
    [
        ("ruby", "def f(a)\n  if a && b\n    1\n  elsif c\n    2\n  end\n  x = a ? 1 : 2\n  return 3 unless a\nend\n",
         "method", (6, 1, 9)),
        ("php", "<?php\nfunction f($a) {\n  if ($a && $b) { return 1; } elseif ($c) { return 2; }\n"
                "  foreach ($a as $x) {}\n  return $a ? 1 : 2;\n}\n", "function_definition", (6, 1, 5)),
        ("kotlin", "fun f(a: Int): Int {\n  if (a > 1 && a < 3) return 1\n  for (i in 0..a) {}\n"
                   "  return when (a) { 1 -> 1\n 2 -> 2\n else -> 0 }\n}\n", "function_declaration", (6, 1, 7)),
        ("swift", "func f(a: Int) -> Int {\n  guard a > 0 else { return 0 }\n  if a > 1 || a < -1 { return 1 }\n"
                  "  return a > 2 ? 1 : 2\n}\n", "function_declaration", (5, 1, 5)),
        ("csharp", "class C { int F(int a) { if (a > 1 && a < 3) return 1; foreach (var x in xs) {} return a ?? 0; } }",
         "method_declaration", (5, 1, 1)),
        ("lua", "function f(a)\n  if a and b then return 1 elseif c then return 2 end\n  for i=1,3 do end\n  return 0\nend\n",
         "function_declaration", (5, 1, 5)),
        ("bash", "f() {\n  if [ -n \"$a\" ] && true; then echo 1; elif false; then echo 2; fi\n"
                 "  for x in 1 2; do echo; done\n}\n", "function_definition", (5, 1, 4)),
        ("zig", "fn f(a: i32) i32 {\n    if (a > 1 and a < 3) return 1;\n    while (a > 0) {}\n    return 0;\n}\n",
         "Decl", (4, 1, 5)),
        ("scala", "object O { def f(a: Int): Int = { if (a > 1 && a < 3) 1 else a match { case 1 => 1\n case _ => 0 } } }",
         "function_definition", (5, 2, 2)),
        ("julia", "function f(a)\n  if a > 1 && a < 3\n    return 1\n  elseif a < 0\n    return 2\n  end\n"
                  "  for i in 1:a end\n  return 0\nend\n", "function_definition", (5, 1, 9)),
    ],
)
def test_more_languages(language: str, code: str, kind: str, expected: tuple[int, int, int]) -> None:
    data = code.encode()
    tree = get_parser(language).parse(data)
    [node] = QueryCursor(Query(get_language(language), f"({kind}) @f")).captures(tree.root_node)["f"]
    assert symbol_metrics(node, data, language) == expected


def test_wrapper_measures_only_a_function_that_is_the_bound_value() -> None:
    # R: ``f <- function(x) ...`` is a binary_operator wrapping the function
    data = b"f <- function(x) {\n  if (x && y) 1 else 2\n}\n"
    tree = get_parser("r").parse(data)
    wrapper = tree.root_node.named_children[0]
    assert wrapper.type == "binary_operator"
    assert symbol_metrics(wrapper, data, "r")[0] == 3
    # a lambda inside a Python assignment is not what the name is bound to
    data = b"x = sorted(items, key=lambda v: v if v else 0) or []\n"
    tree = get_parser("python").parse(data)
    assign = tree.root_node.named_children[0].named_children[0]
    assert assign.type == "assignment"
    assert symbol_metrics(assign, data, "python")[0] == 3
