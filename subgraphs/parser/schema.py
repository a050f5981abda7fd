"""The parser subgraph's GraphQL contract (Strawberry, Federation 2)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from common.errors import CodedError
from common.federation import federation_schema
from subgraphs.parser import model
from subgraphs.parser.languages import LANGUAGES
from subgraphs.parser.service import ParserService

# The analysis core's enums are the GraphQL enums: one definition, no mapping between twins.
strawberry.enum(model.SymbolKind, description="What kind of definition a symbol is.")
strawberry.enum(model.Severity, description="How serious a security finding is.")


@strawberry.type
class Language:
    name: str
    extensions: list[str]
    symbols: bool = strawberry.field(description="Whether symbol extraction is supported for this language.")


@strawberry.type
class Symbol:
    kind: model.SymbolKind
    name: str
    qualified_name: str
    start_line: int
    end_line: int
    parameters: list[str]
    docstring: str | None
    complexity: int = strawberry.field(description="Cyclomatic complexity (lizard's definition).")
    max_nesting: int
    lines: int


@strawberry.type
class FileMetrics:
    lines: int
    code_lines: int
    functions: int
    average_complexity: float
    max_complexity: int


@strawberry.type
class Finding:
    rule_id: str
    severity: model.Severity
    cwe: str | None
    message: str
    line: int
    column: int


@strawberry.type(name="SyntaxError")
class SyntaxErrorType:
    line: int
    column: int
    message: str


@strawberry.type(description="Why one file of a batch has no analysis (PARSE_TIMEOUT or PARSE_FAILED).")
class ParseFailure:
    code: str
    message: str


@strawberry.type
class ParseResult:
    language: str
    symbols: list[Symbol]
    imports: list[str]
    metrics: FileMetrics
    findings: list[Finding]
    syntax_errors: list[SyntaxErrorType]
    error: ParseFailure | None = strawberry.field(
        default=None, description="Set only in parseBatch, for a file whose parse timed out or crashed.")


@strawberry.input
class SourceInput:
    source: str
    path: str | None = None
    language: str | None = None


def to_graphql(result: model.ParseResult) -> ParseResult:
    return ParseResult(
        language=result.language,
        symbols=[
            Symbol(kind=s.kind, name=s.name, qualified_name=s.qualified_name,
                   start_line=s.start_line, end_line=s.end_line, parameters=list(s.parameters),
                   docstring=s.docstring, complexity=s.complexity, max_nesting=s.max_nesting, lines=s.lines)
            for s in result.symbols
        ],
        imports=list(result.imports),
        metrics=FileMetrics(lines=result.metrics.lines, code_lines=result.metrics.code_lines,
                            functions=result.metrics.functions,
                            average_complexity=result.metrics.average_complexity,
                            max_complexity=result.metrics.max_complexity),
        findings=[Finding(rule_id=f.rule_id, severity=f.severity, cwe=f.cwe, message=f.message,
                          line=f.line, column=f.column) for f in result.findings],
        syntax_errors=[SyntaxErrorType(line=e.line, column=e.column, message=e.message) for e in result.syntax_errors],
    )


def _failed(language: str, code: str, message: str) -> ParseResult:
    return ParseResult(language=language, symbols=[], imports=[],
                       metrics=FileMetrics(lines=0, code_lines=0, functions=0, average_complexity=0.0, max_complexity=0),
                       findings=[], syntax_errors=[], error=ParseFailure(code=code, message=message))


def _service(info: Info) -> ParserService:
    service: ParserService = info.context["parser"]
    return service


@strawberry.federation.type(keys=["id"], description="A generated file owned by the agents subgraph; "
                            "the parser contributes its analysis.")
class CodeArtifact:
    id: strawberry.ID
    source: str = strawberry.federation.field(external=True)
    path: str = strawberry.federation.field(external=True)
    language: str = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["source", "path", "language"],
                                 description="Symbols, metrics, findings and syntax errors of this file.")
    async def analysis(self, info: Info) -> ParseResult:
        return to_graphql(await _service(info).parse(self.source, self.path, self.language))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, source: str | None = None, path: str | None = None,
                          language: str | None = None) -> CodeArtifact:
        # The router sends the @requires fields with the key; without them there is nothing to analyse.
        if source is None or path is None or language is None:
            raise CodedError("CodeArtifact representations must include source, path and language",
                             "BAD_USER_INPUT")
        return cls(id=id, source=source, path=path, language=language)


@strawberry.type
class Query:
    @strawberry.field(description="Every language that parses offline, and whether it has symbol extraction.")
    def languages(self) -> list[Language]:
        from subgraphs.parser.symbols import symbol_languages

        with_symbols = symbol_languages()
        return [Language(name=name, extensions=list(spec.extensions), symbols=name in with_symbols)
                for name, spec in sorted(LANGUAGES.items())]

    @strawberry.field(description="Parse one source file.")
    async def parse(self, info: Info, input: SourceInput) -> ParseResult:
        return to_graphql(await _service(info).parse(input.source, input.path, input.language))

    @strawberry.field(description="Parse many files in parallel; a file that times out or crashes gets `error`.")
    async def parse_batch(self, info: Info, inputs: list[SourceInput]) -> list[ParseResult]:
        items = await _service(info).parse_batch([(i.source, i.path, i.language) for i in inputs])
        return [to_graphql(item.result) if item.result is not None
                else _failed(item.language, item.error.code if item.error else "PARSE_FAILED",
                             str(item.error) if item.error else "failed")
                for item in items]


schema = federation_schema(query=Query, types=[CodeArtifact])
