"""Security rules for JavaScript, TypeScript and TSX (shared node kinds)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from tree_sitter import Node

from subgraphs.parser.model import Finding, Severity
from subgraphs.parser.rules.common import Finder, Rule, node_at, run, same, text, unparen

EVAL = Rule("QL-JS-EVAL", Severity.HIGH, "CWE-95", "Code evaluated from a dynamic string")
SHELL = Rule("QL-JS-SHELL", Severity.CRITICAL, "CWE-78", "Shell command built from dynamic input")
SQL = Rule("QL-JS-SQL", Severity.HIGH, "CWE-89", "SQL query built by concatenation or template; use parameters")
WEAK_HASH = Rule("QL-JS-WEAK-HASH", Severity.MEDIUM, "CWE-328", "Weak hash (MD5/SHA-1)")
DESERIALIZE = Rule("QL-JS-DESERIALIZE", Severity.HIGH, "CWE-502", "Unsafe deserialization of untrusted data")
TLS = Rule("QL-JS-TLS-VERIFY", Severity.HIGH, "CWE-295", "TLS certificate verification disabled")

_MAX_DEPTH = 64  # deeper expressions are not analysed (and cannot exhaust the stack)
_WRAPPERS = frozenset({"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
                       "type_assertion"})


def _strip(node: Node | None) -> Node | None:
    node = unparen(node)
    while node is not None and node.type in _WRAPPERS and node.named_child_count:
        node = node.named_children[0]
    return node


def _is_constant(node: Node | None, depth: int = 0) -> bool:
    node = _strip(node)
    if node is None or depth > _MAX_DEPTH:
        return False
    kind = node.type
    if kind == "string":
        return True
    if kind == "template_string":
        return not any(c.type == "template_substitution" for c in node.named_children)
    if kind in ("number", "true", "false", "null", "undefined"):
        return True
    if kind == "binary_expression":
        return _is_constant(node.child_by_field_name("left"), depth + 1) and _is_constant(node.child_by_field_name("right"), depth + 1)
    return False


def _is_built(node: Node | None, depth: int = 0) -> bool:
    """A string assembled at run time: a template with substitutions or ``+`` with a string piece."""
    node = _strip(node)
    if node is None or depth > _MAX_DEPTH or _is_constant(node):
        return False
    if node.type == "template_string":
        return True
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is None or op.type != "+":
            return False
        sides = [_strip(node.child_by_field_name("left")), _strip(node.child_by_field_name("right"))]
        return any(s is not None and (s.type in ("string", "template_string") or _is_built(s, depth + 1)) for s in sides)
    if node.type == "call_expression":  # "...".concat(x)
        func = node.child_by_field_name("function")
        return func is not None and func.type == "member_expression" and text(
            func.child_by_field_name("property")) == "concat"
    return False


def _call_of(name: Node | None, kinds: tuple[str, ...] = ("call_expression",)) -> Node | None:
    """The call (or ``new``) whose callee is identifier ``name`` or a member access ending in it."""
    if name is None or name.type not in ("identifier", "property_identifier"):
        return None
    callee, parent = name, name.parent
    if parent is not None and parent.type == "member_expression" and same(parent.child_by_field_name("property"),
                                                                          name):
        callee, parent = parent, parent.parent
    if parent is None or parent.type not in kinds:
        return None
    field = "constructor" if parent.type == "new_expression" else "function"
    return parent if same(parent.child_by_field_name(field), callee) else None


def _args(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return []  # e.g. a tagged template: sql`...` is parameterised by the tag
    return [a for a in arguments.named_children if a.type != "comment"]


def _first_arg_value(call: Node) -> Node | None:
    """The call's first argument, followed through a variable to the value it was declared with."""
    args = _args(call)
    arg = _strip(args[0]) if args else None
    if arg is not None and arg.type == "identifier":
        arg = _resolve(arg, call.start_byte)
    return arg


def _resolve(name: Node, before: int) -> Node | None:
    """The initial value of a ``const``/``let``/``var`` named like ``name`` declared before ``before``."""
    wanted = name.text
    node: Node | None = name
    hops = 0
    while node is not None and hops < 30:
        hops += 1
        if node.type in ("statement_block", "program"):
            for stmt in reversed(node.named_children):
                if stmt.end_byte > before or stmt.type not in ("lexical_declaration", "variable_declaration"):
                    continue
                for decl in stmt.named_children:
                    if decl.type == "variable_declarator":
                        left = decl.child_by_field_name("name")
                        if left is not None and left.text == wanted:
                            return decl.child_by_field_name("value")
        node = node.parent
    return None


