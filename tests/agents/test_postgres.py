"""Queue semantics on real PostgreSQL: SKIP LOCKED claiming and crash recovery of a worker process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from common.settings import Settings
from subgraphs.agents.clients import HttpLlmClient, HttpParserClient
from subgraphs.agents.models import TaskStatus
from subgraphs.agents.store import NewTask
from tests.agents.conftest import RuntimeFactory, fence, wait_status
from tests.agents.fakes import FakeGraphQL

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GOOD = "def add(a, b):\n    return a + b\n"
BAD = "def add(a, b):\n    return a - b\n"
TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def spec(prompt: str = "add") -> NewTask:
    return NewTask(prompt, "python", "add", TESTS, 3, None, None)


async def test_concurrent_claims_never_share_a_job(runtime_factory: RuntimeFactory, postgres_url: str) -> None:
    async with runtime_factory(None, common=Settings.model_validate({"DATABASE_URL": postgres_url}), start_worker=False) as rt:
        ids = {(await rt.store.create_task(spec(f"t{i}"))).id for i in range(60)}
        batches = await asyncio.gather(*(rt.queue.claim(f"w{i}", 7, 30.0) for i in range(6)))
        claimed = [job.task_id for batch in batches for job in batch]
        assert len(claimed) == len(set(claimed)) == 42 and set(claimed) <= ids
        assert await rt.queue.depth() == 18
        # A claim whose heartbeat went stale is claimable again, by exactly one worker.
        await asyncio.sleep(1.1)
        again = await asyncio.gather(*(rt.queue.claim(f"x{i}", 100, 1.0) for i in range(3)))
        reclaimed = [job for batch in again for job in batch]
        assert len(reclaimed) == 60 and len({j.id for j in reclaimed}) == 60
        assert sum(j.reclaimed for j in reclaimed) == 42


async def test_enqueue_is_atomic_with_the_task_row(runtime_factory: RuntimeFactory, postgres_url: str) -> None:
    async with runtime_factory(None, common=Settings.model_validate({"DATABASE_URL": postgres_url}), start_worker=False) as rt:
        with pytest.raises(Exception):  # noqa: B017 - any failure inside the transaction
            async with rt.db.session() as session:
                await rt.queue.enqueue(session, "no-such-task")  # FK violation: nothing is written
        assert await rt.queue.depth() == 0


async def test_worker_killed_mid_task_resumes_without_repeating_llm_steps(
        runtime_factory: RuntimeFactory, postgres_url: str) -> None:
    # Call 1 (attempt 1) returns a wrong solution; call 2 (attempt 2) hangs until the worker is killed;
    # call 3 is the retried attempt-2 generation after another worker picked the task up.
    fake = FakeGraphQL([fence(BAD), fence(GOOD), fence(GOOD)], cost_usd=0.01, hang_on={2})
    url = await fake.start()
    common = Settings.model_validate({"DATABASE_URL": postgres_url})
    env = {**os.environ, "DATABASE_URL": postgres_url, "QL_AGENTS_LLM_URL": url, "QL_AGENTS_PARSER_URL": url,
           "QL_AGENTS_HEARTBEAT_S": "0.2", "QL_AGENTS_POLL_INTERVAL_S": "0.05"}
    env.pop("REDIS_URL", None)
    proc: asyncio.subprocess.Process | None = None
    try:
        llm, parser = HttpLlmClient(url), HttpParserClient(url)
        async with runtime_factory(llm, parser=parser, common=common, start_worker=False,
                                   heartbeat_timeout_s=1.5) as rt:
            task = await rt.store.create_task(spec())
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "subgraphs.agents.worker", cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            for _ in range(400):
                if len(fake.generate_calls) >= 2:
                    break
                assert proc.returncode is None, "the worker process exited"
                await asyncio.sleep(0.05)
            assert len(fake.generate_calls) == 2, "the worker process never reached attempt 2"
            os.kill(proc.pid, signal.SIGKILL)  # a crash: no cleanup, the claim just stops beating
            await asyncio.wait_for(proc.wait(), 10)
            before = {(s.attempt, s.kind): s for s in await rt.store.steps(task.id)}
            assert before[(2, "generate")].status == "RUNNING"
            assert all(s.status != "RUNNING" for k, s in before.items() if k[0] == 1)

            rt.start_worker()
            done = await wait_status(rt, task.id, within_s=30)
            steps = await rt.store.steps(task.id)
            events = await rt.store.events(task.id)
        await llm.close()
        await parser.close()
    finally:
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    assert done.status == TaskStatus.SUCCEEDED.value, done.error
    # One LLM call per finished generation step (attempts 1 and 2), plus the one lost with the dead worker.
    assert len(fake.generate_calls) == 3
    assert fake.generate_calls[1] == fake.generate_calls[2]  # attempt 2 redone with the same feedback
    assert sum(1 for c in fake.generate_calls if "previous solution" not in c["prompt"]) == 1
    assert len(fake.parse_calls) == 2  # attempt 1's validation was not repeated either
    assert [(s.attempt, s.kind) for s in steps] == [(1, "generate"), (1, "validate"), (1, "test"),
                                                    (2, "generate"), (2, "validate"), (2, "test")]
    assert abs(done.cost_usd - 0.02) < 1e-9  # the lost call's answer never arrived, so it cost nothing here
    assert "RESUMED" in [e.kind for e in events]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
