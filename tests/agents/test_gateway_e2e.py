"""Through the real gateway: agents + parser composed, `task { artifacts { analysis { ... } } }` resolves
via the parser's @requires(fields: "source path language") on the agents' CodeArtifact entity."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from common.federation import subgraph_sdl
from common.settings import Settings
from composition import SubgraphDefinition, compose
from subgraphs.agents import schema as agents_schema
from subgraphs.agents.app import create_app as agents_app
from subgraphs.agents.clients import LocalPythonParser, ScriptedLlmClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.llm import schema as llm_schema
from subgraphs.parser import schema as parser_schema
from subgraphs.parser.app import create_app as parser_app
from subgraphs.parser.service import ParserSettings
from tests.agents.conftest import FAST, fence
from tests.support import free_port as _free_port

ROOT = Path(__file__).resolve().parents[2]
CODE = "import os\n\ndef add(a, b):\n    os.system('echo ' + str(a))\n    return a + b\n"
QUERY = """query($id: ID!) { task(id: $id) { status steps { agent generation { id } }
  artifacts { path analysis { findings { ruleId } syntaxErrors { line } } } } }"""


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[int]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task




async def post(client: httpx.AsyncClient, url: str, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (await client.post(url, json={"query": query, "variables": variables})).json()
    return body


async def test_artifact_analysis_through_the_gateway(tmp_path: Path) -> None:
    common = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"})
    agents = agents_app(AgentsSettings(**FAST), common, llm=ScriptedLlmClient([fence(CODE)]),
                        parser=LocalPythonParser())
    async with serve(agents) as agents_port, serve(parser_app(ParserSettings(workers=1))) as parser_port:
        result = compose([
            SubgraphDefinition(name="llm", url="http://127.0.0.1:9/graphql", sdl=subgraph_sdl(llm_schema.schema)),
            SubgraphDefinition(name="agents", url=f"http://127.0.0.1:{agents_port}/graphql",
                               sdl=subgraph_sdl(agents_schema.schema)),
            SubgraphDefinition(name="parser", url=f"http://127.0.0.1:{parser_port}/graphql",
                               sdl=subgraph_sdl(parser_schema.schema))])
        assert not result.errors, result.errors
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl or "")
        port = _free_port()
        gateway = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "--supergraph", str(supergraph), "--port", str(port), cwd=ROOT,
            start_new_session=True, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                for _ in range(300):
                    try:
                        if (await client.post(url, json={"query": "{ __typename }"})).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert gateway.returncode is None, "the gateway exited"
                    await asyncio.sleep(0.1)
                created = await post(client, url, "mutation($input: CreateTaskInput!) { createTask(input: $input) "
                                     "{ id status } }", input={"prompt": "add", "entryPoint": "add",
                                                               "tests": "assert add(1, 2) == 3"})
                task_id = created["data"]["createTask"]["id"]
                for _ in range(200):
                    body = await post(client, url, QUERY, id=task_id)
                    if body["data"]["task"]["status"] in ("SUCCEEDED", "FAILED"):
                        break
                    await asyncio.sleep(0.05)
                missing = await post(client, url, 'mutation { cancelTask(id: "nope") { id } }')
        finally:
            os.killpg(gateway.pid, signal.SIGTERM)
            await asyncio.wait_for(gateway.wait(), 10)
    assert "errors" not in body, body
    task = body["data"]["task"]
    assert task["status"] == "SUCCEEDED"
    assert task["steps"][0] == {"agent": "GENERATOR", "generation": {"id": "scripted-1"}}
    assert task["artifacts"] == [{"path": "solution.py",
                                  "analysis": {"findings": [{"ruleId": "QL-PY-SHELL"}], "syntaxErrors": []}}]
    assert missing["errors"][0]["extensions"]["code"] == "TASK_NOT_FOUND"
