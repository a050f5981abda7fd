"""Task event fan-out: Redis pub/sub across replicas, an in-process bus without Redis.

Events are written to ``ql_agents_events`` first (the source of truth with a
per-task ``seq``) and published after commit; subscribers replay from the
table and de-duplicate by ``seq``, so the bus only has to be fast, not reliable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger("quantumlayer.agents.events")


@dataclass(frozen=True, slots=True)
class TaskEventRecord:
    task_id: str
    seq: int
    kind: str
    at: datetime
    message: str | None = None
    step_id: str | None = None

    def to_json(self) -> bytes:
        return json.dumps({"task_id": self.task_id, "seq": self.seq, "kind": self.kind,
                           "at": self.at.isoformat(), "message": self.message,
                           "step_id": self.step_id}).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> TaskEventRecord:
        data = json.loads(raw)
        return cls(task_id=data["task_id"], seq=int(data["seq"]), kind=data["kind"],
                   at=datetime.fromisoformat(data["at"]), message=data.get("message"),
                   step_id=data.get("step_id"))


class Subscription(Protocol):
    """Live events of one task, from the moment ``subscribe`` returned."""

    def __aiter__(self) -> AsyncIterator[TaskEventRecord]: ...
    async def next(self, timeout_s: float) -> TaskEventRecord | None: ...


class EventBus(Protocol):
    async def publish(self, event: TaskEventRecord) -> None: ...
    def subscribe(self, task_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...
    async def close(self) -> None: ...


class _QueueSubscription:
    def __init__(self, queue: asyncio.Queue[TaskEventRecord]) -> None:
        self.queue = queue

    async def next(self, timeout_s: float) -> TaskEventRecord | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[TaskEventRecord]:
        while True:
            yield await self.queue.get()


class MemoryEventBus:
    """Single-process bus (the embedded default): a queue per subscriber."""

    def __init__(self, max_queue: int = 10_000) -> None:
        self._subs: dict[str, set[asyncio.Queue[TaskEventRecord]]] = {}
        self._max_queue = max_queue

    async def publish(self, event: TaskEventRecord) -> None:
        for queue in list(self._subs.get(event.task_id, ())):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled subscriber catches up from the table
                queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, task_id: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[TaskEventRecord] = asyncio.Queue(self._max_queue)
        self._subs.setdefault(task_id, set()).add(queue)
        try:
            yield _QueueSubscription(queue)
        finally:
            subs = self._subs.get(task_id)
            if subs is not None:
                subs.discard(queue)
                if not subs:
                    self._subs.pop(task_id, None)

    async def close(self) -> None:
        self._subs.clear()


class _RedisSubscription:
    def __init__(self, pubsub: aioredis.client.PubSub) -> None:
        self.pubsub = pubsub

    async def next(self, timeout_s: float) -> TaskEventRecord | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=remaining)
            if message is not None and message.get("type") == "message":
                try:
                    return TaskEventRecord.from_json(message["data"])
                except (ValueError, KeyError):
                    log.warning("ignoring a malformed task event on %s", message.get("channel"))

    async def __aiter__(self) -> AsyncIterator[TaskEventRecord]:
        while True:
            event = await self.next(3600.0)
            if event is not None:
                yield event


class RedisEventBus:
    """Redis pub/sub, one channel per task, so a subscriber on any replica sees every event."""

    def __init__(self, client: aioredis.Redis, prefix: str = "ql:agents:") -> None:
        self.client = client
        self.prefix = prefix

    def channel(self, task_id: str) -> str:
        return f"{self.prefix}task:{task_id}"

    async def publish(self, event: TaskEventRecord) -> None:
        try:
            await self.client.publish(self.channel(event.task_id), event.to_json())
        except (aioredis.RedisError, OSError):
            # The table is the source of truth: subscribers poll it when the bus is quiet.
            log.warning("could not publish task event %s/%s", event.task_id, event.seq, exc_info=True)

    @contextlib.asynccontextmanager
    async def subscribe(self, task_id: str) -> AsyncIterator[Subscription]:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(self.channel(task_id))
            # Wait for the confirmation so events published after this point are guaranteed to arrive:
            # the caller replays the table only once the subscription is live (no gap at the seam).
            for _ in range(50):
                message = await pubsub.get_message(timeout=0.1)
                if message is not None and message.get("type") == "subscribe":
                    break
            yield _RedisSubscription(pubsub)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
            await pubsub.aclose()

    async def close(self) -> None:
        await self.client.aclose()
