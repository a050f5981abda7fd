"""Routes: order a fallback chain per request, then walk it until one provider succeeds.

Fail-over happens on rate limits (429, or our own provider quota), 5xx, 529,
timeouts and connection errors, and on context-window errors, to a model with a
*longer* context window only. Any other 400 is the request's fault and stops
the walk at once (retrying it elsewhere would fail the same way and cost money).
A stream that breaks after tokens were sent fails over too: the caller gets a
``Restarted`` event and the next provider's tokens follow from index 0.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field

from subgraphs.llm.circuit import CircuitBreakers
from subgraphs.llm.config import Catalog, ModelConfig, RouteConfig, Strategy
from subgraphs.llm.providers.base import (
    HEALTH_FAILURES,
    RETRYABLE,
    ErrorKind,
    ProviderAdapter,
    ProviderError,
    ProviderRequest,
    StreamEnd,
    Usage,
)
from subgraphs.llm.quota import Bucket, Limits, Quotas
from subgraphs.llm.store import Attempt
from subgraphs.llm.usage import estimate_input_tokens, expected_cost, final_usage

log = logging.getLogger("quantumlayer.llm.routing")


@dataclass(frozen=True, slots=True)
class Token:
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class Restarted:
    reason: str
    provider: str


@dataclass(frozen=True, slots=True)
class Completed:
    """The winning attempt: everything the service needs to price and persist it."""

    model: ModelConfig
    provider: str
    text: str
    deltas: list[str]
    finish_reason: str
    usage: Usage
    ttft_ms: float | None
    attempts: list[Attempt]


RouterEvent = Token | Restarted | Completed


@dataclass(eq=False)
class RoutingFailed(Exception):
    """No target produced a generation. ``error`` is the one that decides the client's error code."""

    error: ProviderError
    attempts: list[Attempt] = field(default_factory=list)
    model: ModelConfig | None = None


class LatencyTracker:
    """EWMA of each model's end-to-end latency (per replica: it only orders candidates)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._ewma: dict[str, float] = {}

    def observe(self, model: str, latency_ms: float) -> None:
        old = self._ewma.get(model)
        self._ewma[model] = latency_ms if old is None else self.alpha * latency_ms + (1 - self.alpha) * old

    def get(self, model: str) -> float | None:
        return self._ewma.get(model)


def order_candidates(route: RouteConfig, models: list[ModelConfig], request: ProviderRequest,
                     latency: LatencyTracker, rng: random.Random) -> list[ModelConfig]:
    """The route's models in the order this request should try them."""
    if route.strategy is Strategy.WEIGHTED:
        weights = route.weights or [1.0] * len(models)
        # Efraimidis–Spirakis: a weighted random permutation, so fallbacks stay weighted too.
        keyed = [(rng.random() ** (1.0 / max(w, 1e-9)), m) for w, m in zip(weights, models, strict=False)]
        return [m for _, m in sorted(keyed, key=lambda pair: pair[0], reverse=True)]
    if route.strategy is Strategy.LOWEST_LATENCY:
        # Unmeasured models sort first (latency 0) so every target gets measured.
        return sorted(models, key=lambda m: latency.get(m.name) or 0.0)
    if route.strategy is Strategy.LOWEST_COST:
        tokens = estimate_input_tokens(request)
        return sorted(models, key=lambda m: expected_cost(m, tokens, request.max_tokens))
    return list(models)


def circuit_key(model: ModelConfig) -> str:
    return f"{model.provider}:{model.name}"


