"""Client-facing view of a supergraph, and a normalised view of its join metadata.

Used to check composition output against a reference supergraph: two supergraphs are equivalent for
clients when their API schemas (join/link machinery and @inaccessible elements removed, everything
sorted) print identically, and equivalent for query planning when their normalised join metadata
(which graph defines which type/field, keys, @requires/@provides/@external/@override) is equal.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    lexicographic_sort_schema,
    parse,
    print_ast,
    print_schema,
    validate_schema,
)

MACHINERY_PREFIXES = ("join__", "link__")
MACHINERY_DIRECTIVES = frozenset({"link", "inaccessible", "tag"})
KEPT_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})


def _inaccessible(node: Any) -> bool:
    return any(d.name.value == "inaccessible" for d in getattr(node, "directives", None) or ())


def _keep_directives(node: Any) -> tuple[Any, ...]:
    return tuple(d for d in node.directives or () if d.name.value in KEPT_DIRECTIVES)


def _clean_input_values(values: Any) -> tuple[Any, ...]:
    return tuple(v.__class__(**{**{k: getattr(v, k) for k in v.keys}, "directives": _keep_directives(v)})
                 for v in values or () if not _inaccessible(v))


def _clone(node: Any, **changes: Any) -> Any:
    return node.__class__(**{**{k: getattr(node, k) for k in node.keys}, **changes})


def api_document(supergraph_sdl: str) -> DocumentNode:
    """The API schema as a document: machinery, federation directives and @inaccessible elements removed."""
    doc = parse(supergraph_sdl, no_location=True)
    hidden = {d.name.value for d in doc.definitions if isinstance(d, TypeDefinitionNode) and _inaccessible(d)}
    out: list[Any] = []
    for d in doc.definitions:
        if isinstance(d, DirectiveDefinitionNode):
            if d.name.value in MACHINERY_DIRECTIVES or d.name.value.startswith(MACHINERY_PREFIXES):
                continue
            out.append(d)
            continue
        if isinstance(d, SchemaDefinitionNode):
            out.append(_clone(d, directives=()))
            continue
        if not isinstance(d, TypeDefinitionNode) or d.name.value.startswith(MACHINERY_PREFIXES):
            continue
        if d.name.value in hidden:
            continue
        changes: dict[str, Any] = {"directives": _keep_directives(d)}
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            changes["fields"] = tuple(
                _clone(f, directives=_keep_directives(f), arguments=_clean_input_values(f.arguments))
                for f in d.fields or () if not _inaccessible(f))
            changes["interfaces"] = tuple(i for i in d.interfaces or () if i.name.value not in hidden)
        elif isinstance(d, InputObjectTypeDefinitionNode):
            changes["fields"] = _clean_input_values(d.fields)
        elif isinstance(d, EnumTypeDefinitionNode):
            changes["values"] = tuple(_clone(v, directives=_keep_directives(v))
                                      for v in d.values or () if not _inaccessible(v))
        elif isinstance(d, UnionTypeDefinitionNode):
            changes["types"] = tuple(t for t in d.types or () if t.name.value not in hidden)
        out.append(_clone(d, **changes))
    return DocumentNode(definitions=tuple(out))


def api_schema_sdl(supergraph_sdl: str) -> str:
    """Sorted printed API schema: equal strings mean clients see the same schema."""
    schema = build_ast_schema(api_document(supergraph_sdl), assume_valid_sdl=True)
    return print_schema(lexicographic_sort_schema(schema))


def validate_supergraph(supergraph_sdl: str) -> list[str]:
    """GraphQL validity of the API schema (e.g. an object no longer satisfying its interface)."""
    try:
        schema = build_ast_schema(api_document(supergraph_sdl))
    except (GraphQLError, TypeError) as exc:
        return [str(exc)]
    return [e.message for e in validate_schema(schema)]


def _args(d: Any) -> dict[str, str]:
    return {a.name.value: print_ast(a.value) for a in d.arguments or ()}


def join_metadata(supergraph_sdl: str) -> dict[str, Any]:
    """Normalised join metadata; a field without @join__field is expanded to every graph of its type."""
    doc = parse(supergraph_sdl, no_location=True)
    graphs: dict[str, str] = {}
    types: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for d in doc.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == "join__Graph":
            for v in d.values or ():
                for dd in v.directives or ():
                    if dd.name.value == "join__graph":
                        graphs[v.name.value] = _args(dd)["name"]
    for d in doc.definitions:
        if not isinstance(d, TypeDefinitionNode) or d.name.value.startswith(MACHINERY_PREFIXES):
            continue
        join_types = sorted(tuple(sorted(_args(x).items())) for x in d.directives or ()
                            if x.name.value == "join__type")
        type_graphs = sorted({dict(t)["graph"] for t in join_types})
        entry: dict[str, Any] = {"join__type": join_types}
        for name in ("join__implements", "join__unionMember"):
            entry[name] = sorted(tuple(sorted(_args(x).items())) for x in d.directives or () if x.name.value == name)
        entry["inaccessible"] = _inaccessible(d)
        types[d.name.value] = entry
        members: Any = getattr(d, "fields", None) or getattr(d, "values", None) or ()
        for f in members:
            jf = [tuple(sorted(_args(x).items())) for x in f.directives or ()
                  if x.name.value in ("join__field", "join__enumValue")]
            if not jf:
                jf = [(("graph", g),) for g in type_graphs]
            fields[f"{d.name.value}.{f.name.value}"] = sorted(jf)
    return {"graphs": graphs, "types": types, "fields": fields}
