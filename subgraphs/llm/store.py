"""Persistence of generations (SQLAlchemy; PostgreSQL or the embedded SQLite).

A generation is written exactly once, as one row in one transaction, after its
outcome is known: there is never a half-written row, and the primary key (the
generation id) makes a duplicate insert fail loudly instead of double-counting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    Text,
    event,
    func,
    insert,
    select,
)
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, Database

log = logging.getLogger("quantumlayer.llm")

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "ql_llm_alembic_version"


class GenerationRow(Base):
    __tablename__ = "ql_llm_generations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    route: Mapped[str | None] = mapped_column(String(128))
    user: Mapped[str | None] = mapped_column(String(256), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    finish_reason: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    usage_estimated: Mapped[bool] = mapped_column(Boolean)
    cost_usd: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    cached: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One provider call within a generation (failed ones explain the fail-over)."""

    provider: str
    model: str
    ok: bool
    error_code: str | None = None
    error: str | None = None
    latency_ms: float = 0.0
    sent_tokens: int = 0


@dataclass(slots=True)
class GenerationRecord:
    id: str
    created_at: datetime
    provider: str
    model: str
    route: str | None
    user: str | None
    status: str  # ok | error | cached
    finish_reason: str
    text: str
    input_tokens: int
    output_tokens: int
    usage_estimated: bool
    cost_usd: float
    latency_ms: float
    ttft_ms: float | None
    cached: bool
    attempts: list[Attempt] = field(default_factory=list)
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class UsageAggregate:
    provider: str | None
    model: str | None
    user: str | None
    day: date | None
    requests: int
    cached_requests: int
    failed_requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_values(record: GenerationRecord) -> dict[str, Any]:
    """The row as Core insert parameters (no ORM unit of work on the hot path)."""
    return {
        "id": record.id, "created_at": _utc(record.created_at), "provider": record.provider, "model": record.model,
        "route": record.route, "user": record.user, "status": record.status, "error_code": record.error_code,
        "finish_reason": record.finish_reason, "text": record.text, "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens, "usage_estimated": record.usage_estimated,
        "cost_usd": record.cost_usd, "latency_ms": record.latency_ms, "ttft_ms": record.ttft_ms,
        "cached": record.cached,
        "attempts": [{"provider": a.provider, "model": a.model, "ok": a.ok, "error_code": a.error_code,
                      "error": a.error, "latency_ms": a.latency_ms, "sent_tokens": a.sent_tokens}
                     for a in record.attempts],
    }


def _from_row(row: GenerationRow) -> GenerationRecord:
    return GenerationRecord(
        id=row.id, created_at=_utc(row.created_at), provider=row.provider, model=row.model, route=row.route,
        user=row.user, status=row.status, finish_reason=row.finish_reason, text=row.text,
        input_tokens=row.input_tokens, output_tokens=row.output_tokens, usage_estimated=row.usage_estimated,
        cost_usd=row.cost_usd, latency_ms=row.latency_ms, ttft_ms=row.ttft_ms, cached=row.cached,
        attempts=[Attempt(**a) for a in row.attempts or []], error_code=row.error_code,
    )


_INSERT = insert(GenerationRow)
_Pending = tuple[dict[str, Any], "asyncio.Future[None]"]


