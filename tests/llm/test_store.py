"""GenerationStore writes: group commit, per-row failures, a busy database, and durability on close."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.db import Database
from subgraphs.llm.store import Attempt, GenerationRecord, GenerationStore


def record(gid: str | None = None, text: str = "hello") -> GenerationRecord:
    return GenerationRecord(
        id=gid or str(uuid.uuid4()), created_at=datetime.now(UTC), provider="openai", model="ok", route=None,
        user="ann", status="ok", finish_reason="stop", text=text, input_tokens=3, output_tokens=5,
        usage_estimated=False, cost_usd=0.5, latency_ms=1.5, ttft_ms=0.5, cached=False,
        attempts=[Attempt("openai", "ok", True, latency_ms=1.0, sent_tokens=5)])


async def open_store(tmp_path: Path) -> tuple[Database, GenerationStore]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    store = GenerationStore(db)
    await store.migrate()
    return db, store


async def test_concurrent_saves_are_committed_and_read_back(tmp_path: Path) -> None:
    db, store = await open_store(tmp_path)
    try:
        records = [record(text=f"t{i}") for i in range(20)]
        await asyncio.gather(*(store.save(r) for r in records))
        for r in records:
            got = await store.get(r.id)
            assert got is not None and got.text == r.text and got.attempts == r.attempts
            assert got.created_at == r.created_at
        rows = await store.usage(None, None, ["user"])
        assert rows[0].requests == 20 and rows[0].output_tokens == 100
    finally:
        await store.close()
        await db.dispose()


async def test_a_duplicate_fails_alone_in_its_batch(tmp_path: Path) -> None:
    db, store = await open_store(tmp_path)
    try:
        first = record()
        await store.save(first)
        others = [record() for _ in range(3)]
        results = await asyncio.gather(store.save(record(first.id)), *(store.save(r) for r in others),
                                       return_exceptions=True)
        assert isinstance(results[0], Exception) and results[1:] == [None, None, None]
        assert all([await store.get(r.id) for r in others])
    finally:
        await store.close()
        await db.dispose()


async def test_a_locked_database_is_waited_for_off_the_loop(tmp_path: Path) -> None:
    db, store = await open_store(tmp_path)
    await store.save(record())  # opens the writer connection
    other = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        pending = asyncio.ensure_future(store.save(r := record()))
        ticks = 0
        while not pending.done() and ticks < 20:  # the event loop keeps running meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert not pending.done()
        other.execute("COMMIT")
        await pending
        assert await store.get(r.id) is not None
    finally:
        other.close()
        await store.close()
        await db.dispose()


async def test_close_waits_for_queued_rows(tmp_path: Path) -> None:
    db, store = await open_store(tmp_path)
    records = [record() for _ in range(5)]
    tasks = [asyncio.ensure_future(store.save(r)) for r in records]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*tasks)
    await db.dispose()
    conn = sqlite3.connect(tmp_path / "q.db")
    try:
        assert conn.execute("select count(*) from ql_llm_generations").fetchone()[0] == 5
    finally:
        conn.close()


async def test_wal_checkpoints_run_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from subgraphs.llm import store as store_module

    monkeypatch.setattr(store_module._SQLiteWriter, "CHECKPOINT_EVERY", 1)
    db, store = await open_store(tmp_path)
    try:
        for _ in range(3):
            await store.save(record())
        writer = store._sqlite
        assert writer is not None and writer.checkpoint is not None
        await writer.checkpoint
    finally:
        await store.close()
        await db.dispose()
