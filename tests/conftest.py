"""Shared fixtures: real PostgreSQL and Redis from ``scripts/services.sh``.

``make test`` exports QL_TEST_DATABASE_URL and QL_TEST_REDIS_URL. Outside it
the integration tests skip, except under CI, where a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest


def _require(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{var} is not set: .ci/run must start the server (scripts/services.sh)")
        pytest.skip(f"{var} not set (run through `make test`)")
    return value


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import asyncpg

    base = _require("QL_TEST_DATABASE_URL")
    dsn = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"ql_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield base.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def redis_url() -> str:
    return _require("QL_TEST_REDIS_URL")
