"""AiohttpSubgraphFetcher against a real loopback aiohttp server: success, failures, pooling."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from gateway.config import GatewaySettings
from gateway.execution.fetcher import SubgraphFetchError
from gateway.transport import AiohttpSubgraphFetcher


@pytest.fixture
async def subgraph() -> AsyncIterator[tuple[str, list[Any]]]:
    """A fake subgraph; yields its base URL and the list of peers (client ports) it saw."""
    peers: list[Any] = []

    async def graphql(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        body = orjson.loads(await request.read())
        assert request.content_type == "application/json"
        assert request.headers["Accept"].startswith("application/graphql-response+json")
        return web.Response(
            body=orjson.dumps({"data": {"echo": body["query"]}}), content_type="application/json"
        )

    async def status_500(_: web.Request) -> web.Response:
        return web.Response(status=500, text="<html>oops</html>", content_type="text/html")

    async def grj_400(_: web.Request) -> web.Response:
        return web.Response(
            status=400,
            body=orjson.dumps({"errors": [{"message": "bad"}]}),
            content_type="application/graphql-response+json",
        )

    async def not_json(_: web.Request) -> web.Response:
        return web.Response(text="{nope", content_type="application/json")

    async def array(_: web.Request) -> web.Response:
        return web.Response(text="[1]", content_type="application/json")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(text="{}", content_type="application/json")

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    app.router.add_post("/500", status_500)
    app.router.add_post("/grj400", grj_400)
    app.router.add_post("/notjson", not_json)
    app.router.add_post("/array", array)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", peers
    finally:
        await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[AiohttpSubgraphFetcher]:
    settings = GatewaySettings(subgraph_timeout_s=0.3, subgraph_connect_timeout_s=0.3)
    async with AiohttpSubgraphFetcher.from_settings(settings) as f:
        yield f


async def test_fetch_decodes_json_and_reuses_one_connection(
    subgraph: tuple[str, list[Any]], fetcher: AiohttpSubgraphFetcher
) -> None:
    base, peers = subgraph
    for i in range(5):
        result = await fetcher.fetch(
            "a", f"{base}/graphql", {"query": f"{{ f{i} }}", "variables": {"x": "é"}}
        )
        assert result == {"data": {"echo": f"{{ f{i} }}"}}
    assert len(set(peers)) == 1  # keep-alive: one pooled connection for sequential calls


async def test_concurrent_fetches(subgraph: tuple[str, list[Any]], fetcher: AiohttpSubgraphFetcher) -> None:
    base, _ = subgraph
    results = await asyncio.gather(
        *(fetcher.fetch("a", f"{base}/graphql", {"query": str(i)}) for i in range(20))
    )
    assert [r["data"]["echo"] for r in results] == [str(i) for i in range(20)]


@pytest.mark.parametrize(("path", "fragment"), [("/500", "500"), ("/notjson", "JSON"), ("/array", "JSON")])
async def test_failures_raise_subgraph_fetch_error(
    subgraph: tuple[str, list[Any]], fetcher: AiohttpSubgraphFetcher, path: str, fragment: str
) -> None:
    base, _ = subgraph
    with pytest.raises(SubgraphFetchError) as info:
        await fetcher.fetch("products", base + path, {"query": "{ a }"})
    assert "products" in str(info.value) and fragment in str(info.value)
    assert "<html>" not in str(info.value)


async def test_graphql_response_json_error_status_is_a_response(
    subgraph: tuple[str, list[Any]], fetcher: AiohttpSubgraphFetcher
) -> None:
    base, _ = subgraph
    assert await fetcher.fetch("a", f"{base}/grj400", {"query": "{"}) == {"errors": [{"message": "bad"}]}


async def test_timeout(subgraph: tuple[str, list[Any]], fetcher: AiohttpSubgraphFetcher) -> None:
    base, _ = subgraph
    with pytest.raises(SubgraphFetchError, match="timed out"):
        await fetcher.fetch("slowpoke", f"{base}/slow", {"query": "{ a }"})


async def test_connection_refused(fetcher: AiohttpSubgraphFetcher) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SubgraphFetchError, match="down"):
        await fetcher.fetch("down", f"http://127.0.0.1:{port}/graphql", {"query": "{ a }"})


async def test_close_is_idempotent() -> None:
    fetcher = AiohttpSubgraphFetcher.from_settings(GatewaySettings())
    await fetcher.aclose()
    await fetcher.aclose()
