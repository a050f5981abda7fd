"""The LLM service: validates a request, serves the cache, routes it, prices and records it.

The GraphQL layer only translates types; everything a generation goes through
(validation → cache → user quota → router → usage/cost → one persisted row) is
here so the mutation, the subscription and the bench share one code path.
A successful generation's row is committed before the response by default
(``persist_before_response``: a billed generation survives a crash right after
answering); failed and cancelled ones are written behind. ``generation(id)``
and ``usage`` see pending rows, and ``close()`` drains them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from common.errors import CodedError
from subgraphs.llm.cache import CachedResponse, ResponseCache, cache_eligible
from subgraphs.llm.circuit import CircuitSnapshot, CircuitState
from subgraphs.llm.config import Catalog, LLMSettings, ModelConfig
from subgraphs.llm.providers.base import ErrorKind, ProviderAdapter, ProviderRequest, Usage
from subgraphs.llm.quota import Limits, Quotas
from subgraphs.llm.routing import Completed, Restarted, Router, RoutingFailed, Token, circuit_key
from subgraphs.llm.store import Attempt, GenerationRecord, GenerationStore, UsageAggregate
from subgraphs.llm.usage import cost_usd, estimate_input_tokens, final_usage
from subgraphs.llm.validation import GenerateParams, bad_input, build_request

log = logging.getLogger("quantumlayer.llm")

USAGE_KEYS = ("provider", "model", "user", "day")


ServiceEvent = Token | Restarted | GenerationRecord


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    name: str
    kind: str
    configured: bool
    demo: bool
    models: list[tuple[ModelConfig, CircuitSnapshot]]


class LLMMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.generations = Counter("ql_llm_generations", "Generations by provider, model and status",
                                   ["provider", "model", "status"], registry=registry)
        self.tokens = Counter("ql_llm_tokens", "Billable tokens", ["provider", "model", "direction"],
                              registry=registry)
        self.latency = Histogram("ql_llm_latency_seconds", "End-to-end generation latency", ["provider"],
                                 registry=registry)


class LLMService:
    """One per process; owns nothing global (everything arrives through the constructor)."""

    def __init__(self, settings: LLMSettings, catalog: Catalog, adapters: dict[str, ProviderAdapter],
                 router: Router, store: GenerationStore, cache: ResponseCache, quotas: Quotas,
                 metrics: LLMMetrics) -> None:
        self.settings = settings
        self.catalog = catalog
        self.adapters = adapters
        self.router = router
        self.store = store
        self.cache = cache
        self.quotas = quotas
        self.metrics = metrics
        self._pending: dict[str, GenerationRecord] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- validation -------------------------------------------------------------------------

    def prepare(self, params: GenerateParams) -> tuple[ProviderRequest, str]:
        """Check the input and build the provider-neutral request; raise ``BAD_USER_INPUT`` & co."""
        return build_request(params, self.catalog, self.settings.max_prompt_chars)

    # -- generation -------------------------------------------------------------------------

    async def generate(self, params: GenerateParams) -> GenerationRecord:
        async with contextlib.aclosing(self.stream(params)) as events:
            async for event in events:
                if isinstance(event, GenerationRecord):
                    return event
        raise RuntimeError("the generation stream ended without a result")

    async def stream(self, params: GenerateParams) -> AsyncGenerator[ServiceEvent, None]:
        """Tokens, restarts, then the final ``GenerationRecord`` (already queued for persistence)."""
        request, target = self.prepare(params)
        candidates = self.router.candidates(params.model, params.route, request)
        gid, created = str(uuid.uuid4()), datetime.now(UTC)
        loop = asyncio.get_running_loop()
        started = loop.time()
        key = self.cache.key(request, target) if cache_eligible(params.temperature, params.cache) else None
        hit = await self.cache.get(key) if key else None
        if hit is not None:
            for i, delta in enumerate(hit.deltas):
                yield Token(i, delta)
            record = self._cached_record(gid, created, hit, params, (loop.time() - started) * 1000)
            await self._persist_now(record)
            yield record
            return
        user_buckets = await self._take_user_quota(params.user, request)
        sent: list[str] = []
        completed: Completed | None = None
        try:
            # aclosing: when our consumer goes away, the router (and so the upstream call) closes now,
            # not whenever the garbage collector finalises the generator.
            async with contextlib.aclosing(self.router.run(candidates, request)) as events:
                async for event in events:
                    if isinstance(event, Completed):
                        completed = event
                        continue
                    if isinstance(event, Restarted):
                        sent.clear()
                    else:
                        sent.append(event.text)
                    yield event
        except RoutingFailed as failure:
            await self._settle_user(user_buckets, request, 0)
            self._persist(self._failed_record(gid, created, params, failure, (loop.time() - started) * 1000))
            raise self._coded(failure, gid) from None
        except (asyncio.CancelledError, GeneratorExit):
            # The client went away: the upstream call is already closed; record what it consumed.
            self._persist(self._cancelled_record(gid, created, params, request, candidates, "".join(sent),
                                                 (loop.time() - started) * 1000))
            raise
        assert completed is not None
        await self._settle_user(user_buckets, request, completed.usage.input_tokens + completed.usage.output_tokens)
        record = self._ok_record(gid, created, params, completed, (loop.time() - started) * 1000)
        await self._persist_now(record)
        if key:
            await self.cache.put(key, CachedResponse(
                completed.provider, completed.model.name, completed.deltas, completed.finish_reason,
                completed.usage.input_tokens, completed.usage.output_tokens, completed.usage.estimated))
        yield record

    async def _take_user_quota(self, user: str | None, request: ProviderRequest) -> list:
        limits = Limits(self.settings.user_requests_per_minute, self.settings.user_tokens_per_minute)
        if user is None:
            return []
        decision, buckets = await self.quotas.take(f"user:{user}", limits,
                                                   estimate_input_tokens(request) + request.max_tokens)
        if not decision.allowed:
            raise CodedError(f"user {user!r} is over quota", "RATE_LIMITED",
                             retryAfter=max(1, math.ceil(decision.retry_after_s)))
        return buckets

    async def _settle_user(self, buckets: list, request: ProviderRequest, used: int) -> None:
        await self.quotas.settle(buckets, estimate_input_tokens(request) + request.max_tokens, used)

    # -- records ----------------------------------------------------------------------------

    def _ok_record(self, gid: str, created: datetime, params: GenerateParams, done: Completed,
                   latency_ms: float) -> GenerationRecord:
        return GenerationRecord(
            id=gid, created_at=created, provider=done.provider, model=done.model.name, route=params.route,
            user=params.user, status="ok", finish_reason=done.finish_reason, text=done.text,
            input_tokens=done.usage.input_tokens, output_tokens=done.usage.output_tokens,
            usage_estimated=done.usage.estimated, cost_usd=cost_usd(done.model, done.usage),
            latency_ms=latency_ms, ttft_ms=done.ttft_ms, cached=False, attempts=done.attempts)

    def _cached_record(self, gid: str, created: datetime, hit: CachedResponse, params: GenerateParams,
                       latency_ms: float) -> GenerationRecord:
        return GenerationRecord(
            id=gid, created_at=created, provider=hit.provider, model=hit.model, route=params.route,
            user=params.user, status="cached", finish_reason=hit.finish_reason, text="".join(hit.deltas),
            input_tokens=hit.input_tokens, output_tokens=hit.output_tokens, usage_estimated=hit.estimated,
            cost_usd=0.0, latency_ms=latency_ms, ttft_ms=latency_ms, cached=True, attempts=[])

    def _failed_record(self, gid: str, created: datetime, params: GenerateParams, failure: RoutingFailed,
                       latency_ms: float) -> GenerationRecord:
        last = failure.attempts[-1] if failure.attempts else None
        return GenerationRecord(
            id=gid, created_at=created, provider=last.provider if last else "-", model=last.model if last else "-",
            route=params.route, user=params.user, status="error", finish_reason="error", text="",
            input_tokens=0, output_tokens=0, usage_estimated=False, cost_usd=0.0, latency_ms=latency_ms,
            ttft_ms=None, cached=False, attempts=failure.attempts, error_code=_error_code(failure.error.kind))

    def _cancelled_record(self, gid: str, created: datetime, params: GenerateParams, request: ProviderRequest,
                          candidates: list[ModelConfig], text: str, latency_ms: float) -> GenerationRecord:
        model = candidates[0]
        usage = final_usage(None, request, text)
        return GenerationRecord(
            id=gid, created_at=created, provider=model.provider, model=model.name, route=params.route,
            user=params.user, status="cancelled", finish_reason="cancelled", text=text,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, usage_estimated=True,
            cost_usd=cost_usd(model, usage), latency_ms=latency_ms, ttft_ms=None, cached=False,
            attempts=[Attempt(model.provider, model.name, False, "CANCELLED", "client closed the stream")])

    def _coded(self, failure: RoutingFailed, gid: str) -> CodedError:
        err = failure.error
        extensions: dict[str, object] = {
            "generationId": gid,
            "attempts": [{"provider": a.provider, "model": a.model, "code": a.error_code} for a in failure.attempts],
        }
        if err.retry_after_s is not None and err.kind in (ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE):
            extensions["retryAfter"] = max(1, math.ceil(err.retry_after_s))
        return CodedError(_client_message(failure), _error_code(err.kind), **extensions)

    # -- persistence ------------------------------------------------------------------------

    def _persist(self, record: GenerationRecord) -> asyncio.Task[None]:
        self.metrics.generations.labels(record.provider, record.model, record.status).inc()
        if not record.cached:
            self.metrics.tokens.labels(record.provider, record.model, "input").inc(record.input_tokens)
            self.metrics.tokens.labels(record.provider, record.model, "output").inc(record.output_tokens)
        self._pending[record.id] = record
        task = asyncio.get_running_loop().create_task(self._save(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _persist_now(self, record: GenerationRecord) -> None:
        """Persist a result the client is about to receive (awaited when ``persist_before_response``).

        Waits for this row's commit only (not for other requests' rows); concurrent requests share
        commits in the store. Shielded: a client that goes away does not cancel the write.
        """
        task = self._persist(record)
        if self.settings.persist_before_response:
            await asyncio.shield(task)

    async def _save(self, record: GenerationRecord) -> None:
        try:
            await self.store.save(record)
        except Exception:
            log.exception("could not persist generation %s", record.id)
        finally:
            self._pending.pop(record.id, None)

    async def flush(self) -> None:
        """Wait until every generation so far is in the database."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def get(self, generation_id: str) -> GenerationRecord | None:
        pending = self._pending.get(generation_id)
        if pending is not None:
            return pending
        try:
            uuid.UUID(generation_id)
        except ValueError:
            return None
        return await self.store.get(generation_id)

    async def usage(self, since: datetime | None, until: datetime | None,
                    group_by: list[str]) -> list[UsageAggregate]:
        if since is not None and until is not None and since >= until:
            raise bad_input("`since` must be before `until`", "since")
        await self.flush()
        return await self.store.usage(since, until, list(dict.fromkeys(group_by)))

    # -- introspection ----------------------------------------------------------------------

    async def provider_statuses(self) -> list[ProviderStatus]:
        out = []
        for name, config in self.catalog.providers.items():
            models = [m for m in self.catalog.models.values() if m.provider == name]
            snaps = [(m, await self.router.circuits.snapshot(circuit_key(m))) for m in models]
            out.append(ProviderStatus(name, config.kind.value, config.configured(), self.catalog.demo, snaps))
        return out

    async def close(self) -> None:
        await self.flush()
        for adapter in self.adapters.values():
            with contextlib.suppress(Exception):
                await adapter.close()


