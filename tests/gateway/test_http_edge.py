"""HTTP edge tests: status codes, media types, request shapes, GET/POST, GraphiQL, health.

The pipeline runs with a fake planner/executor (graphql-core executing the API schema
locally), so these tests pin the HTTP layer's behaviour on its own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from graphql import DocumentNode, build_schema, execute

from gateway.config import GatewaySettings
from gateway.http import create_app, negotiate
from gateway.pipeline import Pipeline, PipelineOptions

API_SDL = """
type Query { hello(name: String): String  add(a: Int!, b: Int!): Int }
type Mutation { bump(by: Int! = 1): Int }
"""
GRJ = "application/graphql-response+json"
JSON_CT = {"content-type": "application/json"}


class FakeSupergraph:
    def __init__(self) -> None:
        self.api_schema = build_schema(API_SDL)
        self.hash = "fake-hash"
        self.subgraph_urls: dict[str, str] = {}


class FakePlan:
    def __init__(self, document: DocumentNode, operation_name: str | None) -> None:
        self.document, self.operation_name = document, operation_name

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "QueryPlan"}


class Root:
    hello = staticmethod(lambda _info, name=None: f"Hello, {name or 'world'}!")
    add = staticmethod(lambda _info, a, b: a + b)
    bump = staticmethod(lambda _info, by: by)


def fake_planner(supergraph: Any, document: DocumentNode, operation_name: str | None) -> FakePlan:
    return FakePlan(document, operation_name)


async def fake_executor(supergraph: Any, plan: FakePlan, variables: dict, fetcher: Any) -> dict:
    result = execute(
        supergraph.api_schema,
        plan.document,
        Root,
        variable_values=variables,
        operation_name=plan.operation_name,
    )
    return dict(result.formatted)  # type: ignore[union-attr]


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, behind an in-process httpx client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield client


def make_app(**settings: Any) -> Any:
    config = GatewaySettings(**settings)

    @asynccontextmanager
    async def factory() -> AsyncIterator[Pipeline]:
        yield Pipeline(
            FakeSupergraph(),
            None,
            PipelineOptions(debug_query_plan=config.debug_query_plan),
            planner=fake_planner,
            executor=fake_executor,
        )

    return create_app(config, factory)


def make_client(**settings: Any) -> Any:
    return serve(make_app(**settings))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


async def post(client: httpx.AsyncClient, body: Any, accept: str | None = None) -> httpx.Response:
    headers = dict(JSON_CT)
    if accept is not None:
        headers["accept"] = accept
    return await client.post("/graphql", content=json.dumps(body), headers=headers)


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        (GRJ, GRJ),
        (f"{GRJ}, application/json", GRJ),
        (f"application/json, {GRJ}", GRJ),
        (f"application/json, {GRJ};q=0.9", "application/json"),
        (f"{GRJ};q=0.5, */*", "application/json"),
        ("application/json;charset=utf-8", "application/json"),
        ("text/plain", None),
        ("application/json;q=0", None),
        ("application/json;q=0, */*", None),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
    ],
)
async def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


def test_negotiate_html_only_by_name() -> None:
    assert negotiate("text/html,application/xhtml+xml,*/*;q=0.8", offer_html=True) == "text/html"
    assert negotiate("*/*", offer_html=True) == "application/json"


# --------------------------------------------------------------------------- POST


async def test_post_json(client: httpx.AsyncClient) -> None:
    res = await post(client, {"query": "{ hello }"}, "application/json")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/json")
    assert res.json() == {"data": {"hello": "Hello, world!"}}


async def test_post_graphql_response_json(client: httpx.AsyncClient) -> None:
    res = await post(client, {"query": "{ __typename }"}, GRJ)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith(GRJ)
    assert res.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{", None, "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query ($a: Int!) { add(a: $a, b: 1) }", {"a": None}, "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_status_depends_on_media_type(
    client: httpx.AsyncClient, query: str, variables: Any, code: str
) -> None:
    body = {"query": query, "variables": variables}
    strict = await post(client, body, GRJ)
    assert strict.status_code == 400
    assert "data" not in strict.json()
    assert strict.json()["errors"][0]["extensions"]["code"] == code
    legacy = await post(client, body, "application/json")
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_operation_name_selection(client: httpx.AsyncClient) -> None:
    doc = "query A { hello } query B { add(a: 2, b: 3) }"
    assert (await post(client, {"query": doc, "operationName": "B"})).json() == {"data": {"add": 5}}
    assert (await post(client, {"query": doc, "operationName": "A"})).json() == {
        "data": {"hello": "Hello, world!"}
    }
    unknown = await post(client, {"query": doc, "operationName": "C"}, GRJ)
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_UNKNOWN_OPERATION_NAME"
    ambiguous = await post(client, {"query": doc}, GRJ)
    assert ambiguous.status_code == 400


async def test_variables_and_null_parameters(client: httpx.AsyncClient) -> None:
    res = await post(
        client,
        {"query": "query ($n: String) { hello(name: $n) }", "variables": {"n": "Ada"}, "extensions": None},
    )
    assert res.json() == {"data": {"hello": "Hello, Ada!"}}
    res = await post(
        client, {"query": "{ hello }", "variables": None, "operationName": None, "extensions": {"a": 1}}
    )
    assert res.status_code == 200 and "errors" not in res.json()


@pytest.mark.parametrize(
    "body",
    [
        {"notquery": "{ hello }"},
        {"query": {"obj": "ect"}},
        {"query": 0},
        {"query": ["array"]},
        {"query": "{ hello }", "operationName": 0},
        {"query": "{ hello }", "variables": "string"},
        {"query": "{ hello }", "variables": ["array"]},
        {"query": "{ hello }", "extensions": False},
        ["array", "body"],
        "string",
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRJ])
async def test_bad_request_shapes_are_400(client: httpx.AsyncClient, body: Any, accept: str) -> None:
    res = await post(client, body, accept)
    assert res.status_code == 400
    assert res.json()["errors"][0]["extensions"]["code"] == "INVALID_GRAPHQL_REQUEST"


async def test_persisted_query_without_query(client: httpx.AsyncClient) -> None:
    res = await post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}})
    assert res.status_code == 400
    assert res.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_invalid_json_and_empty_body(client: httpx.AsyncClient) -> None:
    res = await client.post("/graphql", content=b'{ "not a JSON', headers=JSON_CT)
    assert res.status_code == 400
    assert (await client.post("/graphql", headers=JSON_CT)).status_code == 400


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"],
)
async def test_unsupported_content_type(client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    res = await client.post("/graphql", content=b'{"query":"{ hello }"}', headers=headers)
    assert res.status_code == 415


async def test_utf8_charset_and_non_ascii(client: httpx.AsyncClient) -> None:
    res = await client.post(
        "/graphql",
        content=json.dumps({"query": '{ hello(name: "Run🏃Swim🏊") }'}, ensure_ascii=False).encode(),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert res.status_code == 200
    assert res.json() == {"data": {"hello": "Hello, Run🏃Swim🏊!"}}


async def test_not_acceptable(client: httpx.AsyncClient) -> None:
    res = await post(client, {"query": "{ hello }"}, "text/plain")
    assert res.status_code == 406


async def test_oversized_body_is_413() -> None:
    async with make_client(max_request_bytes=64) as c:
        res = await post(c, {"query": "{ hello }", "extensions": {"pad": "x" * 100}})
        assert res.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: enforced while streaming
            yield b'{"query": "{ hello }", "extensions": {"pad": "'
            yield b"x" * 100
            yield b'"}}'

        res = await c.post("/graphql", content=chunks(), headers=JSON_CT)
        assert res.status_code == 413


# --------------------------------------------------------------------------- GET


async def test_get_query(client: httpx.AsyncClient) -> None:
    res = await client.get(
        "/graphql", params={"query": "query ($n: String) { hello(name: $n) }", "variables": '{"n":"G"}'}
    )
    assert res.status_code == 200
    assert res.json() == {"data": {"hello": "Hello, G!"}}


async def test_get_with_operation_name(client: httpx.AsyncClient) -> None:
    params = {"query": "query A { hello } query B { add(a: 1, b: 1) }", "operationName": "B"}
    assert (await client.get("/graphql", params=params)).json() == {"data": {"add": 2}}


@pytest.mark.parametrize("accept", ["application/json", GRJ])
async def test_get_mutation_is_405(client: httpx.AsyncClient, accept: str) -> None:
    res = await client.get(
        "/graphql", params={"query": "mutation { bump(by: 1) }"}, headers={"accept": accept}
    )
    assert res.status_code == 405
    assert res.headers["allow"] == "POST"
    assert "data" not in res.json()


async def test_get_post_mutation_ok(client: httpx.AsyncClient) -> None:
    assert (await post(client, {"query": "mutation { bump(by: 4) }"})).json() == {"data": {"bump": 4}}


async def test_get_bad_variables_json(client: httpx.AsyncClient) -> None:
    res = await client.get("/graphql", params={"query": "{ hello }", "variables": "{nope"})
    assert res.status_code == 400


async def test_get_without_query_is_400(client: httpx.AsyncClient) -> None:
    assert (await client.get("/graphql", headers={"accept": "application/json"})).status_code == 400


async def test_graphiql_for_browsers(client: httpx.AsyncClient) -> None:
    res = await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    assert "graphiql" in res.text.lower()
    async with make_client(graphiql=False) as c:
        res = await c.get("/graphql", headers={"accept": "text/html"})
        assert res.status_code == 406


async def test_other_methods_not_allowed(client: httpx.AsyncClient) -> None:
    assert (await client.put("/graphql", content=b"{}")).status_code == 405


# --------------------------------------------------------------------------- debug, health


async def test_debug_query_plan_off_by_default(client: httpx.AsyncClient) -> None:
    assert "extensions" not in (await post(client, {"query": "{ hello }"})).json()
    async with make_client(debug_query_plan=True) as c:
        assert (await post(c, {"query": "{ hello }"})).json()["extensions"]["queryPlan"] == {
            "kind": "QueryPlan"
        }


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    res = await client.get("/readiness")
    assert res.status_code == 200
    assert res.json() == {"status": "ready", "schemaHash": "fake-hash"}


async def test_readiness_before_lifespan() -> None:
    transport = httpx.ASGITransport(app=make_app())  # lifespan not run: nothing loaded
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        res = await c.get("/readiness")
    assert res.status_code == 503


async def test_unexpected_error_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    config = GatewaySettings()

    class ExplodingPipeline:
        schema_hash = "x"

        async def run(self, *_a: Any, **_k: Any) -> Any:
            raise RuntimeError("traceback material")

    @asynccontextmanager
    async def factory() -> AsyncIterator[Any]:
        yield ExplodingPipeline()

    async with serve(create_app(config, factory)) as c:
        res = await post(c, {"query": "{ hello }"}, GRJ)
    assert res.status_code == 500
    assert res.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "traceback material" not in res.text
    assert "traceback material" in caplog.text
