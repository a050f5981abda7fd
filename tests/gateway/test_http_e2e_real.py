"""End to end through the real core: HTTP edge → pipeline → planner → executor → aiohttp → Strawberry.

The Strawberry subgraph runs in its own process (as in production); the gateway app
runs in-process so the test can look at its plan cache.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import gateway.supergraph as supergraph_module
from gateway.config import GatewaySettings
from gateway.http import create_app, supergraph_pipeline_factory
from tests.support import free_port as _free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
GRJ = "application/graphql-response+json"




@pytest.fixture(scope="module")
def subgraph_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(FIXTURES / "hello_subgraph.py"), str(port)], cwd=ROOT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(url, json={"query": "{ __typename }"}).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("subgraph did not start")
            time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _app(subgraph_url: str, **settings: Any) -> Any:
    sdl = (
        (FIXTURES / "hello_supergraph.graphql")
        .read_text()
        .replace("http://127.0.0.1:4101/graphql", subgraph_url)
    )
    supergraph = supergraph_module.load_supergraph(sdl)
    config = GatewaySettings(**settings)
    return create_app(config, supergraph_pipeline_factory(config, supergraph))


@pytest.fixture
async def gateway(subgraph_url: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = _app(subgraph_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield app, client


async def test_ping(gateway: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = gateway
    response = await client.post("/graphql", json={"query": "query ping { __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_fields_variables_and_operation_selection(gateway: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = gateway
    doc = "query A($n: String) { hello(name: $n) } query B($a: Int!) { add(a: $a, b: 1) }"
    a = await client.post("/graphql", json={"query": doc, "operationName": "A", "variables": {"n": "real"}})
    assert a.json() == {"data": {"hello": "Hello, real!"}}
    b = await client.post("/graphql", json={"query": doc, "operationName": "B", "variables": {"a": 41}})
    assert b.json() == {"data": {"add": 42}}
    get = await client.get("/graphql", params={"query": doc, "operationName": "B", "variables": '{"a": 1}'})
    assert get.json() == {"data": {"add": 2}}


async def test_mutation_post_only(gateway: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = gateway
    assert (await client.post("/graphql", json={"query": "mutation { bump(by: 5) }"})).json() == {
        "data": {"bump": 5}
    }
    assert (await client.get("/graphql", params={"query": "mutation { bump }"})).status_code == 405


async def test_introspection_through_the_gateway(gateway: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = gateway
    response = await client.post(
        "/graphql",
        json={"query": '{ __type(name: "Run🏃Swim🏊") { name } q: __type(name: "Query") { name } }'},
        headers={"accept": GRJ},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__type": None, "q": {"name": "Query"}}


async def test_plan_cache_hits(gateway: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = gateway
    pipeline = app.state.gateway.pipeline
    for i in range(3):
        response = await client.post(
            "/graphql", json={"query": "query Q($a: Int!) { add(a: $a, b: 2) }", "variables": {"a": i}}
        )
        assert response.json() == {"data": {"add": i + 2}}
    assert pipeline.plans.misses == 1
    assert pipeline.plans.hits == 2


async def test_subgraph_down_is_a_graphql_error(tmp_path: Path) -> None:
    app = _app(f"http://127.0.0.1:{_free_port()}/graphql", subgraph_connect_timeout_s=1.0)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            response = await client.post("/graphql", json={"query": "{ hello }"}, headers={"accept": GRJ})
    body = response.json()
    assert body.get("errors")
    assert "Traceback" not in response.text
    assert response.status_code in (200, 500)  # 200 iff the executor produced a data entry


async def test_debug_query_plan(subgraph_url: str) -> None:
    app = _app(subgraph_url, debug_query_plan=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            response = await client.post("/graphql", json={"query": "{ hello }"})
    body = response.json()
    assert body["data"] == {"hello": "Hello, world!"}
    assert isinstance(body["extensions"]["queryPlan"], dict)
