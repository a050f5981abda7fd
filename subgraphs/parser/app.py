"""ASGI app of the parser subgraph: ``uvicorn subgraphs.parser.app:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from common.federation import create_subgraph_app
from subgraphs.parser.pool import ParserPool
from subgraphs.parser.schema import schema
from subgraphs.parser.service import ParserMetrics, ParserService, ParserSettings


def create_app(settings: ParserSettings | None = None) -> FastAPI:
    settings = settings or ParserSettings()
    registry = CollectorRegistry()
    metrics = ParserMetrics(registry)
    pool = ParserPool(workers=settings.workers, timeout_s=settings.timeout_s)
    service = ParserService(settings, pool, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    async def context_getter() -> dict[str, Any]:
        return {"parser": service}

    return create_subgraph_app(schema, name="parser", registry=registry, lifespan=lifespan,
                               context_getter=context_getter)
