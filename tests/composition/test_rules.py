"""Focused composition rules: each error rule fails with Apollo's code and a message naming
subgraph, type and field; each merge rule produces the documented supergraph shape."""

from __future__ import annotations

import pytest

from composition import CompositionResult, SubgraphDefinition, compose
from composition.api_schema import api_schema_sdl, join_metadata

FED2 = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [{imports}])\n'
ALL = '"@key", "@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible", "@tag", "@interfaceObject"'


def fed2(sdl: str) -> str:
    return FED2.format(imports=ALL) + sdl


def run(**subgraphs: str) -> CompositionResult:
    return compose([SubgraphDefinition(n, f"http://{n}/graphql", sdl) for n, sdl in subgraphs.items()])


def ok(**subgraphs: str) -> str:
    result = run(**subgraphs)
    assert result.errors == [], result.errors
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


def error(code: str, **subgraphs: str) -> str:
    result = run(**subgraphs)
    assert result.supergraph_sdl is None
    matching = [e.message for e in result.errors if e.code == code]
    assert matching, result.errors
    return matching[0]


def field_line(sdl: str, type_name: str, field_name: str) -> str:
    in_type = False
    for line in sdl.splitlines():
        if line.startswith(("type ", "interface ", "input ", "enum ")):
            in_type = line.split()[1] == type_name
        elif in_type and line.strip().startswith(field_name):
            rest = line.strip()[len(field_name):]
            if rest[:1] in (":", "(", " ", ""):
                return line.strip()
    raise AssertionError(f"{type_name}.{field_name} not in supergraph")


# ---- sharing ----------------------------------------------------------------------------------


def test_non_shareable_field_in_two_subgraphs() -> None:
    msg = error(
        "INVALID_FIELD_SHARING",
        a=fed2("type Query { a: Int }\ntype User @key(fields: \"id\") { id: ID! name: String }"),
        b=fed2("type Query { b: Int }\ntype User @key(fields: \"id\") { id: ID! name: String }"),
    )
    assert msg == ('Non-shareable field "User.name" is resolved from multiple subgraphs: it is resolved from '
                   'subgraphs "a" and "b" and defined as non-shareable in all of them')


def test_shareable_in_one_only_names_the_other() -> None:
    msg = error(
        "INVALID_FIELD_SHARING",
        a=fed2("type Query { a: Int }\ntype User @key(fields: \"id\") { id: ID! name: String @shareable }"),
        b=fed2("type Query { b: Int }\ntype User @key(fields: \"id\") { id: ID! name: String }"),
    )
    assert 'defined as non-shareable in subgraph "b"' in msg


def test_shareable_root_fields() -> None:
    sdl = ok(a=fed2("type Query { me: String @shareable }"), b=fed2("type Query { me: String @shareable }"))
    assert field_line(sdl, "Query", "me") == "me: String"
    msg = error("INVALID_FIELD_SHARING", a=fed2("type Query { me: String }"), b=fed2("type Query { me: String }"))
    assert '"Query.me"' in msg


def test_key_fields_are_implicitly_shareable() -> None:
    sdl = ok(
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! a: Int }'),
        b=fed2('type User @key(fields: "id") { id: ID! b: Int }'),
    )
    assert field_line(sdl, "User", "id") == "id: ID!"
    assert field_line(sdl, "User", "b") == "b: Int @join__field(graph: B)"


# ---- @key / @requires / @provides ---------------------------------------------------------------


def test_key_on_unknown_field() -> None:
    msg = error("KEY_INVALID_FIELDS", a=fed2('type Query { u: User }\ntype User @key(fields: "uid") { id: ID! }'))
    assert msg.startswith('[a] On type "User", for @key(fields: "uid"): Cannot query field "uid" on type "User"')


def test_key_selecting_an_interface() -> None:
    msg = error(
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        a=fed2('type Query { u: User }\ninterface Node { id: ID! }\ntype N implements Node { id: ID! }\n'
               'type User @key(fields: "node { id }") { node: Node }'),
    )
    assert 'field "User.node" is a Interface type which is not allowed in @key' in msg
    assert msg.startswith("[a]")


def test_requires_on_missing_field() -> None:
    msg = error(
        "REQUIRES_INVALID_FIELDS",
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! weight: Int }'),
        b=fed2('type User @key(fields: "id") { id: ID! ship: Int @requires(fields: "weight") }'),
    )
    assert msg.startswith('[b] On field "User.ship", for @requires(fields: "weight"): Cannot query field "weight"')


