"""Service instance registry in the shared database.

Each running replica records itself and refreshes a heartbeat; later
services (the agents' workers) use the same table to notice dead peers.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class ServiceInstance(Base):
    __tablename__ = "ql_service_instances"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), index=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    instance_id: str
    service: str
    host: str
    pid: int
    alive: bool


async def migrate_common(db: Database) -> None:
    """Bring the shared tables to the latest revision."""
    await db.migrate(MIGRATIONS)


class ServiceRegistry:
    def __init__(self, db: Database, service: str, version: str = "0.1.0") -> None:
        self.db = db
        self.service = service
        self.version = version
        self.instance_id = f"{service}-{uuid.uuid4().hex[:12]}"

    async def register(self) -> None:
        now = datetime.now(UTC)
        async with self.db.session() as session:
            session.add(ServiceInstance(instance_id=self.instance_id, service=self.service,
                                        host=socket.gethostname(), pid=os.getpid(), version=self.version,
                                        started_at=now, heartbeat_at=now))

    async def heartbeat(self) -> None:
        async with self.db.session() as session:
            await session.execute(update(ServiceInstance)
                                  .where(ServiceInstance.instance_id == self.instance_id)
                                  .values(heartbeat_at=datetime.now(UTC)))

    async def deregister(self) -> None:
        async with self.db.session() as session:
            await session.execute(delete(ServiceInstance).where(ServiceInstance.instance_id == self.instance_id))

    async def instances(self, service: str | None = None, stale_after: timedelta = timedelta(seconds=30)
                        ) -> list[InstanceInfo]:
        async with self.db.session() as session:
            query = select(ServiceInstance)
            if service:
                query = query.where(ServiceInstance.service == service)
            rows = (await session.execute(query.order_by(ServiceInstance.started_at))).scalars().all()
        now = datetime.now(UTC)
        out = []
        for row in rows:
            beat = row.heartbeat_at if row.heartbeat_at.tzinfo else row.heartbeat_at.replace(tzinfo=UTC)
            out.append(InstanceInfo(row.instance_id, row.service, row.host, row.pid, now - beat < stale_after))
        return out
