"""The Redis client round-trips on a real server; the in-process store behaves the same."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from common.redis import KeyValueStore, MemoryStore, RedisStore, store_from_settings
from common.settings import Settings


async def _roundtrip(store: KeyValueStore) -> None:
    key = f"ql-test:{uuid.uuid4().hex}"
    assert await store.get(key) is None
    await store.set(key, b"\x00value\xff")
    assert await store.get(key) == b"\x00value\xff"
    await store.set(key + ":ttl", b"soon gone", ttl_s=0.05)
    assert await store.get(key + ":ttl") == b"soon gone"
    await asyncio.sleep(0.15)
    assert await store.get(key + ":ttl") is None
    await store.delete(key)
    assert await store.get(key) is None


@pytest.mark.redis
async def test_redis_roundtrip(redis_url: str) -> None:
    store = store_from_settings(Settings(REDIS_URL=redis_url))  # type: ignore[call-arg]
    assert isinstance(store, RedisStore)
    try:
        assert await store.ping()
        await _roundtrip(store)
    finally:
        await store.close()


async def test_memory_store_roundtrip() -> None:
    store = store_from_settings(Settings(REDIS_URL=None))  # type: ignore[call-arg]
    assert isinstance(store, MemoryStore)
    await _roundtrip(store)