def test_requires_on_non_external_field() -> None:
    msg = error(
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! weight: Int @shareable }'),
        b=fed2('type User @key(fields: "id") { id: ID! weight: Int @shareable ship: Int @requires(fields: "weight") }'),
    )
    assert 'field "User.weight" should not be part of a @requires' in msg and msg.startswith("[b]")


def test_provides_on_non_external_field() -> None:
    msg = error(
        "PROVIDES_FIELDS_MISSING_EXTERNAL",
        a=fed2('type Query { u: User @provides(fields: "name") }\ntype User @key(fields: "id") { id: ID! name: String }'),
    )
    assert msg.startswith('[a] On field "Query.u", for @provides(fields: "name"): field "User.name" should not be')


def test_provides_on_scalar_field() -> None:
    msg = error("PROVIDES_ON_NON_OBJECT_FIELD", a=fed2('type Query { n: String @provides(fields: "x") }'))
    assert '"Query.n"' in msg


def test_requires_and_provides_are_recorded() -> None:
    sdl = ok(
        a=fed2('type Query { u: User @provides(fields: "name") }\n'
               'type User @key(fields: "id") { id: ID! name: String @external w: Int @external '
               'ship: Int @requires(fields: "w") }'),
        b=fed2('type User @key(fields: "id") { id: ID! name: String @shareable w: Int }'),
    )
    assert field_line(sdl, "Query", "u") == 'u: User @join__field(graph: A, provides: "name")'
    assert field_line(sdl, "User", "ship") == 'ship: Int @join__field(graph: A, requires: "w")'
    assert field_line(sdl, "User", "w") == "w: Int @join__field(graph: A, external: true) @join__field(graph: B)"


def test_external_everywhere() -> None:
    msg = error(
        "EXTERNAL_MISSING_ON_BASE",
        a=fed2('type Query { u: User @provides(fields: "name") }\n'
               'type User @key(fields: "id") { id: ID! name: String @external }'),
    )
    assert msg == 'Field "User.name" is marked @external on all the subgraphs in which it is listed (subgraph "a").'


def test_unused_external() -> None:
    msg = error(
        "EXTERNAL_UNUSED",
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! name: String @external }'),
        b=fed2('type User @key(fields: "id") { id: ID! name: String }'),
    )
    assert msg.startswith('[a] Field "User.name" is marked @external but is not used')


# ---- types -------------------------------------------------------------------------------------


def test_incompatible_field_types() -> None:
    msg = error(
        "FIELD_TYPE_MISMATCH",
        a=fed2("type Query { a: Int }\ntype T @shareable { f: String }"),
        b=fed2("type Query { b: T }\ntype T @shareable { f: Int }"),
    )
    assert msg == ('Type of field "T.f" is incompatible across subgraphs: it has type "String" in subgraph "a" '
                   'but type "Int" in subgraph "b"')


def test_output_nullability_merges_to_nullable_and_records_types() -> None:
    sdl = ok(
        a=fed2("type Query { a: T }\ntype T @shareable { f: String! l: [Int!]! }"),
        b=fed2("type Query { b: T }\ntype T @shareable { f: String l: [Int] }"),
    )
    assert field_line(sdl, "T", "f") == ('f: String @join__field(graph: A, type: "String!") '
                                         '@join__field(graph: B, type: "String")')
    assert field_line(sdl, "T", "l").startswith("l: [Int] ")


def test_argument_types_merge_to_non_null_and_intersect() -> None:
    sdl = ok(
        a=fed2("type Query { a: T }\ntype T @shareable { f(x: Int, y: Int): Int }"),
        b=fed2("type Query { b: T }\ntype T @shareable { f(x: Int!): Int }"),
    )
    assert field_line(sdl, "T", "f") == "f(x: Int!): Int"


def test_required_argument_missing_elsewhere() -> None:
    msg = error(
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        a=fed2("type Query { a: T }\ntype T @shareable { f(x: Int!): Int }"),
        b=fed2("type Query { b: T }\ntype T @shareable { f: Int }"),
    )
    assert '"T.f(x:)"' in msg


def test_type_kind_mismatch() -> None:
    msg = error("TYPE_KIND_MISMATCH", a=fed2("type Query { a: T }\ntype T { f: Int }"),
                b=fed2("type Query { b: T }\ninterface T { f: Int }"))
    assert '"T"' in msg and '"a"' in msg and '"b"' in msg


# ---- enums and inputs ---------------------------------------------------------------------------


def test_input_only_enum_is_intersected() -> None:
    sdl = ok(a=fed2("type Query { a(e: E): Int }\nenum E { X Y }"), b=fed2("type Query { b(e: E): Int }\nenum E { X Z }"))
    assert "enum E" in sdl and "  X @join__enumValue(graph: A) @join__enumValue(graph: B)" in sdl
    assert "  Y " not in sdl and "  Z " not in sdl


