"""Two agents-subgraph servers on one PostgreSQL and Redis: a websocket subscriber on replica A
sees every event of a task created on and run by replica B (graphql-transport-ws over real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from common.settings import Settings
from subgraphs.agents.app import create_app
from subgraphs.agents.clients import LocalPythonParser, ScriptedLlmClient
from subgraphs.agents.config import AgentsSettings
from tests.agents.conftest import FAST, fence

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

GOOD = "def add(a, b):\n    return a + b\n"
TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
SUBSCRIPTION = """subscription($id: ID!) { taskEvents(taskId: $id) { seq kind task { status } } }"""


@asynccontextmanager
async def serve(common: Settings, worker: bool) -> AsyncIterator[str]:
    app = create_app(AgentsSettings(**{**FAST, "worker_enabled": worker}), common,
                     llm=ScriptedLlmClient([fence(GOOD)]), parser=LocalPythonParser())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def subscribe(host: str, task_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with connect(f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIPTION, "variables": {"id": task_id}}}))
        while True:
            message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            event = message["payload"]["data"]["taskEvents"]
            events.append(event)
            if event["kind"] == "SUCCEEDED":
                await ws.send(json.dumps({"id": "1", "type": "complete"}))
                return events


async def test_subscriber_on_a_sees_task_run_by_b(postgres_url: str, redis_url: str) -> None:
    common = Settings.model_validate({"DATABASE_URL": postgres_url, "REDIS_URL": redis_url})
    async with serve(common, worker=False) as host_a, serve(common, worker=True) as host_b, \
            httpx.AsyncClient() as http:
        created = (await http.post(f"http://{host_b}/graphql", json={
            "query": "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }",
            "variables": {"input": {"prompt": "add", "entryPoint": "add", "tests": TESTS}}})).json()
        task_id = created["data"]["createTask"]["id"]
        events = await asyncio.wait_for(subscribe(host_a, task_id), 30)
        via_a = (await http.post(f"http://{host_a}/graphql", json={
            "query": "query($id: ID!) { task(id: $id) { status steps { agent status } } }",
            "variables": {"id": task_id}})).json()["data"]["task"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "CREATED" and events[-1]["task"]["status"] == "SUCCEEDED"
    assert via_a["status"] == "SUCCEEDED" and [s["agent"] for s in via_a["steps"]] == [
        "GENERATOR", "VALIDATOR", "TESTER"]
