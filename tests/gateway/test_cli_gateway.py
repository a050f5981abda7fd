"""``python -m gateway``: argument handling, the ``plan`` subcommand, and serving end to end.

The serving test starts the real processes the federation audit harness starts (a
Strawberry subgraph and the gateway) and polls the same ping the harness polls, so it
also measures start-up time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PING = {"query": "query ping { __typename }"}




def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("QL_GATEWAY_")}
    clean_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child we started, by its own process group (it was started in a new session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(predicate, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the server")


def test_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "--supergraph" in result.stdout
    result = run_cli("plan", "--help")
    assert result.returncode == 0 and "--operation-name" in result.stdout


def test_serve_requires_a_supergraph() -> None:
    result = run_cli("--port", "0")
    assert result.returncode == 2
    assert "--supergraph" in result.stderr


def test_missing_supergraph_file(tmp_path: Path) -> None:
    result = run_cli("--supergraph", str(tmp_path / "nope.graphql"))
    assert result.returncode != 0
    assert "cannot read supergraph" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_supergraph_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphql"
    path.write_text("schema {")
    result = run_cli("--supergraph", str(path), "--port", str(free_port()))
    assert result.returncode == 1
    assert "invalid supergraph" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def supergraph_file(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """The hello supergraph, pointing at a free port where the subgraph will listen."""
    port = free_port()
    sdl = (FIXTURES / "hello_supergraph.graphql").read_text()
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl.replace("http://127.0.0.1:4101/graphql", f"http://127.0.0.1:{port}/graphql"))
    yield path, port


def test_plan_subcommand(supergraph_file: tuple[Path, int], tmp_path: Path) -> None:
    supergraph, _ = supergraph_file
    query = tmp_path / "q.graphql"
    query.write_text("query A { hello } query B { add(a: 1, b: 2) }")
    result = run_cli("plan", "--supergraph", str(supergraph), str(query), "--operation-name", "B")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert isinstance(plan, dict)
    assert "add" in result.stdout

    ambiguous = run_cli("plan", "--supergraph", str(supergraph), str(query))
    assert ambiguous.returncode == 1
    invalid = tmp_path / "bad.graphql"
    invalid.write_text("{ nope }")
    result = run_cli("plan", "--supergraph", str(supergraph), str(invalid))
    assert result.returncode == 1
    assert "GRAPHQL_VALIDATION_FAILED" in result.stderr


def test_serve_end_to_end(supergraph_file: tuple[Path, int]) -> None:
    supergraph, subgraph_port = supergraph_file
    gateway_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QL_GATEWAY_")}
    subgraph = subprocess.Popen(
        [sys.executable, str(FIXTURES / "hello_subgraph.py"), str(subgraph_port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    gateway = None
    try:
        url = f"http://127.0.0.1:{gateway_port}/graphql"
        wait_until(
            lambda: httpx.post(f"http://127.0.0.1:{subgraph_port}/graphql", json=PING).status_code == 200
        )
        started = time.monotonic()
        gateway = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--supergraph", str(supergraph), "--port", str(gateway_port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_until(lambda: httpx.post(url, json=PING).json() == {"data": {"__typename": "Query"}})
        startup = time.monotonic() - started
        print(f"gateway start-up to first ping answer: {startup:.2f}s")
        assert startup < 10

        assert httpx.post(url, json={"query": '{ hello(name: "e2e") }'}).json() == {
            "data": {"hello": "Hello, e2e!"}
        }
        body = {"query": "query A { hello } query B($a: Int!) { add(a: $a, b: 2) }", "operationName": "B"}
        result = httpx.post(url, json={**body, "variables": {"a": 40}}).json()
        assert result == {"data": {"add": 42}}
        assert "extensions" not in result  # debug plan is off by default
        bad = httpx.post(
            url,
            json={**body, "variables": {"a": "x"}},
            headers={"accept": "application/graphql-response+json"},
        )
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert httpx.post(url, json={"query": "mutation { bump(by: 3) }"}).json() == {"data": {"bump": 3}}
        assert httpx.get(url, params={"query": "mutation { bump }"}).status_code == 405
        assert httpx.get(url, params={"query": "{ add(a: 1, b: 1) }"}).json() == {"data": {"add": 2}}
        ready = httpx.get(f"http://127.0.0.1:{gateway_port}/readiness").json()
        assert ready["status"] == "ready" and len(ready["schemaHash"]) > 8
    finally:
        if gateway is not None:
            stop(gateway)
        stop(subgraph)
    assert gateway.returncode is not None


def test_debug_query_plan_flag(supergraph_file: tuple[Path, int]) -> None:
    supergraph, _ = supergraph_file  # the subgraph is not running: introspection needs none
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QL_GATEWAY_")}
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "--supergraph",
            str(supergraph),
            "--port",
            str(port),
            "--debug-query-plan",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        wait_until(lambda: httpx.post(url, json=PING).status_code == 200)
        response = httpx.post(url, json={"query": "{ hello }"}).json()
        assert "queryPlan" in response.get("extensions", {})
        assert "errors" in response  # subgraph down: a GraphQL error, not a crash
    finally:
        stop(gateway)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.config import GatewaySettings

    assert GatewaySettings().debug_query_plan is False  # off unless asked for
    assert GatewaySettings().host == "127.0.0.1"
    monkeypatch.setenv("QL_GATEWAY_DEBUG_QUERY_PLAN", "true")
    monkeypatch.setenv("QL_GATEWAY_PLAN_CACHE_SIZE", "7")
    settings = GatewaySettings()
    assert settings.debug_query_plan is True
    assert settings.plan_cache_size == 7
    assert GatewaySettings(plan_cache_size=3).plan_cache_size == 3  # explicit (CLI) values win
