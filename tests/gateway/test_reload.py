"""Hot reload: a new supergraph swaps in atomically under load; a bad one is rejected.

The gateway runs as a real process (``python -m gateway``) in front of a real
Strawberry subgraph; supergraphs are composed with our Python composition.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from composition import SubgraphDefinition, compose
from gateway.reload import SchemaReloader, sdl_hash
from tests.support import free_port as _free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]




def _wait_http(url: str, ok: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ok(httpx.get(url, timeout=2)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} not ready")


@pytest.fixture(scope="module")
def subgraph() -> Iterator[tuple[str, str]]:
    """(url, sdl) of the hello subgraph, running in its own process."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "hello_subgraph.py"), str(port)], cwd=ROOT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "subgraph did not start"
            time.sleep(0.05)
        yield url, r.json()["data"]["_service"]["sdl"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def _supergraph(url: str, sdl: str) -> str:
    result = compose([SubgraphDefinition("hello", url, sdl)])
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def _start_gateway(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "--port", str(port), *args], cwd=ROOT,
                            env={**os.environ, **env}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    return err.decode()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_file_reload_under_load_drops_no_request(subgraph: tuple[str, str], tmp_path: Path) -> None:
    url, full_sdl = subgraph
    v1 = _supergraph(url, full_sdl.replace("  add(a: Int!, b: Int!): Int!\n", ""))
    v2 = _supergraph(url, full_sdl)
    assert "add(" not in v1 and "add(" in v2
    path = tmp_path / "supergraph.graphql"
    path.write_text(v1)
    proc, base = _start_gateway(["--supergraph", str(path)], {"QL_GATEWAY_SUPERGRAPH_POLL_INTERVAL_S": "0.05"})
    try:
        _wait_http(f"{base}/readiness", lambda r: r.status_code == 200)
        assert httpx.get(f"{base}/readiness").json()["schemaHash"] == sdl_hash(v1)

        async def load(stop: asyncio.Event) -> list[Any]:
            outcomes: list[Any] = []
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                async def worker(i: int) -> None:
                    n = 0
                    while not stop.is_set() and n < 2000:  # bounded in count and time
                        n += 1
                        r = await client.post("/graphql", json={"query": f'{{ hello(name: "c{i}") }}'})
                        outcomes.append((r.status_code, r.json()))
                await asyncio.gather(*(worker(i) for i in range(4)))
            return outcomes

        async def scenario() -> tuple[list[Any], list[str]]:
            stop = asyncio.Event()
            task = asyncio.create_task(load(stop))
            hashes = []
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                for text in (v2, "type Query {", v1, v2):  # good, broken, good, good
                    await asyncio.sleep(0.4)
                    _write_atomically(path, text)
                    await asyncio.sleep(0.4)
                    hashes.append((await client.get("/readiness")).json()["schemaHash"])
            stop.set()
            return await task, hashes

        outcomes, hashes = asyncio.run(scenario())
        assert len(outcomes) > 50
        bad = [o for o in outcomes if o[0] != 200 or "errors" in o[1] or not o[1]["data"]["hello"].startswith("Hello")]
        assert bad == [], bad[:3]
        # v2 swapped in; the broken file was rejected (v2 kept serving); then v1, then v2 again
        assert hashes == [sdl_hash(v2), sdl_hash(v2), sdl_hash(v1), sdl_hash(v2)]
        added = httpx.post(f"{base}/graphql", json={"query": "{ add(a: 2, b: 3) }"}).json()
        assert added == {"data": {"add": 5}}
    finally:
        err = _stop(proc)
    assert "rejected the supergraph" in err
    assert "Traceback" not in err


def test_poll_subgraphs_mode_is_unready_until_composed(subgraph: tuple[str, str]) -> None:
    url, _ = subgraph
    dead = f"http://127.0.0.1:{_free_port()}/graphql"
    # First poll a subgraph that is down: no schema, readiness 503, requests 503.
    proc, base = _start_gateway(["--poll-subgraphs", "--subgraph", f"hello={dead}"],
                                {"QL_GATEWAY_SUBGRAPH_POLL_INTERVAL_S": "0.1"})
    try:
        _wait_http(f"{base}/health", lambda r: r.status_code == 200)
        time.sleep(0.5)
        assert httpx.get(f"{base}/readiness").status_code == 503
        r = httpx.post(f"{base}/graphql", json={"query": "{ hello }"})
        assert r.status_code == 503
    finally:
        err = _stop(proc)
    assert "subgraph polling" in err
    proc, base = _start_gateway(["--poll-subgraphs", "--subgraph", f"hello={url}"],
                                {"QL_GATEWAY_SUBGRAPH_POLL_INTERVAL_S": "0.1"})
    try:
        _wait_http(f"{base}/readiness", lambda r: r.status_code == 200)
        r = httpx.post(f"{base}/graphql", json={"query": "{ hello(name: \"poll\") add(a: 1, b: 1) }"})
        assert r.json() == {"data": {"hello": "Hello, poll!", "add": 2}}
    finally:
        _stop(proc)


class _State:
    pipeline: Any = None


class _Pipe:
    def __init__(self, supergraph: str) -> None:
        self.schema_hash = sdl_hash(supergraph)


def _load(sdl: str) -> str:
    if "broken" in sdl:
        raise ValueError("cannot load")
    return sdl


async def test_reloader_swaps_good_and_rejects_bad() -> None:
    state = _State()
    reloader = SchemaReloader(state, _Pipe, _load)
    assert await reloader.offer("schema one", "test") is True
    first = state.pipeline
    assert await reloader.offer("schema one", "test") is False  # same content: no new pipeline
    assert state.pipeline is first
    assert await reloader.offer("broken schema", "test") is False
    assert state.pipeline is first and reloader.rejections == 1 and "cannot load" in (reloader.last_error or "")
    assert await reloader.offer("schema two", "test") is True
    assert state.pipeline.schema_hash == sdl_hash("schema two") and reloader.loads == 2


def test_hello_supergraph_fixture_is_composed_not_hand_written() -> None:
    sys.path.insert(0, str(FIXTURES))
    try:
        from hello_subgraph import schema
    finally:
        sys.path.remove(str(FIXTURES))
    from common.federation import subgraph_sdl

    expected = _supergraph("http://127.0.0.1:4101/graphql", subgraph_sdl(schema))
    assert (FIXTURES / "hello_supergraph.graphql").read_text() == expected