def test_output_only_enum_is_unioned() -> None:
    sdl = ok(a=fed2("type Query { a: E }\nenum E { X Y }"), b=fed2("type Query { b: E }\nenum E { X Z }"))
    assert "  Y @join__enumValue(graph: A)" in sdl and "  Z @join__enumValue(graph: B)" in sdl


def test_enum_used_both_ways_must_match() -> None:
    msg = error("ENUM_VALUE_MISMATCH", a=fed2("type Query { a(e: E): E }\nenum E { X Y }"),
                b=fed2("type Query { b: E }\nenum E { X }"))
    assert 'value "Y"' in msg and '"E"' in msg


def test_input_objects_are_intersected() -> None:
    sdl = ok(a=fed2("type Query { a(i: I): Int }\ninput I { x: Int y: Int }"),
             b=fed2("type Query { b(i: I): Int }\ninput I { x: Int z: Int }"))
    api = api_schema_sdl(sdl)
    assert "input I {\n  x: Int\n}" in api


def test_required_input_field_missing() -> None:
    msg = error("REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                a=fed2("type Query { a(i: I): Int }\ninput I { x: Int y: Int! }"),
                b=fed2("type Query { b(i: I): Int }\ninput I { x: Int }"))
    assert '"I.y"' in msg and 'subgraph "a"' in msg and 'subgraph "b"' in msg


def test_union_members_are_unioned() -> None:
    sdl = ok(a=fed2("type Query { a: U }\nunion U = A\ntype A { a: Int }"),
             b=fed2("type Query { b: U }\nunion U = B\ntype B { b: Int }"))
    assert " = A | B" in sdl
    assert '@join__unionMember(graph: B, member: "B")' in sdl


# ---- @override ---------------------------------------------------------------------------------


def test_override_moves_the_field() -> None:
    sdl = ok(
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! name: String }'),
        b=fed2('type User @key(fields: "id") { id: ID! name: String @override(from: "a") }'),
    )
    assert field_line(sdl, "User", "name") == 'name: String @join__field(graph: B, override: "a")'


def test_override_of_field_still_used_by_a_key() -> None:
    sdl = ok(
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! }'),
        b=fed2('type User @key(fields: "id") { id: ID! @override(from: "a") }'),
    )
    assert field_line(sdl, "User", "id") == ('id: ID! @join__field(graph: A, usedOverridden: true) '
                                             '@join__field(graph: B, override: "a")')


def test_override_from_unknown_subgraph_is_ignored() -> None:
    sdl = ok(
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! name: String @shareable }'),
        b=fed2('type User @key(fields: "id") { id: ID! name: String @shareable @override(from: "nope") }'),
    )
    assert field_line(sdl, "User", "name") == "name: String"
    msg = error(
        "INVALID_FIELD_SHARING",
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! name: String }'),
        b=fed2('type User @key(fields: "id") { id: ID! name: String @override(from: "nope") }'),
    )
    assert "targets an unknown subgraph" in msg


def test_override_from_self() -> None:
    msg = error("OVERRIDE_FROM_SELF_ERROR",
                a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! n: Int @override(from: "a") }'))
    assert '"User.n"' in msg


def test_override_collides_with_requires() -> None:
    msg = error(
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        a=fed2('type Query { u: User }\ntype User @key(fields: "id") { id: ID! w: Int @external '
               'n: Int @requires(fields: "w") }'),
        b=fed2('type User @key(fields: "id") { id: ID! w: Int n: Int @override(from: "a") }'),
    )
    assert '"User.n"' in msg and "@requires" in msg


# ---- @inaccessible / @tag / @interfaceObject ------------------------------------------------------


def test_inaccessible_and_tag_propagate() -> None:
    sdl = ok(
        a=fed2('type Query { u: User @tag(name: "public") }\n'
               'type User @key(fields: "id") @tag(name: "user") { id: ID! secret: String @inaccessible }'),
        b=fed2('type User @key(fields: "id") { id: ID! other: Int @tag(name: "public") }'),
    )
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in sdl
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in sdl
    assert field_line(sdl, "User", "secret") == "secret: String @inaccessible @join__field(graph: A)"
    assert field_line(sdl, "User", "other") == 'other: Int @join__field(graph: B) @tag(name: "public")'
    assert '  @tag(name: "user")' in sdl
    assert "secret" not in api_schema_sdl(sdl)


