"""The sandbox really isolates: no network, no environment, no files outside its dir, bombs contained."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from subgraphs.agents.sandbox import Limits, ProcessSandbox, SandboxError
from tests.support import require

HERE = Path(__file__).resolve()


def _count(*pgrep_args: str) -> int:
    out = subprocess.run(["pgrep", "-c", *pgrep_args], capture_output=True, text=True).stdout.strip()
    return int(out or 0)


async def _wait_gone(*pgrep_args: str) -> int:
    """Processes of a killed sandbox are reaped asynchronously; poll for up to 5 s."""
    left = 0
    for _ in range(50):
        left = await asyncio.to_thread(_count, *pgrep_args)
        if left == 0:
            break
        await asyncio.sleep(0.1)
    return left


@pytest.fixture(autouse=True)
def _bubblewrap_installed() -> None:
    require(shutil.which("bwrap") is not None, "bubblewrap not installed (scripts/services.sh installs it)")


@pytest.fixture
def sandbox() -> ProcessSandbox:
    return ProcessSandbox(Limits(timeout_s=5.0, memory_mb=256), backend="bwrap")


async def run(sandbox: ProcessSandbox, code: str) -> tuple[int, str, str, bool]:
    result = await sandbox.run_python({"main.py": code}, ["main.py"])
    return result.exit_code, result.stdout, result.stderr, result.timed_out


async def test_runs_code_as_nobody_in_its_own_directory(sandbox: ProcessSandbox) -> None:
    code, out, err, _ = await run(sandbox, "import os\nprint(os.getuid(), os.getcwd(), sorted(os.listdir('.')))\n"
                                           "open('scratch.txt', 'w').write('ok')\nprint(open('scratch.txt').read())")
    assert code == 0, err
    assert out.split("\n")[0] == "65534 /sandbox ['main.py']" and "ok" in out


async def test_no_network(sandbox: ProcessSandbox) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        code, out, err, _ = await run(sandbox, f"""
import socket
for host in ("127.0.0.1", "1.1.1.1"):
    try:
        socket.create_connection((host, {port}), timeout=2).close()
        print("CONNECTED", host)
    except OSError as exc:
        print("blocked", host, exc.errno)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("RESOLVED")
except OSError:
    print("no dns")
""")
    finally:
        server.close()
        await server.wait_closed()
    assert code == 0, err
    assert "CONNECTED" not in out and "RESOLVED" not in out and out.count("blocked") == 2


async def test_cannot_see_service_environment_or_files(sandbox: ProcessSandbox, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("QL_SECRET_API_KEY", "sk-very-secret")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    here = HERE
    code, out, err, _ = await run(sandbox, f"""
import os
print("ENV", sorted(os.environ))
for path in ({str(secret)!r}, {str(here)!r}, "/etc/passwd", "/root/.bashrc", "/proc/1/environ"):
    try:
        data = open(path, "rb").read()
        print("READ", path, b"sk-very-secret" in data)
    except OSError as exc:
        print("denied", path)
for path in ("/usr/evil", "/evil"):
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError:
        print("readonly", path)
""")
    assert code == 0, err
    assert "sk-very-secret" not in out and "QL_SECRET_API_KEY" not in out
    for line in out.splitlines():
        assert not line.startswith("WROTE"), line
        if line.startswith("READ"):  # only the sandbox's own /proc/1/environ (empty of secrets) is readable
            assert line.startswith("READ /proc/1/environ False"), line
    assert f"denied {secret}" in out and f"denied {here}" in out


async def test_fork_bomb_is_contained(sandbox: ProcessSandbox) -> None:
    bomb = ProcessSandbox(Limits(timeout_s=2.0, nproc=64), backend="bwrap")
    code, out, _, timed_out = await run(bomb, """
import os
forks = failures = 0
while True:
    try:
        os.fork()
        forks += 1
    except OSError:
        failures += 1
        if failures == 1:
            print("fork refused", flush=True)
""")
    assert timed_out or code != 0
    assert "fork refused" in out
    left = await _wait_gone("-u", "65534")
    assert left == 0, f"{left} sandbox processes survived"
    # The machine is fine afterwards.
    assert (await run(sandbox, "print('alive')"))[1].strip() == "alive"


async def test_memory_bomb_is_contained(sandbox: ProcessSandbox) -> None:
    code, _, err, _ = await run(sandbox, "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))\n")
    assert code != 0 and "MemoryError" in err


async def test_wall_clock_timeout_kills_everything(sandbox: ProcessSandbox) -> None:
    quick = ProcessSandbox(Limits(timeout_s=1.0), backend="bwrap")
    _, _, _, timed_out = await run(quick, "import subprocess, time\nsubprocess.Popen(['sleep', '300'])\n"
                                             "time.sleep(300)\n")
    assert timed_out
    assert await _wait_gone("-f", "sleep 300") == 0


async def test_file_size_and_output_are_capped() -> None:
    box = ProcessSandbox(Limits(fsize_mb=1, output_chars=100), backend="bwrap")
    code, out, err, _ = await run(box, "print('x' * 100000)\nopen('big', 'wb').write(b'0' * 4 * 1024 * 1024)\n")
    assert code != 0 and "File too large" in err
    assert len(out) < 200 and "truncated" in out


async def test_sandbox_that_cannot_start_is_an_infrastructure_error() -> None:
    box = ProcessSandbox(Limits(), python="/nonexistent/python3", backend="bwrap")
    with pytest.raises(SandboxError):
        await box.run_python({"main.py": "print(1)"}, ["main.py"])


async def test_rlimit_fallback_runs_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="quantumlayer.agents.sandbox"):
        box = ProcessSandbox(Limits(memory_mb=256), backend="rlimit")
    assert box.backend == "rlimit" and "SANDBOX DEGRADED" in caplog.text
    result = await box.run_python({"main.py": "import os\nprint(sorted(os.environ))\n"}, ["main.py"])
    assert result.exit_code == 0 and "QL_" not in result.stdout and os.environ.get("PATH")
