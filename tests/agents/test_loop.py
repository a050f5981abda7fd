"""The generator/validator/tester loop with a scripted LLM (SQLite, bubblewrap sandbox)."""

from __future__ import annotations

import asyncio
import time

from subgraphs.agents.clients import ScriptedLlmClient
from subgraphs.agents.errors import InfrastructureError
from subgraphs.agents.models import StepStatus, TaskStatus
from subgraphs.agents.sandbox import SandboxResult
from tests.agents.conftest import RuntimeFactory, fence, gql, wait_status

GOOD = "def add(a, b):\n    return a + b\n"
BAD = "def add(a, b):\n    return a - b\n"
SYNTAX = "def add(a, b)\n    return a + b\n"
TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"

CREATE = """mutation($input: CreateTaskInput!) { createTask(input: $input) { id status language attempts } }"""
TASK = """query($id: ID!) { task(id: $id) { id status attempts costUsd error
  steps { id agent attempt status summary generation { id } } artifacts { id path language source } } }"""


async def create(runtime, **fields) -> str:  # type: ignore[no-untyped-def]
    result = await gql(runtime, CREATE, input={"prompt": "Write add(a, b).", "entryPoint": "add", **fields})
    assert result.errors is None, result.errors
    return str(result.data["createTask"]["id"])


async def test_first_attempt_succeeds(runtime_factory: RuntimeFactory) -> None:
    llm = ScriptedLlmClient([fence(GOOD)], cost_usd=0.01)
    async with runtime_factory(llm) as rt:
        task_id = await create(rt, tests=TESTS)
        task = await wait_status(rt, task_id)
        assert task.status == TaskStatus.SUCCEEDED.value, task.error
        data = (await gql(rt, TASK, id=task_id)).data["task"]
    assert data["attempts"] == 1 and abs(data["costUsd"] - 0.01) < 1e-9
    assert [(s["agent"], s["status"]) for s in data["steps"]] == [
        ("GENERATOR", "SUCCEEDED"), ("VALIDATOR", "SUCCEEDED"), ("TESTER", "SUCCEEDED")]
    assert data["steps"][0]["generation"] == {"id": "scripted-1"}
    assert data["artifacts"][0]["source"] == GOOD and data["artifacts"][0]["path"] == "solution.py"
    assert len(llm.calls) == 1


async def test_failures_feed_back_until_success(runtime_factory: RuntimeFactory) -> None:
    llm = ScriptedLlmClient([fence(SYNTAX), fence(BAD), fence(GOOD)])
    async with runtime_factory(llm) as rt:
        task_id = await create(rt, tests=TESTS, maxAttempts=3)
        task = await wait_status(rt, task_id)
        steps = await rt.store.steps(task_id)
    assert task.status == TaskStatus.SUCCEEDED.value, task.error
    assert task.attempts == 3
    assert "Syntax errors" in llm.calls[1][1] and "previous solution" in llm.calls[1][1]
    assert "AssertionError" in llm.calls[2][1]
    assert [(s.attempt, s.kind, s.status) for s in steps] == [
        (1, "generate", "SUCCEEDED"), (1, "validate", "FAILED"),
        (2, "generate", "SUCCEEDED"), (2, "validate", "SUCCEEDED"), (2, "test", "FAILED"),
        (3, "generate", "SUCCEEDED"), (3, "validate", "SUCCEEDED"), (3, "test", "SUCCEEDED")]


async def test_gives_up_after_max_attempts(runtime_factory: RuntimeFactory) -> None:
    llm = ScriptedLlmClient([fence(BAD)])
    async with runtime_factory(llm) as rt:
        task_id = await create(rt, tests=TESTS, maxAttempts=2)
        task = await wait_status(rt, task_id)
    assert task.status == TaskStatus.FAILED.value
    assert "after 2 attempt(s)" in (task.error or "") and len(llm.calls) == 2