class _SQLiteWriter:
    """One long-lived synchronous connection that commits on the event loop's own thread.

    An INSERT + COMMIT on SQLite in WAL mode with synchronous=NORMAL (as ``common.db`` sets) does
    no fsync and takes tens of microseconds: less than handing the work to a thread and back, which
    is what the async engine (aiosqlite) pays several times per transaction. The loop is never
    blocked on a lock or a disk sync: the in-loop attempt does not wait for a busy database
    (busy_timeout 0) and falls back to a worker thread that waits; WAL checkpoints (the part that
    fsyncs) are taken off the loop by a second connection on that thread.
    """

    CHECKPOINT_EVERY = 256  # commits between passive WAL checkpoints (auto-checkpoint is off here)

    def __init__(self, async_url: str) -> None:
        self.url = async_url.replace("sqlite+aiosqlite://", "sqlite://", 1)
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ql-llm-sqlite-writer")
        self.engine: Engine | None = None
        self.conn: Connection | None = None
        self.commits = 0
        self.checkpoint: asyncio.Future[None] | None = None

    def _engine(self) -> Engine:
        if self.engine is None:
            engine = create_sync_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            self.engine = engine
        return self.engine

    def _write(self, rows: list[dict[str, Any]], busy_timeout_ms: int) -> None:
        if self.conn is None:
            self.conn = self._engine().connect()
            self.conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            self.conn.exec_driver_sql("PRAGMA busy_timeout=0")
        if busy_timeout_ms:
            self.conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_timeout_ms}")
        try:
            self.conn.execute(_INSERT, rows)
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        finally:
            if busy_timeout_ms:
                self.conn.exec_driver_sql("PRAGMA busy_timeout=0")

    def _checkpoint(self) -> None:
        with self._engine().connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def write(self, rows: list[dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._write(rows, 0)
        except OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            await loop.run_in_executor(self.executor, self._write, rows, 30_000)
        self.commits += 1
        if self.commits % self.CHECKPOINT_EVERY == 0 and (self.checkpoint is None or self.checkpoint.done()):
            self.checkpoint = loop.run_in_executor(self.executor, self._checkpoint)
            self.checkpoint.add_done_callback(_log_checkpoint)

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    async def close(self) -> None:
        if self.checkpoint is not None:
            await asyncio.gather(self.checkpoint, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self.executor, self._close)
        self.executor.shutdown(wait=True)


def _log_checkpoint(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("WAL checkpoint failed: %s", future.exception())


class GenerationStore:
    """Reads and writes ``ql_llm_generations`` through the shared ``Database``.

    ``save`` returns once its row is committed. Saves that arrive while a commit is in flight are
    grouped into the next transaction (group commit): each caller still waits for its own row to
    be durable, but concurrent callers share one commit. On SQLite the writes go through one
    long-lived connection (``_SQLiteWriter``); elsewhere through the shared async engine.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._sqlite = _SQLiteWriter(db.url) if db.url.startswith("sqlite+aiosqlite://") else None

    async def migrate(self) -> None:
        await self.db.migrate(MIGRATIONS, version_table=VERSION_TABLE)

    async def save(self, record: GenerationRecord) -> None:
        """Insert one generation; returns when it is committed (raises if it could not be)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((_to_values(record), future))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    await self._write([values for values, _ in batch])
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch[0][1], exc)
                        continue
                    # One bad row (e.g. a duplicate id) must not fail the others: retry one by one.
                    for values, future in batch:
                        try:
                            await self._write([values])
                        except Exception as exc:
                            _settle(future, exc)
                        else:
                            _settle(future, None)
                    continue
                for _, future in batch:
                    _settle(future, None)
        finally:
            self._writer = None

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        if self._sqlite is not None:
            await self._sqlite.write(rows)
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(_INSERT, rows)

    async def close(self) -> None:
        """Wait for queued writes, then release the writer connection."""
        while self._writer is not None:
            await asyncio.shield(self._writer)
        if self._sqlite is not None:
            await self._sqlite.close()

    async def get(self, generation_id: str) -> GenerationRecord | None:
        async with self.db.session() as session:
            row = await session.get(GenerationRow, generation_id)
            return _from_row(row) if row is not None else None

    async def usage(self, since: datetime | None, until: datetime | None,
                    group_by: list[str]) -> list[UsageAggregate]:
        """Aggregate by any of provider/model/user/day; cache hits add requests but no tokens or cost."""
        t = GenerationRow
        day = func.date(t.created_at)
        columns: dict[str, Any] = {"provider": t.provider, "model": t.model, "user": t.user, "day": day}
        keys = [columns[k] for k in group_by]
        billable = t.cached.is_(False)
        stmt = select(
            *keys,
            func.count().label("requests"),
            func.coalesce(func.sum(t.cached.cast(Integer)), 0),
            func.coalesce(func.sum((t.status == "error").cast(Integer)), 0),
            func.coalesce(func.sum(t.input_tokens).filter(billable), 0),
            func.coalesce(func.sum(t.output_tokens).filter(billable), 0),
            func.coalesce(func.sum(t.cost_usd).filter(billable), 0.0),
        )
        if since is not None:
            stmt = stmt.where(t.created_at >= _utc(since))
        if until is not None:
            stmt = stmt.where(t.created_at < _utc(until))
        if keys:
            stmt = stmt.group_by(*keys).order_by(*keys)
        async with self.db.session() as session:
            rows = (await session.execute(stmt)).all()
        out = []
        for row in rows:
            values = dict(zip(group_by, row[: len(keys)], strict=True))
            requests, cached, failed, tin, tout, cost = row[len(keys):]
            raw_day = values.get("day")
            out.append(UsageAggregate(
                provider=values.get("provider"), model=values.get("model"), user=values.get("user"),
                day=date.fromisoformat(str(raw_day)[:10]) if raw_day is not None else None,
                requests=int(requests), cached_requests=int(cached), failed_requests=int(failed),
                input_tokens=int(tin), output_tokens=int(tout), cost_usd=float(cost)))
        return out
