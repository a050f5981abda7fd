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