async def test_designs_tests_when_none_given(runtime_factory: RuntimeFactory) -> None:
    def answer(prompt: str, system: str) -> str:
        if "test designer" in system:
            return fence("def test_add():\n    assert add(1, 2) == 3\n")
        return fence(GOOD)

    llm = ScriptedLlmClient(answer)
    async with runtime_factory(llm) as rt:
        task_id = await create(rt)
        task = await wait_status(rt, task_id)
        steps = await rt.store.steps(task_id)
        artifacts = await rt.store.artifacts(task_id)
    assert task.status == TaskStatus.SUCCEEDED.value, task.error
    assert [s.kind for s in steps][:2] == ["design_tests", "generate"]
    assert {a.path for a in artifacts} == {"tests.py", "solution.py"}


async def test_designed_tests_catch_a_wrong_solution(runtime_factory: RuntimeFactory) -> None:
    def answer(prompt: str, system: str) -> str:
        if "test designer" in system:
            return fence("def test_add():\n    assert add(1, 2) == 3\n")
        return fence(BAD)

    async with runtime_factory(ScriptedLlmClient(answer)) as rt:
        task = await wait_status(rt, await create(rt, maxAttempts=1))
    assert task.status == TaskStatus.FAILED.value


async def test_budget_stops_the_task(runtime_factory: RuntimeFactory) -> None:
    llm = ScriptedLlmClient([fence(BAD)], cost_usd=0.01)
    async with runtime_factory(llm) as rt:
        task = await wait_status(rt, await create(rt, tests=TESTS, maxAttempts=5, budgetUsd=0.015))
    assert task.status == TaskStatus.FAILED.value
    assert "budget exhausted" in (task.error or "")
    assert len(llm.calls) == 2 and abs(task.cost_usd - 0.02) < 1e-9


class _SlowSandbox:
    backend = "fake"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def run_python(self, files, argv) -> SandboxResult:  # type: ignore[no-untyped-def]
        self.started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return SandboxResult(0, "", "", False, 60)


async def test_cancel_stops_a_running_task_within_two_seconds(runtime_factory: RuntimeFactory) -> None:
    sandbox = _SlowSandbox()
    async with runtime_factory(ScriptedLlmClient([fence(GOOD)]), sandbox=sandbox) as rt:
        task_id = await create(rt, tests=TESTS)
        await asyncio.wait_for(sandbox.started.wait(), 10)
        started = time.monotonic()
        result = await gql(rt, "mutation($id: ID!) { cancelTask(id: $id) { status } }", id=task_id)
        assert result.data["cancelTask"]["status"] == "CANCELLED"
        while not sandbox.cancelled:
            assert time.monotonic() - started < 2.0, "the sandbox was not stopped within 2 s"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert rt.worker is not None and not rt.worker.active
        steps = await rt.store.steps(task_id)
        assert steps[-1].status == StepStatus.CANCELLED.value
        assert (await rt.store.get_task(task_id)).status == "CANCELLED"  # type: ignore[union-attr]


async def test_cancel_and_retry_errors(runtime_factory: RuntimeFactory) -> None:
    async with runtime_factory(ScriptedLlmClient([fence(GOOD)]), start_worker=False) as rt:
        task_id = await create(rt, tests=TESTS)
        result = await gql(rt, "mutation($id: ID!) { retryTask(id: $id) { status } }", id=task_id)
        assert result.errors[0].extensions["code"] == "TASK_NOT_RETRYABLE"
        result = await gql(rt, "mutation($id: ID!) { cancelTask(id: $id) { status } }", id=task_id)
        assert result.data["cancelTask"]["status"] == "CANCELLED"
        assert await rt.queue.depth() == 0
        result = await gql(rt, "mutation($id: ID!) { retryTask(id: $id) { status } }", id=task_id)
        assert result.data["retryTask"]["status"] == "QUEUED"
        assert await rt.queue.depth() == 1
        result = await gql(rt, "mutation { cancelTask(id: \"nope\") { status } }")
        assert result.errors[0].extensions["code"] == "TASK_NOT_FOUND"
        rt.start_worker()
        task = await wait_status(rt, task_id)
        assert task.status == "SUCCEEDED" and task.run == 2
        result = await gql(rt, "mutation($id: ID!) { cancelTask(id: $id) { status } }", id=task_id)
        assert result.errors[0].extensions["code"] == "TASK_NOT_CANCELLABLE"


