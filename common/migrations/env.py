"""Alembic environment shared by every service's migration folder.

Runs on our async engines (asyncpg / aiosqlite) via ``run_sync``. Each folder
keeps its own version table (``version_table`` main option) so services
migrate independently in one database.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
version_table = config.get_main_option("version_table") or "ql_common_alembic_version"


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=None, version_table=version_table,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    assert url is not None
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
