"""Persistence of generations (SQLAlchemy; PostgreSQL or the embedded SQLite).

A generation is written exactly once, as one row in one transaction, after its
outcome is known: there is never a half-written row, and the primary key (the
generation id) makes a duplicate insert fail loudly instead of double-counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, Database

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


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_row(record: GenerationRecord) -> GenerationRow:
    return GenerationRow(
        id=record.id, created_at=_utc(record.created_at), provider=record.provider, model=record.model,
        route=record.route, user=record.user, status=record.status, error_code=record.error_code,
        finish_reason=record.finish_reason, text=record.text, input_tokens=record.input_tokens,
        output_tokens=record.output_tokens, usage_estimated=record.usage_estimated, cost_usd=record.cost_usd,
        latency_ms=record.latency_ms, ttft_ms=record.ttft_ms, cached=record.cached,
        attempts=[{"provider": a.provider, "model": a.model, "ok": a.ok, "error_code": a.error_code,
                   "error": a.error, "latency_ms": a.latency_ms, "sent_tokens": a.sent_tokens}
                  for a in record.attempts],
    )


def _from_row(row: GenerationRow) -> GenerationRecord:
    return GenerationRecord(
        id=row.id, created_at=_utc(row.created_at), provider=row.provider, model=row.model, route=row.route,
        user=row.user, status=row.status, finish_reason=row.finish_reason, text=row.text,
        input_tokens=row.input_tokens, output_tokens=row.output_tokens, usage_estimated=row.usage_estimated,
        cost_usd=row.cost_usd, latency_ms=row.latency_ms, ttft_ms=row.ttft_ms, cached=row.cached,
        attempts=[Attempt(**a) for a in row.attempts or []], error_code=row.error_code,
    )


class GenerationStore:
    """Reads and writes ``ql_llm_generations`` through the shared ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def migrate(self) -> None:
        await self.db.migrate(MIGRATIONS, version_table=VERSION_TABLE)

    async def save(self, record: GenerationRecord) -> None:
        async with self.db.session() as session:
            session.add(_to_row(record))

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
