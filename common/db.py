"""Async SQLAlchemy engine, sessions and migrations shared by the subgraphs.

PostgreSQL (asyncpg) when ``DATABASE_URL`` is set, an embedded SQLite file
(aiosqlite) otherwise. Migrations are alembic revisions per service, run
programmatically so ``quantumlayer up`` and the tests need no extra step.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from common.settings import Settings


class Base(DeclarativeBase):
    """Declarative base for every service's tables (one metadata, prefixed table names)."""


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an engine with the pragmas/pool options each backend needs."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of the process (only an OS crash can lose the
            # last commits) and costs no fsync per transaction, SQLite's recommended pairing.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """Owns one engine and its session factory; create one per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.effective_database_url())

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self, script_location: Path | str, version_table: str = "ql_common_alembic_version") -> None:
        """Upgrade to head using the alembic scripts at ``script_location``."""
        await asyncio.to_thread(run_migrations, self.url, str(script_location), version_table)

    async def dispose(self) -> None:
        await self.engine.dispose()


def run_migrations(url: str, script_location: str, version_table: str, revision: str = "head") -> None:
    """Run alembic's upgrade synchronously (alembic's env uses ``run_sync`` on our async engine)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    command.upgrade(cfg, revision)
