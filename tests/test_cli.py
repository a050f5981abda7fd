"""The ``quantumlayer`` command: offline parse, compose --check, and ``up`` with a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "QL_PARSER_PORT": str(port), "QL_GATEWAY_PORT": str(_free_port()),
           "QL_DATA_DIR": str(tmp_path), "QL_PARSER_WORKERS": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "quantumlayer", "up"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
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
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "[up] stopped" in err
        assert "Traceback" not in err
        assert f"127.0.0.1:{port}" not in _listening(), "the parser still listens after up stopped"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)


def _listening() -> str:
    return subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
