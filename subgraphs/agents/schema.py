"""The agents subgraph's GraphQL contract (Strawberry, Federation 2)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from common.errors import CodedError
from common.federation import federation_schema
from subgraphs.agents import models
from subgraphs.agents.events import TaskEventRecord
from subgraphs.agents.service import AgentsService, TaskInput
from subgraphs.agents.store import encode_cursor


@strawberry.enum
class TaskStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class AgentRole(Enum):
    GENERATOR = "GENERATOR"
    VALIDATOR = "VALIDATOR"
    TESTER = "TESTER"


@strawberry.enum
class StepStatus(Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TaskEventKind = strawberry.enum(models.TaskEventKind, name="TaskEventKind")


def _service(info: Info) -> AgentsService:
    service: AgentsService = info.context["agents"]
    return service


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)],
                            description="An LLM generation, owned by the LLM subgraph (only its id is stored here).")
class Generation:
    id: strawberry.ID


@strawberry.type
class AgentStep:
    id: strawberry.ID
    agent: AgentRole
    attempt: int
    status: StepStatus
    summary: str | None
    started_at: datetime | None
    finished_at: datetime | None
    generation: Generation | None


@strawberry.federation.type(keys=["id"])
class CodeArtifact:
    id: strawberry.ID
    path: str
    language: str
    source: str

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CodeArtifact | None:
        row = await _service(info).store.artifact(str(id))
        return None if row is None else to_artifact(row)


@strawberry.federation.type(keys=["id"])
class Task:
    id: strawberry.ID
    status: TaskStatus
    prompt: str
    language: str
    attempts: int
    cost_usd: float
    error: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Steps of the current run, in order.")
    async def steps(self, info: Info) -> list[AgentStep]:
        task = await _service(info).store.get_task(str(self.id))
        run = task.run if task is not None else None
        return [to_step(s) for s in await _service(info).store.steps(str(self.id), run=run)]

    @strawberry.field(description="Generated solutions and designed tests, oldest first.")
    async def artifacts(self, info: Info) -> list[CodeArtifact]:
        return [to_artifact(a) for a in await _service(info).store.artifacts(str(self.id))]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Task | None:
        row = await _service(info).task(str(id))
        return None if row is None else to_task(row)


@strawberry.type
class TaskEvent:
    seq: int
    task_id: strawberry.ID
    kind: TaskEventKind  # type: ignore[valid-type]
    at: datetime
    message: str | None
    step_id: strawberry.Private[str | None]

    @strawberry.field
    async def step(self, info: Info) -> AgentStep | None:
        if self.step_id is None:
            return None
        row = await _service(info).store.step(self.step_id)
        return None if row is None else to_step(row)

    @strawberry.field(description="The task as it is now (not as it was at this event).")
    async def task(self, info: Info) -> Task:
        return to_task(await _service(info).store.require_task(str(self.task_id)))


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class TaskEdge:
    cursor: str
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo


@strawberry.input
class CreateTaskInput:
    # UNSET (not None) defaults keep the SDL free of `= null`, exactly as the contract spells it.
    prompt: str
    language: str | None = strawberry.UNSET
    entry_point: str | None = strawberry.UNSET
    tests: str | None = strawberry.UNSET
    max_attempts: int | None = strawberry.UNSET
    budget_usd: float | None = strawberry.UNSET
    route: str | None = strawberry.UNSET


def _opt(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


def to_task(row: models.TaskRow) -> Task:
    return Task(id=strawberry.ID(row.id), status=TaskStatus(row.status), prompt=row.prompt, language=row.language,
                attempts=row.attempts, cost_usd=row.cost_usd, error=row.error,
                created_at=models.aware(row.created_at), updated_at=models.aware(row.updated_at))


def to_step(row: models.StepRow) -> AgentStep:
    return AgentStep(id=strawberry.ID(row.id), agent=AgentRole(row.agent), attempt=row.attempt,
                     status=StepStatus(row.status), summary=row.summary,
                     started_at=models.aware(row.started_at) if row.started_at else None,
                     finished_at=models.aware(row.finished_at) if row.finished_at else None,
                     generation=Generation(id=strawberry.ID(row.generation_id)) if row.generation_id else None)


def to_artifact(row: models.ArtifactRow) -> CodeArtifact:
    return CodeArtifact(id=strawberry.ID(row.id), path=row.path, language=row.language, source=row.source)


def to_event(event: TaskEventRecord) -> TaskEvent:
    return TaskEvent(seq=event.seq, task_id=strawberry.ID(event.task_id),
                     kind=models.TaskEventKind(event.kind), at=event.at, message=event.message,
                     step_id=event.step_id)


def _task_id(value: strawberry.ID) -> str:
    text = str(value)
    if not text or len(text) > 64:
        raise CodedError(f"Task {text!r} does not exist", "TASK_NOT_FOUND", id=text)
    return text


@strawberry.type
class Query:
    @strawberry.field
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        row = await _service(info).task(_task_id(id))
        return None if row is None else to_task(row)

    @strawberry.field(description="Newest first; `after` takes `pageInfo.endCursor`.")
    async def tasks(self, info: Info, status: TaskStatus | None = strawberry.UNSET,
                    first: int | None = strawberry.UNSET, after: str | None = strawberry.UNSET) -> TaskConnection:
        status, first, after = _opt(status), _opt(first), _opt(after)
        rows, more = await _service(info).tasks(models.TaskStatus(status.value) if status else None, first, after)
        edges = [TaskEdge(cursor=encode_cursor(r), node=to_task(r)) for r in rows]
        return TaskConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                              end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Queue a code-generation task.")
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        row = await _service(info).create_task(TaskInput(
            prompt=input.prompt, language=_opt(input.language), entry_point=_opt(input.entry_point),
            tests=_opt(input.tests), max_attempts=_opt(input.max_attempts), budget_usd=_opt(input.budget_usd),
            route=_opt(input.route)))
        return to_task(row)

    @strawberry.mutation(description="Stop a queued or running task (its sandbox and LLM call are killed).")
    async def cancel_task(self, info: Info, id: strawberry.ID) -> Task:
        return to_task(await _service(info).cancel_task(_task_id(id)))

    @strawberry.mutation(description="Queue a FAILED or CANCELLED task again (a new run).")
    async def retry_task(self, info: Info, id: strawberry.ID) -> Task:
        return to_task(await _service(info).retry_task(_task_id(id)))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Events of a task with seq > since (all when omitted), then live ones.")
    async def task_events(self, info: Info, task_id: strawberry.ID, since: int | None = strawberry.UNSET
                          ) -> AsyncGenerator[TaskEvent, None]:
        stream = _service(info).events(_task_id(task_id), _opt(since))
        try:
            async for event in stream:
                yield to_event(event)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]


schema = federation_schema(query=Query, mutation=Mutation, subscription=Subscription,
                           types=[Generation, CodeArtifact, Task])
