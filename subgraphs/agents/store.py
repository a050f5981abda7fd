"""Persistence of tasks, steps, artifacts and events; every state change appends an event.

Each mutating method is one transaction that also appends the matching
``ql_agents_events`` row (``seq`` taken from the task row, which the update
locks, so concurrent writers never share a seq). Events are published on the
bus only after commit, so a subscriber never sees an event that was rolled back.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.errors import CodedError
from subgraphs.agents.events import EventBus, TaskEventRecord
from subgraphs.agents.models import (
    TERMINAL,
    ArtifactRow,
    EventRow,
    StepKind,
    StepRow,
    StepStatus,
    TaskEventKind,
    TaskRow,
    TaskStatus,
    aware,
    utcnow,
)
from subgraphs.agents.queue import ClaimedJob, InFlight, TaskQueue, atomic

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "ql_agents_alembic_version"


@dataclass(frozen=True, slots=True)
class NewTask:
    prompt: str
    language: str
    entry_point: str | None
    tests: str | None
    max_attempts: int
    budget_usd: float | None
    route: str | None


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a finished step records: its verdict, output for resumption, and cost."""

    status: StepStatus
    summary: str
    output: dict[str, Any]
    generation_id: str | None = None
    cost_usd: float = 0.0
    artifact: tuple[str, str, str] | None = None  # (path, language, source)


def not_found(task_id: str) -> CodedError:
    return CodedError(f"Task {task_id!r} does not exist", "TASK_NOT_FOUND", id=task_id)


