"""The ``quantumlayer`` command: offline parse, compose --check, and ``up`` with a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port as _free_port

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quantumlayer", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_parse_prints_json_offline(tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_text("import json\n\ndef load(path):\n    return json.loads(open(path).read())\n")
    proc = run_cli("parse", str(src))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["language"] == "python"
    assert result["path"] == str(src)
    assert [s["qualified_name"] for s in result["symbols"]] == ["load"]


def test_parse_reports_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "a.js"
    good.write_text("function a() { return 1 }\n")
    unknown = tmp_path / "b.nothing"
    unknown.write_text("??")
    proc = run_cli("parse", str(good), str(unknown), str(tmp_path / "missing.py"))
    assert proc.returncode == 1
    results = json.loads(proc.stdout)
    assert results[0]["language"] == "javascript"
    assert results[1]["error"]["code"] == "UNSUPPORTED_LANGUAGE"
    assert results[2]["error"]["code"] == "IO_ERROR"


def test_compose_check_is_in_sync() -> None:
    proc = run_cli("compose", "--check")
    assert proc.returncode == 0, proc.stderr




def _start_up(tmp_path: Path) -> tuple[subprocess.Popen[str], int, int]:
    """``quantumlayer up`` on free ports with the embedded defaults; returns (process, gateway, parser)."""
    gateway_port, parser_port = _free_port(), _free_port()
    env = {**os.environ, "QL_PARSER_PORT": str(parser_port), "QL_GATEWAY_PORT": str(gateway_port),
           "QL_LLM_PORT": str(_free_port()), "QL_AGENTS_PORT": str(_free_port()),
           "QL_DATA_DIR": str(tmp_path), "QL_PARSER_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "quantumlayer", "up"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    return proc, gateway_port, parser_port


def test_up_serves_and_stops_cleanly(tmp_path: Path) -> None:
    proc, _, port = _start_up(tmp_path)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=2,
                               json={"query": "{ languages { name } }"})
                body = r.json()
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert body is not None, "parser did not come up"
        assert any(lang["name"] == "python" for lang in body["data"]["languages"])
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"}, timeout=5)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        proc.send_signal(signal.SIGINT)  # while the other services may still be starting
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "[up] stopped" in err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)


def test_up_serves_the_composed_graph_through_the_gateway(tmp_path: Path) -> None:
    """Every service starts; the gateway on its port answers from the composed supergraph."""
    proc, gateway_port, parser_port = _start_up(tmp_path)
    try:
        # The checked-in supergraph routes to the default ports; `up` overrides them with the
        # configured ones, so this query reaches the test's own parser through the gateway.
        deadline = time.monotonic() + 90
        body = None
        query = {"query": "{ __schema { queryType { fields { name } } } "
                          'parse(input: {source: "import os\\nos.system(cmd)\\n", path: "x.py"}) '
                          "{ imports findings { ruleId } } }"}
        while time.monotonic() < deadline:
            try:
                r = httpx.post(f"http://127.0.0.1:{gateway_port}/graphql", timeout=5, json=query)
                body = r.json()
                if body.get("data") and body["data"].get("parse"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert body is not None and body.get("data"), f"gateway did not answer: {body}"
        fields = {f["name"] for f in body["data"]["__schema"]["queryType"]["fields"]}
        assert {"parse", "parseBatch", "languages", "providers", "generation", "task", "tasks"} <= fields
        assert body["data"]["parse"]["imports"] == ["os"]
        assert {"ruleId": "QL-PY-SHELL"} in body["data"]["parse"]["findings"]
        ready = httpx.get(f"http://127.0.0.1:{gateway_port}/readiness", timeout=2).json()
        assert ready["status"] == "ready"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "[up] stopped" in err
        assert "Traceback" not in err
        listening = _listening()
        assert f"127.0.0.1:{gateway_port}" not in listening and f"127.0.0.1:{parser_port}" not in listening
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)


def _listening() -> str:
    return subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
