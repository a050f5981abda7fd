"""Run untrusted generated code: bubblewrap when available, an rlimit-only subprocess otherwise.

bubblewrap gives a fresh user/pid/net/ipc namespace (no network), read-only
system directories, a private /tmp, an empty environment and only the run's own
directory writable; rlimits cap CPU, memory, file size, open files and
processes, and a wall-clock timeout kills the whole sandbox. When the service
runs as root the process drops to uid/gid 65534 before bwrap, so RLIMIT_NPROC
is actually enforced (the kernel exempts root). A sandbox that cannot start
raises ``SandboxError`` (an infrastructure error, retried), never a test failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.errors import InfrastructureError

log = logging.getLogger("quantumlayer.agents.sandbox")

NOBODY = 65534
WORKDIR = "/sandbox"


class SandboxError(InfrastructureError):
    """The sandbox itself failed (missing binary, namespace setup refused, ...)."""


@dataclass(frozen=True, slots=True)
class SandboxResult:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 512
    fsize_mb: int = 16
    nofile: int = 256
    nproc: int = 256
    output_chars: int = 4000

    @classmethod
    def from_settings(cls, s: AgentsSettings) -> Limits:
        return cls(s.sandbox_timeout_s, s.sandbox_cpu_s, s.sandbox_memory_mb, s.sandbox_fsize_mb,
                   s.sandbox_nofile, s.sandbox_nproc, s.sandbox_output_chars)


class Sandbox(Protocol):
    backend: str

    async def run_python(self, files: Mapping[str, str], argv: Sequence[str]) -> SandboxResult: ...


def _preexec(limits: Limits, drop_to_nobody: bool) -> Callable[[], None]:
    def apply() -> None:
        mb = 1024 * 1024
        for limit, value in ((resource.RLIMIT_CPU, limits.cpu_s), (resource.RLIMIT_AS, limits.memory_mb * mb),
                             (resource.RLIMIT_FSIZE, limits.fsize_mb * mb), (resource.RLIMIT_NOFILE, limits.nofile),
                             (resource.RLIMIT_NPROC, limits.nproc), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(limit, (value, value))
        if drop_to_nobody:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
    return apply


async def _read_capped(stream: asyncio.StreamReader | None, cap: int) -> str:
    """Keep the head and the tail (where tracebacks end) and drain the middle, so a print loop
    cannot exhaust the service's memory."""
    if stream is None:
        return ""
    half = max(1, cap // 2)
    head = bytearray()
    tail = bytearray()
    total = 0
    while chunk := await stream.read(65536):
        total += len(chunk)
        room = half - len(head)
        if room > 0:
            head += chunk[:room]
            chunk = chunk[room:]
        tail += chunk
        if len(tail) > half:
            del tail[: len(tail) - half]
    dropped = total - len(head) - len(tail)
    middle = f"\n... [{dropped} bytes truncated] ...\n" if dropped else ""
    return head.decode("utf-8", "replace") + middle + tail.decode("utf-8", "replace")


class ProcessSandbox:
    """The sandbox used in production: ``bwrap`` namespaces + rlimits, or rlimits alone as a fallback."""

    def __init__(self, limits: Limits, python: str = "/usr/bin/python3", backend: str = "auto") -> None:
        self.limits = limits
        self.python = python
        bwrap = shutil.which("bwrap")
        if backend == "bwrap" and bwrap is None:
            raise SandboxError("sandbox_backend=bwrap but bubblewrap is not installed")
        self.bwrap = bwrap if backend in ("auto", "bwrap") else None
        self.backend = "bwrap" if self.bwrap else "rlimit"
        self.as_root = os.geteuid() == 0
        if self.bwrap is None:
            log.warning("SANDBOX DEGRADED: bubblewrap not available; generated code runs with rlimits only "
                        "(NO network or filesystem isolation). Install the `bubblewrap` package.")

    @classmethod
    def from_settings(cls, settings: AgentsSettings) -> ProcessSandbox:
        return cls(Limits.from_settings(settings), settings.sandbox_python, settings.sandbox_backend)

    def _bwrap_argv(self, workdir: str, argv: Sequence[str]) -> list[str]:
        assert self.bwrap is not None
        cmd = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
               "--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                cmd += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                cmd += ["--ro-bind", top, top]
        real = Path(self.python).resolve()
        if not str(real).startswith("/usr/"):
            prefix = str(real.parent.parent)
            cmd += ["--ro-bind", prefix, prefix]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", workdir, WORKDIR,
                "--chdir", WORKDIR, "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", WORKDIR,
                "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--remount-ro", "/"]  # last: the mount points above must exist before / turns read-only
        if not self.as_root:
            cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        return [*cmd, self.python, "-I", *argv]

    def _prepare(self, files: Mapping[str, str]) -> str:
        """Create the run's private directory with the given files (blocking; run in a thread)."""
        workdir = tempfile.mkdtemp(prefix="ql-sandbox-")
        for name, content in files.items():
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"sandbox file name {name!r} must be a plain name")
            (Path(workdir) / name).write_text(content, encoding="utf-8")
            if self.bwrap and self.as_root:
                os.chmod(Path(workdir) / name, 0o644)
        if self.bwrap and self.as_root:
            os.chown(workdir, NOBODY, NOBODY)  # the sandboxed uid owns its scratch dir (0700), nobody else
        return workdir

    async def run_python(self, files: Mapping[str, str], argv: Sequence[str]) -> SandboxResult:
        try:
            workdir = await asyncio.to_thread(self._prepare, files)
        except OSError as exc:
            raise SandboxError(f"cannot prepare the sandbox directory: {exc}") from None
        try:
            if self.bwrap:
                cmd = self._bwrap_argv(workdir, argv)
                env = {"PATH": "/usr/bin:/bin"}
            else:
                cmd = [self.python, "-I", *argv]
                env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"}
            return await self._run(cmd, workdir, env)
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def _run(self, cmd: list[str], workdir: str, env: dict[str, str]) -> SandboxResult:
        started = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd, cwd=workdir, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True,
                preexec_fn=_preexec(self.limits, drop_to_nobody=bool(self.bwrap) and self.as_root))
        except (OSError, ValueError) as exc:
            raise SandboxError(f"sandbox did not start: {exc}") from None
        reader = asyncio.gather(_read_capped(proc.stdout, self.limits.output_chars),
                                _read_capped(proc.stderr, self.limits.output_chars))
        timed_out = False
        try:
            stdout, stderr = await asyncio.wait_for(asyncio.shield(reader), self.limits.timeout_s)
        except TimeoutError:
            timed_out = True
            self._kill(proc)
            try:
                stdout, stderr = await asyncio.wait_for(reader, 2.0)
            except TimeoutError:  # a descendant escaped the group and still holds the pipes
                stdout, stderr = "", "output unavailable after the timeout kill"
        except asyncio.CancelledError:
            self._kill(proc)
            with contextlib.suppress(BaseException):
                await asyncio.shield(proc.wait())
            reader.cancel()
            raise
        code = await proc.wait()
        if self.bwrap and code != 0 and stderr.startswith("bwrap:"):
            raise SandboxError(f"sandbox did not start: {stderr.strip()[:300]}")
        return SandboxResult(code, stdout, stderr, timed_out, time.monotonic() - started)

    @staticmethod
    def _kill(proc: asyncio.subprocess.Process) -> None:
        """Kill the process group; bwrap's pid namespace takes every descendant down with it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