_CODES = {
    ErrorKind.BAD_REQUEST: "PROVIDER_BAD_REQUEST",
    ErrorKind.AUTH: "PROVIDER_AUTH_FAILED",
    ErrorKind.RATE_LIMITED: "RATE_LIMITED",
    ErrorKind.UNAVAILABLE: "PROVIDERS_UNAVAILABLE",
    ErrorKind.CONTEXT_WINDOW: "CONTEXT_WINDOW_EXCEEDED",
}


def _error_code(kind: ErrorKind) -> str:
    return _CODES.get(kind, "UPSTREAM_FAILED")


def _client_message(failure: RoutingFailed) -> str:
    err = failure.error
    if err.kind is ErrorKind.BAD_REQUEST:
        where = f" by {failure.model.provider}/{failure.model.name}" if failure.model else ""
        return f"the request was rejected{where}: {err.message}"
    if err.kind is ErrorKind.CONTEXT_WINDOW:
        return "the prompt does not fit the context window of any model in the route"
    if err.kind is ErrorKind.RATE_LIMITED:
        return "rate limited: every provider of the route is over quota, retry later"
    if err.kind is ErrorKind.UNAVAILABLE:
        return "no provider of the route is available right now (circuits open)"
    return f"every provider of the route failed (last: {err.kind.value})"


def worst_state(snaps: list[CircuitSnapshot], now: float) -> CircuitSnapshot | None:
    """The snapshot that best describes a provider: an open circuit beats half-open beats closed."""
    rank = {CircuitState.OPEN: 2, CircuitState.HALF_OPEN: 1, CircuitState.CLOSED: 0}
    if not snaps:
        return None
    return max(snaps, key=lambda s: (rank[s.state(now)], s.consecutive_failures))


__all__ = ["USAGE_KEYS", "GenerateParams", "LLMMetrics", "LLMService", "ProviderStatus", "Usage", "worst_state"]
