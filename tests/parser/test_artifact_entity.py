"""The parser's contribution to the agents' CodeArtifact entity: `analysis` via @requires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from common.federation import subgraph_sdl
from subgraphs.parser.app import create_app
from subgraphs.parser.schema import schema
from subgraphs.parser.service import ParserSettings

ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on CodeArtifact { id analysis { language findings { ruleId severity line } syntaxErrors { line } } } } }"""


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ParserSettings(workers=1, timeout_s=5.0))) as c:
        yield c


def entities(client: TestClient, reps: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": ENTITIES, "variables": {"reps": reps}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_sdl_declares_the_entity_with_external_fields_and_requires() -> None:
    sdl = subgraph_sdl(schema)
    assert 'type CodeArtifact @key(fields: "id")' in sdl
    for name in ("source", "path", "language"):
        assert f"{name}: String! @external" in sdl
    assert 'analysis: ParseResult! @requires(fields: "source path language")' in sdl


def test_analysis_of_a_represented_artifact(client: TestClient) -> None:
    reps = [{"__typename": "CodeArtifact", "id": "a1", "path": "solution.py", "language": "python",
             "source": "import os\ndef run(cmd):\n    return os.system(cmd)\n"},
            {"__typename": "CodeArtifact", "id": "a2", "path": "broken.py", "language": "python",
             "source": "def f(:\n    pass\n"}]
    body = entities(client, reps)
    assert "errors" not in body, body
    first, second = body["data"]["_entities"]
    assert first["id"] == "a1" and first["analysis"]["language"] == "python"
    assert first["analysis"]["findings"] and not first["analysis"]["syntaxErrors"]
    assert second["analysis"]["syntaxErrors"]


def test_representation_without_required_fields_is_a_clear_error(client: TestClient) -> None:
    body = entities(client, [{"__typename": "CodeArtifact", "id": "a1"}])
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in str(body)