class Router:
    """Walks a candidate list with circuit breakers, provider quotas and fail-over."""

    def __init__(self, catalog: Catalog, adapters: dict[str, ProviderAdapter], circuits: CircuitBreakers,
                 quotas: Quotas, latency: LatencyTracker, rng: random.Random | None = None) -> None:
        self.catalog = catalog
        self.adapters = adapters
        self.circuits = circuits
        self.quotas = quotas
        self.latency = latency
        self.rng = rng or random.Random()

    def candidates(self, model: str | None, route: str | None, request: ProviderRequest) -> list[ModelConfig]:
        """Explicit model first (then the rest of the route, if one was named), else the route's order."""
        if model is not None and route is None:
            return [self.catalog.models[model]]
        config = self.catalog.routes[route or self.catalog.default_route]
        models = [self.catalog.models[name] for name in config.models]
        ordered = order_candidates(config, models, request, self.latency, self.rng)
        if model is not None:
            ordered = [self.catalog.models[model], *[m for m in ordered if m.name != model]]
        return ordered

    async def _admit(self, target: ModelConfig, request: ProviderRequest, context_floor: int,
                     prompt_tokens: int) -> tuple[ProviderError | None, list[Bucket], bool]:
        """Pre-flight checks that need no upstream call: context size, circuit, provider quota."""
        window = target.context_window or 0
        if window <= context_floor or prompt_tokens >= window:
            return ProviderError(ErrorKind.CONTEXT_WINDOW, f"prompt does not fit {target.name}'s context window"), \
                [], False
        if target.provider not in self.adapters:
            return ProviderError(ErrorKind.UNAVAILABLE, f"provider {target.provider} is not configured"), [], False
        allowed, snap = await self.circuits.allow(circuit_key(target))
        if not allowed:
            retry = max(0.0, (snap.next_probe_at or time.time()) - time.time())
            return ProviderError(ErrorKind.UNAVAILABLE, "circuit open", retry_after_s=retry), [], False
        provider = self.catalog.providers[target.provider]
        decision, buckets = await self.quotas.take(
            f"provider:{target.provider}",
            Limits(provider.requests_per_minute, provider.tokens_per_minute),
            prompt_tokens + request.max_tokens)
        if not decision.allowed:
            return ProviderError(ErrorKind.RATE_LIMITED, f"local quota for provider {target.provider} exhausted",
                                 retry_after_s=decision.retry_after_s), [], False
        return None, buckets, snap.consecutive_failures > 0 or snap.next_probe_at is not None

    async def run(self, candidates: list[ModelConfig], request: ProviderRequest) -> AsyncGenerator[RouterEvent, None]:
        """Yield tokens (and restarts) then one ``Completed``; raise ``RoutingFailed`` if every target fails."""
        walk = _Walk(reserve=estimate_input_tokens(request) + request.max_tokens)
        prompt_tokens = estimate_input_tokens(request)
        for target in candidates:
            refusal, buckets, was_failing = await self._admit(target, request, walk.context_floor, prompt_tokens)
            if refusal is not None:
                walk.attempts.append(Attempt(target.provider, target.name, False, refusal.kind.value,
                                             refusal.message))
                walk.errors.append(refusal)
                continue
            if walk.restart_reason is not None:
                yield Restarted(walk.restart_reason, target.provider)
                walk.restart_reason = None
            upstream = ProviderRequest(target.upstream_id(), request.messages, request.system, request.max_tokens,
                                       request.temperature)
            deltas: list[str] = []
            started = time.perf_counter()
            ttft: float | None = None
            end: StreamEnd | None = None
            try:
                async with aclosing(self.adapters[target.provider].stream(upstream)) as stream:  # type: ignore[type-var]
                    async for chunk in stream:
                        if isinstance(chunk, StreamEnd):
                            end = chunk
                            continue
                        if ttft is None:
                            ttft = (time.perf_counter() - started) * 1000
                        yield Token(len(deltas), chunk.text)
                        deltas.append(chunk.text)
            except ProviderError as err:
                await self._failed(walk, target, err, len(deltas), (time.perf_counter() - started) * 1000, buckets)
                continue
            yield await self._completed(walk, target, request, deltas, end, ttft,
                                        (time.perf_counter() - started) * 1000, buckets, was_failing)
            return
        raise RoutingFailed(_decisive(walk.errors), walk.attempts)

    async def _failed(self, walk: _Walk, target: ModelConfig, err: ProviderError, sent: int, elapsed_ms: float,
                      buckets: list[Bucket]) -> None:
        """Book-keep a failed attempt; raise ``RoutingFailed`` when the error must not fail over."""
        walk.attempts.append(Attempt(target.provider, target.name, False, err.kind.value, err.message, elapsed_ms,
                                     sent))
        walk.errors.append(err)
        await self.quotas.settle(buckets, walk.reserve, 0)
        if err.kind in HEALTH_FAILURES:
            await self.circuits.record_failure(circuit_key(target), err.message)
        if err.kind not in RETRYABLE:
            raise RoutingFailed(err, walk.attempts, target)
        log.warning("%s/%s failed (%s) after %d tokens: failing over", target.provider, target.name, err, sent)
        if err.kind is ErrorKind.CONTEXT_WINDOW:
            walk.context_floor = max(walk.context_floor, target.context_window or 0)
        if sent:
            walk.restart_reason = f"{target.provider} failed mid-stream: {err.kind.value}"

    async def _completed(self, walk: _Walk, target: ModelConfig, request: ProviderRequest, deltas: list[str],
                         end: StreamEnd | None, ttft: float | None, elapsed_ms: float, buckets: list[Bucket],
                         was_failing: bool) -> Completed:
        text = "".join(deltas)
        usage = final_usage(end.usage if end else None, request, text)
        if was_failing:
            await self.circuits.record_success(circuit_key(target))
        self.latency.observe(target.name, elapsed_ms)
        await self.quotas.settle(buckets, walk.reserve, usage.input_tokens + usage.output_tokens)
        walk.attempts.append(Attempt(target.provider, target.name, True, None, None, elapsed_ms, len(deltas)))
        return Completed(target, target.provider, text, deltas, end.finish_reason if end else "stop", usage, ttft,
                         walk.attempts)


@dataclass
class _Walk:
    """Where a walk down the candidate list stands."""

    reserve: int
    attempts: list[Attempt] = field(default_factory=list)
    errors: list[ProviderError] = field(default_factory=list)
    context_floor: int = 0
    restart_reason: str | None = None


def _decisive(errors: list[ProviderError]) -> ProviderError:
    """The error that best explains an exhausted route (rate limits win: the client can retry later)."""
    if not errors:
        return ProviderError(ErrorKind.UNAVAILABLE, "the route has no models")
    if all(e.kind in (ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE) for e in errors):
        limited = [e for e in errors if e.retry_after_s is not None]
        retry = min((e.retry_after_s or 0.0) for e in limited) if limited else None
        kind = ErrorKind.RATE_LIMITED if any(e.kind is ErrorKind.RATE_LIMITED for e in errors) \
            else ErrorKind.UNAVAILABLE
        return ProviderError(kind, "every provider of the route is rate limited or unavailable",
                             retry_after_s=retry)
    if all(e.kind is ErrorKind.CONTEXT_WINDOW for e in errors):
        return errors[-1]
    real = [e for e in errors if e.kind is not ErrorKind.UNAVAILABLE]
    return real[-1] if real else errors[-1]
