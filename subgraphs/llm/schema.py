"""The LLM subgraph's GraphQL contract (Strawberry, Federation 2).

Only type translation lives here; ``LLMService`` does the work. ``Generation``
is a federation entity (``@key(fields: "id")``) other subgraphs can reference.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from common.errors import CodedError
from common.federation import federation_schema
from subgraphs.llm.circuit import CircuitSnapshot
from subgraphs.llm.circuit import CircuitState as DomainCircuitState
from subgraphs.llm.routing import Restarted, Token
from subgraphs.llm.service import GenerateParams, LLMService, worst_state
from subgraphs.llm.store import GenerationRecord


@strawberry.enum(description="Circuit breaker state of a provider (or provider+model).")
class CircuitState(Enum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@strawberry.enum(description="Dimensions `usage` can group by.")
class UsageKey(Enum):
    PROVIDER = "provider"
    MODEL = "model"
    USER = "user"
    DAY = "day"


@strawberry.enum(description="How a route orders its models for each request.")
class RouteStrategy(Enum):
    ORDERED_FALLBACK = "ordered-fallback"
    WEIGHTED = "weighted"
    LOWEST_LATENCY = "lowest-latency"
    LOWEST_COST = "lowest-cost"


@strawberry.type(description="Token counts; `estimated` is true only when the provider reported none.")
class TokenUsage:
    input_tokens: int
    output_tokens: int
    estimated: bool


@strawberry.type(description="One provider call made for a generation, in order (failed ones explain fail-overs).")
class ProviderAttempt:
    provider: str
    model: str
    ok: bool
    error_code: str | None
    error: str | None
    latency_ms: float
    tokens_sent: int = strawberry.field(description="Tokens streamed to the client before this attempt ended.")


@strawberry.federation.type(keys=["id"], description="One generation: a success, a failure or a cache hit.")
class Generation:
    id: strawberry.ID
    provider: str
    model: str
    text: str
    finish_reason: str
    usage: TokenUsage
    cost_usd: float
    latency_ms: float
    time_to_first_token_ms: float | None
    cached: bool
    attempts: list[ProviderAttempt]
    created_at: datetime
    status: str = strawberry.field(description="ok, error, cached or cancelled.")
    user: str | None = None
    route: str | None = None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Generation | None:
        record = await _service(info).get(str(id))
        return to_generation(record) if record is not None else None


@strawberry.type(description="A streamed piece of text. `index` restarts at 0 after GenerationRestarted.")
class TokenDelta:
    index: int
    text: str


@strawberry.type(description="The provider failed mid-stream: discard the text so far; the next provider's "
                             "tokens follow.")
class GenerationRestarted:
    reason: str
    provider: str


@strawberry.type
class GenerationDone:
    generation: Generation


GenerationEvent = Annotated[TokenDelta | GenerationRestarted | GenerationDone,
                            strawberry.union("GenerationEvent")]


@strawberry.type(description="Circuit breaker of one model at a provider.")
class ModelCircuit:
    model: str
    circuit: CircuitState
    consecutive_failures: int
    next_probe_at: datetime | None
    last_error: str | None


@strawberry.type
class Provider:
    name: str
    kind: str
    configured: bool
    demo: bool = strawberry.field(description="True for the offline `echo` demo provider (not a real model).")
    circuit: CircuitState = strawberry.field(description="The worst circuit among this provider's models.")
    consecutive_failures: int
    next_probe_at: datetime | None
    last_error: str | None
    models: list[ModelCircuit]


@strawberry.type
class Model:
    name: str
    provider: str
    upstream_model: str
    context_window: int
    input_usd_per_million_tokens: float
    output_usd_per_million_tokens: float
    available: bool = strawberry.field(description="Whether its provider is configured.")


@strawberry.type
class Route:
    name: str
    strategy: RouteStrategy
    models: list[str]
    weights: list[float] | None
    is_default: bool


@strawberry.type(description="Aggregated usage; keys not grouped by are null. Cache hits add requests only.")
class UsageRow:
    provider: str | None
    model: str | None
    user: str | None
    day: date | None
    requests: int
    cached_requests: int
    failed_requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


@strawberry.input
class MessageInput:
    role: str = strawberry.field(description="user or assistant (system instructions go in `system`).")
    content: str


@strawberry.input
class GenerateInput:
    prompt: str | None = None
    messages: list[MessageInput] | None = None
    system: str | None = None
    model: str | None = None
    route: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    cache: bool | None = None
    user: str | None = None


def _service(info: Info) -> LLMService:
    service: LLMService = info.context["llm"]
    return service


def _params(input: GenerateInput) -> GenerateParams:
    return GenerateParams(prompt=input.prompt, messages=tuple((m.role, m.content) for m in input.messages or ()),
                          system=input.system, model=input.model, route=input.route, max_tokens=input.max_tokens,
                          temperature=input.temperature, cache=input.cache, user=input.user)


def to_generation(r: GenerationRecord) -> Generation:
    return Generation(
        id=strawberry.ID(r.id), provider=r.provider, model=r.model, text=r.text, finish_reason=r.finish_reason,
        usage=TokenUsage(input_tokens=r.input_tokens, output_tokens=r.output_tokens, estimated=r.usage_estimated),
        cost_usd=r.cost_usd, latency_ms=r.latency_ms, time_to_first_token_ms=r.ttft_ms, cached=r.cached,
        attempts=[ProviderAttempt(provider=a.provider, model=a.model, ok=a.ok, error_code=a.error_code,
                                  error=a.error, latency_ms=a.latency_ms, tokens_sent=a.sent_tokens)
                  for a in r.attempts],
        created_at=r.created_at, status=r.status, user=r.user, route=r.route)


def _when(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _circuit(snap: CircuitSnapshot, now: float) -> ModelCircuit:
    model = snap.key.split(":", 1)[1]
    return ModelCircuit(model=model, circuit=CircuitState(snap.state(now).value),
                        consecutive_failures=snap.consecutive_failures,
                        next_probe_at=_when(snap.next_probe_at) if snap.state(now) is not DomainCircuitState.CLOSED
                        else None, last_error=snap.last_error)


@strawberry.type
class Query:
    @strawberry.field(description="Configured providers (and the echo demo when none is) with circuit state.")
    async def providers(self, info: Info) -> list[Provider]:
        now = time.time()
        out = []
        for status in await _service(info).provider_statuses():
            snaps = [snap for _, snap in status.models]
            worst = worst_state(snaps, now)
            circuits = [_circuit(s, now) for s in snaps]
            top = _circuit(worst, now) if worst else None
            out.append(Provider(
                name=status.name, kind=status.kind, configured=status.configured, demo=status.kind == "echo",
                circuit=top.circuit if top else CircuitState.CLOSED,
                consecutive_failures=top.consecutive_failures if top else 0,
                next_probe_at=top.next_probe_at if top else None, last_error=top.last_error if top else None,
                models=circuits))
        return out

    @strawberry.field
    def models(self, info: Info) -> list[Model]:
        catalog = _service(info).catalog
        return [Model(name=m.name, provider=m.provider, upstream_model=m.upstream_id(),
                      context_window=m.context_window or 0,
                      input_usd_per_million_tokens=m.input_price_per_mtok or 0.0,
                      output_usd_per_million_tokens=m.output_price_per_mtok or 0.0,
                      available=catalog.providers[m.provider].configured())
                for m in catalog.models.values()]

    @strawberry.field
    def routes(self, info: Info) -> list[Route]:
        catalog = _service(info).catalog
        return [Route(name=name, strategy=RouteStrategy(r.strategy.value), models=list(r.models),
                      weights=list(r.weights) if r.weights else None, is_default=name == catalog.default_route)
                for name, r in catalog.routes.items()]

    @strawberry.field
    async def generation(self, info: Info, id: strawberry.ID) -> Generation | None:
        record = await _service(info).get(str(id))
        return to_generation(record) if record is not None else None

    @strawberry.field(description="Requests, tokens and cost, grouped by any of provider/model/user/day.")
    async def usage(self, info: Info, since: datetime | None = None, until: datetime | None = None,
                    group_by: list[UsageKey] | None = None) -> list[UsageRow]:
        rows = await _service(info).usage(since, until, [k.value for k in group_by or []])
        return [UsageRow(provider=r.provider, model=r.model, user=r.user, day=r.day, requests=r.requests,
                         cached_requests=r.cached_requests, failed_requests=r.failed_requests,
                         input_tokens=r.input_tokens, output_tokens=r.output_tokens, cost_usd=r.cost_usd)
                for r in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Generate a completion through a route (or one model), with fail-over.")
    async def generate(self, info: Info, input: GenerateInput) -> Generation:
        return to_generation(await _service(info).generate(_params(input)))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Stream a generation: TokenDelta…, GenerationRestarted on fail-over, "
                                         "then GenerationDone. Closing the subscription cancels the upstream call.")
    async def generate_stream(self, info: Info, input: GenerateInput
                              ) -> AsyncGenerator[GenerationEvent, None]:
        events = _service(info).stream(_params(input))
        try:
            async for event in events:
                if isinstance(event, Token):
                    yield TokenDelta(index=event.index, text=event.text)
                elif isinstance(event, Restarted):
                    yield GenerationRestarted(reason=event.reason, provider=event.provider)
                else:
                    yield GenerationDone(generation=to_generation(event))
        finally:
            await events.aclose()  # type: ignore[attr-defined]


schema = federation_schema(query=Query, mutation=Mutation, subscription=Subscription,
                           types=[TokenDelta, GenerationRestarted, GenerationDone])

__all__ = ["CodedError", "schema"]
