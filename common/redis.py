"""Redis client (redis-py asyncio) with an in-process fallback.

Services talk to a tiny ``KeyValueStore`` interface: Redis when ``REDIS_URL``
is set, a process-local dict with TTLs otherwise, so ``up`` runs on a bare
machine and replicas share state once Redis is configured.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis

from common.settings import Settings


class KeyValueStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


class RedisStore:
    """A ``KeyValueStore`` over a real Redis server."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        return cls(aioredis.from_url(url, decode_responses=False))

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(key)
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        if ttl_s is None:
            await self.client.set(key, value)
        else:
            await self.client.set(key, value, px=max(1, int(ttl_s * 1000)))

    async def delete(self, key: str) -> None:
        await self.client.delete(key)

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def close(self) -> None:
        await self.client.aclose()


class MemoryStore:
    """Process-local ``KeyValueStore`` with lazy TTL expiry (the embedded default)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        expires = None if ttl_s is None else time.monotonic() + ttl_s
        self._data[key] = (value, expires)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def close(self) -> None:
        self._data.clear()


def store_from_settings(settings: Settings) -> KeyValueStore:
    """Redis when configured, memory otherwise."""
    if settings.redis_url:
        return RedisStore.from_url(settings.redis_url)
    return MemoryStore()
