"""taskEvents: replay from `since`, then live, with no gap or duplicate at the seam; across replicas via Redis."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from common.settings import Settings
from subgraphs.agents.app import Runtime
from subgraphs.agents.clients import ScriptedLlmClient
from subgraphs.agents.models import TaskEventKind
from subgraphs.agents.schema import schema
from subgraphs.agents.store import NewTask
from tests.agents.conftest import RuntimeFactory, fence, gql

GOOD = "def add(a, b):\n    return a + b\n"
TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
SUBSCRIBE = """subscription($id: ID!, $since: Int) { taskEvents(taskId: $id, since: $since) {
  seq taskId kind at message step { agent attempt status } task { id status } } }"""


async def collect(runtime: Runtime, task_id: str, since: int | None, until: Any) -> list[dict[str, Any]]:
    """Subscribe and gather events until ``until(event)`` is true."""
    stream = await schema.subscribe(SUBSCRIBE, variable_values={"id": task_id, "since": since},
                                    context_value={"agents": runtime.service})
    seen: list[dict[str, Any]] = []
    try:
        async for result in stream:  # type: ignore[union-attr]
            assert result.errors is None and result.data is not None, result.errors
            event = result.data["taskEvents"]
            seen.append(event)
            if until(event):
                break
    finally:
        await stream.aclose()  # type: ignore[union-attr]
    return seen


def spec() -> NewTask:
    return NewTask("Write add(a, b).", "python", "add", TESTS, 2, None, None)


async def test_subscription_replays_then_streams_a_task_to_the_end(runtime_factory: RuntimeFactory) -> None:
    async with runtime_factory(ScriptedLlmClient([fence(GOOD)]), start_worker=False) as rt:
        task = await rt.store.create_task(spec())
        watcher = asyncio.create_task(collect(rt, task.id, None, lambda e: e["kind"] == "SUCCEEDED"))
        await asyncio.sleep(0.2)
        rt.start_worker()
        events = await asyncio.wait_for(watcher, 20)
        replay = await collect(rt, task.id, 3, lambda e: e["kind"] == "SUCCEEDED")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["kind"] for e in events]
    assert kinds[:3] == ["CREATED", "STARTED", "STEP_STARTED"] and kinds[-1] == "SUCCEEDED"
    assert events[-1]["task"]["status"] == "SUCCEEDED"
    assert {e["step"]["agent"] for e in events if e["step"]} == {"GENERATOR", "VALIDATOR", "TESTER"}
    assert [e["seq"] for e in replay] == list(range(4, len(events) + 1))


async def _append(rt: Runtime, task_id: str, n: int) -> None:
    for i in range(n):
        async with rt.db.session() as session:
            event = await rt.store._append(session, task_id, TaskEventKind.STEP_STARTED, f"e{i}")
        await rt.bus.publish(event)
        if i % 7 == 0:
            await asyncio.sleep(0)


async def _seam(rt: Runtime, writer: Runtime, subscribers: int = 8, events: int = 120) -> None:
    task = await writer.store.create_task(spec())
    total = events + 1

    async def late_subscriber(delay: float, since: int | None) -> list[int]:
        await asyncio.sleep(delay)
        seen = await collect(rt, task.id, since, lambda e: e["seq"] >= total)
        return [e["seq"] for e in seen]

    rng = random.Random(7)
    plan = [(rng.uniform(0, 0.3), rng.choice([None, 0, 1, 5])) for _ in range(subscribers)]
    results = await asyncio.wait_for(asyncio.gather(_append(writer, task.id, events),
                                                    *(late_subscriber(d, s) for d, s in plan)), 30)
    for (_, since), seqs in zip(plan, results[1:], strict=True):
        assert seqs == list(range((since or 0) + 1, total + 1)), "gap or duplicate at the replay/live seam"


async def test_no_gap_or_duplicate_at_the_seam_in_process(runtime_factory: RuntimeFactory) -> None:
    async with runtime_factory(ScriptedLlmClient([""]), start_worker=False) as rt:
        await _seam(rt, rt)


async def test_bad_subscription_input(runtime_factory: RuntimeFactory) -> None:
    async with runtime_factory(ScriptedLlmClient([""]), start_worker=False) as rt:
        stream = await schema.subscribe(SUBSCRIBE, variable_values={"id": "missing", "since": None},
                                        context_value={"agents": rt.service})
        results = [r async for r in stream]  # type: ignore[union-attr]
        errors = results[0].errors or []
        assert errors and (errors[0].extensions or {})["code"] == "TASK_NOT_FOUND"
        result = await gql(rt, "{ task(id: \"missing\") { id } }")
        assert result.data == {"task": None}


@pytest.mark.postgres
@pytest.mark.redis
async def test_subscriber_on_one_replica_sees_a_task_run_by_another(
        runtime_factory: RuntimeFactory, postgres_url: str, redis_url: str) -> None:
    common = Settings.model_validate({"DATABASE_URL": postgres_url, "REDIS_URL": redis_url})
    async with runtime_factory(ScriptedLlmClient([fence(GOOD)]), common=common, start_worker=False) as a, \
            runtime_factory(ScriptedLlmClient([fence(GOOD)]), common=common, start_worker=False) as b:
        task = await b.store.create_task(spec())
        watcher = asyncio.create_task(collect(a, task.id, None, lambda e: e["kind"] == "SUCCEEDED"))
        await asyncio.sleep(0.3)
        b.start_worker()  # only replica B runs tasks
        events = await asyncio.wait_for(watcher, 20)
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["kind"] == "SUCCEEDED" and events[-1]["task"]["status"] == "SUCCEEDED"
        assert a.worker is None
        # And the seam holds when the writer is the other replica and events travel through Redis.
        await _seam(a, b, subscribers=4, events=60)
