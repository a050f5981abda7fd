"""A pool of worker processes that run ``analyze`` with a per-file timeout.

Why processes and not threads: tree-sitter holds the GIL while it parses, and
a grammar can hang (the 0.13.0 cobol grammar never returns on ``"x\\n"``).
Only a separate process can be abandoned: on a timeout the worker is killed
and replaced, the file gets ``PARSE_TIMEOUT`` and the service goes on. A
worker that dies (segfault, OOM) gives ``PARSE_FAILED`` the same way.

Transport: one message each way per file, ``marshal``-encoded plain values
(jobs as ``(source, path, language)``, results as :func:`model.to_wire`
tuples); marshal plus rebuilding the dataclasses in the parent costs about a
third of pickling them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import marshal
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from subgraphs.parser.model import ParseResult, from_wire, to_wire

log = logging.getLogger("quantumlayer.parser.pool")


class ParseFailure(Exception):
    """A file could not be analysed; ``code`` is ``PARSE_TIMEOUT`` or ``PARSE_FAILED``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Job:
    source: str
    path: str | None
    language: str  # already resolved by the caller


def _worker_main(conn: Connection) -> None:
    """Worker loop: receive ``(source, path, language)``, send back ``("ok", wire)`` or ``("error", message)``.

    Both directions are ``marshal`` bytes; ``None`` asks the worker to exit.

    The cyclic garbage collector is paused and run every ``_GC_EVERY`` jobs
    instead: an analysis allocates hundreds of thousands of short-lived
    objects (tree nodes, query matches) that reference counting frees, and
    automatic collections kept re-scanning them (~6% of the CPU time); the
    few cycles an analysis leaves (exception tracebacks, closures) wait a
    little longer for the periodic collection.
    """
    from subgraphs.parser.analyze import analyze

    gc.collect()
    gc.freeze()  # start-up objects (modules, grammars, compiled queries) are never garbage
    gc.disable()
    done = 0
    while True:
        done += 1
        if done % _GC_EVERY == 0:
            gc.collect()
        try:
            job = marshal.loads(conn.recv_bytes())
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        try:
            reply = marshal.dumps(("ok", to_wire(analyze(*job))))
        except Exception as exc:  # reported to the caller as PARSE_FAILED, the worker lives on
            reply = marshal.dumps(("error", f"{type(exc).__name__}: {exc}"))
        conn.send_bytes(reply)


_GC_EVERY = 64


def _encode_job(job: Job) -> bytes:
    return marshal.dumps((job.source, job.path, job.language))


_STOP = marshal.dumps(None)


class _Worker:
    def __init__(self, ctx: Any) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.process: BaseProcess = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        try:
            self.process.kill()
        except Exception:  # already gone
            pass
        self.process.join(timeout=2)
        self.conn.close()


class ParserPool:
    """Fixed-size pool; ``await pool.analyze(job)`` never raises anything but ``ParseFailure``."""

    def __init__(self, workers: int | None = None, timeout_s: float = 10.0) -> None:
        self.size = max(1, workers or os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self._ctx = mp.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self.restarts = 0

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            worker = _Worker(self._ctx)
            self._all.add(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        for worker in list(self._all):
            try:
                worker.conn.send_bytes(_STOP)
            except OSError:
                pass
        for worker in list(self._all):
            worker.process.join(timeout=1)
            if worker.process.is_alive():
                worker.kill()
            else:
                worker.conn.close()
        self._all.clear()

    async def __aenter__(self) -> ParserPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        self._all.discard(worker)
        fresh = _Worker(self._ctx)
        self._all.add(fresh)
        self.restarts += 1
        return fresh

    def worker_pids(self) -> list[int]:
        """PIDs of the live workers (benchmarks read their CPU time)."""
        return [w.process.pid for w in self._all if w.process.pid is not None]

    async def _exchange(self, worker: _Worker, job: Job) -> tuple[str, object]:
        """Send ``job`` and wait for the answer without a thread: the loop watches the pipe.

        Raises ``TimeoutError`` after ``timeout_s`` (a timer on the future, not a ``wait_for`` task).
        """
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[str, object]] = loop.create_future()
        fd = worker.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if answer.done():
                return
            try:
                answer.set_result(marshal.loads(worker.conn.recv_bytes()))
            except BaseException as exc:  # EOF when the worker died; surfaced to the caller
                answer.set_exception(exc)

        def expired() -> None:
            if not answer.done():
                answer.set_exception(TimeoutError())

        worker.conn.send_bytes(_encode_job(job))
        loop.add_reader(fd, readable)
        timer = loop.call_later(self.timeout_s, expired)
        try:
            return await answer
        finally:
            timer.cancel()
            loop.remove_reader(fd)

    async def analyze(self, job: Job) -> ParseResult:
        if self._idle is None:
            raise RuntimeError("ParserPool.start() was not awaited")
        worker = await self._idle.get()
        healthy = True
        started = time.monotonic()
        try:
            try:
                status, payload = await self._exchange(worker, job)
            except TimeoutError:
                healthy = False
                log.warning("parse of %s (%s) timed out after %.1fs", job.path or "<source>", job.language,
                            time.monotonic() - started)
                raise ParseFailure("PARSE_TIMEOUT", f"Parsing timed out after {self.timeout_s:g}s") from None
            except (EOFError, OSError) as exc:
                healthy = False
                log.error("parser worker died on %s (%s): %r", job.path or "<source>", job.language, exc)
                raise ParseFailure("PARSE_FAILED", "The parser worker crashed on this file") from None
            except asyncio.CancelledError:
                healthy = False  # the worker may still be busy: never reuse it
                raise
            if status != "ok":
                log.error("parse of %s failed: %s", job.path or "<source>", payload)
                raise ParseFailure("PARSE_FAILED", "The parser failed on this file")
            return from_wire(payload)  # type: ignore[arg-type]  # marshal data: a Wire when status is ok
        finally:
            self._idle.put_nowait(worker if healthy else self._replace(worker))
