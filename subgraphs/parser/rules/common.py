"""Helpers shared by the security rules.

Every rule works the same way, so that a scan costs almost nothing on files
that cannot match: a compiled bytes regex finds candidate offsets (most files
have none), the smallest tree node at each candidate is looked up with
``descendant_for_byte_range`` and only that neighbourhood of the tree is
inspected in Python.  Matches inside comments or string literals are dropped
because the node found there is not the identifier the rule expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tree_sitter import Node

from subgraphs.parser.model import Finding, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    severity: Severity
    cwe: str
    message: str

    def at(self, node: Node, message: str | None = None) -> Finding:
        row, col = node.start_point
        return Finding(self.rule_id, self.severity, self.cwe, message or self.message, row + 1, col + 1)

    def at_offset(self, source: bytes, offset: int, message: str | None = None) -> Finding:
        line, column = position(source, offset)
        return Finding(self.rule_id, self.severity, self.cwe, message or self.message, line, column)


Handler = Callable[[Node, bytes, "re.Match[bytes]"], Iterator[Finding]]


_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


@dataclass(frozen=True, slots=True)
class Finder:
    """Candidate search of one rule.

    Each occurrence of one of ``literals`` (a C substring search) that is not
    preceded by a word character is tried with ``pattern.match`` at that
    offset; the pattern starts with the literal.  With ``after_dot`` the
    literal must instead follow a ``.`` (blanks allowed).  ``requires``: all
    of these must occur in the source or the finder is skipped.
    """

    literals: tuple[bytes, ...]
    pattern: re.Pattern[bytes]
    handler: Handler
    after_dot: bool = False
    requires: tuple[bytes, ...] = ()

    def matches(self, source: bytes) -> Iterator[re.Match[bytes]]:
        if self.requires and not all(r in source for r in self.requires):
            return
        for literal in self.literals:
            at = source.find(literal)
            while at >= 0:
                pos, at = at, source.find(literal, at + 1)
                before = pos - 1
                if self.after_dot:
                    while before >= 0 and source[before] in b" \t":
                        before -= 1
                    if before < 0 or source[before] != 0x2E:  # "."
                        continue
                elif before >= 0 and source[before] in _WORD:
                    continue
                match = self.pattern.match(source, pos)
                if match is not None:
                    yield match


def position(source: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, byte column) of a byte offset."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    return source.count(b"\n", 0, offset) + 1, offset - line_start + 1


def node_at(root: Node, start: int, end: int) -> Node | None:
    return root.descendant_for_byte_range(start, end)


def same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte \
        and a.type == b.type


def ancestor(node: Node | None, types: frozenset[str] | set[str], limit: int = 6) -> Node | None:
    """The nearest ancestor (or the node itself) of one of ``types``, at most ``limit`` levels up."""
    while node is not None and limit >= 0:
        if node.type in types:
            return node
        node = node.parent
        limit -= 1
    return None


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def unparen(node: Node | None) -> Node | None:
    while node is not None and node.type in ("parenthesized_expression",) and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def run(root: Node, source: bytes, finders: list[Finder]) -> list[Finding]:
    findings: list[Finding] = []
    for finder in finders:
        for match in finder.matches(source):
            findings.extend(finder.handler(root, source, match))
    return findings
