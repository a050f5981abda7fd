"""ASGI app of the agents subgraph: ``uvicorn subgraphs.agents.app:create_app --factory`` (port 4002).

Wiring only: settings → database (migrated) → event bus (Redis when configured,
in-process otherwise) → store/queue → agent loop → worker → Strawberry schema.
Clients and sandbox can be injected, so tests script the LLM; nothing is
module-global, so tests and benches build as many instances as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from common.db import Database
from common.federation import create_subgraph_app
from common.settings import Settings
from subgraphs.agents.agents import AgentLoop, AgentMetrics
from subgraphs.agents.clients import HttpLlmClient, HttpParserClient, LlmClient, ParserClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.events import EventBus, MemoryEventBus, RedisEventBus
from subgraphs.agents.models import TaskStatus
from subgraphs.agents.queue import TaskQueue
from subgraphs.agents.sandbox import ProcessSandbox, Sandbox
from subgraphs.agents.schema import schema
from subgraphs.agents.service import AgentsService
from subgraphs.agents.store import TaskStore
from subgraphs.agents.worker import Worker

log = logging.getLogger("quantumlayer.agents")


@dataclass
class Runtime:
    """Everything one agents instance owns; closed together by ``open_runtime``."""

    settings: AgentsSettings
    db: Database
    bus: EventBus
    queue: TaskQueue
    store: TaskStore
    loop: AgentLoop
    service: AgentsService
    metrics: AgentMetrics
    worker: Worker | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_worker(self) -> Worker:
        self.worker = Worker(self.queue, self.loop.handle, self.settings)
        self.service.wake = self.worker.wake
        self.worker.start()
        return self.worker

    async def refresh_metrics(self) -> None:
        counts = await self.store.count_by_status()
        for status in TaskStatus:
            self.metrics.tasks.labels(status.value).set(counts.get(status.value, 0))
        self.metrics.queue_depth.set(await self.queue.depth())


async def _metrics_loop(runtime: Runtime) -> None:
    while True:
        with contextlib.suppress(Exception):
            await runtime.refresh_metrics()
        await asyncio.sleep(runtime.settings.metrics_interval_s)


@asynccontextmanager
async def open_runtime(settings: AgentsSettings, common: Settings, registry: CollectorRegistry, *,
                       llm: LlmClient | None = None, parser: ParserClient | None = None,
                       sandbox: Sandbox | None = None, start_worker: bool | None = None
                       ) -> AsyncIterator[Runtime]:
    """Build a migrated, ready instance (worker started unless disabled) and close it all on exit."""
    async with AsyncExitStack() as stack:
        db = Database.from_settings(common)
        stack.push_async_callback(db.dispose)
        bus: EventBus
        if common.redis_url:
            bus = RedisEventBus(aioredis.from_url(common.redis_url, decode_responses=False), settings.redis_prefix)
        else:
            bus = MemoryEventBus()
        stack.push_async_callback(bus.close)
        queue = TaskQueue(db)
        store = TaskStore(db, queue, bus)
        await store.migrate()
        if llm is None:
            llm = HttpLlmClient(settings.effective_llm_url(), settings.llm_timeout_s)
            stack.push_async_callback(llm.close)
        if parser is None:
            parser = HttpParserClient(settings.effective_parser_url(), settings.parser_timeout_s)
            stack.push_async_callback(parser.close)
        metrics = AgentMetrics(registry)
        loop = AgentLoop(settings, store, llm, parser, sandbox or ProcessSandbox.from_settings(settings), metrics)
        runtime = Runtime(settings, db, bus, queue, store, loop, AgentsService(settings, store), metrics)
        if settings.worker_enabled if start_worker is None else start_worker:
            runtime.start_worker()

        async def _stop_worker() -> None:
            if runtime.worker is not None:
                await runtime.worker.stop()
            await store.drain()  # shielded transactions of cancelled runners, before the engine goes
            await queue.drain()

        stack.push_async_callback(_stop_worker)
        runtime.tasks.append(asyncio.create_task(_metrics_loop(runtime)))

        async def _stop_tasks() -> None:
            for task in runtime.tasks:
                task.cancel()
            for task in runtime.tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        stack.push_async_callback(_stop_tasks)
        yield runtime


def create_app(settings: AgentsSettings | None = None, common: Settings | None = None, *,
               llm: LlmClient | None = None, parser: ParserClient | None = None,
               sandbox: Sandbox | None = None) -> FastAPI:
    settings = settings or AgentsSettings()
    common = common or Settings()
    registry = CollectorRegistry()
    holder: dict[str, Runtime] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, common, registry, llm=llm, parser=parser, sandbox=sandbox) as runtime:
            holder["runtime"] = runtime
            yield

    async def context_getter() -> dict[str, Any]:
        return {"agents": holder["runtime"].service}

    app = create_subgraph_app(schema, name="agents", registry=registry, lifespan=lifespan,
                              context_getter=context_getter)
    app.state.agents = holder
    return app
