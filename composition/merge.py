"""Merging validated subgraphs into the supergraph model, with join__ metadata.

The rules (and their order) are those of Federation 2 composition:

* object/interface fields are the union over subgraphs; a field resolved (not @external) by several
  subgraphs must be @shareable everywhere (INVALID_FIELD_SHARING), unless @override moved it;
* field types merge to the most general compatible type (FIELD_TYPE_MISMATCH otherwise), argument and
  input-field types to the most specific one; arguments and input fields are intersected;
* union members are the union; enum values are unioned for output-only enums, intersected for
  input-only enums, and must agree when the enum is used both ways (ENUM_VALUE_MISMATCH);
* ``@join__field`` is only written when the field is not simply "defined the same way in every subgraph
  that has the type" — that is what gateways expect, and what keeps supergraphs small.
"""

from __future__ import annotations

from graphql import print_ast

from .fields import FieldMerging
from .metadata import Metadata
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    EnumValue,
    Field,
    InputValue,
    TypeDef,
    type_str,
)
from .naming import js_string, subgraph_list
from .subgraph import Subgraph

KIND_NAMES = {
    OBJECT: "Object Type",
    INTERFACE: "Interface Type",
    UNION: "Union Type",
    ENUM: "Enum Type",
    INPUT_OBJECT: "Input Object Type",
    SCALAR: "Scalar Type",
}


def join_version_for(subs: list[Subgraph]) -> str:
    """join spec version @apollo/composition picks: the minimum one for the newest federation version linked."""
    linked = [s.fed_version for s in subs if s.fed_version >= (2, 0)]
    latest = max(linked, default=(2, 0))
    if latest >= (2, 8):
        return "v0.5"
    if latest >= (2, 7):
        return "v0.4"
    return "v0.3"