def test_interface_object() -> None:
    sdl = ok(
        a=fed2('type Query { m: Media }\ninterface Media @key(fields: "id") { id: ID! }\n'
               'type Book implements Media @key(fields: "id") { id: ID! }'),
        b=fed2('type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }'),
    )
    assert '@join__type(graph: B, key: "id", isInterfaceObject: true)' in sdl
    assert field_line(sdl, "Book", "rating") == "rating: Int @join__field"
    meta = join_metadata(sdl)
    assert meta["fields"]["Media.rating"] == [(("graph", "B"),)]


def test_interface_object_requires_an_interface_somewhere() -> None:
    msg = error("INTERFACE_OBJECT_USAGE_ERROR",
                a=fed2('type Query { m: Media }\ntype Media @key(fields: "id") @interfaceObject { id: ID! }'))
    assert '"Media"' in msg


# ---- Federation 1 -------------------------------------------------------------------------------


def test_fed1_extend_type_key_fields_are_owned_and_fields_shareable() -> None:
    sdl = ok(
        a="type Query { me: User }\ntype User @key(fields: \"id\") { id: ID! name: String }",
        b="extend type User @key(fields: \"id\") { id: ID! @external reviews: Int name: String }",
    )
    assert '@join__type(graph: B, key: "id")' in sdl  # fed1 `extend type` is not an extension
    assert field_line(sdl, "User", "id") == "id: ID!"
    assert field_line(sdl, "User", "name") == "name: String"  # implicitly shareable in Fed 1
    assert field_line(sdl, "User", "reviews") == "reviews: Int @join__field(graph: B)"


def test_fed1_extends_directive_marks_extension() -> None:
    sdl = ok(
        a="type Query { me: User }\ntype User @key(fields: \"id\") { id: ID! name: String }",
        b="type User @key(fields: \"id\") @extends { id: ID! @external age: Int }",
    )
    assert '@join__type(graph: B, key: "id", extension: true)' in sdl


def test_fed1_value_types_and_root_fields_are_shareable() -> None:
    sdl = ok(
        a="type Query { p: Point }\ntype Point { x: Int }",
        b="type Query { p: Point }\ntype Point { x: Int }",
    )
    assert field_line(sdl, "Query", "p") == "p: Point"


def test_fed1_unused_external_is_dropped() -> None:
    sdl = ok(
        a="type Query { me: User }\ntype User @key(fields: \"id\") { id: ID! name: String }",
        b="extend type User @key(fields: \"id\") { id: ID! @external name: String @external age: Int }",
    )
    assert field_line(sdl, "User", "name") == "name: String @join__field(graph: A)"


def test_mixed_fed1_and_fed2() -> None:
    sdl = ok(
        a="type Query { me: User }\ntype User @key(fields: \"id\") { id: ID! name: String }",
        b=fed2('type User @key(fields: "id") { id: ID! age: Int }'),
    )
    assert field_line(sdl, "User", "age") == "age: Int @join__field(graph: B)"


# ---- misc ----------------------------------------------------------------------------------------


def test_syntax_error_names_the_subgraph() -> None:
    msg = error("INVALID_GRAPHQL", a="type Query {")
    assert msg.startswith("[a] Syntax Error")


def test_extension_without_base() -> None:
    msg = error("EXTENSION_WITH_NO_BASE", a=fed2("type Query { a: T }\nextend type T { f: Int }"))
    assert msg.startswith('[a] Type "T" is an extension type')


def test_renamed_import_and_namespaced_directives() -> None:
    sdl = ok(
        a='extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
          'import: [{name: "@key", as: "@primaryKey"}])\n'
          'type Query { u: User }\ntype User @primaryKey(fields: "id") { id: ID! n: Int @federation__shareable }',
        b=fed2('type User @key(fields: "id") { id: ID! n: Int @shareable }'),
    )
    assert '@join__type(graph: A, key: "id")' in sdl
    assert field_line(sdl, "User", "n") == "n: Int"


def test_strawberry_plumbing_is_ignored() -> None:
    sdl = ok(a=fed2('type Query { _service: _Service! _entities(representations: [_Any!]!): [_Entity]! u: User }\n'
                    'type User @key(fields: "id") { id: ID! }\nscalar _Any\nunion _Entity = User\n'
                    'type _Service { sdl: String! }'))
    assert "_Service" not in sdl and "_entities" not in sdl and "_Any" not in sdl


@pytest.mark.parametrize("name", ["my-graph", "2nd"])
def test_graph_enum_names(name: str) -> None:
    sdl = ok(**{name: fed2("type Query { a: Int }")})
    assert f'@join__graph(name: "{name}"' in sdl


