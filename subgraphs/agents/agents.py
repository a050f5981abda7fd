"""The generator → validator → tester loop (AgentCoder's programmer / test-designer split).

Each step runs in a named slot (run, attempt, kind) whose output is stored when
it finishes; a task resumed by another worker re-uses finished slots, so an
LLM step that completed is never paid for twice. Feedback from a failed
validation or test run goes into the next generation prompt.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from subgraphs.agents.clients import LlmClient, ParserClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.errors import InfrastructureError, TaskRejected
from subgraphs.agents.models import FINISHED_STEPS, StepKind, StepRow, StepStatus, TaskRow, TaskStatus
from subgraphs.agents.queue import ClaimedJob
from subgraphs.agents.sandbox import Sandbox
from subgraphs.agents.store import StepResult, TaskStore

log = logging.getLogger("quantumlayer.agents.loop")

SUPPORTED_LANGUAGES = ("python",)

GENERATOR_SYSTEM = ("You are an expert {language} programmer. Reply with the complete solution in a single "
                    "```{language} fenced code block: all imports, the exact function names and signatures "
                    "asked for, no example usage and no tests.")
TEST_DESIGNER_SYSTEM = ("You are a meticulous test designer. Do not implement the function. Write {language} "
                        "tests for it as functions named test_* using plain assert statements, covering basic, "
                        "edge and large cases. The function under test is already defined in the namespace. "
                        "Reply with a single ```{language} fenced code block.")

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)

RUNNER = '''import sys
_ns = {{"__name__": "solution"}}
exec(compile(open("solution.py", encoding="utf-8").read(), "solution.py", "exec"), _ns)
_tns = dict(_ns)
_tns["__name__"] = "__tests__"
exec(compile(open("tests.py", encoding="utf-8").read(), "tests.py", "exec"), _tns)
_entry = sys.argv[1] if len(sys.argv) > 1 else ""
_ran = 0
if _entry and callable(_tns.get("check")):
    if _entry not in _ns:
        raise SystemExit("entry point " + repr(_entry) + " is not defined by the solution")
    _tns["check"](_ns[_entry])
    _ran += 1
for _name, _fn in list(_tns.items()):
    if _name.startswith("test") and callable(_fn):
        _fn()
        _ran += 1
print("{token}", _ran)
'''


def extract_code(text: str, language: str = "python") -> str:
    """The code in an LLM answer: the longest fenced block in ``language`` (or untagged), else the raw text."""
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(text)]
    aliases = {language.lower(), "py" if language == "python" else language.lower(), "python3", ""}
    preferred = [body for tag, body in blocks if tag in aliases] or [body for _, body in blocks]
    if preferred:
        return max(preferred, key=len).strip("\n") + "\n"
    return text.strip() + "\n"


class AgentMetrics:
    """Prometheus instruments of the agents subgraph (a registry per app, no globals)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.tasks = Gauge("agents_tasks", "Tasks by status", ["status"], registry=registry)
        self.queue_depth = Gauge("agents_queue_depth", "Jobs waiting to be claimed", registry=registry)
        self.step_duration = Histogram("agents_step_duration_seconds", "Duration of finished steps",
                                       ["agent", "kind"], registry=registry,
                                       buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
        self.finished = Counter("agents_tasks_finished", "Tasks reaching a final state", ["status"],
                                registry=registry)
        self.infra_errors = Counter("agents_infrastructure_errors", "Jobs re-queued after an infrastructure error",
                                    registry=registry)


class _TaskFailed(Exception):
    pass


@dataclass(slots=True)
class _Run:
    task: TaskRow
    done: dict[tuple[int, str], StepRow]
    cost: float


class AgentLoop:
    """Runs one claimed task to a final state (the worker's handler)."""

    def __init__(self, settings: AgentsSettings, store: TaskStore, llm: LlmClient, parser: ParserClient,
                 sandbox: Sandbox, metrics: AgentMetrics) -> None:
        self.settings = settings
        self.store = store
        self.llm = llm
        self.parser = parser
        self.sandbox = sandbox
        self.metrics = metrics

    async def handle(self, job: ClaimedJob) -> None:
        task = await self.store.start_task(job.task_id, job.reclaimed)
        if task is None:
            return
        try:
            status, error = await self._run(task)
        except InfrastructureError as exc:
            self.metrics.infra_errors.inc()
            log.warning("task %s: infrastructure error, re-queueing: %s", task.id, exc)
            delay = self.settings.infra_retry_s * (2 ** job.infra_failures)
            if await self.store.requeue(job, str(exc), delay, self.settings.max_infra_failures):
                return
            self.metrics.finished.labels(TaskStatus.FAILED.value).inc()
            return
        except Exception:
            # A bug, not bad luck: re-running would crash the same way forever, so fail the task with a
            # message that leaks nothing (the details go to the log).
            log.exception("task %s crashed", task.id)
            status, error = TaskStatus.FAILED, "internal error while running the task"
        if await self.store.finish_task(task.id, task.run, status, error):
            self.metrics.finished.labels(status.value).inc()

    async def _run(self, task: TaskRow) -> tuple[TaskStatus, str | None]:
        steps = await self.store.steps(task.id, run=task.run)
        run = _Run(task, {(s.attempt, s.kind): s for s in steps if StepStatus(s.status) in FINISHED_STEPS},
                   task.cost_usd)
        try:
            tests = task.tests
            if not tests:
                out = await self._step(run, 1, StepKind.DESIGN_TESTS, partial(self._design_tests, run))
                tests = str(out.get("tests") or "")
            code: str | None = None
            feedback: str | None = None
            for attempt in range(1, task.max_attempts + 1):
                out = await self._step(run, attempt, StepKind.GENERATE, partial(self._generate, run, code, feedback))
                code = str(out["code"])
                out = await self._step(run, attempt, StepKind.VALIDATE, partial(self._validate, run, code))
                if out["ok"]:
                    out = await self._step(run, attempt, StepKind.TEST, partial(self._test, run, code, tests))
                    if out["ok"]:
                        return TaskStatus.SUCCEEDED, None
                feedback = str(out["feedback"])
            return TaskStatus.FAILED, (f"no passing solution after {task.max_attempts} attempt(s); "
                                       f"last failure: {(feedback or '')[:1000]}")
        except _TaskFailed as exc:
            return TaskStatus.FAILED, str(exc)
        except TaskRejected as exc:
            return TaskStatus.FAILED, str(exc)

    async def _step(self, run: _Run, attempt: int, kind: StepKind,
                    body: Callable[[], Awaitable[StepResult]]) -> dict[str, object]:
        """Run a step slot once: a finished slot's stored output is returned without re-running it."""
        finished = run.done.get((attempt, kind.value))
        if finished is not None and finished.output is not None:
            return dict(finished.output)
        if kind in (StepKind.GENERATE, StepKind.DESIGN_TESTS):
            budget = run.task.budget_usd
            if budget is not None and run.cost >= budget:
                raise _TaskFailed(f"budget exhausted: spent ${run.cost:.4f} of ${budget:.4f}")
        step = await self.store.start_step(run.task, attempt, kind)
        started = time.monotonic()
        result = await body()
        run.cost = await self.store.finish_step(run.task.id, step.id, result)
        self.metrics.step_duration.labels(kind.role.value, kind.value).observe(time.monotonic() - started)
        return result.output

    async def _design_tests(self, run: _Run) -> StepResult:
        task = run.task
        prompt = f"Write tests for this task:\n\n{task.prompt}\n"
        if task.entry_point:
            prompt += f"\nThe function under test is `{task.entry_point}`.\n"
        reply = await self.llm.generate(prompt=prompt, system=TEST_DESIGNER_SYSTEM.format(language=task.language),
                                        route=task.route, user=f"agents:{task.id}")
        tests = extract_code(reply.text, task.language)
        return StepResult(StepStatus.SUCCEEDED, f"designed {tests.count('assert')} assertion(s)",
                          {"tests": tests}, reply.id, reply.cost_usd, ("tests.py", task.language, tests))

    async def _generate(self, run: _Run, previous: str | None, feedback: str | None) -> StepResult:
        task = run.task
        prompt = f"Task:\n{task.prompt}\n"
        if task.entry_point:
            prompt += f"\nThe entry point is `{task.entry_point}`.\n"
        if previous is not None and feedback:
            prompt += (f"\nYour previous solution:\n```{task.language}\n{previous}```\n"
                       f"It failed:\n{feedback}\n\nReturn a corrected complete solution.\n")
        reply = await self.llm.generate(prompt=prompt, system=GENERATOR_SYSTEM.format(language=task.language),
                                        route=task.route, user=f"agents:{task.id}")
        code = extract_code(reply.text, task.language)
        return StepResult(StepStatus.SUCCEEDED, f"generated {code.count(chr(10))} line(s)", {"code": code},
                          reply.id, reply.cost_usd, ("solution.py", task.language, code))

    async def _validate(self, run: _Run, code: str) -> StepResult:
        report = await self.parser.parse(code, "solution.py", run.task.language)
        serious = [f for f in report.findings if f.severity in ("HIGH", "CRITICAL")]
        notes = "; ".join(f"{f.rule_id} line {f.line}: {f.message}" for f in serious[:5])
        if report.syntax_errors:
            feedback = "Syntax errors:\n" + "\n".join(report.syntax_errors[:20])
            return StepResult(StepStatus.FAILED, f"{len(report.syntax_errors)} syntax error(s)",
                              {"ok": False, "feedback": feedback})
        summary = "no syntax errors" + (f"; security findings: {notes}" if notes else "")
        return StepResult(StepStatus.SUCCEEDED, summary, {"ok": True, "feedback": ""})

    async def _test(self, run: _Run, code: str, tests: str) -> StepResult:
        token = f"QL-TESTS-PASSED-{secrets.token_hex(8)}"
        argv = ["runner.py"] + ([run.task.entry_point] if run.task.entry_point else [])
        result = await self.sandbox.run_python(
            {"solution.py": code, "tests.py": tests, "runner.py": RUNNER.format(token=token)}, argv)
        if result.timed_out:
            feedback = f"The tests did not finish within {self.settings.sandbox_timeout_s:g} s (infinite loop?)."
            return StepResult(StepStatus.FAILED, "timed out", {"ok": False, "feedback": feedback})
        if result.exit_code == 0 and token in result.stdout:
            return StepResult(StepStatus.SUCCEEDED, f"tests passed in {result.duration_s:.2f} s",
                              {"ok": True, "feedback": ""})
        tail = result.stderr.strip()[-1500:] or result.stdout.strip()[-1500:] or f"exit code {result.exit_code}"
        return StepResult(StepStatus.FAILED, f"tests failed (exit {result.exit_code})",
                          {"ok": False, "feedback": f"The tests failed:\n{tail}"})
