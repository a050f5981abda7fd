"""Parsing one subgraph SDL into the :mod:`composition.model`.

Why this is not just ``build_ast_schema``: subgraph SDLs reference federation directives without
declaring them, may rename them through ``@link(import: [{name: "@key", as: "@primaryKey"}])`` or use
them namespaced (``@federation__key``), may ``extend`` types that have no base, and carry federation
plumbing (``_Service``, ``_Entity``, ``_Any``, ``Query._entities``) that must not reach the supergraph.
Directives are recorded under their canonical federation name so later stages never see aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)

from .errors import ErrorCollector
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    Directive,
    EnumValue,
    Field,
    InputValue,
    TypeDef,
    rename_type_ref,
)

FEDERATION_DIRECTIVES = (
    "key",
    "requires",
    "provides",
    "external",
    "shareable",
    "override",
    "inaccessible",
    "tag",
    "interfaceObject",
    "extends",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "fromContext",
    "cost",
    "listSize",
)
FED1_DIRECTIVES = ("key", "requires", "provides", "external", "extends", "tag", "inaccessible")
# Types that are federation plumbing in a subgraph and never part of the supergraph.
INTERNAL_TYPES = frozenset({"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"})
INTERNAL_QUERY_FIELDS = frozenset({"_service", "_entities"})
ROOT_DEFAULTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_FED_URL = re.compile(r"specs\.apollo\.dev/federation/v(\d+)\.(\d+)")
_SPEC_URL = re.compile(r"specs\.apollo\.dev/(inaccessible|tag)/v(\d+)\.(\d+)")


@dataclass
class Subgraph:
    """A parsed subgraph: its types (roots renamed to Query/Mutation/Subscription) and federation version."""

    name: str
    url: str
    types: dict[str, TypeDef] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # operation -> type name (after renaming)
    fed2: bool = False
    fed_version: tuple[int, int] = (1, 0)
    compose_directives: list[str] = field(default_factory=list)
    # @composeDirective support: link URL importing each custom directive, and its definition.
    custom_links: dict[str, str] = field(default_factory=dict)
    directive_defs: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)

    def obj(self, name: str) -> TypeDef | None:
        t = self.types.get(name)
        return t if t is not None and t.kind in (OBJECT, INTERFACE) else None

    def implementations(self, interface: str) -> list[TypeDef]:
        """Object (and interface) types declaring ``implements interface`` in this subgraph."""
        return [t for t in self.types.values() if interface in t.interfaces]


def _link_imports(node: DirectiveNode) -> tuple[str, str | None, list[tuple[str, str]]]:
    url = ""
    alias: str | None = None
    imports: list[tuple[str, str]] = []
    for arg in node.arguments or ():
        if arg.name.value == "url" and isinstance(arg.value, StringValueNode):
            url = arg.value.value
        elif arg.name.value == "as" and isinstance(arg.value, StringValueNode):
            alias = arg.value.value
        elif arg.name.value == "import" and isinstance(arg.value, ListValueNode):
            for item in arg.value.values:
                if isinstance(item, StringValueNode):
                    imports.append((item.value, item.value))
                elif isinstance(item, ObjectValueNode):
                    fields = {f.name.value: f.value for f in item.fields}
                    name_v, as_v = fields.get("name"), fields.get("as")
                    if isinstance(name_v, StringValueNode):
                        local = as_v.value if isinstance(as_v, StringValueNode) else name_v.value
                        imports.append((name_v.value, local))
    return url, alias, imports


def _directive_names(doc: DocumentNode) -> tuple[dict[str, str], bool, tuple[int, int], list[str]]:
    """Map local directive names to canonical ones, from the schema's ``@link``s (fed2) or fixed names (fed1)."""
    mapping: dict[str, str] = {}
    fed2 = False
    version = (1, 0)
    compose: list[str] = []
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            if d.name.value != "link":
                continue
            url, alias, imports = _link_imports(d)
            m = _FED_URL.search(url)
            spec = _SPEC_URL.search(url)
            if m:
                fed2 = int(m.group(1)) >= 2
                version = (int(m.group(1)), int(m.group(2)))
                prefix = alias or "federation"
                for canonical in FEDERATION_DIRECTIVES:
                    mapping[f"{prefix}__{canonical}"] = canonical
                for name, local in imports:
                    if name.startswith("@") and name[1:] in FEDERATION_DIRECTIVES:
                        mapping[local.lstrip("@")] = name[1:]
            elif spec:
                feature = spec.group(1)
                mapping[f"{alias or feature}__{feature}"] = feature
                mapping[alias or feature] = feature
                for name, local in imports:
                    if name.lstrip("@") == feature:
                        mapping[local.lstrip("@")] = feature
    if not fed2:
        mapping = {n: n for n in FED1_DIRECTIVES}
    # @composeDirective(name: "@foo") keeps custom directives; recorded for the merger.
    for defn in doc.definitions:
        if isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            for d in defn.directives or ():
                if mapping.get(d.name.value) == "composeDirective":
                    for arg in d.arguments or ():
                        if isinstance(arg.value, StringValueNode):
                            compose.append(arg.value.value.lstrip("@"))
    return mapping, fed2, version, compose


def _directives(nodes: tuple[DirectiveNode, ...] | None, names: dict[str, str], ext: bool) -> list[Directive]:
    out = []
    for d in nodes or ():
        name = names.get(d.name.value, d.name.value)
        out.append(Directive(name, {a.name.value: a.value for a in d.arguments or ()}, of_extension=ext))
    return out


def _desc(node: object) -> str | None:
    d = getattr(node, "description", None)
    return d.value if d is not None else None


