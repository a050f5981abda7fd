"""The agents subgraph over HTTP: contract, bad input, pagination, entities, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.federation import subgraph_sdl
from common.settings import Settings
from subgraphs.agents.app import create_app
from subgraphs.agents.clients import LlmReply, LocalPythonParser, ScriptedLlmClient
from subgraphs.agents.config import AgentsSettings
from subgraphs.agents.schema import schema
from tests.agents.conftest import FAST, fence

GOOD = "def add(a, b):\n    return a + b\n"
TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


class _LeakyLlm:
    async def generate(self, **_: Any) -> LlmReply:
        raise RuntimeError("provider said: invalid key sk-live-SECRET")

    async def close(self) -> None:
        return None


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(AgentsSettings(**FAST), Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"}),
                     llm=ScriptedLlmClient([fence(GOOD)], cost_usd=0.001), parser=LocalPythonParser())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://agents") as c:
        yield c


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id status } }"


async def wait_done(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    for _ in range(200):
        task = (await gql(client, "query($id: ID!) { task(id: $id) { status error costUsd attempts "
                                  "artifacts { id path } } }", id=task_id))["data"]["task"]
        if task["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return dict(task)
        await asyncio.sleep(0.05)
    raise AssertionError("task did not finish")


def test_sdl_matches_the_contract() -> None:
    sdl = subgraph_sdl(schema)
    for fragment in ('type Task @key(fields: "id")', 'type CodeArtifact @key(fields: "id")',
                     'type Generation @key(fields: "id", resolvable: false)',
                     "taskEvents(taskId: ID!, since: Int): TaskEvent!",
                     "tasks(status: TaskStatus, first: Int, after: String): TaskConnection!",
                     "createTask(input: CreateTaskInput!): Task!", "  language: String\n  entryPoint: String\n", "cancelTask(id: ID!): Task!",
                     "retryTask(id: ID!): Task!", "enum AgentRole", "enum TaskEventKind", "costUsd: Float!",
                     "generation: Generation", "steps: [AgentStep!]!", "artifacts: [CodeArtifact!]!"):
        assert fragment in sdl, fragment


async def test_create_run_and_metrics(client: httpx.AsyncClient) -> None:
    body = await gql(client, CREATE, input={"prompt": "add", "entryPoint": "add", "tests": TESTS})
    task = await wait_done(client, body["data"]["createTask"]["id"])
    assert task["status"] == "SUCCEEDED" and task["attempts"] == 1 and task["costUsd"] == pytest.approx(0.001)
    await asyncio.sleep(0.3)  # one metrics refresh
    text = (await client.get("/metrics")).text
    assert 'agents_tasks{status="SUCCEEDED"} 1.0' in text
    assert "agents_queue_depth 0.0" in text
    assert 'agents_step_duration_seconds_count{agent="TESTER",kind="test"} 1.0' in text
    assert (await client.get("/readiness")).json()["status"] == "ready"


@pytest.mark.parametrize(("fields", "field"), [
    ({"prompt": "   "}, "prompt"), ({"prompt": "x", "language": "cobol"}, "language"),
    ({"prompt": "x", "maxAttempts": 0}, "maxAttempts"), ({"prompt": "x", "maxAttempts": 99}, "maxAttempts"),
    ({"prompt": "x", "budgetUsd": -1.0}, "budgetUsd"), ({"prompt": "x", "entryPoint": "not a name"}, "entryPoint"),
    ({"prompt": "x" * 100_001}, "prompt"),
])
async def test_bad_input_is_rejected_without_writing(client: httpx.AsyncClient, fields: dict[str, Any],
                                                     field: str) -> None:
    body = await gql(client, CREATE, input=fields)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == field
    listed = await gql(client, "{ tasks { edges { node { id } } } }")
    assert listed["data"]["tasks"]["edges"] == []


async def test_pagination_and_lookup_errors(client: httpx.AsyncClient) -> None:
    ids = [(await gql(client, CREATE, input={"prompt": f"t{i}", "tests": TESTS}))["data"]["createTask"]["id"]
           for i in range(5)]
    query = "query($after: String) { tasks(first: 2, after: $after) { edges { cursor node { id } } " \
            "pageInfo { hasNextPage endCursor } } }"
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = (await gql(client, query, after=after))["data"]["tasks"]
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == list(reversed(ids))
    for bad, code in (("{ tasks(first: 0) { edges { cursor } } }", "BAD_USER_INPUT"),
                      ('{ tasks(after: "garbage!") { edges { cursor } } }', "BAD_USER_INPUT"),
                      ('mutation { retryTask(id: "nope") { id } }', "TASK_NOT_FOUND")):
        assert (await gql(client, bad))["errors"][0]["extensions"]["code"] == code, bad
    assert (await gql(client, '{ task(id: "nope") { id } }'))["data"] == {"task": None}


async def test_entities_resolve_tasks_and_artifacts(client: httpx.AsyncClient) -> None:
    task_id = (await gql(client, CREATE, input={"prompt": "add", "entryPoint": "add", "tests": TESTS}
                         ))["data"]["createTask"]["id"]
    task = await wait_done(client, task_id)
    artifact_id = task["artifacts"][0]["id"]
    body = await gql(client, """query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Task { id status } ... on CodeArtifact { id path source } } }""",
                     reps=[{"__typename": "Task", "id": task_id},
                           {"__typename": "CodeArtifact", "id": artifact_id}])
    first, second = body["data"]["_entities"]
    assert first == {"id": task_id, "status": "SUCCEEDED"}
    assert second["path"] == "solution.py" and second["source"] == GOOD


async def test_unexpected_errors_fail_the_task_without_leaking(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(AgentsSettings(**FAST), Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"}),
                     llm=_LeakyLlm(), parser=LocalPythonParser())
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://agents") as c:
        task_id = (await gql(c, CREATE, input={"prompt": "add", "tests": TESTS}))["data"]["createTask"]["id"]
        task = await wait_done(c, task_id)
        events = await gql(c, "query($id: ID!) { task(id: $id) { steps { summary } error } }", id=task_id)
    assert task["status"] == "FAILED" and "SECRET" not in str(task) and "SECRET" not in str(events)
    assert "Traceback" not in str(events)
