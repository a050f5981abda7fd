"""Agents queue and event benchmarks (prints numbers; nothing here is asserted).

1. enqueue → claim throughput with a no-op task: producers create tasks (task row + CREATED
   event + job, one transaction each) while workers claim them in batches with
   ``FOR UPDATE SKIP LOCKED`` and complete them. Goal: >= 1,000 tasks/s.
2. event → subscriber latency: events appended to the table and published on the bus,
   received by a ``taskEvents`` stream (replay/dedup logic included). Goal: p99 <= 50 ms.

    python -m bench.agents                                   # SQLite + in-process bus
    python -m bench.agents --database-url postgresql://... --redis-url redis://127.0.0.1:6379/15
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CollectorRegistry

from common.settings import Settings, normalise_database_url
from subgraphs.agents.app import Runtime, open_runtime
from subgraphs.agents.clients import LocalPythonParser, ScriptedLlmClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.models import TaskEventKind
from subgraphs.agents.queue import ClaimedJob
from subgraphs.agents.store import NewTask
from subgraphs.agents.worker import Worker


async def _noop(_: ClaimedJob) -> None:
    return None


async def throughput(rt: Runtime, tasks: int, producers: int, workers: int, batch: int, enqueue_batch: int
                     ) -> None:
    spec = NewTask("noop", "python", None, "pass", 1, None, None)
    share = [tasks // producers + (1 if i < tasks % producers else 0) for i in range(producers)]

    async def produce(n: int, per_tx: int) -> None:
        while n > 0:
            k = min(per_tx, n)
            if k == 1:
                await rt.store.create_task(spec)
            else:
                await rt.store.create_tasks([spec] * k)
            n -= k

    # A: createTask's own path, one transaction per task, nothing else running.
    started = time.perf_counter()
    await asyncio.gather(*(produce(n, 1) for n in share))
    elapsed = time.perf_counter() - started
    print(f"enqueue (1 task per transaction): {tasks} in {elapsed:.2f} s = {tasks / elapsed:,.0f} tasks/s "
          f"({producers} producers)")

    # B: claim only, on the queue A filled: how fast SKIP LOCKED hands out work.
    started = time.perf_counter()
    claimed = 0

    async def drain(worker_id: str) -> None:
        nonlocal claimed
        while jobs := await rt.queue.claim(worker_id, batch, 60.0):
            claimed += len(jobs)

    await asyncio.gather(*(drain(f"bench-{i}") for i in range(workers)))
    elapsed = time.perf_counter() - started
    print(f"claim only: {claimed} jobs in {elapsed:.2f} s = {claimed / elapsed:,.0f} jobs/s "
          f"({workers} claimers, batch {batch})")

    # C: end to end: producers enqueue while workers claim, run a no-op task and complete it.
    settings = rt.settings.model_copy(update={"concurrency": batch, "poll_interval_s": 0.01})
    pool = [Worker(rt.queue, _noop, settings) for _ in range(workers)]
    completed = 0

    async def counting(job: ClaimedJob) -> None:
        nonlocal completed
        completed += 1

    for w in pool:
        w.handler = counting
        w.start()
    started = time.perf_counter()
    await asyncio.gather(*(produce(n, enqueue_batch) for n in share))
    enqueued = time.perf_counter() - started
    while await rt.queue.depth() or any(w.busy for w in pool):  # noqa: ASYNC110 - polling the database
        await asyncio.sleep(0.005)
    total = time.perf_counter() - started
    for w in pool:
        await w.stop()
    print(f"enqueue→claim→complete (no-op task): {completed} tasks in {total:.2f} s = {completed / total:,.0f} "
          f"tasks/s (enqueue {enqueue_batch}/transaction took {enqueued:.2f} s; {workers} workers, "
          f"claim batch {batch})")


async def latency(rt: Runtime, events: int, interval_s: float) -> None:
    task = await rt.store.create_task(NewTask("latency", "python", None, "pass", 1, None, None))
    sent: dict[int, tuple[float, float]] = {}
    received: dict[int, float] = {}
    ready = asyncio.Event()

    async def subscribe() -> None:
        stream = rt.service.events(task.id, since=1)
        ready.set()
        async for event in stream:
            received[event.seq] = time.perf_counter()
            if len(received) >= events:
                break

    consumer = asyncio.create_task(subscribe())
    await ready.wait()
    await asyncio.sleep(0.3)  # the subscription is live
    for _ in range(events):
        t_write = time.perf_counter()
        async with rt.db.session() as session:
            event = await rt.store._append(session, task.id, TaskEventKind.STEP_STARTED, "bench")
        t_publish = time.perf_counter()
        await rt.bus.publish(event)
        sent[event.seq] = (t_write, t_publish)
        await asyncio.sleep(interval_s)
    await asyncio.wait_for(consumer, 30)
    from_publish = sorted((received[s] - sent[s][1]) * 1000 for s in sent)
    from_write = sorted((received[s] - sent[s][0]) * 1000 for s in sent)

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    for label, values in (("publish→subscriber", from_publish), ("write+commit→subscriber", from_write)):
        print(f"{label}: n={len(values)} p50={pct(values, 50):.2f} ms p99={pct(values, 99):.2f} ms "
              f"max={max(values):.2f} ms mean={statistics.fmean(values):.2f} ms")


@contextlib.asynccontextmanager
async def _fresh_database(url: str | None, tmp: str) -> AsyncIterator[str]:
    """A throw-away database: a new PostgreSQL database next to ``url``, or a SQLite file."""
    if not url:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    import asyncpg

    dsn = normalise_database_url(url).replace("postgresql+asyncpg://", "postgresql://")
    name = f"ql_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield normalise_database_url(url).rsplit("/", 1)[0] + "/" + name
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ql-bench-agents-") as tmp:
        async with _fresh_database(args.database_url, tmp) as url:
            common = Settings.model_validate({"DATABASE_URL": url, "REDIS_URL": args.redis_url})
            async with open_runtime(AgentsSettings(metrics_interval_s=3600), common, CollectorRegistry(),
                                    llm=ScriptedLlmClient([""]), parser=LocalPythonParser(), start_worker=False) as rt:
                backend = rt.db.engine.dialect.name
                print(f"database: {backend}; bus: {type(rt.bus).__name__}; cpus: {os.cpu_count()}")
                await throughput(rt, args.tasks, args.producers, args.workers, args.batch, args.enqueue_batch)
                await latency(rt, args.events, args.interval_ms / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("QL_TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("QL_TEST_REDIS_URL"))
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--enqueue-batch", type=int, default=50, help="tasks per transaction in phase C")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--interval-ms", type=float, default=2.0)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
