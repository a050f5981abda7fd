"""Request handling for the parser subgraph, independent of GraphQL types.

Validates input (size limits, language), dispatches to the worker pool and
records Prometheus metrics. The Strawberry layer only maps types.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.errors import CodedError
from subgraphs.parser.languages import LANGUAGES, UnsupportedLanguageError, detect_language
from subgraphs.parser.model import ParseResult
from subgraphs.parser.pool import Job, ParseFailure, ParserPool


class ParserSettings(BaseSettings):
    """Limits and pool size (``QL_PARSER_*``)."""

    model_config = SettingsConfigDict(env_prefix="QL_PARSER_", extra="ignore")

    max_source_bytes: int = 2 * 1024 * 1024
    max_batch_files: int = 500
    max_batch_bytes: int = 32 * 1024 * 1024
    workers: int | None = None
    timeout_s: float = 10.0


class ParserMetrics:
    """The service's Prometheus instruments, on a registry of its own (no globals)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.parses = Counter("parser_parses", "Files parsed, by language and outcome",
                              ["language", "status"], registry=registry)
        self.duration = Histogram("parser_parse_duration_seconds", "Time to analyse one file", ["language"],
                                  registry=registry,
                                  buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.bytes = Counter("parser_source_bytes", "Bytes of source analysed", ["language"], registry=registry)
        self.errors = Counter("parser_errors", "Errors returned, by code", ["code"], registry=registry)


@dataclass(slots=True)
class BatchItem:
    """One file's outcome in a batch: a result, or the failure that replaced it."""

    result: ParseResult | None
    error: ParseFailure | None
    language: str


class ParserService:
    def __init__(self, settings: ParserSettings, pool: ParserPool, metrics: ParserMetrics) -> None:
        self.settings = settings
        self.pool = pool
        self.metrics = metrics

    def _error(self, message: str, code: str, **extensions: object) -> CodedError:
        self.metrics.errors.labels(code).inc()
        return CodedError(message, code, **extensions)

    def prepare(self, source: str, path: str | None, language: str | None, index: int | None = None) -> Job:
        """Check size and language before any work is queued."""
        where = {} if index is None else {"index": index}
        size = len(source.encode("utf-8", "surrogatepass"))
        if size > self.settings.max_source_bytes:
            raise self._error(
                f"Source is {size} bytes; the limit is {self.settings.max_source_bytes} bytes",
                "SOURCE_TOO_LARGE", limit=self.settings.max_source_bytes, size=size, **where)
        try:
            name = detect_language(source, path, language)
        except UnsupportedLanguageError as exc:
            raise self._error(str(exc), "UNSUPPORTED_LANGUAGE", supported=exc.supported, **where) from None
        return Job(source, path, name)

    async def run(self, job: Job) -> ParseResult:
        started = time.perf_counter()
        try:
            result = await self.pool.analyze(job)
        except ParseFailure as failure:
            self.metrics.parses.labels(job.language, failure.code).inc()
            self.metrics.errors.labels(failure.code).inc()
            raise
        self.metrics.duration.labels(job.language).observe(time.perf_counter() - started)
        self.metrics.parses.labels(job.language, "ok").inc()
        self.metrics.bytes.labels(job.language).inc(len(job.source))
        return result

    async def parse(self, source: str, path: str | None, language: str | None) -> ParseResult:
        job = self.prepare(source, path, language)
        try:
            return await self.run(job)
        except ParseFailure as failure:
            raise CodedError(str(failure), failure.code, language=job.language) from None

    async def parse_batch(self, inputs: list[tuple[str, str | None, str | None]]) -> list[BatchItem]:
        import asyncio

        if len(inputs) > self.settings.max_batch_files:
            raise self._error(f"A batch holds at most {self.settings.max_batch_files} files; got {len(inputs)}",
                              "BATCH_TOO_LARGE", limit=self.settings.max_batch_files, files=len(inputs))
        total = sum(len(src.encode("utf-8", "surrogatepass")) for src, _, _ in inputs)
        if total > self.settings.max_batch_bytes:
            raise self._error(f"A batch holds at most {self.settings.max_batch_bytes} bytes; got {total}",
                              "BATCH_TOO_LARGE", limit=self.settings.max_batch_bytes, size=total)
        jobs = [self.prepare(src, path, lang, index=i) for i, (src, path, lang) in enumerate(inputs)]

        async def one(job: Job) -> BatchItem:
            try:
                return BatchItem(await self.run(job), None, job.language)
            except ParseFailure as failure:
                return BatchItem(None, failure, job.language)

        return list(await asyncio.gather(*(one(job) for job in jobs)))

    @staticmethod
    def languages() -> list[str]:
        return sorted(LANGUAGES)
