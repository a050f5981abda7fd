"""The task queue: rows in ``ql_agents_jobs`` claimed with ``FOR UPDATE SKIP LOCKED``.

A job is inserted in the same transaction as its task (no task without a job,
no job without a task). Claiming marks it ``running`` with a heartbeat; a job
whose heartbeat is older than the timeout is claimable again, which gives
at-least-once execution when a worker dies. On SQLite (single process) an
asyncio lock around select-then-update stands in for row locks.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from subgraphs.agents.models import JobRow, TaskRow, utcnow

_PG_CLAIM = text("""
WITH picked AS (
    SELECT id FROM ql_agents_jobs
    WHERE (status = 'queued' AND run_after <= :now)
       OR (status = 'running' AND heartbeat_at < :stale)
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE ql_agents_jobs AS j
SET status = 'running', worker_id = :worker, heartbeat_at = :now, claims = j.claims + 1
FROM picked WHERE j.id = picked.id
RETURNING j.id, j.task_id, j.claims, j.infra_failures
""")


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="InFlight")


class InFlight:
    """Tracks the shielded database operations of an object so shutdown can wait for them."""

    def __init__(self) -> None:
        self._inflight: set[asyncio.Future[Any]] = set()

    async def drain(self) -> None:
        """Wait for shielded operations still running after their callers were cancelled."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)


def atomic(fn: Callable[Concatenate[S, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Run a database operation to completion even when the caller is cancelled.

    Cancelling a task mid-transaction (cancelTask, shutdown) would otherwise abandon its connection
    half-way — on SQLite still holding the write lock, stalling every other writer for the busy timeout.
    The caller still sees ``CancelledError`` at once; the short transaction finishes behind it, and
    ``drain()`` lets shutdown wait for it before the engine is disposed.
    """

    @functools.wraps(fn)
    async def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        inner = asyncio.ensure_future(fn(self, *args, **kwargs))
        self._inflight.add(inner)
        inner.add_done_callback(self._inflight.discard)
        return await asyncio.shield(inner)

    return wrapper


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    task_id: str
    claims: int
    infra_failures: int
    worker_id: str

    @property
    def reclaimed(self) -> bool:
        """True when an earlier claim of this job was lost (its worker died or stalled)."""
        return self.claims > 1


class TaskQueue(InFlight):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"
        self._sqlite_lock = asyncio.Lock()

    async def enqueue(self, session: AsyncSession, task_id: str, delay_s: float = 0.0) -> None:
        """Add a job inside the caller's transaction (the one that writes the task row)."""
        await self.enqueue_many(session, [task_id], delay_s)

    async def enqueue_many(self, session: AsyncSession, task_ids: list[str], delay_s: float = 0.0) -> None:
        now = utcnow()
        due = now + timedelta(seconds=delay_s)
        await session.execute(insert(JobRow), [dict(task_id=task_id, status="queued", run_after=due, worker_id=None,
                                                    heartbeat_at=None, claims=0, infra_failures=0, created_at=now)
                                               for task_id in task_ids])

    @atomic
    async def claim(self, worker_id: str, limit: int, stale_after_s: float) -> list[ClaimedJob]:
        """Claim up to ``limit`` runnable jobs (queued and due, or abandoned by a dead worker)."""
        if limit <= 0:
            return []
        now = utcnow()
        stale = now - timedelta(seconds=stale_after_s)
        if self.postgres:
            async with self.db.session() as session:
                rows = (await session.execute(_PG_CLAIM, {"now": now, "stale": stale, "limit": limit,
                                                          "worker": worker_id})).all()
            return [ClaimedJob(r.id, r.task_id, r.claims, r.infra_failures, worker_id) for r in rows]
        async with self._sqlite_lock, self.db.session() as session:
            picked = (await session.execute(
                select(JobRow.id, JobRow.task_id, JobRow.claims, JobRow.infra_failures)
                .where(or_(and_(JobRow.status == "queued", JobRow.run_after <= now),
                           and_(JobRow.status == "running", JobRow.heartbeat_at < stale)))
                .order_by(JobRow.id).limit(limit))).all()
            if not picked:
                return []
            await session.execute(update(JobRow).where(JobRow.id.in_([r.id for r in picked]))
                                  .values(status="running", worker_id=worker_id, heartbeat_at=now,
                                          claims=JobRow.claims + 1))
        return [ClaimedJob(r.id, r.task_id, r.claims + 1, r.infra_failures, worker_id) for r in picked]

    @atomic
    async def heartbeat(self, worker_id: str, job_ids: list[int]) -> dict[int, str]:
        """Refresh our claims; returns ``{job_id: task status}`` for the jobs we still own."""
        if not job_ids:
            return {}
        async with self.db.session() as session:
            await session.execute(update(JobRow)
                                  .where(JobRow.id.in_(job_ids), JobRow.worker_id == worker_id,
                                         JobRow.status == "running")
                                  .values(heartbeat_at=utcnow()))
            rows = (await session.execute(
                select(JobRow.id, TaskRow.status).join(TaskRow, TaskRow.id == JobRow.task_id)
                .where(JobRow.id.in_(job_ids), JobRow.worker_id == worker_id,
                       JobRow.status == "running"))).all()
        return {r[0]: r[1] for r in rows}

    @atomic
    async def complete(self, job: ClaimedJob) -> None:
        """Delete the job if we still own it (idempotent; a re-queued or re-claimed job is left alone)."""
        await self.complete_many(job.worker_id, [job.id])

    @atomic
    async def complete_many(self, worker_id: str, job_ids: list[int]) -> None:
        """``complete`` for a batch: one statement, one commit (what keeps no-op throughput high)."""
        if not job_ids:
            return
        async with self.db.session() as session:
            await session.execute(delete(JobRow).where(JobRow.id.in_(job_ids), JobRow.worker_id == worker_id,
                                                       JobRow.status == "running"))

    async def release(self, session: AsyncSession, job: ClaimedJob, delay_s: float, infra_failure: bool) -> bool:
        """Put a claimed job back in the queue (graceful shutdown or an infrastructure error)."""
        result = await session.execute(
            update(JobRow).where(JobRow.id == job.id, JobRow.worker_id == job.worker_id)
            .values(status="queued", worker_id=None, heartbeat_at=None,
                    run_after=utcnow() + timedelta(seconds=delay_s),
                    infra_failures=JobRow.infra_failures + (1 if infra_failure else 0)))
        return bool(getattr(result, "rowcount", 0))

    @atomic
    async def depth(self) -> int:
        """Jobs waiting to be claimed (queued), the number /metrics reports."""
        async with self.db.session() as session:
            return int((await session.execute(select(func.count()).select_from(JobRow)
                                              .where(JobRow.status == "queued"))).scalar_one())

    @staticmethod
    async def remove(session: AsyncSession, task_id: str) -> None:
        await session.execute(delete(JobRow).where(JobRow.task_id == task_id))
