"""Circuit breaker per provider+model, shared across replicas through Redis when configured.

After ``threshold`` consecutive health failures (429/5xx/529/timeouts/connection
errors) the circuit opens: the router skips that target until ``next_probe_at``,
an exponential backoff (``base * 2**(opens-1)``, capped, with jitter so replicas
do not probe in lock-step). Then one caller across all replicas wins the probe
lock (half-open); its success closes the circuit, its failure re-opens it with a
longer backoff. State changes are one Lua script in Redis, so two replicas
failing at once cannot lose an increment.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("quantumlayer.llm.circuit")
#: Shared-state outages must not take generation down with them: breakers fail open (allow, forget).
SHARED_STATE_ERRORS = (RedisError, OSError)


class CircuitState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@dataclass(frozen=True, slots=True)
class CircuitSnapshot:
    key: str
    consecutive_failures: int = 0
    opens: int = 0
    next_probe_at: float | None = None  # epoch seconds
    last_error: str | None = None

    def state(self, now: float) -> CircuitState:
        if self.next_probe_at is None:
            return CircuitState.CLOSED
        return CircuitState.OPEN if now < self.next_probe_at else CircuitState.HALF_OPEN


@dataclass(frozen=True, slots=True)
class CircuitPolicy:
    threshold: int = 3
    base_backoff_s: float = 2.0
    max_backoff_s: float = 120.0
    jitter: float = 0.2
    probe_ttl_s: float = 60.0

    def backoff(self, opens: int, rng: random.Random) -> float:
        raw = min(self.max_backoff_s, self.base_backoff_s * 2 ** max(0, opens - 1))
        return raw * (1 + self.jitter * rng.random())


class CircuitBackend(Protocol):
    async def snapshot(self, key: str) -> CircuitSnapshot: ...
    async def failure(self, key: str, error: str, now: float, policy: CircuitPolicy, backoff: list[float]
                      ) -> CircuitSnapshot: ...
    async def success(self, key: str) -> None: ...
    async def acquire_probe(self, key: str, ttl_s: float) -> bool: ...


class MemoryCircuitBackend:
    """Process-local state (no Redis): each replica keeps its own breakers."""

    def __init__(self) -> None:
        self._state: dict[str, CircuitSnapshot] = {}
        self._probes: dict[str, float] = {}

    async def snapshot(self, key: str) -> CircuitSnapshot:
        return self._state.get(key, CircuitSnapshot(key))

    async def failure(self, key: str, error: str, now: float, policy: CircuitPolicy, backoff: list[float]
                      ) -> CircuitSnapshot:
        old = self._state.get(key, CircuitSnapshot(key))
        failures, opens, probe_at = old.consecutive_failures + 1, old.opens, old.next_probe_at
        if failures >= policy.threshold:
            opens += 1
            probe_at = now + backoff[min(opens, len(backoff)) - 1]
        new = CircuitSnapshot(key, failures, opens, probe_at, error)
        self._state[key] = new
        self._probes.pop(key, None)
        return new

    async def success(self, key: str) -> None:
        self._state.pop(key, None)
        self._probes.pop(key, None)

    async def acquire_probe(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._probes.get(key, 0.0) > now:
            return False
        self._probes[key] = now + ttl_s
        return True


_FAILURE_LUA = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local opens = tonumber(redis.call('HGET', KEYS[1], 'opens') or '0')
redis.call('HSET', KEYS[1], 'last_error', ARGV[1])
if failures >= tonumber(ARGV[2]) then
  opens = opens + 1
  local backoff = cjson.decode(ARGV[4])
  local wait = backoff[math.min(opens, #backoff)]
  redis.call('HSET', KEYS[1], 'opens', opens, 'next_probe_at', tostring(tonumber(ARGV[3]) + wait))
end
redis.call('DEL', KEYS[2])
return redis.call('HGETALL', KEYS[1])
"""


class RedisCircuitBackend:
    """Breaker state in Redis hashes (one per provider+model), updated atomically by Lua."""

    def __init__(self, client: aioredis.Redis, prefix: str = "ql:llm:circuit:") -> None:
        self.client = client
        self.prefix = prefix
        self._failure = client.register_script(_FAILURE_LUA)

    @staticmethod
    def _parse(key: str, raw: dict[Any, Any]) -> CircuitSnapshot:
        data = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in raw.items()}
        probe = data.get("next_probe_at")
        return CircuitSnapshot(key, int(data.get("failures", 0)), int(data.get("opens", 0)),
                               float(probe) if probe else None, data.get("last_error"))

    async def snapshot(self, key: str) -> CircuitSnapshot:
        return self._parse(key, await self.client.hgetall(self.prefix + key))

    async def failure(self, key: str, error: str, now: float, policy: CircuitPolicy, backoff: list[float]
                      ) -> CircuitSnapshot:
        flat = await self._failure(keys=[self.prefix + key, self.prefix + key + ":probe"],
                                   args=[error, policy.threshold, repr(now), json.dumps(backoff)])
        return self._parse(key, dict(zip(flat[::2], flat[1::2], strict=True)))

    async def success(self, key: str) -> None:
        await self.client.delete(self.prefix + key, self.prefix + key + ":probe")

    async def acquire_probe(self, key: str, ttl_s: float) -> bool:
        return bool(await self.client.set(self.prefix + key + ":probe", b"1", nx=True,
                                          px=max(1, int(ttl_s * 1000))))


class CircuitBreakers:
    """The router's view: may I call this target now, and record how the call went."""

    def __init__(self, backend: CircuitBackend, policy: CircuitPolicy, rng: random.Random | None = None) -> None:
        self.backend = backend
        self.policy = policy
        self._rng = rng or random.Random()

    async def allow(self, key: str) -> tuple[bool, CircuitSnapshot]:
        try:
            snap = await self.backend.snapshot(key)
        except SHARED_STATE_ERRORS as exc:
            log.warning("circuit state unavailable (%s): allowing %s", type(exc).__name__, key)
            return True, CircuitSnapshot(key)
        state = snap.state(time.time())
        if state is CircuitState.CLOSED:
            return True, snap
        if state is CircuitState.OPEN:
            return False, snap
        try:
            return await self.backend.acquire_probe(key, self.policy.probe_ttl_s), snap
        except SHARED_STATE_ERRORS:
            return True, snap

    async def record_failure(self, key: str, error: str) -> CircuitSnapshot:
        backoff = [self.policy.backoff(n, self._rng) for n in range(1, 16)]
        try:
            return await self.backend.failure(key, error[:300], time.time(), self.policy, backoff)
        except SHARED_STATE_ERRORS as exc:
            log.warning("circuit state unavailable (%s): failure of %s not recorded", type(exc).__name__, key)
            return CircuitSnapshot(key)

    async def record_success(self, key: str) -> None:
        try:
            await self.backend.success(key)
        except SHARED_STATE_ERRORS as exc:
            log.warning("circuit state unavailable (%s): success of %s not recorded", type(exc).__name__, key)

    async def snapshot(self, key: str) -> CircuitSnapshot:
        return await self.backend.snapshot(key)
