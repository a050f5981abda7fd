"""Plain data produced by the analysis core.

The analysis runs in worker processes, so these are small picklable
dataclasses; the GraphQL layer maps them onto Strawberry types.
Lines and columns are 1-based, as in GraphQL's own error locations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SymbolKind(StrEnum):
    FUNCTION = "FUNCTION"
    METHOD = "METHOD"
    CLASS = "CLASS"
    STRUCT = "STRUCT"
    INTERFACE = "INTERFACE"
    TRAIT = "TRAIT"
    ENUM = "ENUM"
    MODULE = "MODULE"


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(slots=True)
class SymbolInfo:
    kind: SymbolKind
    name: str
    qualified_name: str
    start_line: int
    end_line: int
    parameters: list[str] = field(default_factory=list)
    docstring: str | None = None
    complexity: int = 1
    max_nesting: int = 0
    lines: int = 0


@dataclass(slots=True)
class FileMetrics:
    lines: int
    code_lines: int
    functions: int
    average_complexity: float
    max_complexity: int


@dataclass(slots=True)
class Finding:
    rule_id: str
    severity: Severity
    cwe: str | None
    message: str
    line: int
    column: int


@dataclass(slots=True)
class SyntaxErrorInfo:
    line: int
    column: int
    message: str


@dataclass(slots=True)
class ParseResult:
    language: str
    symbols: list[SymbolInfo]
    imports: list[str]
    metrics: FileMetrics
    findings: list[Finding]
    syntax_errors: list[SyntaxErrorInfo]


# ---------------------------------------------------------------- transport
# Worker processes send results as nested tuples of plain values (``marshal``
# can serialise them, and loading tuples is much cheaper than unpickling
# dataclasses and enum members); the parent rebuilds the dataclasses.

SymbolWire = tuple[str, str, str, int, int, list[str], str | None, int, int, int]
FindingWire = tuple[str, str, str | None, str, int, int]
Wire = tuple[str, list[SymbolWire], list[str], tuple[int, int, int, float, int], list[FindingWire],
             list[tuple[int, int, str]]]

_SYMBOL_KINDS: dict[str, SymbolKind] = {kind.value: kind for kind in SymbolKind}
_SEVERITIES: dict[str, Severity] = {severity.value: severity for severity in Severity}


def to_wire(result: ParseResult) -> Wire:
    """``result`` as tuples, lists, str, int, float and None only (see :func:`from_wire`)."""
    m = result.metrics
    return (
        result.language,
        [(s.kind._value_, s.name, s.qualified_name, s.start_line, s.end_line, s.parameters, s.docstring,
          s.complexity, s.max_nesting, s.lines) for s in result.symbols],
        result.imports,
        (m.lines, m.code_lines, m.functions, m.average_complexity, m.max_complexity),
        [(f.rule_id, f.severity._value_, f.cwe, f.message, f.line, f.column) for f in result.findings],
        [(e.line, e.column, e.message) for e in result.syntax_errors],
    )


def from_wire(wire: Wire) -> ParseResult:
    """The ``ParseResult`` that :func:`to_wire` flattened."""
    language, symbols, imports, metrics, findings, errors = wire
    kinds, severities = _SYMBOL_KINDS, _SEVERITIES
    return ParseResult(
        language,
        [SymbolInfo(kinds[k], n, q, s, e, p, d, c, x, li) for k, n, q, s, e, p, d, c, x, li in symbols],
        imports,
        FileMetrics(*metrics),
        [Finding(r, severities[v], w, g, li, co) for r, v, w, g, li, co in findings],
        [SyntaxErrorInfo(li, co, g) for li, co, g in errors],
    )
