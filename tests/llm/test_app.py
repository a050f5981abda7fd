"""The ASGI app over real HTTP and graphql-transport-ws (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
import websockets

from subgraphs.llm.app import create_app
from subgraphs.llm.config import LLMSettings
from tests.llm.conftest import SECRET, common_settings, llm_settings
from tests.llm.fakes import TOKENS, FakeUpstream


@asynccontextmanager
async def serve(settings: LLMSettings, tmp_path: Path) -> AsyncIterator[str]:
    app = create_app(settings, common_settings(tmp_path))
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


async def test_http_generate_health_metrics(fake: FakeUpstream, tmp_path: Path) -> None:
    async with serve(llm_settings(fake.url), tmp_path) as host, httpx.AsyncClient(base_url=f"http://{host}") as http:
        assert (await http.get("/readiness")).status_code == 200
        body = (await http.post("/graphql", json={
            "query": "mutation { generate(input: {prompt: \"hi\"}) { text provider } }"})).json()
        assert body["data"]["generate"] == {"text": "".join(TOKENS), "provider": "openai"}
        bad = (await http.post("/graphql", json={"query": "mutation { generate(input: {}) { id } }"})).json()
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        metrics = (await http.get("/metrics")).text
        assert 'ql_llm_generations_total{model="ok",provider="openai",status="ok"} 1.0' in metrics
        sdl = (await http.post("/graphql", json={"query": "{ _service { sdl } }"})).json()["data"]["_service"]["sdl"]
        assert '@key(fields: "id")' in sdl and "generateStream" in sdl
        providers = (await http.post("/graphql", json={"query": "{ providers { name kind configured } }"})).text
        assert SECRET not in providers


async def test_websocket_subscription_and_client_close(fake: FakeUpstream, tmp_path: Path) -> None:
    fake.token_delay_s = 0.01
    settings = llm_settings(fake.url, models=[("slow", "anthropic", 8192)])
    async with serve(settings, tmp_path) as host, websockets.connect(
            f"ws://{host}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { generateStream(input: {prompt: \"hi\"}) { ... on TokenDelta { index text } } }"}}))
        texts: list[str] = []
        while len(texts) < 3:
            message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            texts.append(message["payload"]["data"]["generateStream"]["text"])
        assert texts == TOKENS[:3]
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        for _ in range(100):
            if fake.disconnects:
                break
            await asyncio.sleep(0.02)
        assert fake.disconnects == 1


async def test_echo_demo_when_nothing_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "AWS_ACCESS_KEY_ID", "QL_LLM_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    async with serve(LLMSettings(), tmp_path) as host, httpx.AsyncClient(base_url=f"http://{host}") as http:
        data = (await http.post("/graphql", json={"query": "{ providers { name kind configured demo } "
                                                           "models { name provider } routes { name models } }"})).json()
        echo = [p for p in data["data"]["providers"] if p["kind"] == "echo"]
        assert echo == [{"name": "echo", "kind": "echo", "configured": True, "demo": True}]
        assert data["data"]["models"] == [{"name": "echo-demo", "provider": "echo"}]
        gen = (await http.post("/graphql", json={"query": "mutation { generate(input: {prompt: \"ping pong\"}) "
                                                          "{ text model usage { estimated } costUsd } }"})).json()
        assert gen["data"]["generate"] == {"text": "[echo demo] ping pong", "model": "echo-demo",
                                           "usage": {"estimated": True}, "costUsd": 0.0}
