"""Supergraph loading: join-spec metadata for the planner and the client-facing API schema.

A supergraph is the composed SDL that @apollo/composition / rover emit.  Everything the gateway
knows about subgraphs comes from it: which graphs exist (``join__Graph``), which graph defines
which type and field (``@join__type`` / ``@join__field``), keys, @requires / @provides,
@override, @interfaceObject, per-graph interface implementations and union members.
The API schema is the same SDL with the link/join machinery and every ``@inaccessible`` element
removed; descriptions are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
)
from graphql.language import Node

__all__ = [
    "FieldGraph",
    "KeyDef",
    "Supergraph",
    "SupergraphError",
    "TypeMeta",
    "load_supergraph",
    "parse_field_set",
]


class SupergraphError(Exception):
    """The supergraph SDL cannot be used (syntax error, unsupported spec, missing join data)."""


@dataclass(frozen=True)
class KeyDef:
    """One ``@join__type(graph:, key:)`` entry: a key usable to enter ``graph`` if resolvable."""

    graph: str
    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass
class FieldGraph:
    """One ``@join__field`` entry of a field: how ``graph`` defines it."""

    graph: str
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    type: str | None = None


@dataclass
class TypeMeta:
    """Join metadata of one named type."""

    name: str
    kind: str
    graphs: set[str] = field(default_factory=set)
    keys: list[KeyDef] = field(default_factory=list)
    interface_object_in: set[str] = field(default_factory=set)
    # graph -> interfaces implemented there; None when the supergraph carries no such data
    implements: dict[str, set[str]] | None = None
    union_members: dict[str, set[str]] | None = None
    owner: str | None = None  # join v0.1 only
    field_names: list[str] = field(default_factory=list)


@dataclass
class Supergraph:
    """A loaded supergraph: API schema, subgraph URLs and the join metadata the planner reads."""

    api_schema: GraphQLSchema
    subgraph_urls: dict[str, str]
    hash: str
    # the whole supergraph as a schema (inaccessible elements included): planner type lookups
    full_schema: GraphQLSchema | None = None
    graph_names: dict[str, str] = field(default_factory=dict)  # join__Graph value -> subgraph name
    types: dict[str, TypeMeta] = field(default_factory=dict)
    fields: dict[tuple[str, str], list[FieldGraph]] = field(default_factory=dict)
    join_version: str = "0.3"
    query_type: str = "Query"
    mutation_type: str | None = None
    subscription_type: str | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _full_types: dict[str, list[str]] = field(default_factory=dict, repr=False)  # union -> all members
    _declared: dict[str, set[str]] = field(default_factory=dict, repr=False)  # type -> declared interfaces

    # ---- queries used by the planner -------------------------------------------------------
    def graphs_of_type(self, type_name: str) -> set[str]:
        meta = self.types.get(type_name)
        if meta is None:
            return set()
        return meta.graphs

    def field_graphs(self, type_name: str, field_name: str) -> list[FieldGraph]:
        """Every graph that *defines* ``type_name.field_name`` (external ones included)."""
        key = ("fg", type_name, field_name)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        entries = self.fields.get((type_name, field_name))
        meta = self.types.get(type_name)
        result: list[FieldGraph]
        if entries is not None:
            result = list(entries)
            if self.join_version == "0.1" and meta is not None:
                # Fed 1: a graph declaring a key can always answer its (external) key fields
                have = {e.graph for e in result}
                for k in meta.keys:
                    if k.graph not in have and any(
                        isinstance(s, FieldNode) and s.name.value == field_name
                        for s in k.selection.selections
                    ):
                        result.append(FieldGraph(graph=k.graph))
                        have.add(k.graph)
        elif meta is None:
            result = []
        elif self.join_version == "0.1" and meta.owner is not None:
            graphs = {meta.owner}
            for k in meta.keys:
                if any(
                    isinstance(s, FieldNode) and s.name.value == field_name for s in k.selection.selections
                ):
                    graphs.add(k.graph)
            result = [FieldGraph(graph=g) for g in sorted(graphs)]
        else:
            result = [FieldGraph(graph=g) for g in sorted(meta.graphs)]
        self._cache[key] = result
        return result

    def field_in_graph(self, type_name: str, field_name: str, graph: str) -> FieldGraph | None:
        for fg in self.field_graphs(type_name, field_name):
            if fg.graph == graph:
                return fg
        return None

    def possible_types_in_graph(self, abstract: str, graph: str) -> list[str]:
        """Object types a field of type ``abstract`` can return when resolved by ``graph``."""
        key = ("pt", abstract, graph)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        meta = self.types.get(abstract)
        result: list[str] = []
        if meta is not None:
            if meta.kind == "union":
                if meta.union_members is not None:
                    result = sorted(meta.union_members.get(graph, set()))
                else:
                    result = sorted(
                        n for n in self._all_union_members(abstract) if graph in self.graphs_of_type(n)
                    )
            elif meta.kind == "interface":
                for tname, tmeta in self.types.items():
                    if tmeta.kind != "object" or graph not in tmeta.graphs:
                        continue
                    if tmeta.implements is not None:
                        if abstract in tmeta.implements.get(graph, set()):
                            result.append(tname)
                    elif abstract in self._declared_interfaces(tname):
                        result.append(tname)
                result.sort()
        self._cache[key] = result
        return result

    def _all_union_members(self, union: str) -> list[str]:
        return list(self._full_types.get(union, ()))

    def _declared_interfaces(self, type_name: str) -> set[str]:
        return self._declared.get(type_name, set())

    def supergraph_possible_types(self, abstract: str) -> set[str]:
        """Object types that are members/implementations of ``abstract`` in the full supergraph."""
        meta = self.types.get(abstract)
        if meta is None:
            return set()
        if meta.kind == "object":
            return {abstract}
        if meta.kind == "union":
            return set(self._all_union_members(abstract))
        return {
            n for n, ifaces in self._declared.items() if abstract in ifaces and self.types[n].kind == "object"
        }

    def type_satisfies(self, type_name: str, condition: str) -> bool:
        """Whether an object of ``type_name`` matches a fragment on ``condition`` (supergraph view)."""
        if type_name == condition:
            return True
        cmeta = self.types.get(condition)
        if cmeta is None:
            return False
        if cmeta.kind == "union":
            return type_name in self._all_union_members(condition)
        if cmeta.kind == "interface":
            return condition in self._declared.get(type_name, set())
        return False

    def local_type(self, graph: str, type_name: str) -> str | None:
        """The name under which ``graph`` knows an object of ``type_name``.

        That is the type itself, or an ``@interfaceObject`` interface it implements.
        """
        meta = self.types.get(type_name)
        if meta is not None and graph in meta.graphs:
            return type_name
        for iface in sorted(self._declared.get(type_name, set())):
            imeta = self.types.get(iface)
            if imeta is not None and graph in imeta.interface_object_in:
                return iface
        return None

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        meta = self.types.get(type_name)
        return meta is not None and graph in meta.interface_object_in


def parse_field_set(fields: str) -> SelectionSetNode:
    """Parse a join__FieldSet string (``"id organization { id }"``) into a selection set."""
    try:
        doc = parse("{" + fields + "}", no_location=True)
    except GraphQLError as exc:
        raise SupergraphError(f"invalid field set {fields!r}: {exc.message}") from exc
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op.selection_set


# ---------------------------------------------------------------------------------------------


def _arg(d: DirectiveNode, name: str) -> Any:
    for a in d.arguments or ():
        if a.name.value == name:
            v = a.value
            if isinstance(v, StringValueNode):
                return v.value
            if isinstance(v, BooleanValueNode):
                return v.value
            if isinstance(v, EnumValueNode):
                return v.value
            return getattr(v, "value", None)
    return None


def _replace(node: Node, **changes: Any) -> Any:
    values = {k: getattr(node, k, None) for k in node.keys}
    values.update(changes)
    return node.__class__(**values)


def _type_str(t: TypeNode) -> str:
    if isinstance(t, NonNullTypeNode):
        return _type_str(t.type) + "!"
    if isinstance(t, ListTypeNode):
        return "[" + _type_str(t.type) + "]"
    assert isinstance(t, NamedTypeNode)
    return t.name.value


def _named(t: TypeNode) -> str:
    while not isinstance(t, NamedTypeNode):
        t = t.type  # type: ignore[attr-defined]
    return t.name.value


_SPEC_NAMES = {"link", "join", "core", "inaccessible", "tag"}
_KIND = {
    ObjectTypeDefinitionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    UnionTypeDefinitionNode: "union",
    EnumTypeDefinitionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
}


def _spec_of(url: str) -> tuple[str, str]:
    # https://specs.apollo.dev/join/v0.3 -> ("join", "0.3")
    parts = url.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-1].startswith("v"):
        return parts[-2], parts[-1][1:]
    return parts[-1], ""


def override_subgraph_urls(supergraph: Supergraph, urls: Mapping[str, str]) -> Supergraph:
    """Route subgraphs elsewhere than the supergraph says (Apollo Router's ``override_subgraph_url``).

    Supergraphs are composed once with one set of routing URLs; deployments
    (another port, a cluster's service names) point the gateway elsewhere
    without recomposing. Unknown names are an error: a typo must not silently
    keep the old route.
    """
    unknown = sorted(set(urls) - set(supergraph.subgraph_urls))
    if unknown:
        raise SupergraphError(
            f"cannot override the URL of unknown subgraph(s) {', '.join(unknown)}; "
            f"the supergraph has {', '.join(sorted(supergraph.subgraph_urls))}"
        )
    return replace(supergraph, subgraph_urls={**supergraph.subgraph_urls, **urls})


def load_supergraph(sdl: str) -> Supergraph:
    """Parse a supergraph SDL and derive the API schema plus the planner's join metadata."""
    try:
        doc = parse(sdl, no_location=True)
    except GraphQLError as exc:
        raise SupergraphError(f"supergraph SDL does not parse: {exc.message}") from exc

    schema_def: SchemaDefinitionNode | None = None
    for d in doc.definitions:
        if isinstance(d, SchemaDefinitionNode):
            schema_def = d
    if schema_def is None:
        raise SupergraphError("supergraph has no schema definition with @link/@core")

    # --- which specs, under which names --------------------------------------------------
    prefixes: dict[str, str] = {}  # spec -> local prefix
    versions: dict[str, str] = {}
    inaccessible_name = "inaccessible"
    tag_name = "tag"
    for sd in schema_def.directives or ():
        if sd.name.value in ("link", "core"):
            url = _arg(sd, "url") or _arg(sd, "feature")
            if not url:
                continue
            spec, version = _spec_of(url)
            alias = _arg(sd, "as") or spec
            prefixes[spec] = alias
            versions[spec] = version
            if spec == "inaccessible":
                inaccessible_name = alias
            if spec == "tag":
                tag_name = alias
    if "join" not in prefixes:
        raise SupergraphError("supergraph does not link the join spec (https://specs.apollo.dev/join)")
    join_version = versions.get("join", "")
    if join_version not in {"0.1", "0.2", "0.3", "0.4", "0.5"}:
        raise SupergraphError(f"unsupported join spec version v{join_version}")
    jp = prefixes["join"] + "__"
    machinery_prefixes = (*tuple(p + "__" for p in prefixes.values()), "link__", "core__", "join__")
    machinery_directives = {
        *prefixes.values(),
        "link",
        "core",
        inaccessible_name,
        tag_name,
    }

    def is_machinery_directive(name: str) -> bool:
        return name in machinery_directives or name.startswith(machinery_prefixes)

    # --- graphs -----------------------------------------------------------------------------
    graph_names: dict[str, str] = {}
    subgraph_urls: dict[str, str] = {}
    for d in doc.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == jp + "Graph":
            for v in d.values or ():
                for dd in v.directives or ():
                    if dd.name.value == jp + "graph":
                        name = _arg(dd, "name") or v.name.value.lower()
                        graph_names[v.name.value] = name
                        subgraph_urls[name] = _arg(dd, "url") or ""
    if not graph_names:
        raise SupergraphError(f"supergraph has no {jp}Graph enum with @{jp}graph values")

    sg = Supergraph(
        api_schema=GraphQLSchema(),
        subgraph_urls=subgraph_urls,
        hash=hashlib.sha256(sdl.encode()).hexdigest(),
        graph_names=graph_names,
        join_version=join_version,
    )

    # --- root types -----------------------------------------------------------------------
    for ot in schema_def.operation_types:
        op = ot.operation.value
        if op == "query":
            sg.query_type = ot.type.name.value
        elif op == "mutation":
            sg.mutation_type = ot.type.name.value
        elif op == "subscription":
            sg.subscription_type = ot.type.name.value

    # --- type and field metadata ----------------------------------------------------------
    for d in doc.definitions:
        if not isinstance(d, TypeDefinitionNode):
            continue
        tname = d.name.value
        if tname.startswith(machinery_prefixes):
            continue
        meta = TypeMeta(name=tname, kind=_KIND.get(type(d), "other"))
        sg.types[tname] = meta
        has_join_type = False
        for dd in d.directives or ():
            dn = dd.name.value
            if dn == jp + "type":
                has_join_type = True
                g = _arg(dd, "graph")
                meta.graphs.add(g)
                key = _arg(dd, "key")
                if key is not None:
                    resolvable = _arg(dd, "resolvable")
                    meta.keys.append(
                        KeyDef(g, key, parse_field_set(key), True if resolvable is None else bool(resolvable))
                    )
                if _arg(dd, "isInterfaceObject"):
                    meta.interface_object_in.add(g)
            elif dn == jp + "owner":
                meta.owner = _arg(dd, "graph")
                if meta.owner:
                    meta.graphs.add(meta.owner)
            elif dn == jp + "implements":
                if meta.implements is None:
                    meta.implements = {}
                meta.implements.setdefault(_arg(dd, "graph"), set()).add(_arg(dd, "interface"))
            elif dn == jp + "unionMember":
                if meta.union_members is None:
                    meta.union_members = {}
                meta.union_members.setdefault(_arg(dd, "graph"), set()).add(_arg(dd, "member"))
        if not has_join_type and meta.owner is None:
            meta.graphs = set(graph_names)
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            sg._declared[tname] = {i.name.value for i in d.interfaces or ()}
            if (
                meta.kind == "object"
                and meta.implements is None
                and join_version not in ("0.1",)
                and d.interfaces
            ):
                # join >= v0.2 always records implementations; none recorded means none per graph
                meta.implements = {}
            for f in d.fields or ():
                meta.field_names.append(f.name.value)
                entries: list[FieldGraph] = []
                has_join_field = False
                for dd in f.directives or ():
                    if dd.name.value != jp + "field":
                        continue
                    has_join_field = True
                    g = _arg(dd, "graph")
                    if g is None:
                        continue
                    req = _arg(dd, "requires")
                    prov = _arg(dd, "provides")
                    entries.append(
                        FieldGraph(
                            graph=g,
                            requires=parse_field_set(req) if req else None,
                            provides=parse_field_set(prov) if prov else None,
                            external=bool(_arg(dd, "external")),
                            override=_arg(dd, "override"),
                            used_overridden=bool(_arg(dd, "usedOverridden")),
                            type=_arg(dd, "type"),
                        )
                    )
                if has_join_field:
                    # a bare @join__field (no graph) means: defined by no graph directly
                    # (e.g. contributed through an @interfaceObject)
                    sg.fields[(tname, f.name.value)] = entries
        if isinstance(d, UnionTypeDefinitionNode):
            sg._full_types[tname] = [t.name.value for t in d.types or ()]
            if meta.union_members is None and join_version not in ("0.1", "0.2"):
                meta.union_members = {}

    try:
        sg.full_schema = build_ast_schema(doc, assume_valid_sdl=True, assume_valid=True)
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"cannot build the supergraph schema: {exc}") from exc
    sg.api_schema = _build_api_schema(doc, is_machinery_directive, inaccessible_name, machinery_prefixes)
    return sg


def _has(node: Any, name: str) -> bool:
    return any(d.name.value == name for d in getattr(node, "directives", None) or ())


def _build_api_schema(
    doc: DocumentNode,
    is_machinery_directive: Any,
    inaccessible: str,
    machinery_prefixes: tuple[str, ...],
) -> GraphQLSchema:
    """Strip link/join machinery and @inaccessible elements, keep everything else (descriptions too)."""
    hidden_types = {
        d.name.value
        for d in doc.definitions
        if isinstance(d, TypeDefinitionNode)
        and (_has(d, inaccessible) or d.name.value.startswith(machinery_prefixes))
    }

    def keep_directives(node: Any) -> tuple[DirectiveNode, ...]:
        return tuple(d for d in node.directives or () if not is_machinery_directive(d.name.value))

    def clean_args(args: Any) -> tuple[Any, ...]:
        return tuple(
            _replace(a, directives=keep_directives(a))
            for a in args or ()
            if not _has(a, inaccessible) and _named(a.type) not in hidden_types
        )

    defs: list[Any] = []
    for d in doc.definitions:
        if isinstance(d, DirectiveDefinitionNode):
            if is_machinery_directive(d.name.value):
                continue
            defs.append(_replace(d, arguments=clean_args(d.arguments)))
            continue
        if isinstance(d, SchemaDefinitionNode):
            defs.append(_replace(d, directives=keep_directives(d)))
            continue
        if not isinstance(d, TypeDefinitionNode):
            defs.append(d)
            continue
        if d.name.value in hidden_types:
            continue
        changes: dict[str, Any] = {"directives": keep_directives(d)}
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            fields = []
            for f in d.fields or ():
                if _has(f, inaccessible) or _named(f.type) in hidden_types:
                    continue
                fields.append(_replace(f, directives=keep_directives(f), arguments=clean_args(f.arguments)))
            changes["fields"] = tuple(fields)
            changes["interfaces"] = tuple(i for i in d.interfaces or () if i.name.value not in hidden_types)
        elif isinstance(d, InputObjectTypeDefinitionNode):
            changes["fields"] = tuple(
                _replace(f, directives=keep_directives(f))
                for f in d.fields or ()
                if not _has(f, inaccessible) and _named(f.type) not in hidden_types
            )
        elif isinstance(d, EnumTypeDefinitionNode):
            changes["values"] = tuple(
                _replace(v, directives=keep_directives(v))
                for v in d.values or ()
                if not _has(v, inaccessible)
            )
        elif isinstance(d, UnionTypeDefinitionNode):
            changes["types"] = tuple(t for t in d.types or () if t.name.value not in hidden_types)
        defs.append(_replace(d, **changes))
    try:
        return build_ast_schema(DocumentNode(definitions=tuple(defs)), assume_valid_sdl=True)
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"cannot build the API schema: {exc}") from exc