class Merger(FieldMerging):
    """Builds the supergraph types: the driver and the type-level rules (unions, enums, inputs, interfaces)."""

    def _collect_composed_directives(self) -> None:
        for s in self.subs:
            for name in s.compose_directives:
                url = s.custom_links.get(name)
                definition = s.directive_defs.get(name)
                if url is None or definition is None:
                    self.errors.add(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Directive "@{name}" in subgraph "{s.name}" cannot be composed because it is not a member '
                        "of a core feature (or has no definition)")
                    continue
                if name not in self.composed:
                    self.composed[name] = (url, print_ast(definition))

    def merge(self) -> None:
        self._collect_composed_directives()
        self._add_types_shallow()
        if self.errors:
            return
        for t in self.types.values():
            if t.kind in (OBJECT, INTERFACE):
                self._merge_implements(t)
        for t in list(self.types.values()):
            if t.kind == UNION:
                self._merge_union(t)
        for kind in (SCALAR, INPUT_OBJECT, INTERFACE, OBJECT):
            for t in list(self.types.values()):
                if t.kind == kind:
                    self._merge_type_common(t)
                    if kind == INPUT_OBJECT:
                        self._merge_input(t)
                    elif kind in (OBJECT, INTERFACE):
                        self._merge_composite(t)
        for t in list(self.types.values()):
            if t.kind == ENUM:
                self._merge_type_common(t)
                self._merge_enum(t)
        for op, name in (("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription")):
            root = self.types.get(name)
            if root is not None and root.kind == OBJECT and root.fields:
                self.roots[op] = name
            elif root is not None and root.kind == OBJECT:
                del self.types[name]
        if "query" not in self.roots:
            self.errors.add("NO_QUERIES", "No queries found in any subgraph: a supergraph must have a query root type.")
        self._add_interface_object_fields()
        self._validate_interface_objects()

    def _add_types_shallow(self) -> None:
        kinds: dict[str, list[tuple[str, str]]] = {}
        interface_objects: set[str] = set()
        for s in self.subs:
            for t in s.types.values():
                kind = t.kind
                if Metadata.is_interface_object(t):
                    kind = INTERFACE
                    interface_objects.add(t.name)
                kinds.setdefault(t.name, []).append((s.name, kind))
                if t.name not in self.types:
                    self.types[t.name] = TypeDef(t.name, kind)
        for name, per_sub in kinds.items():
            distinct = list(dict.fromkeys(k for _, k in per_sub))
            if len(distinct) > 1:
                parts = []
                for k in distinct:
                    subs = [s for s, kk in per_sub if kk == k]
                    parts.append(f"{KIND_NAMES[k]} in {subgraph_list(subs)}")
                self.errors.add("TYPE_KIND_MISMATCH",
                                f'Type "{name}" has mismatched kind: it is defined as ' + " but ".join(parts))
        for name in interface_objects:
            if not any(s.types.get(name) is not None and s.types[name].kind == INTERFACE for s in self.subs):
                holders = [s.name for s in self.subs if name in s.types]
                self.errors.add(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which it is defined '
                    f"(it is defined in {subgraph_list(holders)} but should be defined as an interface in at least "
                    "one subgraph)")

    def _merge_implements(self, dest: TypeDef) -> None:
        for s, src in self._sources(dest.name):
            for itf in src.interfaces:
                if itf not in dest.interfaces:
                    dest.interfaces.append(itf)
                dest.join.append(f'@join__implements(graph: {self.graphs[s.name]}, interface: {js_string(itf)})')

    def _merge_type_common(self, dest: TypeDef) -> None:
        sources = self._sources(dest.name)
        self._check_extension_with_no_base(dest, sources)
        dest.description = self._merge_description([t.description for _, t in sources])
        for s, src in sources:
            meta = self.metas[s.name]
            g = self.graphs[s.name]
            io = ", isInterfaceObject: true" if meta.is_interface_object(src) else ""
            keys = meta.keys(src) if src.kind in (OBJECT, INTERFACE) else []
            if not keys:
                dest.join.append(f"@join__type(graph: {g}{io})")
            for key in keys:
                parts = [f"graph: {g}", f"key: {js_string(key.str_arg('fields') or '')}"]
                if meta.key_is_extension(src, key):
                    parts.append("extension: true")
                resolvable = key.args.get("resolvable")
                if resolvable is not None:
                    parts.append(f"resolvable: {print_ast(resolvable)}")
                dest.join.append(f"@join__type({', '.join(parts)}{io})")
        dest.directives = self._merge_directives([(s, t.directives) for s, t in sources])

    def _check_extension_with_no_base(self, dest: TypeDef, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        if dest.name in ("Query", "Mutation", "Subscription"):
            return
        if any(t.has_definition for _, t in sources):
            return
        for s, t in sources:
            if t.has_extension:
                self.errors.add("EXTENSION_WITH_NO_BASE",
                                f'[{s.name}] Type "{dest.name}" is an extension type, but there is no type '
                                f'definition for "{dest.name}" in any subgraph.')

    # ---- unions and enums ---------------------------------------------------------------------

    def _merge_union(self, dest: TypeDef) -> None:
        self._merge_type_common(dest)
        sources = self._sources(dest.name)
        for _, src in sources:
            for m in src.members:
                if m not in dest.members:
                    dest.members.append(m)
        for m in dest.members:
            for s, src in sources:
                if m in src.members:
                    dest.join.append(f"@join__unionMember(graph: {self.graphs[s.name]}, member: {js_string(m)})")

    def _merge_enum(self, dest: TypeDef) -> None:
        sources = self._sources(dest.name)
        usage = self.enum_usage.get(dest.name, "Output")
        for _, src in sources:
            for v in src.values.values():
                if v.name not in dest.values:
                    dest.values[v.name] = EnumValue(v.name)
        for vname in list(dest.values):
            value = dest.values[vname]
            holders = [(s, src.values[vname]) for s, src in sources if vname in src.values]
            value.description = self._merge_description([v.description for _, v in holders])
            value.directives = self._merge_directives([(s, v.directives) for s, v in holders])
            value.join = [f"@join__enumValue(graph: {self.graphs[s.name]})" for s, _ in holders]
            inaccessible = any(d.name == "inaccessible" for d in value.directives)
            if inaccessible or usage == "Output" or len(holders) == len(sources):
                continue
            if usage == "Both":
                have = [s.name for s, _ in holders]
                lack = [s.name for s, src in sources if vname not in src.values]
                self.errors.add(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{dest.name}" is used as both input type and output type, but value "{vname}" is '
                    f'not defined in all the subgraphs defining "{dest.name}": "{vname}" is defined in '
                    f"{subgraph_list(have)} but not in {subgraph_list(lack)}")
            else:
                del dest.values[vname]
        if not dest.values:
            self.errors.add(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{dest.name}" are defined consistently in all the subgraphs '
                "defining that type. As only values common to all subgraphs are merged, this would result in an "
                "empty type.")

    def _merge_input(self, dest: TypeDef) -> None:
        sources = self._sources(dest.name)
        names: list[str] = []
        for _, src in sources:
            for n in src.input_fields:
                if n not in names:
                    names.append(n)
        for n in names:
            holders = [(s, src.input_fields[n]) for s, src in sources if n in src.input_fields]
            merged = self._merge_input_value(dest.name, n, holders, "Input field")
            inaccessible = any(d.name == "inaccessible" for d in merged.directives)
            if len(holders) < len(sources) and not inaccessible:
                required = [s.name for s, v in holders if type_str(v.type).endswith("!") and v.default is None]
                if required:
                    lacking = [s.name for s, src in sources if n not in src.input_fields]
                    self.errors.add(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{dest.name}.{n}" is required in some subgraphs but does not appear in '
                        f"all subgraphs: it is required in {subgraph_list(required)} but does not appear in "
                        f"{subgraph_list(lacking)}")
                continue
            dest.input_fields[n] = merged
        if not dest.input_fields:
            self.errors.add(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{dest.name}" are consistently defined in all the '
                "subgraphs defining that type. As only fields common to all subgraphs are merged, this would "
                "result in an empty type.")

    def _validate_interface_objects(self) -> None:
        for s in self.subs:
            for t in s.types.values():
                if not Metadata.is_interface_object(t):
                    continue
                impls = [i for i in sorted(self.possible_types(t.name)) if i in s.types]
                if impls:
                    self.errors.add(
                        "INTERFACE_OBJECT_USAGE_ERROR",
                        f'[{s.name}] Interface type "{t.name}" is defined as an @interfaceObject in subgraph '
                        f'"{s.name}" so that subgraph should not define any of the implementation types of '
                        f'"{t.name}", but it defines ' + ", ".join(f'type "{i}"' for i in impls))

    def _add_interface_object_fields(self) -> None:
        """Implementations get the fields that only an @interfaceObject provides (with a graph-less join__field)."""
        for t in self.types.values():
            if t.kind != OBJECT:
                continue
            for itf_name in t.interfaces:
                itf = self.types.get(itf_name)
                if itf is None:
                    continue
                for fname, itf_field in itf.fields.items():
                    if fname in t.fields:
                        continue
                    provided = False
                    for s in self.subs:
                        local = s.types.get(itf_name)
                        if local is not None and Metadata.is_interface_object(local) and fname in local.fields:
                            if not self.metas[s.name].is_external(local, local.fields[fname]):
                                provided = True
                    if not provided:
                        continue
                    copy = Field(fname, itf_field.type, dict(itf_field.args), list(itf_field.directives),
                                 itf_field.description)
                    copy.args = {n: InputValue(a.name, a.type, a.default, list(a.directives), a.description)
                                 for n, a in itf_field.args.items()}
                    copy.join = ["@join__field"]
                    copy.join_last = True
                    t.fields[fname] = copy