def _eval(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    name = node_at(root, m.start(1), m.end(1))
    call = _call_of(name)
    if call is None or call.child_by_field_name("function").type != "identifier":  # type: ignore[union-attr]
        return
    args = _args(call)
    if args and not _is_constant(args[0]):
        yield EVAL.at(call, "eval() of a dynamic string")


def _new_function(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)), ("new_expression", "call_expression"))
    if call is None:
        return
    args = _args(call)
    if args and not all(_is_constant(a) for a in args):
        yield EVAL.at(call, "Function constructor with a dynamic body")


def _timer(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None:
        return
    args = _args(call)
    if args and _is_built(args[0]):
        yield EVAL.at(call, f"{m.group(1).decode()}() with a dynamic code string")


def _exec(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    if b"child_process" not in source:
        return
    name = node_at(root, m.start(1), m.end(1))
    call = _call_of(name)
    if call is None:
        return
    func = call.child_by_field_name("function")
    if func is not None and func.type == "member_expression":
        obj = _strip(func.child_by_field_name("object"))
        if obj is None or obj.type == "regex":
            return
    arg = _first_arg_value(call)
    if _is_built(arg):
        yield SHELL.at(call, f"{m.group(1).decode()}() with a command built from dynamic input")


def _sql(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None:
        return
    arg = _first_arg_value(call)
    if _is_built(arg):
        yield SQL.at(call, f"SQL passed to {m.group(1).decode()}() is built by concatenation or a template")


def _create_hash(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None:
        return
    args = _args(call)
    if args and args[0].type == "string" and text(args[0]).strip("'\"").lower() in ("md5", "sha1", "md4"):
        yield WEAK_HASH.at(call, f"Weak hash {text(args[0]).strip(chr(39) + chr(34)).upper()} via createHash()")


def _unserialize(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    if b"node-serialize" not in source:
        return
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is not None:
        yield DESERIALIZE.at(call, "node-serialize unserialize() executes functions embedded in the data")


def _reject_unauthorized(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    key = node_at(root, m.start(1), m.end(1))
    if key is None:
        return
    if key.type == "string_fragment" and key.parent is not None:
        key = key.parent
    parent = key.parent
    if parent is None:
        return
    if parent.type == "pair" and same(parent.child_by_field_name("key"), key):
        value = _strip(parent.child_by_field_name("value"))
    elif parent.type == "member_expression" and parent.parent is not None and \
            parent.parent.type == "assignment_expression":
        value = _strip(parent.parent.child_by_field_name("right"))
    else:
        return
    if value is not None and value.type == "false":
        yield TLS.at(parent, "rejectUnauthorized: false disables certificate verification")


def _node_tls_env(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    node = node_at(root, m.start(), m.end())
    assign = node
    for _ in range(5):
        if assign is None or assign.type == "assignment_expression":
            break
        assign = assign.parent
    if assign is None or assign.type != "assignment_expression":
        return
    left = assign.child_by_field_name("left")
    if left is None or m.start() < left.start_byte or m.end() > left.end_byte:
        return
    value = _strip(assign.child_by_field_name("right"))
    if value is not None and text(value).strip("'\"`") == "0":
        yield TLS.at(assign, "NODE_TLS_REJECT_UNAUTHORIZED=0 disables certificate verification for the process")


@cache
def _finders() -> list[Finder]:
    return [
        Finder((b"eval",), re.compile(rb"(eval)\s*\("), _eval),
        Finder((b"Function",), re.compile(rb"(Function)\s*\("), _new_function),
        Finder((b"setTimeout", b"setInterval"), re.compile(rb"(setTimeout|setInterval)\s*\("), _timer),
        Finder((b"exec",), re.compile(rb"(execSync|exec)\s*\("), _exec, requires=(b"child_process",)),
        Finder((b"query", b"execute", b"raw"), re.compile(rb"(query|execute|raw)\s*\("), _sql, after_dot=True),
        Finder((b"createHash",), re.compile(rb"(createHash)\s*\("), _create_hash),
        Finder((b"unserialize",), re.compile(rb"(unserialize)\s*\("), _unserialize, requires=(b"node-serialize",)),
        Finder((b"rejectUnauthorized",), re.compile(rb"(rejectUnauthorized)['\"]?\s*[:=]\s*false\b"),
               _reject_unauthorized),
        Finder((b"NODE_TLS_REJECT_UNAUTHORIZED",), re.compile(rb"NODE_TLS_REJECT_UNAUTHORIZED"), _node_tls_env),
    ]


def scan_javascript(root: Node, source: bytes) -> list[Finding]:
    return run(root, source, _finders())
