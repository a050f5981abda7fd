"""Exact-match response cache (Redis, or process memory without it).

Only deterministic requests are cached: ``temperature == 0`` or an explicit
``cache: true`` (and never with ``cache: false``). The key hashes the
normalised request: messages, system prompt, requested model/route and every
generation parameter, so two requests share an entry only if a provider would
see the same input. The entry keeps the token deltas, so a cached stream replays
the same tokens in the same order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass

from redis.exceptions import RedisError

from common.redis import KeyValueStore
from subgraphs.llm.providers.base import ProviderRequest

log = logging.getLogger("quantumlayer.llm.cache")


@dataclass(frozen=True, slots=True)
class CachedResponse:
    provider: str
    model: str
    deltas: list[str]
    finish_reason: str
    input_tokens: int
    output_tokens: int
    estimated: bool


def cache_eligible(temperature: float | None, cache: bool | None) -> bool:
    if cache is not None:
        return cache
    return temperature == 0


def cache_key(request: ProviderRequest, target: str, prefix: str = "ql:llm:cache:") -> str:
    """``target`` is what the client asked for (a model name or ``route:<name>``)."""
    normalised = {
        "target": target,
        "system": (request.system or "").strip(),
        "messages": [[m.role, m.content] for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    digest = hashlib.sha256(json.dumps(normalised, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return prefix + digest


class ResponseCache:
    def __init__(self, store: KeyValueStore, ttl_s: float, prefix: str = "ql:llm:cache:") -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.prefix = prefix

    def key(self, request: ProviderRequest, target: str) -> str:
        return cache_key(request, target, self.prefix)

    async def get(self, key: str) -> CachedResponse | None:
        try:
            raw = await self.store.get(key)
        except (RedisError, OSError) as exc:  # a cache outage is a miss, not a failure
            log.warning("response cache unavailable (%s)", type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            return CachedResponse(**json.loads(raw))
        except (ValueError, TypeError):
            await self.store.delete(key)  # an entry from an incompatible version: drop it
            return None

    async def put(self, key: str, response: CachedResponse) -> None:
        try:
            await self.store.set(key, json.dumps(asdict(response)).encode(), ttl_s=self.ttl_s)
        except (RedisError, OSError) as exc:
            log.warning("response cache unavailable (%s)", type(exc).__name__)
