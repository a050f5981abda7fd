"""Supergraph loading: API schema derivation, join metadata, Fed 1 (join v0.1) and errors."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from graphql import print_schema

from gateway.supergraph import SupergraphError, load_supergraph
from tests.support import AUDIT_CASES as CASES
from tests.support import require

FIXTURES = Path(__file__).parent / "fixtures" / "federation"
sys.path.insert(0, str(FIXTURES))

from fed_subgraphs import supergraph_sdl  # noqa: E402


def test_api_schema_strips_machinery_and_inaccessible() -> None:
    sdl = supergraph_sdl("http://u/graphql", "http://r/graphql")
    sg = load_supergraph(sdl)
    printed = print_schema(sg.api_schema)
    for marker in ("join__", "link__", "@link", "@inaccessible", "SECRET", "@join"):
        assert marker not in printed
    assert '"""A registered user."""' in printed
    assert '"""Display name"""' in printed
    assert sg.subgraph_urls == {"reviews": "http://r/graphql", "users": "http://u/graphql"}
    assert sg.hash == hashlib.sha256(sdl.encode()).hexdigest()
    assert sg.api_schema.mutation_type is not None


def test_join_metadata() -> None:
    sg = load_supergraph(supergraph_sdl("http://u", "http://r"))
    user = sg.types["User"]
    assert user.graphs == {"USERS", "REVIEWS"}
    assert {(k.graph, k.fields, k.resolvable) for k in user.keys} == {
        ("USERS", "id", True),
        ("REVIEWS", "id", True),
    }
    assert [fg.graph for fg in sg.field_graphs("User", "name")] == ["USERS"]
    # no @join__field: every graph defining the type has the field
    assert sorted(fg.graph for fg in sg.field_graphs("User", "id")) == ["REVIEWS", "USERS"]


def test_fed1_core_supergraph_loads() -> None:
    sg = load_supergraph((FIXTURES / "fed1_supergraph.graphql").read_text())
    printed = print_schema(sg.api_schema)
    assert "core__" not in printed and "join__" not in printed and "@core" not in printed
    assert '"""A product in the catalogue."""' in printed
    assert sg.join_version == "0.1"
    # the key field of the extending graph is answerable there
    assert sorted(fg.graph for fg in sg.field_graphs("Product", "upc")) == ["PRODUCTS", "REVIEWS"]


def test_link_as_renames_join() -> None:
    sdl = supergraph_sdl("http://u", "http://r")
    renamed = sdl.replace('join/v0.3", for: EXECUTION)', 'join/v0.3", as: "j", for: EXECUTION)').replace(
        "join__", "j__"
    )
    sg = load_supergraph(renamed)
    assert "j__" not in print_schema(sg.api_schema)
    assert sg.subgraph_urls["users"] == "http://u"


@pytest.mark.parametrize(
    "sdl",
    [
        "type Query {",  # syntax error
        "type Query { a: Int }",  # no schema definition / join
        'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query } type Query { a: Int }',
        'schema @link(url: "https://specs.apollo.dev/join/v9.9") { query: Query } type Query { a: Int }',
    ],
)
def test_bad_supergraphs_raise(sdl: str) -> None:
    with pytest.raises(SupergraphError):
        load_supergraph(sdl)


def test_every_audit_supergraph_loads() -> None:
    require(CASES.exists(), f"{CASES} not available")
    data = json.loads(CASES.read_text())
    for suite in data["suites"]:
        sg = load_supergraph(suite["supergraph_sdl"])
        assert "join__Graph" not in print_schema(sg.api_schema), suite["name"]
        assert sg.subgraph_urls


def test_fed1_supergraph_plans_entity_jumps_both_ways() -> None:
    from graphql import parse

    from gateway.planning import plan_operation

    sg = load_supergraph((FIXTURES / "fed1_supergraph.graphql").read_text())
    p = plan_operation(sg, parse("{ latestReviews { body product { upc name } } }"), None).to_dict()
    seq = p["node"]["nodes"]
    assert seq[0]["serviceName"] == "reviews"
    assert seq[0]["operation"] == "query { latestReviews { __typename body product { __typename upc } } }"
    assert seq[1]["path"] == ["latestReviews", "@", "product"]
    assert seq[1]["node"]["serviceName"] == "products"
    p = plan_operation(sg, parse("{ topProducts { name reviews { body } } }"), None).to_dict()
    assert [n.get("serviceName") or n["node"]["serviceName"] for n in p["node"]["nodes"]] == [
        "products",
        "reviews",
    ]
