"""Request handling of the agents subgraph, independent of GraphQL types.

Validates input before anything is written (so bad input never leaves a
half-written row), and streams task events: subscribe to the bus first, then
replay the table from ``since``, then forward live events de-duplicated by
``seq``, filling any gap from the table, so the seam has no gap or duplicate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from common.errors import CodedError
from subgraphs.agents.agents import SUPPORTED_LANGUAGES
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.events import TaskEventRecord
from subgraphs.agents.models import TaskRow, TaskStatus
from subgraphs.agents.store import NewTask, TaskStore

# How long a live stream waits for the bus before re-reading the table (covers lost pub/sub messages).
EVENT_POLL_S = 2.0


@dataclass(frozen=True, slots=True)
class TaskInput:
    prompt: str
    language: str | None = None
    entry_point: str | None = None
    tests: str | None = None
    max_attempts: int | None = None
    budget_usd: float | None = None
    route: str | None = None


def _bad(message: str, field: str) -> CodedError:
    return CodedError(message, "BAD_USER_INPUT", field=field)


class AgentsService:
    def __init__(self, settings: AgentsSettings, store: TaskStore, wake: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.wake = wake

    def validate(self, data: TaskInput) -> NewTask:
        s = self.settings
        prompt = data.prompt.strip()
        if not prompt:
            raise _bad("prompt must not be empty", "prompt")
        if len(data.prompt) > s.max_prompt_chars:
            raise _bad(f"prompt is {len(data.prompt)} characters; the limit is {s.max_prompt_chars}", "prompt")
        language = (data.language or "python").strip().lower()
        if language not in SUPPORTED_LANGUAGES:
            raise CodedError(f"language {language!r} is not supported", "BAD_USER_INPUT", field="language",
                             supported=list(SUPPORTED_LANGUAGES))
        if data.entry_point is not None and not data.entry_point.isidentifier():
            raise _bad("entryPoint must be a function name", "entryPoint")
        if data.tests is not None and len(data.tests) > s.max_tests_chars:
            raise _bad(f"tests are {len(data.tests)} characters; the limit is {s.max_tests_chars}", "tests")
        attempts = s.default_max_attempts if data.max_attempts is None else data.max_attempts
        if not 1 <= attempts <= s.max_attempts_limit:
            raise _bad(f"maxAttempts must be between 1 and {s.max_attempts_limit}", "maxAttempts")
        if data.budget_usd is not None and not data.budget_usd > 0:
            raise _bad("budgetUsd must be positive", "budgetUsd")
        if data.route is not None and not (0 < len(data.route) <= 128):
            raise _bad("route must be 1-128 characters", "route")
        tests = data.tests if data.tests and data.tests.strip() else None
        return NewTask(data.prompt, language, data.entry_point, tests, attempts, data.budget_usd, data.route)

    async def create_task(self, data: TaskInput) -> TaskRow:
        task = await self.store.create_task(self.validate(data))
        if self.wake is not None:
            self.wake()
        return task

    async def cancel_task(self, task_id: str) -> TaskRow:
        return await self.store.cancel_task(task_id)

    async def retry_task(self, task_id: str) -> TaskRow:
        task = await self.store.retry_task(task_id)
        if self.wake is not None:
            self.wake()
        return task

    async def task(self, task_id: str) -> TaskRow | None:
        return await self.store.get_task(task_id)

    async def tasks(self, status: TaskStatus | None, first: int | None, after: str | None
                    ) -> tuple[list[TaskRow], bool]:
        size = 20 if first is None else first
        if not 0 < size <= self.settings.page_size_limit:
            raise _bad(f"first must be between 1 and {self.settings.page_size_limit}", "first")
        return await self.store.list_tasks(status, size, after)

    async def events(self, task_id: str, since: int | None) -> AsyncIterator[TaskEventRecord]:
        if since is not None and since < 0:
            raise _bad("since must be >= 0", "since")
        await self.store.require_task(task_id)
        last = since or 0
        async with self.store.bus.subscribe(task_id) as live:
            for event in await self.store.events(task_id, after=last):
                yield event
                last = event.seq
            while True:
                received = await live.next(EVENT_POLL_S)
                if received is None:
                    for missed in await self.store.events(task_id, after=last):
                        yield missed
                        last = missed.seq
                    continue
                if received.seq <= last:
                    continue
                if received.seq > last + 1:
                    for missed in await self.store.events(task_id, after=last, upto=received.seq - 1):
                        yield missed
                        last = missed.seq
                yield received
                last = received.seq