async def test_retry_reruns_a_failed_task(runtime_factory: RuntimeFactory) -> None:
    llm = ScriptedLlmClient([fence(BAD), fence(GOOD)])
    async with runtime_factory(llm) as rt:
        task_id = await create(rt, tests=TESTS, maxAttempts=1)
        assert (await wait_status(rt, task_id)).status == "FAILED"
        await gql(rt, "mutation($id: ID!) { retryTask(id: $id) { status } }", id=task_id)
        task = await wait_status(rt, task_id)
        data = (await gql(rt, TASK, id=task_id)).data["task"]
    assert task.status == "SUCCEEDED" and len(llm.calls) == 2
    assert len(data["steps"]) == 3  # the current run's steps only


class _BrokenSandbox:
    backend = "fake"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def run_python(self, files, argv) -> SandboxResult:  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls <= self.failures:
            raise InfrastructureError("bwrap: setting up uid map: Permission denied")
        return SandboxResult(0, files["runner.py"].split('print("')[1].split('"')[0], "", False, 0.01)


async def test_sandbox_start_failure_is_retried_not_a_test_failure(runtime_factory: RuntimeFactory) -> None:
    sandbox = _BrokenSandbox(failures=2)
    llm = ScriptedLlmClient([fence(GOOD)])
    async with runtime_factory(llm, sandbox=sandbox) as rt:
        task_id = await create(rt, tests=TESTS, maxAttempts=1)
        task = await wait_status(rt, task_id)
        events = await rt.store.events(task_id)
    assert task.status == "SUCCEEDED", task.error
    assert sandbox.calls == 3 and len(llm.calls) == 1
    assert [e.kind for e in events].count("REQUEUED") == 2


async def test_infrastructure_errors_eventually_fail_the_task(runtime_factory: RuntimeFactory) -> None:
    async with runtime_factory(ScriptedLlmClient([fence(GOOD)]), sandbox=_BrokenSandbox(99),
                               max_infra_failures=3) as rt:
        task = await wait_status(rt, await create(rt, tests=TESTS))
    assert task.status == "FAILED" and "infrastructure error" in (task.error or "")


async def test_cancel_aborts_an_in_flight_llm_call(runtime_factory: RuntimeFactory) -> None:
    from subgraphs.agents.clients import HttpLlmClient
    from tests.agents.fakes import FakeGraphQL

    fake = FakeGraphQL([fence(GOOD)], hang_on={1})
    llm = HttpLlmClient(await fake.start())
    try:
        async with runtime_factory(llm) as rt:
            task_id = await create(rt, tests=TESTS)
            for _ in range(200):
                if fake.generate_calls:
                    break
                await asyncio.sleep(0.02)
            started = time.monotonic()
            await gql(rt, "mutation($id: ID!) { cancelTask(id: $id) { status } }", id=task_id)
            assert rt.worker is not None
            while rt.worker.active:
                assert time.monotonic() - started < 2.0, "the LLM call was not abandoned within 2 s"
                await asyncio.sleep(0.02)
            task = await rt.store.get_task(task_id)
            assert task is not None and task.status == "CANCELLED" and task.cost_usd == 0
    finally:
        await llm.close()
        await fake.stop()


async def test_graceful_stop_hands_running_jobs_back_at_once(runtime_factory: RuntimeFactory) -> None:
    sandbox = _SlowSandbox()
    llm = ScriptedLlmClient([fence(GOOD)])
    async with runtime_factory(llm, sandbox=sandbox, heartbeat_timeout_s=3600) as rt:
        task_id = await create(rt, tests=TESTS)
        await asyncio.wait_for(sandbox.started.wait(), 10)
        assert rt.worker is not None
        await rt.worker.stop()
        assert sandbox.cancelled and await rt.queue.depth() == 1  # queued again, no heartbeat timeout needed
        rt.loop.sandbox = _BrokenSandbox(failures=0)
        rt.start_worker()
        task = await wait_status(rt, task_id)
    assert task.status == "SUCCEEDED" and len(llm.calls) == 1  # the finished generation was not redone
