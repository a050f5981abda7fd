"""CPU cost per subgraph call: aiohttp (our transport) vs httpx, on loopback.

Why: the gateway's CPU budget is dominated by subgraph calls, and the transport
was chosen on this number. The echo server runs in a *separate process* so only
the client's CPU is measured (``time.process_time`` of this process).

    .venv/bin/python bench/gateway_transport.py [--calls 2000] [--concurrency 1,16] [--server aiohttp|uvicorn]

Prints one line per (client, concurrency): CPU ms per call and wall ms per call.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

RESPONSE = orjson.dumps(
    {"data": {"product": {"id": "1", "name": "Widget", "price": 12.5, "tags": ["a", "b"]}}}
)
BODY: dict[str, Any] = {
    "query": "query($id: ID!) { product(id: $id) { id name price tags } }",
    "variables": {"id": "1"},
}


# --------------------------------------------------------------------------- echo servers (child process)


def serve_aiohttp(port: int) -> None:
    from aiohttp import web

    async def graphql(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=RESPONSE, content_type="application/json")

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_uvicorn(port: int) -> None:
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": RESPONSE})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --------------------------------------------------------------------------- clients


async def run_calls(call: Callable[[], Awaitable[Any]], calls: int, concurrency: int) -> tuple[float, float]:
    """Run ``calls`` calls with ``concurrency`` workers; returns (cpu_s, wall_s)."""
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu0, time.perf_counter() - wall0


async def bench_aiohttp(url: str, calls: int, concurrency: int) -> tuple[float, float]:
    from gateway.config import GatewaySettings
    from gateway.transport import AiohttpSubgraphFetcher

    async with AiohttpSubgraphFetcher.from_settings(GatewaySettings()) as fetcher:

        async def call() -> Any:
            return await fetcher.fetch("bench", url, BODY)

        await run_calls(call, min(200, calls), concurrency)  # warm the pool
        return await run_calls(call, calls, concurrency)


async def bench_httpx(url: str, calls: int, concurrency: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        headers = {"content-type": "application/json", "accept": "application/json"}

        async def call() -> Any:
            response = await client.post(url, content=orjson.dumps(BODY), headers=headers)
            return orjson.loads(response.content)

        await run_calls(call, min(200, calls), concurrency)
        return await run_calls(call, calls, concurrency)


# --------------------------------------------------------------------------- main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"echo server did not start on port {port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--server", choices=["aiohttp", "uvicorn"], default="aiohttp")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()

    if args.serve:
        (serve_aiohttp if args.server == "aiohttp" else serve_uvicorn)(args.serve)
        return 0

    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--server", args.server])
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}/graphql"
        print(f"echo server: {args.server} (separate process); {args.calls} calls per run; client CPU only")
        print(f"{'client':8} {'conc':>4} {'cpu ms/call':>12} {'wall ms/call':>13}")
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for name, bench in (("aiohttp", bench_aiohttp), ("httpx", bench_httpx)):
                cpu, wall = asyncio.run(bench(url, args.calls, concurrency))
                print(
                    f"{name:8} {concurrency:>4} {cpu / args.calls * 1e3:>12.3f} {wall / args.calls * 1e3:>13.3f}"
                )
    finally:
        child.terminate()
        child.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