# ---- join spec version, progressive override, @composeDirective, unsupported features -------------


def _fed(version: str, imports: str, sdl: str) -> str:
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}", import: [{imports}])\n' + sdl


@pytest.mark.parametrize(("version", "join"), [("2.3", "v0.3"), ("2.7", "v0.4"), ("2.11", "v0.5")])
def test_join_version_follows_newest_federation_version(version: str, join: str) -> None:
    sdl = ok(a=_fed(version, '"@key"', "type Query { a: Int }"), b=fed2("type Query { b: Int }"))
    assert f'@link(url: "https://specs.apollo.dev/join/{join}", for: EXECUTION)' in sdl
    assert ("overrideLabel: String" in sdl) == (join != "v0.3")
    assert ("input join__ContextArgument" in sdl) == (join == "v0.5")


def test_fed1_only_uses_join_v03() -> None:
    assert "join/v0.3" in ok(a="type Query { a: Int }")


def test_progressive_override_label() -> None:
    sdl = ok(
        a=_fed("2.7", '"@key"', 'type Query { u: User }\ntype User @key(fields: "id") { id: ID! n: Int }'),
        b=_fed("2.7", '"@key", "@override"',
               'type User @key(fields: "id") { id: ID! n: Int @override(from: "a", label: "percent(5)") }'),
    )
    assert field_line(sdl, "User", "n") == ('n: Int @join__field(graph: A, overrideLabel: "percent(5)") '
                                            '@join__field(graph: B, override: "a", overrideLabel: "percent(5)")')
    msg = error(
        "OVERRIDE_LABEL_INVALID",
        a=_fed("2.7", '"@key"', 'type Query { u: User }\ntype User @key(fields: "id") { id: ID! n: Int }'),
        b=_fed("2.7", '"@key", "@override"',
               'type User @key(fields: "id") { id: ID! n: Int @override(from: "a", label: "1bad") }'),
    )
    assert '"User.n"' in msg and '"b"' in msg


def test_access_control_directives_are_refused_not_dropped() -> None:
    msg = error("UNSUPPORTED_FEATURE",
                a=_fed("2.5", '"@key", "@requiresScopes"', 'type Query { s: String @requiresScopes(scopes: [["a"]]) }'))
    assert msg.startswith('[a] @requiresScopes on "Query.s"')


def test_compose_directive() -> None:
    sdl = ok(a='extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@composeDirective"])\n'
               '  @link(url: "https://example.com/cache/v1.0", import: ["@cache"])\n'
               '  @composeDirective(name: "@cache")\n'
               "directive @cache(ttl: Int) on FIELD_DEFINITION\n"
               "type Query { a: Int @cache(ttl: 5) }")
    assert '@link(url: "https://example.com/cache/v1.0", import: ["@cache"])' in sdl
    assert "directive @cache(ttl: Int) on FIELD_DEFINITION" in sdl
    assert field_line(sdl, "Query", "a") == "a: Int @cache(ttl: 5)"


def test_fed1_inactive_provides_keeps_only_external_parts() -> None:
    sdl = ok(
        a='type Query { u: User @provides(fields: "name id address { city }") }\n'
          "type Address { city: String }\n"
          'extend type User @key(fields: "id") { id: ID! @external name: String @external address: Address }',
        b='type User @key(fields: "id") { id: ID! name: String address: Address }\ntype Address { city: String }',
    )
    assert field_line(sdl, "Query", "u") == 'u: User @join__field(graph: A, provides: "name")'


def test_merged_directive_on_external_field() -> None:
    msg = error(
        "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
        a=fed2('type Query { u: User @provides(fields: "n") }\n'
               'type User @key(fields: "id") { id: ID! n: Int @external @tag(name: "x") }'),
        b=fed2('type User @key(fields: "id") { id: ID! n: Int @shareable }'),
    )
    assert msg == '[a] Cannot apply merged directive @tag(name: "x") to external field "User.n"'


def test_fed1_extension_without_base() -> None:
    msg = error("EXTENSION_WITH_NO_BASE",
                a='type Query { u: User }\nextend type User @key(fields: "id") { id: ID! @external n: Int }')
    assert msg == '[a] Type "User" is an extension type, but there is no type definition for "User" in any subgraph.'


def test_subscription_fields_cannot_be_shareable() -> None:
    msg = error("INVALID_FIELD_SHARING",
                a=fed2("type Query { a: Int }\ntype Subscription { s: Int @shareable }"),
                b=fed2("type Query { b: Int }\ntype Subscription { s: Int @shareable }"))
    assert "subscription" in msg and '"Subscription.s"' in msg
