"""Executor tests against in-process Strawberry subgraphs and canned subgraph responses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from gateway.execution import SubgraphFetchError, execute_plan
from gateway.planning import plan_operation
from gateway.supergraph import Supergraph, load_supergraph

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "federation"))

from fed_inprocess import CannedFetcher, InProcessFetcher
from fed_subgraphs import supergraph_sdl


@pytest.fixture
def sg() -> Supergraph:
    return load_supergraph(supergraph_sdl("http://users.test/graphql", "http://reviews.test/graphql"))


async def run(
    sg: Supergraph,
    query: str,
    variables: dict[str, Any] | None = None,
    fetcher: Any = None,
    op: str | None = None,
) -> tuple[dict[str, Any], Any]:
    fetcher = fetcher or InProcessFetcher()
    plan = plan_operation(sg, parse(query), op)
    return await execute_plan(sg, plan, variables or {}, fetcher), fetcher


async def test_entity_join_and_document_order(sg: Supergraph) -> None:
    result, fetcher = await run(sg, "{ topReviews { body author { reviewCount name id } } }")
    assert result == {
        "data": {
            "topReviews": [
                {"body": "great", "author": {"reviewCount": 2, "name": "Ada", "id": "u1"}},
                {"body": "meh", "author": {"reviewCount": 1, "name": "Brian", "id": "u2"}},
            ]
        }
    }
    # response keys follow the client's selection order
    assert list(result["data"]["topReviews"][0]["author"]) == ["reviewCount", "name", "id"]
    assert [c[0] for c in fetcher.calls] == ["reviews", "users"]


async def test_duplicate_representations_are_sent_once(sg: Supergraph) -> None:
    _, fetcher = await run(sg, "{ topReviews(first: 3) { author { name } } }")
    reps = fetcher.calls[1][1]["variables"]["representations"]
    assert reps == [{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"}]


async def test_variables_forwarded_only_where_used(sg: Supergraph) -> None:
    query = """
      query Q($filter: UserFilter, $withReviews: Boolean!, $n: Int!) {
        users(filter: $filter) { name reviews @include(if: $withReviews) { body } }
        topReviews(first: $n) { id }
      }
    """
    result, fetcher = await run(sg, query, {"filter": {"nameStartsWith": "A"}, "withReviews": True, "n": 1})
    assert result["data"] == {
        "users": [{"name": "Ada", "reviews": [{"body": "great"}, {"body": "fine"}]}],
        "topReviews": [{"id": "r1"}],
    }
    by_graph: dict[str, list[dict[str, Any]]] = {}
    for graph, body in fetcher.calls:
        by_graph.setdefault(graph, []).append(body)
    users_body = by_graph["users"][0]
    assert set(users_body["variables"]) == {"filter"}
    assert "$filter: UserFilter" in users_body["query"]
    entity_body = next(b for b in by_graph["reviews"] if "_entities" in b["query"])
    assert set(entity_body["variables"]) == {"representations", "withReviews"}
    root_reviews = next(b for b in by_graph["reviews"] if "_entities" not in b["query"])
    assert set(root_reviews["variables"]) == {"n"}


async def test_skip_include_with_variables(sg: Supergraph) -> None:
    query = "query($skip: Boolean!) { me { id name @skip(if: $skip) reviewCount @include(if: $skip) } }"
    result, _ = await run(sg, query, {"skip": True})
    assert result == {"data": {"me": {"id": "u1", "reviewCount": 2}}}
    result, _fetcher = await run(sg, query, {"skip": False})
    assert result == {"data": {"me": {"id": "u1", "name": "Ada"}}}


async def test_enum_value_not_in_api_schema_is_nulled(sg: Supergraph) -> None:
    # u3 has role SECRET, which is @inaccessible: role is Role!, so the user becomes null
    result, _ = await run(sg, '{ user(id: "u3") { name role } }')
    assert result["data"] == {"user": None}
    assert any(e.get("path") == ["user", "role"] for e in result["errors"])


async def test_mutations_run_in_order(sg: Supergraph) -> None:
    query = """
      mutation M($input: ReviewInput!) {
        first: renameUser(id: "u2", name: "Bea") { name }
        addReview(input: $input) { body author { name } }
        second: renameUser(id: "u2", name: "Brian") { name }
      }
    """
    result, fetcher = await run(sg, query, {"input": {"authorId": "u2", "body": "new", "rating": 4}})
    assert result == {
        "data": {
            "first": {"name": "Bea"},
            "addReview": {"body": "new", "author": {"name": "Bea"}},  # between the renames
            "second": {"name": "Brian"},
        }
    }
    assert [c[0] for c in fetcher.calls] == ["users", "reviews", "users", "users"]


async def test_operation_name_selects_operation(sg: Supergraph) -> None:
    doc = "query A { me { id } } query B { topReviews { id } }"
    result, _ = await run(sg, doc, op="B")
    assert result == {"data": {"topReviews": [{"id": "r1"}, {"id": "r2"}]}}


async def test_introspection_mixed_with_federated_fields(sg: Supergraph) -> None:
    result, fetcher = await run(
        sg,
        '{ __typename me { name } __type(name: "Role") { enumValues { name } } s: __schema { queryType { name } } }',
    )
    assert result == {
        "data": {
            "__typename": "Query",
            "me": {"name": "Ada"},
            "__type": {"enumValues": [{"name": "ADMIN"}, {"name": "MEMBER"}]},
            "s": {"queryType": {"name": "Query"}},
        }
    }
    assert [c[0] for c in fetcher.calls] == ["users"]


async def test_failed_subgraph_gives_partial_data(sg: Supergraph) -> None:
    result, _ = await run(
        sg, "{ topReviews { body author { name } } }", fetcher=InProcessFetcher(fail={"users"})
    )
    # name is String! -> author (User!) -> the review item (Review!) -> topReviews is [Review!]! -> data null
    assert result["data"] is None
    err = result["errors"][0]
    assert err["extensions"] == {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": "users"}

    result, _ = await run(sg, "{ me { name reviewCount } }", fetcher=InProcessFetcher(fail={"reviews"}))
    assert result["data"] == {"me": None}
    assert result["errors"][0]["extensions"]["code"] == "SUBGRAPH_FETCH_FAILED"


async def test_entity_errors_are_repathed(sg: Supergraph) -> None:
    def users(body: dict[str, Any]) -> Any:
        if "_entities" in body["query"]:
            return {
                "data": {"_entities": [{"__typename": "User", "reviewCount": 1}, None]},
                "errors": [{"message": "boom", "path": ["_entities", 1, "reviewCount"]}],
            }
        return {"data": {"users": [{"__typename": "User", "id": "a"}, {"__typename": "User", "id": "b"}]}}

    def reviews(body: dict[str, Any]) -> Any:
        return users(body)

    fetcher = CannedFetcher({"users": users, "reviews": reviews})
    result, _ = await run(sg, "{ users { id reviewCount } }", fetcher=fetcher)
    # users is [User!]!: the second user's non-null reviewCount is missing -> the list nulls -> data null
    assert result["data"] is None
    assert result["errors"][0]["message"] == "boom"
    assert result["errors"][0]["path"] == ["users", 1, "reviewCount"]


async def test_null_propagation_stops_at_nullable_parent(sg: Supergraph) -> None:
    def users(body: dict[str, Any]) -> Any:
        return {"data": {"me": {"__typename": "User", "id": "u1", "name": None}}}

    result, _ = await run(sg, "{ me { id name } }", fetcher=CannedFetcher({"users": users}))
    assert result["data"] == {"me": None}
    assert result["errors"][0]["path"] == ["me", "name"]


async def test_fetch_error_exception_type(sg: Supergraph) -> None:
    fetcher = CannedFetcher({"users": SubgraphFetchError("HTTP 502")})
    result, _ = await run(sg, "{ me { id } }", fetcher=fetcher)
    assert result == {
        "data": {"me": None},
        "errors": [
            {"message": "HTTP 502", "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": "users"}}
        ],
    }


async def test_client_alias_colliding_with_key_field(sg: Supergraph) -> None:
    result, fetcher = await run(sg, "{ me { id: name reviewCount } }")
    assert result == {"data": {"me": {"id": "Ada", "reviewCount": 2}}}
    reps = fetcher.calls[1][1]["variables"]["representations"]
    assert reps == [{"__typename": "User", "id": "u1"}]
