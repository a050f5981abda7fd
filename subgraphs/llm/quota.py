"""Token buckets: requests/min and tokens/min, per provider and per user.

Several buckets are checked and charged together (all or nothing), so a
request denied by the user's token bucket does not use up a provider request.
With Redis it is one Lua script using the server's clock (atomic across
replicas, no skew); without Redis the same arithmetic runs in-process. Token
buckets are charged the worst case (prompt estimate + ``maxTokens``) up front
and refunded the unused part once the exact usage is known.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("quantumlayer.llm.quota")


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    capacity: float  # per minute
    cost: float

    @property
    def rate_per_ms(self) -> float:
        return self.capacity / 60_000.0


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    allowed: bool
    retry_after_s: float = 0.0


class QuotaBackend(Protocol):
    async def take(self, buckets: list[Bucket]) -> QuotaDecision: ...
    async def refund(self, bucket: Bucket, amount: float) -> None: ...


class MemoryQuotaBackend:
    """In-process buckets (single replica); no awaits inside, so each call is atomic on the loop."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last ms)

    def _level(self, b: Bucket, now: float) -> float:
        tokens, last = self._buckets.get(b.key, (b.capacity, now))
        return min(b.capacity, tokens + max(0.0, now - last) * b.rate_per_ms)

    async def take(self, buckets: list[Bucket]) -> QuotaDecision:
        now = time.monotonic() * 1000
        levels = [self._level(b, now) for b in buckets]
        wait = max((min(b.cost, b.capacity) - lvl) / b.rate_per_ms
                   for b, lvl in zip(buckets, levels, strict=True))
        if wait > 0:
            return QuotaDecision(False, wait / 1000)
        for b, lvl in zip(buckets, levels, strict=True):
            self._buckets[b.key] = (lvl - min(b.cost, b.capacity), now)
        return QuotaDecision(True)

    async def refund(self, bucket: Bucket, amount: float) -> None:
        now = time.monotonic() * 1000
        self._buckets[bucket.key] = (min(bucket.capacity, self._level(bucket, now) + amount), now)


_TAKE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local levels = {}
local wait = 0
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local cost = math.min(tonumber(ARGV[2 * i]), cap)
  local rate = cap / 60000
  local v = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local tokens = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  if tokens < cost then wait = math.max(wait, (cost - tokens) / rate) end
end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local cost = math.min(tonumber(ARGV[2 * i]), cap)
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - cost), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], 120000)
end
return {1, '0'}
"""

_REFUND_LUA = """
local cap = tonumber(ARGV[1])
local v = redis.call('HGET', KEYS[1], 'tokens')
if not v then return 0 end
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(cap, tonumber(v) + tonumber(ARGV[2]))))
return 1
"""


class RedisQuotaBackend:
    """Buckets as Redis hashes; ``take`` is one atomic script for all buckets of a request."""

    def __init__(self, client: aioredis.Redis, prefix: str = "ql:llm:quota:") -> None:
        self.prefix = prefix
        self._take = client.register_script(_TAKE_LUA)
        self._refund = client.register_script(_REFUND_LUA)

    async def take(self, buckets: list[Bucket]) -> QuotaDecision:
        args: list[float] = []
        for b in buckets:
            args += [b.capacity, b.cost]
        allowed, wait = await self._take(keys=[self.prefix + b.key for b in buckets], args=args)
        wait_s = float(wait.decode() if isinstance(wait, bytes) else wait) / 1000
        return QuotaDecision(bool(int(allowed)), wait_s)

    async def refund(self, bucket: Bucket, amount: float) -> None:
        await self._refund(keys=[self.prefix + bucket.key], args=[bucket.capacity, amount])


@dataclass(frozen=True, slots=True)
class Limits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    def buckets(self, scope: str, tokens: int) -> list[Bucket]:
        out = []
        if self.requests_per_minute:
            out.append(Bucket(f"{scope}:rpm", float(self.requests_per_minute), 1.0))
        if self.tokens_per_minute:
            out.append(Bucket(f"{scope}:tpm", float(self.tokens_per_minute), float(tokens)))
        return out


class Quotas:
    """Charges buckets for a request and refunds the unused token reservation afterwards."""

    def __init__(self, backend: QuotaBackend) -> None:
        self.backend = backend

    async def take(self, scope: str, limits: Limits, tokens: int) -> tuple[QuotaDecision, list[Bucket]]:
        buckets = limits.buckets(scope, tokens)
        if not buckets:
            return QuotaDecision(True), []
        try:
            return await self.backend.take(buckets), buckets
        except (RedisError, OSError) as exc:
            # Fail open: an unreachable Redis must not stop every generation; the provider's own
            # 429s (and fail-over) still protect the account.
            log.warning("quota state unavailable (%s): admitting %s", type(exc).__name__, scope)
            return QuotaDecision(True), []

    async def settle(self, buckets: list[Bucket], reserved: int, used: int) -> None:
        """Give back ``reserved - used`` tokens to the tokens/min buckets."""
        unused = reserved - used
        if unused <= 0:
            return
        for bucket in buckets:
            if bucket.key.endswith(":tpm"):
                try:
                    await self.backend.refund(bucket, float(unused))
                except (RedisError, OSError):
                    log.warning("quota state unavailable: refund of %s dropped", bucket.key)
