"""Fixtures of the agents tests: an in-process agents instance with injected LLM/parser/sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from common.settings import Settings
from subgraphs.agents.app import Runtime, open_runtime
from subgraphs.agents.clients import LlmClient, LocalPythonParser, ParserClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.models import TERMINAL, TaskRow, TaskStatus
from subgraphs.agents.sandbox import Sandbox
from subgraphs.agents.schema import schema

FAST: dict[str, Any] = {"poll_interval_s": 0.05, "heartbeat_s": 0.2, "heartbeat_timeout_s": 2.0, "infra_retry_s": 0.05,
        "metrics_interval_s": 0.2, "sandbox_timeout_s": 5.0}

RuntimeFactory = Callable[..., AbstractAsyncContextManager[Runtime]]


def fence(code: str) -> str:
    return f"Here you go:\n```python\n{code}\n```\nDone."


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'agents.db'}", "data_dir": tmp_path})


@pytest.fixture
def runtime_factory(sqlite_settings: Settings) -> RuntimeFactory:
    @asynccontextmanager
    async def make(llm: LlmClient, *, parser: ParserClient | None = None, sandbox: Sandbox | None = None,
                   common: Settings | None = None, start_worker: bool = True, **overrides: Any
                   ) -> AsyncIterator[Runtime]:
        settings = AgentsSettings(**{**FAST, **overrides})
        async with open_runtime(settings, common or sqlite_settings, CollectorRegistry(), llm=llm,
                                parser=parser or LocalPythonParser(), sandbox=sandbox,
                                start_worker=start_worker) as runtime:
            yield runtime
    return make


async def gql(runtime: Runtime, query: str, **variables: Any) -> Any:
    result = await schema.execute(query, variable_values=variables, context_value={"agents": runtime.service})
    return result


async def wait_status(runtime: Runtime, task_id: str, statuses: set[TaskStatus] | None = None,
                      within_s: float = 20.0) -> TaskRow:
    wanted = {s.value for s in (statuses or TERMINAL)}
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        task = await runtime.store.get_task(task_id)
        assert task is not None
        if task.status in wanted:
            return task
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} stuck in {task.status}: {task.error}")
        await asyncio.sleep(0.05)
