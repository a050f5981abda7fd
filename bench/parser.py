"""Parser throughput: our full analysis vs lizard on the same files, same run.

    .venv/bin/python bench/parser.py [PATH ...] [--workers N] [--limit-mb MB]

Default corpus: the running interpreter's standard library (*.py, no
site-packages). Our figure goes through the subgraph's own code path
(``ParserService`` → ``ParserPool`` worker processes → ``analyze``: parse +
symbols + metrics + findings), one file per job, so it includes IPC.
Lizard runs in-process on the same files.

Two figures per row: wall-clock MB/s, and MB per CPU-second (CPU time of the
worker processes plus the dispatching process, from /proc). The CPU figure is
the per-core throughput, and it stays honest when other work shares the
machine; the wall figure of the 1-worker run is the same thing on an idle box.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sysconfig
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from subgraphs.parser.analyze import analyze
from subgraphs.parser.languages import UnsupportedLanguageError, detect_language
from subgraphs.parser.pool import ParseFailure, ParserPool
from subgraphs.parser.service import ParserMetrics, ParserService, ParserSettings


def collect(paths: list[str]) -> list[tuple[str, str]]:
    roots = [Path(p) for p in paths] or [Path(sysconfig.get_paths()["stdlib"])]
    files: list[tuple[str, str]] = []
    for root in roots:
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in candidates:
            if not path.is_file() or "site-packages" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
                detect_language(text, str(path))
            except (UnicodeDecodeError, UnsupportedLanguageError, OSError):
                continue
            if not paths and path.suffix != ".py":
                continue
            files.append((str(path), text))
    return files


def _proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_service(files: list[tuple[str, str]], workers: int) -> tuple[float, float, int]:
    settings = ParserSettings(workers=workers, max_source_bytes=64 * 1024 * 1024)
    pool = ParserPool(workers=workers, timeout_s=60)
    service = ParserService(settings, pool, ParserMetrics(CollectorRegistry()))
    await pool.start()
    try:
        jobs = [service.prepare(text, path, None) for path, text in files]
        # warm each worker's grammar caches so start-up is not measured
        await asyncio.gather(*(service.run(jobs[0]) for _ in range(workers)))
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(jobs)):
            queue.put_nowait(i)
        failures = 0

        async def drain() -> None:
            nonlocal failures
            while not queue.empty():
                job = jobs[queue.get_nowait()]
                try:
                    await service.run(job)
                except ParseFailure:
                    failures += 1

        pids = pool.worker_pids()
        cpu0 = sum(_proc_cpu(pid) for pid in pids) + time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(drain() for _ in range(workers)))
        wall = time.perf_counter() - started
        cpu = sum(_proc_cpu(pid) for pid in pids) + time.process_time() - cpu0
        return wall, cpu, failures
    finally:
        await pool.close()


def run_inprocess(files: list[tuple[str, str]]) -> tuple[float, float]:
    analyze(files[0][1], files[0][0])
    started, cpu0 = time.perf_counter(), time.process_time()
    for path, text in files:
        analyze(text, path)
    return time.perf_counter() - started, time.process_time() - cpu0


def run_lizard(files: list[tuple[str, str]]) -> tuple[float, float] | None:
    try:
        from lizard import analyze_file
    except ImportError:
        return None
    started, cpu0 = time.perf_counter(), time.process_time()
    for path, text in files:
        analyze_file.analyze_source_code(path, text)
    return time.perf_counter() - started, time.process_time() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--workers", type=int, default=2, help="also measure a pool of N workers")
    parser.add_argument("--no-lizard", action="store_true")
    args = parser.parse_args()

    files = collect(args.paths)
    mb = sum(len(text.encode("utf-8")) for _, text in files) / 1e6
    print(f"corpus: {len(files)} files, {mb:.1f} MB")
    rows: list[tuple[str, float, float]] = []
    wall, cpu, failures = asyncio.run(run_service(files, 1))
    rows.append(("quantumlayer service path, 1 worker", wall, cpu))
    if args.workers > 1:
        wall, cpu, _ = asyncio.run(run_service(files, args.workers))
        rows.append((f"quantumlayer service path, {args.workers} workers", wall, cpu))
    rows.append(("quantumlayer analyze() in-process, no IPC", *run_inprocess(files)))
    lizard = None if args.no_lizard else run_lizard(files)
    if lizard is not None:
        rows.append(("lizard (in-process, 1 core)", *lizard))
    print(f"{'':48s} {'wall s':>7s} {'MB/s':>7s} {'CPU s':>7s} {'MB/CPU-s':>9s}")
    for label, wall, cpu in rows:
        print(f"{label:48s} {wall:7.2f} {mb / wall:7.2f} {cpu:7.2f} {mb / cpu:9.2f}")
    if lizard is not None:
        print(f"per core (MB per CPU-second), 1-worker service path vs lizard: "
              f"{(mb / rows[0][2]) / (mb / lizard[1]):.2f}x")
    if failures:
        print(f"{failures} files failed (timeout or crash)")


if __name__ == "__main__":
    main()