def _input_value(node: InputValueDefinitionNode, names: dict[str, str]) -> InputValue:
    return InputValue(
        node.name.value,
        node.type,
        node.default_value,
        _directives(node.directives, names, False),
        _desc(node),
    )


def _field(node: FieldDefinitionNode, names: dict[str, str], ext: bool) -> Field:
    return Field(
        node.name.value,
        node.type,
        {a.name.value: _input_value(a, names) for a in node.arguments or ()},
        _directives(node.directives, names, ext),
        _desc(node),
        of_extension=ext,
    )


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: OBJECT,
    ObjectTypeExtensionNode: OBJECT,
    InterfaceTypeDefinitionNode: INTERFACE,
    InterfaceTypeExtensionNode: INTERFACE,
    UnionTypeDefinitionNode: UNION,
    UnionTypeExtensionNode: UNION,
    EnumTypeDefinitionNode: ENUM,
    EnumTypeExtensionNode: ENUM,
    InputObjectTypeDefinitionNode: INPUT_OBJECT,
    InputObjectTypeExtensionNode: INPUT_OBJECT,
    ScalarTypeDefinitionNode: SCALAR,
    ScalarTypeExtensionNode: SCALAR,
}


def _add_type_node(types: dict[str, TypeDef], node: TypeDefinitionNode | TypeExtensionNode,
                   names: dict[str, str], errors: ErrorCollector, subgraph: str) -> None:
    kind = _KINDS[type(node)]
    ext = isinstance(node, TypeExtensionNode)
    name = node.name.value
    t = types.get(name)
    if t is None:
        t = types[name] = TypeDef(name, kind)
    elif t.kind != kind:
        errors.add("INVALID_GRAPHQL", f'[{subgraph}] Type "{name}" is declared as both {t.kind} and {kind}.')
        return
    if ext:
        t.has_extension = True
    else:
        t.has_definition = True
        t.description = _desc(node) or t.description
    t.directives.extend(_directives(node.directives, names, ext))
    for f in getattr(node, "fields", None) or ():
        if isinstance(f, FieldDefinitionNode):
            t.fields[f.name.value] = _field(f, names, ext)
        else:
            t.input_fields[f.name.value] = _input_value(f, names)
    for i in getattr(node, "interfaces", None) or ():
        if i.name.value not in t.interfaces:
            t.interfaces.append(i.name.value)
    for m in getattr(node, "types", None) or ():
        if m.name.value not in t.members:
            t.members.append(m.name.value)
    for v in getattr(node, "values", None) or ():
        t.values[v.name.value] = EnumValue(v.name.value, _directives(v.directives, names, ext), _desc(v))


def parse_subgraph(name: str, url: str, sdl: str, errors: ErrorCollector) -> Subgraph | None:
    """Parse ``sdl``; syntax errors are reported as INVALID_GRAPHQL and yield ``None``."""
    try:
        doc = parse(sdl)
    except GraphQLError as exc:
        errors.add("INVALID_GRAPHQL", f"[{name}] {exc.message}")
        return None
    names, fed2, version, compose = _directive_names(doc)
    sub = Subgraph(name, url, fed2=fed2, fed_version=version, compose_directives=compose)
    roots: dict[str, str] = {}
    for defn in doc.definitions:
        if isinstance(defn, DirectiveDefinitionNode):
            sub.directive_defs[defn.name.value] = defn
        if isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            for d in defn.directives or ():
                if d.name.value == "link":
                    link_url, _, imports = _link_imports(d)
                    if not _FED_URL.search(link_url):
                        for _, local in imports:
                            sub.custom_links[local.lstrip("@")] = link_url
            for op_node in defn.operation_types or ():
                roots[op_node.operation.value] = op_node.type.name.value
        elif isinstance(defn, TypeDefinitionNode | TypeExtensionNode):
            _add_type_node(sub.types, defn, names, errors, name)
    for op, default in ROOT_DEFAULTS.items():
        roots.setdefault(op, default)
    _strip_internals(sub)
    _rename_roots(sub, roots)
    return sub


def _strip_internals(sub: Subgraph) -> None:
    for internal in INTERNAL_TYPES:
        sub.types.pop(internal, None)
    for tname in list(sub.types):
        if tname.startswith(("federation__", "link__", "join__")):
            del sub.types[tname]


def _rename_roots(sub: Subgraph, roots: dict[str, str]) -> None:
    """Root types are always called Query/Mutation/Subscription in the supergraph, as Apollo does."""
    mapping = {actual: ROOT_DEFAULTS[op] for op, actual in roots.items() if actual != ROOT_DEFAULTS[op]}
    if mapping:
        renamed: dict[str, TypeDef] = {}
        for t in sub.types.values():
            t.name = mapping.get(t.name, t.name)
            for f in t.fields.values():
                f.type = rename_type_ref(f.type, mapping)
            t.members = [mapping.get(m, m) for m in t.members]
            renamed[t.name] = t
        sub.types = renamed
    for op, default in ROOT_DEFAULTS.items():
        root = sub.types.get(default)
        if root is not None and root.kind == OBJECT:
            sub.roots[op] = default
    query = sub.types.get("Query")
    if query is not None:
        for internal in INTERNAL_QUERY_FIELDS:
            query.fields.pop(internal, None)
    else:
        # Every federated subgraph has a Query type (it serves _service/_entities), so every graph
        # gets a join__type on Query even when it defines no query field of its own.
        sub.types["Query"] = TypeDef("Query", OBJECT, has_definition=True)
        sub.roots["query"] = "Query"
