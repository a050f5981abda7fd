"""Claims jobs from the queue and runs them concurrently, with heartbeats and cancellation.

The heartbeat loop both keeps our claims alive and learns about cancellation:
a job that vanished (cancelTask / retryTask dropped it) or was re-claimed by
another worker has its runner cancelled, which kills the sandbox process
group and aborts the in-flight LLM request.

Run standalone with ``python -m subgraphs.agents.worker`` to scale workers
separately from the GraphQL replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.queue import ClaimedJob, TaskQueue

log = logging.getLogger("quantumlayer.agents.worker")

Handler = Callable[[ClaimedJob], Awaitable[None]]


class Worker:
    def __init__(self, queue: TaskQueue, handler: Handler, settings: AgentsSettings,
                 worker_id: str | None = None) -> None:
        self.queue = queue
        self.handler = handler
        self.settings = settings
        self.worker_id = worker_id or f"agents-{uuid.uuid4().hex[:12]}"
        self.active: dict[int, tuple[ClaimedJob, asyncio.Task[None]]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._finished: list[int] = []

    @property
    def busy(self) -> int:
        """Jobs running or finished but not yet deleted from the queue."""
        return len(self.active) + len(self._finished)

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._claim_loop(), name=f"{self.worker_id}-claim"),
                       asyncio.create_task(self._heartbeat_loop(), name=f"{self.worker_id}-heartbeat")]

    def wake(self) -> None:
        """Claim now instead of at the next poll (called after createTask on this replica)."""
        self._wake.set()

    async def stop(self) -> None:
        """Graceful: stop claiming, cancel runners and hand their jobs back to the queue at once."""
        self._stopping = True
        await self._cancel_loops()
        await self._flush_finished()
        jobs = [job for job, _ in self.active.values()]
        await self._cancel_runners()
        for job in jobs:
            with contextlib.suppress(Exception):
                async with self.queue.db.session() as session:
                    await self.queue.release(session, job, 0.0, infra_failure=False)

    async def abort(self) -> None:
        """Simulate a crash: stop everything without touching the database (tests only)."""
        self._stopping = True
        await self._cancel_loops()
        await self._cancel_runners()

    async def _cancel_loops(self) -> None:
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await loop
        self._loops = []

    async def _cancel_runners(self) -> None:
        runners = [runner for _, runner in self.active.values()]
        for runner in runners:
            runner.cancel()
        for runner in runners:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner
        self.active.clear()

    async def _flush_finished(self) -> None:
        """Delete the jobs of finished runs in one statement (at-least-once: a crash before this re-runs them)."""
        if self._finished:
            batch, self._finished = self._finished, []
            try:
                await self.queue.complete_many(self.worker_id, batch)
            except Exception:
                log.exception("completing %d jobs failed; they will be re-run after the heartbeat timeout",
                              len(batch))

    async def _claim_loop(self) -> None:
        while not self._stopping:
            await self._flush_finished()
            free = self.settings.concurrency - len(self.active)
            jobs: list[ClaimedJob] = []
            if free > 0:
                try:
                    jobs = await self.queue.claim(self.worker_id, free, self.settings.heartbeat_timeout_s)
                except Exception:
                    log.exception("claiming jobs failed")
            for job in jobs:
                self.active[job.id] = (job, asyncio.create_task(self._run(job), name=f"job-{job.id}"))
            if len(jobs) < max(free, 1):
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval_s)

    async def _run(self, job: ClaimedJob) -> None:
        try:
            await self.handler(job)
            self._finished.append(job.id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The job stays claimed; another worker re-runs it after the heartbeat timeout.
            log.exception("job %s (task %s) crashed", job.id, job.task_id)
        finally:
            self.active.pop(job.id, None)
            self._wake.set()

    async def _heartbeat_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.settings.heartbeat_s)
            ids = list(self.active)
            if not ids:
                continue
            try:
                owned = await self.queue.heartbeat(self.worker_id, ids)
            except Exception:
                log.exception("heartbeat failed")
                continue
            for job_id in ids:
                if job_id not in owned or owned[job_id] == "CANCELLED":
                    entry = self.active.get(job_id)
                    if entry is not None:
                        log.info("stopping job %s (task %s): cancelled or claimed elsewhere", job_id,
                                 entry[0].task_id)
                        entry[1].cancel()


async def _main() -> None:
    from prometheus_client import CollectorRegistry

    from common.settings import Settings
    from subgraphs.agents.app import open_runtime

    async with open_runtime(AgentsSettings(), Settings(), CollectorRegistry()) as runtime:
        if runtime.worker is None:
            runtime.start_worker()
        await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main())
