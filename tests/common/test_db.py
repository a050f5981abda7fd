"""The shared DB layer migrates and round-trips on real PostgreSQL (asyncpg) and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from common.db import Database
from common.registry import ServiceRegistry, migrate_common
from common.settings import Settings, normalise_database_url


async def _exercise(db: Database) -> None:
    await migrate_common(db)
    await migrate_common(db)  # idempotent: a second run is a no-op at head
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        version = (await conn.execute(text("SELECT version_num FROM ql_common_alembic_version"))).scalar_one()
    assert "ql_service_instances" in tables
    assert version == "0001"

    a, b = ServiceRegistry(db, "parser"), ServiceRegistry(db, "gateway")
    await a.register()
    await b.register()
    await a.heartbeat()
    parsers = await a.instances("parser")
    assert [i.instance_id for i in parsers] == [a.instance_id]
    assert parsers[0].alive
    await a.deregister()
    assert [i.service for i in await a.instances()] == ["gateway"]


@pytest.mark.postgres
async def test_migrations_and_registry_on_postgres(postgres_url: str) -> None:
    db = Database(postgres_url)
    assert db.engine.dialect.driver == "asyncpg"
    try:
        await _exercise(db)
    finally:
        await db.dispose()


async def test_migrations_and_registry_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    db = Database.from_settings(settings)
    assert db.engine.dialect.driver == "aiosqlite"
    try:
        await _exercise(db)
    finally:
        await db.dispose()


async def test_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    db = Database.from_settings(Settings(data_dir=tmp_path))
    try:
        await migrate_common(db)
        registry = ServiceRegistry(db, "parser")
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await session.execute(text(
                    "INSERT INTO ql_service_instances VALUES ('x', 's', 'h', 1, 'v', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                raise RuntimeError("boom")
        assert await registry.instances() == []
    finally:
        await db.dispose()


def test_database_url_normalisation() -> None:
    assert normalise_database_url("postgres://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_database_url("postgresql+asyncpg://h/d") == "postgresql+asyncpg://h/d"
