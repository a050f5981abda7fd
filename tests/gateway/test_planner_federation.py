"""Planner tests for federation directives on small inline supergraphs (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from gateway.planning import FlattenNode, PlanningError, QueryPlan, plan_operation
from gateway.supergraph import Supergraph, load_supergraph

HEADER = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{ query: Query }
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String,
  external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true,
  isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
"""


def supergraph(graphs: list[str], body: str) -> Supergraph:
    values = "\n".join(
        f'  {g.upper()} @join__graph(name: "{g}", url: "http://{g}.test/graphql")' for g in graphs
    )
    return load_supergraph(HEADER + "enum join__Graph {\n" + values + "\n}\n" + body)


def fetches(p: QueryPlan) -> list[tuple[str, list[str] | None, str]]:
    out: list[tuple[str, list[str] | None, str]] = []

    def walk(node: dict[str, Any], path: list[str] | None = None) -> None:
        if node["kind"] == "Fetch":
            out.append((node["serviceName"], path, node["operation"]))
        elif node["kind"] == "Flatten":
            walk(node["node"], node["path"])
        else:
            for n in node["nodes"]:
                walk(n)

    if p.node is not None:
        walk(p.to_dict()["node"])
    return out


def plan(sg: Supergraph, query: str) -> QueryPlan:
    return plan_operation(sg, parse(query), None)


ENTITY = "query($representations: [_Any!]!) { _entities(representations: $representations) { "


def test_key_chain_through_a_third_subgraph() -> None:
    sg = supergraph(
        ["a", "b", "c"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) {
          user: User @join__field(graph: A)
        }
        type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: B, key: "email")
                  @join__type(graph: C, key: "email") {
          id: ID! @join__field(graph: A) @join__field(graph: B)
          email: String! @join__field(graph: B) @join__field(graph: C)
          score: Int @join__field(graph: C)
        }
        """,
    )
    assert fetches(plan(sg, "{ user { score } }")) == [
        ("a", None, "query { user { __typename id } }"),
        ("b", ["user"], ENTITY + "... on User { __typename email } } }"),
        ("c", ["user"], ENTITY + "... on User { __typename score } } }"),
    ]


def test_non_resolvable_key_is_never_entered() -> None:
    sg = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) { post: Post @join__field(graph: B) }
        type Post @join__type(graph: B) { author: User! }
        type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id", resolvable: false) {
          id: ID!
          name: String @join__field(graph: A)
        }
        """,
    )
    assert [f[0] for f in fetches(plan(sg, "{ post { author { id name } } }"))] == ["b", "a"]
    sg2 = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) { user: User @join__field(graph: A) }
        type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id", resolvable: false) {
          id: ID!
          secret: String @join__field(graph: B)
        }
        """,
    )
    with pytest.raises(PlanningError):
        plan(sg2, "{ user { secret } }")


def test_override_uses_the_new_owner() -> None:
    sg = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) { item: Item @join__field(graph: A) }
        type Item @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
          id: ID!
          price: Int @join__field(graph: A, usedOverridden: true) @join__field(graph: B, override: "a")
          gone: Int @join__field(graph: B, override: "legacy")
        }
        """,
    )
    assert fetches(plan(sg, "{ item { price gone } }")) == [
        ("a", None, "query { item { __typename id } }"),
        ("b", ["item"], ENTITY + "... on Item { __typename price gone } } }"),
    ]


def test_shareable_field_taken_from_the_subgraph_already_fetched() -> None:
    sg = supergraph(
        ["a", "b", "c"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) { p: P @join__field(graph: A) }
        type P @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: C, key: "id") {
          id: ID!
          x: Int @join__field(graph: B)
          y: Int @join__field(graph: B) @join__field(graph: C)
        }
        """,
    )
    # y is shareable between b and c: b is needed anyway for x, so one entity fetch suffices
    assert fetches(plan(sg, "{ p { x y } }")) == [
        ("a", None, "query { p { __typename id } }"),
        ("b", ["p"], ENTITY + "... on P { __typename x y } } }"),
    ]


def test_requires_with_conflicting_arguments_get_aliases_and_separate_fetches() -> None:
    sg = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) { ps: [P] @join__field(graph: B) }
        type P @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
          id: ID!
          price(cur: String!): Int @join__field(graph: A, external: true) @join__field(graph: B)
          usd: Int @join__field(graph: A, requires: "price(cur: \\"USD\\")")
          eur: Int @join__field(graph: A, requires: "price(cur: \\"EUR\\")")
        }
        """,
    )
    p = plan(sg, '{ ps { price(cur: "USD") usd eur } }')
    fs = fetches(p)
    assert fs[0][0] == "b"
    root = fs[0][2]
    assert 'price(cur: "USD")' in root and root.count("_fed_price_") == 2
    assert [f[0] for f in fs[1:]] == ["a", "a"]
    # each representation carries one `price`
    flattens = list(p.node.nodes[1].nodes)  # type: ignore[union-attr]
    for n in flattens:
        assert isinstance(n, FlattenNode)
        assert n.node.reps is not None
        assert [f.name for f in n.node.reps["P"].fields] == ["id", "price"]


def test_nested_provides_and_different_nullability_aliases() -> None:
    sg = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) {
          feed: [Item!]! @join__field(graph: A, provides: "owner { name address { city } }")
        }
        union Item @join__type(graph: A) @join__unionMember(graph: A, member: "X") @join__unionMember(graph: A, member: "Y")
          = X | Y
        type X @join__type(graph: A) { id: ID @join__field(graph: A, type: "ID!") owner: Owner }
        type Y @join__type(graph: A) { id: ID @join__field(graph: A, type: "ID") owner: Owner }
        type Owner @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
          id: ID!
          name: String @join__field(graph: A, external: true) @join__field(graph: B)
          address: Address @join__field(graph: A, external: true) @join__field(graph: B)
        }
        type Address @join__type(graph: A) @join__type(graph: B) { city: String }
        """,
    )
    fs = fetches(plan(sg, "{ feed { ... on X { id owner { name address { city } } } ... on Y { id } } }"))
    assert len(fs) == 1
    op = fs[0][2]
    assert "owner { __typename name address { __typename city } }" in op
    # X.id is ID! and Y.id is ID in the subgraph: one of them is aliased to keep the query valid
    assert "_fa1__id: id" in op


def test_unreachable_field_fails_planning() -> None:
    sg = supergraph(
        ["a", "b"],
        """
        type Query @join__type(graph: A) @join__type(graph: B) { t: T @join__field(graph: A) }
        type T @join__type(graph: A) @join__type(graph: B) { a: Int @join__field(graph: A) b: Int @join__field(graph: B) }
        """,
    )
    with pytest.raises(PlanningError):
        plan(sg, "{ t { a b } }")
