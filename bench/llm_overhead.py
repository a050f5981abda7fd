"""Latency the LLM subgraph adds over a direct SDK call to the same upstream.

    .venv/bin/python bench/llm_overhead.py [--requests N] [--warmup N]

The upstream is the wire-level fake from the tests (OpenAI SSE with the
include_usage chunk) in its own process. Three paths call it, interleaved so
they see the same upstream conditions:

* ``direct``     – ``openai.AsyncOpenAI`` streaming straight to the fake;
* ``in-process`` – the subgraph's real code path without a network hop:
                   GraphQL ``generate`` / ``generateStream`` executed on the schema
                   (validation, routing, circuit/quota checks, pricing, record);
* ``http``       – the subgraph served by uvicorn in its own process: GraphQL over
                   HTTP (``generate``) and graphql-transport-ws (``generateStream``).

Per pair it records ``subgraph - direct`` and prints p50/p99 of those paired
differences for total latency and time-to-first-token. It prints numbers; it
never asserts on them (goal: p50 ≤ 1 ms, p99 ≤ 5 ms added).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MUTATION = "mutation($p: String!) { generate(input: {prompt: $p, model: \"ok\"}) { text } }"
SUBSCRIPTION = ("subscription($p: String!) { generateStream(input: {prompt: $p, model: \"ok\"}) "
                "{ __typename ... on TokenDelta { text } } }")


def _run_fake(port_queue: Any) -> None:
    from tests.llm.fakes import FakeUpstream

    async def main() -> None:
        fake = await FakeUpstream().start()
        port_queue.put(fake.url)
        await asyncio.Event().wait()

    asyncio.run(main())


def _settings(upstream: str) -> Any:
    from pydantic import SecretStr

    from subgraphs.llm.config import LLMSettings, ModelConfig, ProviderConfig, ProviderKind

    return LLMSettings(
        providers={"openai": ProviderConfig(kind=ProviderKind.OPENAI, api_key=SecretStr("sk-bench"),
                                            base_url=f"{upstream}/v1")},
        models=[ModelConfig(name="ok", provider="openai", context_window=8192)])


def _common(data_dir: str) -> Any:
    from common.settings import Settings

    overrides: dict[str, Any] = {"DATABASE_URL": None, "REDIS_URL": None, "data_dir": Path(data_dir)}
    return Settings(**overrides)


def _run_subgraph(upstream: str, data_dir: str, port_queue: Any) -> None:
    import socket

    import uvicorn

    from subgraphs.llm.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_queue.put(sock.getsockname()[1])
    app = create_app(_settings(upstream), _common(data_dir))
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(requests: int, warmup: int) -> None:
    import httpx
    import openai
    import websockets
    from prometheus_client import CollectorRegistry

    from subgraphs.llm.app import open_service
    from subgraphs.llm.schema import schema

    ctx = mp.get_context("spawn")
    q: Any = ctx.Queue()
    fake = ctx.Process(target=_run_fake, args=(q,), daemon=True)
    fake.start()
    upstream = q.get(timeout=30)
    tmp = tempfile.mkdtemp(prefix="ql-llm-bench-")
    server = ctx.Process(target=_run_subgraph, args=(upstream, tmp, q), daemon=True)
    server.start()
    port = q.get(timeout=30)
    base = f"127.0.0.1:{port}"
    direct_client = openai.AsyncOpenAI(api_key="sk-bench", base_url=f"{upstream}/v1", max_retries=0)
    http = httpx.AsyncClient(base_url=f"http://{base}", timeout=10)
    for _ in range(200):
        try:
            if (await http.get("/readiness")).status_code == 200:
                break
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)

    async def direct() -> tuple[float, float]:
        t0 = time.perf_counter()
        first = None
        stream = await direct_client.chat.completions.create(
            model="ok", messages=[{"role": "user", "content": "hi"}], stream=True, max_tokens=1024,
            stream_options={"include_usage": True})
        async for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter()
        end = time.perf_counter()
        return (end - t0) * 1000, ((first or end) - t0) * 1000

    async with open_service(_settings(upstream), _common(tmp + "/inproc"), CollectorRegistry()) as service:
        context = {"llm": service}

        async def inproc_generate() -> tuple[float, float]:
            t0 = time.perf_counter()
            result = await schema.execute(MUTATION, variable_values={"p": "hi"}, context_value=context)
            assert result.errors is None, result.errors
            ms = (time.perf_counter() - t0) * 1000
            return ms, ms

        async def inproc_stream() -> tuple[float, float]:
            t0 = time.perf_counter()
            first = None
            async for result in await schema.subscribe(SUBSCRIPTION, variable_values={"p": "hi"},
                                                        context_value=context):
                data = result.data or {}
                if first is None and data["generateStream"]["__typename"] == "TokenDelta":
                    first = time.perf_counter()
            end = time.perf_counter()
            return (end - t0) * 1000, ((first or end) - t0) * 1000

        async def http_generate() -> tuple[float, float]:
            t0 = time.perf_counter()
            response = await http.post("/graphql", json={"query": MUTATION, "variables": {"p": "hi"}})
            assert "errors" not in response.json(), response.text
            ms = (time.perf_counter() - t0) * 1000
            return ms, ms

        ws = await websockets.connect(f"ws://{base}/graphql",
                                      subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        counter = iter(range(10**9))

        async def ws_stream() -> tuple[float, float]:
            sid = str(next(counter))
            t0 = time.perf_counter()
            await ws.send(json.dumps({"id": sid, "type": "subscribe",
                                      "payload": {"query": SUBSCRIPTION, "variables": {"p": "hi"}}}))
            first = None
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "complete":
                    break
                if first is None and message["type"] == "next":
                    first = time.perf_counter()
            end = time.perf_counter()
            return (end - t0) * 1000, ((first or end) - t0) * 1000

        paths: dict[str, Callable[[], Awaitable[tuple[float, float]]]] = {
            "in-process generate": inproc_generate, "in-process generateStream": inproc_stream,
            "http generate": http_generate, "ws generateStream": ws_stream}
        diffs: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in paths}
        direct_total: list[float] = []
        direct_ttft: list[float] = []
        for i in range(warmup + requests):
            for name, call in paths.items():
                d_total, d_ttft = await direct()
                s_total, s_ttft = await call()
                if i >= warmup:
                    diffs[name][0].append(s_total - d_total)
                    diffs[name][1].append(s_ttft - d_ttft)
                    direct_total.append(d_total)
                    direct_ttft.append(d_ttft)
        await ws.close()

    print(f"requests per path: {requests} (after {warmup} warm-up), upstream: fake OpenAI SSE, 5 tokens, "
          f"usage chunk; python {sys.version.split()[0]}")
    print(f"direct SDK call       total p50 {statistics.median(direct_total):7.3f} ms   "
          f"p99 {pct(direct_total, 0.99):7.3f} ms   TTFT p50 {statistics.median(direct_ttft):7.3f} ms")
    print("added by the subgraph (paired: subgraph - direct, same upstream)")
    for name, (total, ttft) in diffs.items():
        line = f"  {name:27s} total p50 {pct(total, 0.5):7.3f} ms   p99 {pct(total, 0.99):7.3f} ms"
        if "Stream" in name:
            line += f"   TTFT p50 {pct(ttft, 0.5):7.3f} ms   p99 {pct(ttft, 0.99):7.3f} ms"
        print(line)
    await http.aclose()
    await direct_client.close()
    server.terminate()
    fake.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(bench(args.requests, args.warmup))


if __name__ == "__main__":
    main()
