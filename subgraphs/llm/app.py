"""ASGI app of the LLM subgraph: ``uvicorn subgraphs.llm.app:create_app --factory`` (port 4001).

Wiring only: settings → shared state backends (Redis when configured, memory
otherwise) → router → service → Strawberry schema. Nothing is module-global,
so tests and the bench build as many independent instances as they like.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from common.db import Database
from common.federation import create_subgraph_app
from common.redis import KeyValueStore, MemoryStore, RedisStore
from common.settings import Settings
from subgraphs.llm.cache import ResponseCache
from subgraphs.llm.circuit import (
    CircuitBackend,
    CircuitBreakers,
    CircuitPolicy,
    MemoryCircuitBackend,
    RedisCircuitBackend,
)
from subgraphs.llm.config import LLMSettings, build_catalog
from subgraphs.llm.providers import create_provider
from subgraphs.llm.quota import MemoryQuotaBackend, QuotaBackend, Quotas, RedisQuotaBackend
from subgraphs.llm.routing import LatencyTracker, Router
from subgraphs.llm.schema import schema
from subgraphs.llm.service import LLMMetrics, LLMService
from subgraphs.llm.store import GenerationStore


@asynccontextmanager
async def open_service(settings: LLMSettings, common: Settings, registry: CollectorRegistry,
                       rng: random.Random | None = None) -> AsyncIterator[LLMService]:
    """Build a ready ``LLMService`` (database migrated) and close everything it opened on exit."""
    async with AsyncExitStack() as stack:
        catalog = build_catalog(settings)
        used = {m.provider for m in catalog.models.values()}
        adapters = {name: create_provider(name, cfg) for name, cfg in catalog.providers.items()
                    if name in used and cfg.configured()}
        db = Database.from_settings(common)
        stack.push_async_callback(db.dispose)
        store = GenerationStore(db)
        stack.push_async_callback(store.close)
        await store.migrate()
        kv: KeyValueStore
        circuit_backend: CircuitBackend
        quota_backend: QuotaBackend
        if common.redis_url:
            client = aioredis.from_url(common.redis_url, decode_responses=False)
            stack.push_async_callback(client.aclose)
            kv = RedisStore(client)
            circuit_backend = RedisCircuitBackend(client, settings.redis_prefix + "circuit:")
            quota_backend = RedisQuotaBackend(client, settings.redis_prefix + "quota:")
        else:
            kv, circuit_backend, quota_backend = MemoryStore(), MemoryCircuitBackend(), MemoryQuotaBackend()
        policy = CircuitPolicy(settings.circuit_failure_threshold, settings.circuit_base_backoff_s,
                               settings.circuit_max_backoff_s, settings.circuit_jitter)
        router = Router(catalog, adapters, CircuitBreakers(circuit_backend, policy, rng), Quotas(quota_backend),
                        LatencyTracker(settings.latency_ewma_alpha), rng)
        service = LLMService(settings, catalog, adapters, router, store, ResponseCache(kv, settings.cache_ttl_s, settings.redis_prefix + "cache:"),
                             Quotas(quota_backend), LLMMetrics(registry))
        stack.push_async_callback(service.close)
        yield service


def create_app(settings: LLMSettings | None = None, common: Settings | None = None) -> FastAPI:
    settings = settings or LLMSettings()
    common = common or Settings()
    registry = CollectorRegistry()
    holder: dict[str, LLMService] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with open_service(settings, common, registry) as service:
            holder["service"] = service
            yield

    async def context_getter() -> dict[str, Any]:
        return {"llm": holder["service"]}

    return create_subgraph_app(schema, name="llm", registry=registry, lifespan=lifespan,
                               context_getter=context_getter)