def encode_cursor(row: TaskRow) -> str:
    return base64.urlsafe_b64encode(f"{aware(row.created_at).isoformat()}|{row.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, task_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return aware(datetime.fromisoformat(stamp)), task_id
    except (ValueError, UnicodeDecodeError):
        raise CodedError("`after` is not a cursor returned by `tasks`", "BAD_USER_INPUT") from None


class TaskStore(InFlight):
    def __init__(self, db: Database, queue: TaskQueue, bus: EventBus) -> None:
        super().__init__()
        self.db = db
        self.queue = queue
        self.bus = bus

    @atomic
    async def migrate(self) -> None:
        await self.db.migrate(MIGRATIONS, version_table=VERSION_TABLE)

    # -- events --------------------------------------------------------------------------------

    @staticmethod
    async def _append(session: AsyncSession, task_id: str, kind: TaskEventKind, message: str | None = None,
                      step_id: str | None = None, **task_values: Any) -> TaskEventRecord:
        """Bump the task's seq (row lock) together with any task column changes, and insert the event."""
        now = utcnow()
        seq = (await session.execute(
            update(TaskRow).where(TaskRow.id == task_id)
            .values(last_seq=TaskRow.last_seq + 1, updated_at=now, **task_values)
            .returning(TaskRow.last_seq))).scalar_one()
        await session.execute(insert(EventRow).values(task_id=task_id, seq=seq, kind=kind.value, message=message,
                                                      step_id=step_id, at=now))
        return TaskEventRecord(task_id, seq, kind.value, now, message, step_id)

    async def _publish(self, events: Sequence[TaskEventRecord]) -> None:
        for event in events:
            await self.bus.publish(event)

    @atomic
    async def events(self, task_id: str, after: int = 0, upto: int | None = None) -> list[TaskEventRecord]:
        async with self.db.session() as session:
            query = select(EventRow).where(EventRow.task_id == task_id, EventRow.seq > after)
            if upto is not None:
                query = query.where(EventRow.seq <= upto)
            rows = (await session.execute(query.order_by(EventRow.seq))).scalars().all()
        return [TaskEventRecord(r.task_id, r.seq, r.kind, aware(r.at), r.message, r.step_id) for r in rows]

    # -- tasks ---------------------------------------------------------------------------------

    @atomic
    async def create_task(self, spec: NewTask) -> TaskRow:
        """Insert the task, its CREATED event and its queue job in one transaction."""
        return (await self.create_tasks([spec]))[0]

    @atomic
    async def create_tasks(self, specs: Sequence[NewTask]) -> list[TaskRow]:
        """Bulk form of ``create_task``: every task with its event and job, all in one transaction.

        A new task's first event is seq 1, so the rows are plain inserts (no row-lock round trip).
        """
        now = utcnow()
        tasks = [dict(id=str(uuid.uuid4()), status=TaskStatus.QUEUED.value, prompt=s.prompt, language=s.language,
                      entry_point=s.entry_point, tests=s.tests, max_attempts=s.max_attempts,
                      budget_usd=s.budget_usd, route=s.route, run=1, attempts=0, cost_usd=0.0, error=None,
                      last_seq=1, created_at=now, updated_at=now) for s in specs]
        if not tasks:
            return []
        events = [TaskEventRecord(str(t["id"]), 1, TaskEventKind.CREATED.value, now, "queued") for t in tasks]
        async with self.db.session() as session:
            await session.execute(insert(TaskRow), tasks)
            await session.execute(insert(EventRow), [dict(task_id=e.task_id, seq=1, kind=e.kind, message=e.message,
                                                          step_id=None, at=now) for e in events])
            await self.queue.enqueue_many(session, [str(t["id"]) for t in tasks])
        await self._publish(events)
        return [TaskRow(**t) for t in tasks]

    @atomic
    async def get_task(self, task_id: str) -> TaskRow | None:
        async with self.db.session() as session:
            return await session.get(TaskRow, task_id)

    @atomic
    async def require_task(self, task_id: str) -> TaskRow:
        task = await self.get_task(task_id)
        if task is None:
            raise not_found(task_id)
        return task

    @atomic
    async def list_tasks(self, status: TaskStatus | None, first: int, after: str | None
                         ) -> tuple[list[TaskRow], bool]:
        """Newest first, keyset-paginated on (created_at, id); returns the page and whether more follow."""
        query = select(TaskRow)
        if status is not None:
            query = query.where(TaskRow.status == status.value)
        if after:
            stamp, last_id = decode_cursor(after)
            query = query.where(or_(TaskRow.created_at < stamp,
                                    and_(TaskRow.created_at == stamp, TaskRow.id < last_id)))
        query = query.order_by(TaskRow.created_at.desc(), TaskRow.id.desc()).limit(first + 1)
        async with self.db.session() as session:
            rows = list((await session.execute(query)).scalars().all())
        return rows[:first], len(rows) > first

    @atomic
    async def count_by_status(self) -> dict[str, int]:
        async with self.db.session() as session:
            rows = (await session.execute(select(TaskRow.status, func.count()).group_by(TaskRow.status))).all()
        return {r[0]: int(r[1]) for r in rows}

    @atomic
    async def start_task(self, task_id: str, reclaimed: bool) -> TaskRow | None:
        """Mark a claimed task RUNNING (STARTED or RESUMED event); None when it is already finished."""
        async with self.db.session() as session:
            task = (await session.execute(select(TaskRow).where(TaskRow.id == task_id)
                                          .with_for_update())).scalar_one_or_none()
            if task is None or TaskStatus(task.status) in TERMINAL:
                return None
            if task.status == TaskStatus.QUEUED.value and not reclaimed:
                event = await self._append(session, task_id, TaskEventKind.STARTED, None,
                                           status=TaskStatus.RUNNING.value)
            else:
                event = await self._append(session, task_id, TaskEventKind.RESUMED,
                                           "picked up again after a worker stopped",
                                           status=TaskStatus.RUNNING.value)
        await self._publish([event])
        return await self.get_task(task_id)

    @atomic
    async def finish_task(self, task_id: str, run: int, status: TaskStatus, error: str | None) -> bool:
        """Move a RUNNING task of this run to a final state and drop its job; False if someone else did."""
        kind = {TaskStatus.SUCCEEDED: TaskEventKind.SUCCEEDED, TaskStatus.FAILED: TaskEventKind.FAILED,
                TaskStatus.CANCELLED: TaskEventKind.CANCELLED}[status]
        async with self.db.session() as session:
            task = (await session.execute(select(TaskRow.status, TaskRow.run).where(TaskRow.id == task_id)
                                          .with_for_update())).one_or_none()
            if task is None or task.status != TaskStatus.RUNNING.value or task.run != run:
                return False
            event = await self._append(session, task_id, kind, error, status=status.value, error=error)
            await self.queue.remove(session, task_id)
        await self._publish([event])
        return True

    @atomic
    async def cancel_task(self, task_id: str) -> TaskRow:
        async with self.db.session() as session:
            task = (await session.execute(select(TaskRow).where(TaskRow.id == task_id)
                                          .with_for_update())).scalar_one_or_none()
            if task is None:
                raise not_found(task_id)
            status = TaskStatus(task.status)
            if status is TaskStatus.CANCELLED:
                return task
            if status in TERMINAL:
                raise CodedError(f"Task {task_id!r} already finished ({status.value})", "TASK_NOT_CANCELLABLE",
                                 status=status.value)
            event = await self._append(session, task_id, TaskEventKind.CANCELLED, "cancelled by request",
                                       status=TaskStatus.CANCELLED.value, error="cancelled")
            # A queued job just goes; a running one is dropped too, and its worker notices at the
            # next heartbeat (it no longer owns the job) and kills the sandbox / LLM call.
            await self.queue.remove(session, task_id)
            await session.execute(update(StepRow).where(StepRow.task_id == task_id,
                                                        StepRow.status == StepStatus.RUNNING.value)
                                  .values(status=StepStatus.CANCELLED.value, finished_at=utcnow()))
        await self._publish([event])
        return await self.require_task(task_id)

    @atomic
    async def retry_task(self, task_id: str) -> TaskRow:
        async with self.db.session() as session:
            task = (await session.execute(select(TaskRow).where(TaskRow.id == task_id)
                                          .with_for_update())).scalar_one_or_none()
            if task is None:
                raise not_found(task_id)
            if task.status not in (TaskStatus.FAILED.value, TaskStatus.CANCELLED.value):
                raise CodedError(f"Only FAILED or CANCELLED tasks can be retried; this one is {task.status}",
                                 "TASK_NOT_RETRYABLE", status=task.status)
            event = await self._append(session, task_id, TaskEventKind.RETRIED, f"run {task.run + 1}",
                                       status=TaskStatus.QUEUED.value, run=task.run + 1, attempts=0,
                                       error=None)
            await self.queue.remove(session, task_id)
            await self.queue.enqueue(session, task_id)
        await self._publish([event])
        return await self.require_task(task_id)

    @atomic
    async def requeue(self, job: ClaimedJob, reason: str, delay_s: float, max_failures: int) -> bool:
        """Infrastructure trouble: put the job back (True), or fail the task after too many tries (False)."""
        if job.infra_failures + 1 >= max_failures:
            task = await self.get_task(job.task_id)
            if task is not None:
                await self.finish_task(job.task_id, task.run, TaskStatus.FAILED,
                                       f"infrastructure error, gave up after {max_failures} tries: {reason}")
            return False
        async with self.db.session() as session:
            if not await self.queue.release(session, job, delay_s, infra_failure=True):
                return True
            event = await self._append(session, job.task_id, TaskEventKind.REQUEUED, reason)
        await self._publish([event])
        return True

    # -- steps and artifacts ------------------------------------------------------------------

    @atomic
    async def steps(self, task_id: str, run: int | None = None) -> list[StepRow]:
        query = select(StepRow).where(StepRow.task_id == task_id)
        if run is not None:
            query = query.where(StepRow.run == run)
        async with self.db.session() as session:
            rows = (await session.execute(query.order_by(StepRow.run, StepRow.attempt, StepRow.started_at)
                                          )).scalars().all()
        return list(rows)

    @atomic
    async def step(self, step_id: str) -> StepRow | None:
        async with self.db.session() as session:
            return await session.get(StepRow, step_id)

    @atomic
    async def start_step(self, task: TaskRow, attempt: int, kind: StepKind) -> StepRow:
        """Open the step slot (re-using a slot a dead worker left RUNNING) and emit STEP_STARTED."""
        now = utcnow()
        async with self.db.session() as session:
            row = (await session.execute(select(StepRow).where(
                StepRow.task_id == task.id, StepRow.run == task.run, StepRow.attempt == attempt,
                StepRow.kind == kind.value))).scalar_one_or_none()
            if row is None:
                row = StepRow(id=str(uuid.uuid4()), task_id=task.id, run=task.run, attempt=attempt,
                              kind=kind.value, agent=kind.role.value, status=StepStatus.RUNNING.value,
                              cost_usd=0.0, started_at=now)
                session.add(row)
                await session.flush()
            else:
                row.status, row.started_at, row.finished_at = StepStatus.RUNNING.value, now, None
            extra = {"attempts": attempt} if kind is StepKind.GENERATE else {}
            event = await self._append(session, task.id, TaskEventKind.STEP_STARTED, f"{kind.value} #{attempt}",
                                       row.id, **extra)
        await self._publish([event])
        return row

    @atomic
    async def finish_step(self, task_id: str, step_id: str, result: StepResult) -> float:
        """Record the verdict, output, cost and artifact of a step; returns the task's total cost."""
        now = utcnow()
        async with self.db.session() as session:
            await session.execute(update(StepRow).where(StepRow.id == step_id).values(
                status=result.status.value, summary=result.summary, output=result.output,
                generation_id=result.generation_id, cost_usd=result.cost_usd, finished_at=now))
            if result.artifact is not None:
                path, language, source = result.artifact
                await session.execute(insert(ArtifactRow).values(
                    id=str(uuid.uuid4()), task_id=task_id, step_id=step_id, path=path, language=language,
                    source=source, created_at=now))
            event = await self._append(session, task_id, TaskEventKind.STEP_FINISHED,
                                       f"{result.status.value}: {result.summary}"[:2000], step_id,
                                       cost_usd=TaskRow.cost_usd + result.cost_usd)
            cost = (await session.execute(select(TaskRow.cost_usd).where(TaskRow.id == task_id))).scalar_one()
        await self._publish([event])
        return float(cost)

    @atomic
    async def artifacts(self, task_id: str) -> list[ArtifactRow]:
        async with self.db.session() as session:
            rows = (await session.execute(select(ArtifactRow).where(ArtifactRow.task_id == task_id)
                                          .order_by(ArtifactRow.created_at))).scalars().all()
        return list(rows)

    @atomic
    async def artifact(self, artifact_id: str) -> ArtifactRow | None:
        async with self.db.session() as session:
            return await session.get(ArtifactRow, artifact_id)
