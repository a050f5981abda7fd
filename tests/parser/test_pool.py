"""The worker pool survives hung and dying workers."""

from __future__ import annotations

import asyncio

from subgraphs.parser.pool import Job, ParseFailure, ParserPool


async def test_timeout_replaces_worker_and_pool_goes_on() -> None:
    async with ParserPool(workers=1, timeout_s=1.0) as pool:
        try:
            await pool.analyze(Job("x\n", None, "cobol"))
            raise AssertionError("cobol should hang")
        except ParseFailure as failure:
            assert failure.code == "PARSE_TIMEOUT"
        assert pool.restarts == 1
        result = await pool.analyze(Job("def f():\n    return 1\n", None, "python"))
        assert result.language == "python"


async def test_killed_worker_gives_parse_failed() -> None:
    async with ParserPool(workers=1, timeout_s=30.0) as pool:
        task = asyncio.create_task(pool.analyze(Job("x\n", None, "cobol")))
        await asyncio.sleep(1.0)
        (worker,) = list(pool._all)
        worker.process.kill()  # simulate a segfault / OOM kill mid-parse
        try:
            await task
            raise AssertionError("expected a failure")
        except ParseFailure as failure:
            assert failure.code == "PARSE_FAILED"
        result = await pool.analyze(Job("let x = 1;\n", None, "javascript"))
        assert result.language == "javascript"


async def test_parallel_workers_return_each_result() -> None:
    async with ParserPool(workers=2, timeout_s=10.0) as pool:
        sources = [f"def f{i}(a):\n    return a + {i}\n" for i in range(20)]
        results = await asyncio.gather(*(pool.analyze(Job(s, None, "python")) for s in sources))
        assert [r.symbols[0].name for r in results] == [f"f{i}" for i in range(20)]


def test_wire_format_round_trips_every_field() -> None:
    from subgraphs.parser.analyze import analyze
    from subgraphs.parser.model import from_wire, to_wire

    source = 'import pickle\n\ndef f(a, *b):\n    """Doc."""\n    return pickle.loads(a) if a else eval(b)\nx = (\n'
    result = analyze(source, None, "python")
    assert result.symbols and result.findings and result.syntax_errors
    assert from_wire(to_wire(result)) == result
