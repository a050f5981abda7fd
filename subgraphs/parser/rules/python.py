"""Security rules for Python sources (tree-sitter-python node kinds)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from tree_sitter import Node

from subgraphs.parser.model import Finding, Severity
from subgraphs.parser.rules.common import Finder, Rule, node_at, run, same, text, unparen

EVAL = Rule("QL-PY-EVAL", Severity.HIGH, "CWE-95", "Code evaluated from a dynamic string")
SHELL = Rule("QL-PY-SHELL", Severity.CRITICAL, "CWE-78", "Shell command built from dynamic input")
SQL = Rule("QL-PY-SQL", Severity.HIGH, "CWE-89", "SQL query built with string formatting; use parameters")
WEAK_HASH = Rule("QL-PY-WEAK-HASH", Severity.MEDIUM, "CWE-328",
                 "Weak hash (MD5/SHA-1); pass usedforsecurity=False if not used for security")
DESERIALIZE = Rule("QL-PY-DESERIALIZE", Severity.HIGH, "CWE-502", "Unsafe deserialization of untrusted data")
TLS = Rule("QL-PY-TLS-VERIFY", Severity.HIGH, "CWE-295", "TLS certificate verification disabled")

_SUBPROCESS = frozenset({"call", "run", "Popen", "check_call", "check_output"})
_ALWAYS_SHELL = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"})
_WEAK = frozenset({"md5", "sha1", "md4", "md5-sha1", "md5_sha1", "sha-1"})
_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
                           "Client", "AsyncClient", "Session", "urlopen", "ClientSession", "TCPConnector"})
_STRINGISH = frozenset({"string", "concatenated_string"})

_MAX_DEPTH = 64  # deeper expressions are not analysed (and cannot exhaust the stack)

# ------------------------------------------------------------------ helpers


def _is_constant(node: Node | None, depth: int = 0) -> bool:
    """A literal whose value is fixed in the source (no interpolation, no names)."""
    node = unparen(node)
    if node is None or depth > _MAX_DEPTH:
        return False
    kind = node.type
    if kind == "string":
        return not any(c.type == "interpolation" for c in node.children)
    if kind == "concatenated_string":
        return all(_is_constant(c, depth + 1) for c in node.named_children)
    if kind in ("integer", "float", "true", "false", "none"):
        return True
    if kind in ("list", "tuple"):
        return all(_is_constant(c, depth + 1) for c in node.named_children if c.type != "comment")
    if kind == "binary_operator":
        return _is_constant(node.child_by_field_name("left"), depth + 1) and _is_constant(node.child_by_field_name("right"), depth + 1)
    return False


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _is_formatted(node: Node | None, depth: int = 0) -> bool:
    """A string built at run time from pieces: f-string, ``+``, ``%`` or ``.format()``."""
    node = unparen(node)
    if node is None or depth > _MAX_DEPTH or _is_constant(node):
        return False
    kind = node.type
    if kind == "string":  # an f-string with interpolations
        return True
    if kind == "concatenated_string":
        return any(_is_formatted(c, depth + 1) for c in node.named_children)
    if kind == "binary_operator":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = _operator(node)
        if op == "%":
            return unparen(left) is not None and (unparen(left).type in _STRINGISH or _is_formatted(left, depth + 1))  # type: ignore[union-attr]
        if op == "+":
            return any(unparen(s) is not None and (unparen(s).type in _STRINGISH or _is_formatted(s, depth + 1))  # type: ignore[union-attr]
                       for s in (left, right))
        return False
    if kind == "call":
        func = node.child_by_field_name("function")
        return func is not None and func.type == "attribute" and text(func.child_by_field_name("attribute")) in (
            "format", "format_map")
    return False


def _call_of(name: Node | None) -> Node | None:
    """The call whose callee is ``name`` (an identifier) or an attribute ending in it."""
    if name is None or name.type != "identifier":
        return None
    callee = name
    parent = name.parent
    if parent is not None and parent.type == "attribute" and same(parent.child_by_field_name("attribute"), name):
        callee, parent = parent, parent.parent
    if parent is not None and parent.type == "call" and same(parent.child_by_field_name("function"), callee):
        return parent
    return None


def _args(call: Node) -> tuple[list[Node], dict[str, Node]]:
    positional: list[Node] = []
    keywords: dict[str, Node] = {}
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "argument_list":
        return positional, keywords
    for child in arguments.named_children:
        if child.type == "keyword_argument":
            value = child.child_by_field_name("value")
            if value is not None:
                keywords[text(child.child_by_field_name("name"))] = value
        elif child.type != "comment":
            positional.append(child)
    return positional, keywords


def _callee(call: Node) -> str:
    return re.sub(r"\s+", "", text(call.child_by_field_name("function")))


def _resolve(name: Node, before: int) -> Node | None:
    """The value last assigned to identifier ``name`` in an enclosing block, before offset ``before``."""
    wanted = name.text
    node: Node | None = name
    hops = 0
    while node is not None and hops < 30:
        hops += 1
        if node.type in ("block", "module"):
            for stmt in reversed(node.named_children):
                if stmt.end_byte > before or stmt.type != "expression_statement" or not stmt.named_child_count:
                    continue
                assign = stmt.named_children[0]
                if assign.type in ("assignment", "augmented_assignment"):
                    left = assign.child_by_field_name("left")
                    if left is not None and left.type == "identifier" and left.text == wanted:
                        right = assign.child_by_field_name("right")
                        if assign.type == "augmented_assignment" and right is not None and not _is_constant(right):
                            return right if _is_formatted(right) or right.type in _STRINGISH else None
                        return right
        if node.type in ("function_definition", "class_definition"):
            break
        node = node.parent
    return None


# ------------------------------------------------------------------ handlers


def _eval(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None or call.child_by_field_name("function").type != "identifier":  # type: ignore[union-attr]
        return
    positional, keywords = _args(call)
    arg = positional[0] if positional else keywords.get("source") or keywords.get("object")
    if arg is not None and not _is_constant(arg):
        yield EVAL.at(call, f"{m.group(1).decode()}() of a dynamic string")


def _eval_or_sql(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    if m.group(1).startswith(b"execute"):
        return _sql(root, source, m)
    return _eval(root, source, m)


def _shell_true(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    kw = node_at(root, m.start(), m.start() + 5)
    kw = kw.parent if kw is not None else None
    if kw is None or kw.type != "keyword_argument" or kw.parent is None or kw.parent.parent is None:
        return
    call = kw.parent.parent
    if call.type != "call" or _callee(call).rsplit(".", 1)[-1] not in _SUBPROCESS:
        return
    positional, keywords = _args(call)
    arg = positional[0] if positional else keywords.get("args")
    if arg is not None and not _is_constant(arg):
        yield SHELL.at(call, f"{_callee(call)}(..., shell=True) with a dynamic command")


def _os_shell(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None:
        return
    callee = _callee(call)
    if callee not in _ALWAYS_SHELL and not (callee in ("system", "popen") and b"from os import" in source):
        return
    positional, keywords = _args(call)
    arg = positional[0] if positional else keywords.get("cmd") or keywords.get("command")
    if arg is not None and not _is_constant(arg):
        yield SHELL.at(call, f"{callee}() with a dynamic command")


def _sql(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None or call.child_by_field_name("function").type != "attribute":  # type: ignore[union-attr]
        return
    positional, keywords = _args(call)
    arg = unparen(positional[0] if positional else keywords.get("sql") or keywords.get("query"))
    if arg is not None and arg.type == "identifier":
        arg = unparen(_resolve(arg, call.start_byte))
    if _is_formatted(arg):
        yield SQL.at(call, f"SQL passed to {m.group(1).decode()}() is built by string formatting")


def _weak_hash(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None:
        return
    callee = _callee(call)
    positional, keywords = _args(call)
    algorithm = m.group(1).decode()
    if callee == "hashlib.new":
        name = positional[0] if positional else keywords.get("name")
        if name is None or not _is_constant(name) or name.type != "string":
            return
        algorithm = text(name).strip("'\"rRbBuU").lower()
        if algorithm not in _WEAK:
            return
    elif callee not in ("hashlib.md5", "hashlib.sha1", "md5", "sha1") or (
            "." not in callee and b"from hashlib import" not in source):
        return
    flag = keywords.get("usedforsecurity")
    if flag is not None and flag.type == "false":
        return
    yield WEAK_HASH.at(call, f"Weak hash {algorithm.upper()} used; pass usedforsecurity=False if not for security")


def _pickle(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(2), m.end(2)))
    if call is not None and _callee(call) == f"{m.group(1).decode()}.{m.group(2).decode()}":
        yield DESERIALIZE.at(call, f"{_callee(call)}() can execute code from untrusted data")


def _yaml(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    call = _call_of(node_at(root, m.start(1), m.end(1)))
    if call is None or not _callee(call).startswith("yaml."):
        return
    func = m.group(1).decode()
    if func.startswith("unsafe_"):
        yield DESERIALIZE.at(call, f"yaml.{func}() can construct arbitrary Python objects")
        return
    positional, keywords = _args(call)
    loader = keywords.get("Loader") or (positional[1] if len(positional) > 1 else None)
    if loader is None or text(loader).rsplit(".", 1)[-1] not in _SAFE_LOADERS:
        yield DESERIALIZE.at(call, f"yaml.{func}() without SafeLoader can construct arbitrary Python objects")


def _verify_false(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    name = node_at(root, m.start(), m.start() + 6)
    kw = name.parent if name is not None else None
    if kw is None or kw.type != "keyword_argument" or kw.parent is None or kw.parent.parent is None:
        return
    call = kw.parent.parent
    if call.type != "call":
        return
    callee = _callee(call)
    if callee.split(".", 1)[0] in ("requests", "httpx", "aiohttp") or callee.rsplit(".", 1)[-1] in _HTTP_METHODS:
        yield TLS.at(kw, f"{callee}(..., verify=False) disables certificate verification")


def _ssl(root: Node, source: bytes, m: re.Match[bytes]) -> Iterator[Finding]:
    name = node_at(root, m.start(1), m.end(1))
    attr = name.parent if name is not None else None
    if attr is None or attr.type != "attribute" or not same(attr.child_by_field_name("attribute"), name):
        return
    if m.group(1) == b"CERT_NONE":
        parent = attr.parent
        if parent is None:
            return
        if parent.type == "assignment" and same(parent.child_by_field_name("right"), attr):
            pass
        elif not (parent.type == "keyword_argument" and same(parent.child_by_field_name("value"), attr)):
            return  # a comparison or an assertion reads CERT_NONE without setting it
        yield TLS.at(attr, "ssl.CERT_NONE disables certificate verification")
    else:
        yield TLS.at(attr, "ssl._create_unverified_context() disables certificate verification")


@cache
def _finders() -> list[Finder]:
    return [
        # "exec" also finds execute/executemany/executescript: one search for both rules
        Finder((b"eval", b"exec", b"compile"),
               re.compile(rb"(eval|executemany|executescript|execute|exec|compile)\s*\("), _eval_or_sql),
        Finder((b"shell",), re.compile(rb"shell\s*=\s*True\b"), _shell_true),
        Finder((b"system", b"popen"), re.compile(rb"(system|popen)\s*\("), _os_shell),
        Finder((b"subprocess",), re.compile(rb"subprocess\s*\.\s*(getoutput|getstatusoutput)\s*\("), _os_shell),
        Finder((b"raw", b"query"), re.compile(rb"(raw|query)\s*\("), _sql, after_dot=True),
        Finder((b"md5", b"sha1", b"new"), re.compile(rb"(md5|sha1|new)\s*\("), _weak_hash, requires=(b"hashlib",)),
        Finder((b"pickle", b"marshal"),
               re.compile(rb"(pickle|marshal)\s*\.\s*(loads|load|Unpickler)\s*\("), _pickle),
        Finder((b"yaml",), re.compile(rb"yaml\s*\.\s*(load|load_all|unsafe_load|unsafe_load_all)\s*\("), _yaml),
        Finder((b"verify",), re.compile(rb"verify\s*=\s*False\b"), _verify_false),
        Finder((b"ssl",), re.compile(rb"ssl\s*\.\s*(_create_unverified_context|CERT_NONE)\b"), _ssl),
    ]


def scan_python(root: Node, source: bytes) -> list[Finding]:
    return run(root, source, _finders())
