"""A deterministic HumanEval sample through the whole pipeline (scripted LLM, real sandbox)."""

from __future__ import annotations

from pathlib import Path

from bench.humaneval import load_problems, mutate, run

SAMPLE = load_problems(limit=10, stride=16)  # HumanEval/0, /16, /32, ... /144


def test_problems_come_from_the_installed_package() -> None:
    assert len(load_problems()) == 164
    assert [p["task_id"] for p in SAMPLE][:3] == ["HumanEval/0", "HumanEval/16", "HumanEval/32"]
    assert all(mutate(p) != p["prompt"] + p["canonical_solution"] for p in SAMPLE)


async def test_canonical_solutions_all_succeed(tmp_path: Path) -> None:
    outcome = await run(SAMPLE, "canonical", concurrency=2, data_dir=tmp_path)
    assert outcome.succeeded == len(SAMPLE), outcome.failures


async def test_mutated_solutions_mostly_fail(tmp_path: Path) -> None:
    outcome = await run(SAMPLE, "mutated", concurrency=2, data_dir=tmp_path)
    assert outcome.failed >= 8, f"only {outcome.failed}/10 mutants were caught"
