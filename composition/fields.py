"""Merging object and interface fields: types, arguments, @override, sharing and join__field.

Rules: a field resolved (not @external) by several subgraphs must be @shareable everywhere
(INVALID_FIELD_SHARING) unless @override moved it; output types merge to the most general compatible
type; arguments are intersected; ``@join__field`` is written only when the field is not simply
"defined the same way in every subgraph that has the type" (that is what gateways expect).
"""

from __future__ import annotations

import re

from .context import MergeContext, OverrideInfo, Source
from .metadata import Metadata
from .model import INTERFACE, OBJECT, Field, TypeDef, type_str
from .naming import describe_mismatch, js_string, subgraph_list
from .subgraph import Subgraph
from .typeref import is_strict_subtype, merge_types

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")


def _valid_percent(label: str) -> bool:
    m = _PERCENT.match(label)
    return m is not None and 0 <= float(m.group(1)) <= 100


class FieldMerging(MergeContext):
    """Field-level merge rules, mixed into :class:`composition.merge.Merger`."""

    def _merge_composite(self, dest: TypeDef) -> None:
        sources = self._sources(dest.name)
        names: list[str] = []
        for _, src in sources:
            for n in src.fields:
                if n not in names:
                    names.append(n)
        if dest.kind == INTERFACE:
            self._validate_interface_keys(dest, sources)
        for n in names:
            field_sources = [Source(s, self.metas[s.name], src, src.fields.get(n)) for s, src in sources]
            ov = self._validate_override(dest, n, field_sources)
            if dest.name == "Subscription" and any(x.field is not None and x.field.has("shareable")
                                                   for x in field_sources):
                # Each subscription event must come from exactly one subgraph.
                self.errors.add("INVALID_FIELD_SHARING",
                                f'Fields on root level subscription object cannot be marked as shareable '
                                f'(field "Subscription.{n}")')
            merged = self._merge_field(dest, n, field_sources, ov)
            if merged is not None:
                dest.fields[n] = merged
            if dest.kind == OBJECT:
                self._validate_sharing(dest, n, field_sources, ov)

    def _merge_field(self, dest: TypeDef, fname: str, sources: list[Source], ov: OverrideInfo) -> Field | None:
        coord = f"{dest.name}.{fname}"
        present = [x for x in sources if x.field is not None]
        every_external = all(x.meta.is_external(x.parent, x.field) for x in present if x.field is not None)
        if every_external:
            for s in self.subs:
                if all(s.name != x.sub.name for x in present):
                    for t, f in self._itf_object_fields(dest, fname, s):
                        if not self.metas[s.name].is_external(t, f):
                            every_external = False
        if every_external:
            self.errors.add("EXTERNAL_MISSING_ON_BASE",
                            f'Field "{coord}" is marked @external on all the subgraphs in which it is listed '
                            f"({subgraph_list([x.sub.name for x in present])}).")
            return None
        for x in present:
            assert x.field is not None
            if x.meta.is_external(x.parent, x.field):
                for d in x.field.directives:
                    if d.name in ("inaccessible", "tag") or d.name in x.sub.compose_directives:
                        self.errors.add("MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
                                        f'[{x.sub.name}] Cannot apply merged directive {d.printed()} to external '
                                        f'field "{coord}"')
        resolving = [x for x in present if x.field is not None and not x.meta.is_external(x.parent, x.field)]
        fields = [x.field for x in resolving if x.field is not None]
        merged = Field(fname, next(x.field for x in present if x.field is not None).type)
        merged.description = self._merge_description([f.description for f in fields])
        merged.directives = self._merge_directives([(x.sub, x.field.directives) for x in resolving if x.field])
        self._merge_arguments(coord, merged, resolving)
        type_sources = resolving if resolving else present
        types = [x.field.type for x in type_sources if x.field is not None]
        dest_type, all_equal, incompatible = merge_types(types, False, self.possible_types)
        merged.type = dest_type
        self._record_enum_usage(dest_type, False)
        if incompatible:
            self.errors.add("FIELD_TYPE_MISMATCH", f'Type of field "{coord}" is incompatible across subgraphs: it has '
                            + describe_mismatch([(x.sub.name, type_str(x.field.type)) for x in type_sources
                                              if x.field is not None], "type"))
        for x in present:
            assert x.field is not None
            if x.meta.is_external(x.parent, x.field):
                ok = type_str(dest_type) == type_str(x.field.type) or (
                    not all_equal and is_strict_subtype(dest_type, x.field.type, self.possible_types))
                if not ok:
                    self.errors.add(
                        "EXTERNAL_TYPE_MISMATCH",
                        f'Type of field "{coord}" is incompatible across subgraphs (where marked @external): it has '
                        + describe_mismatch([(y.sub.name, type_str(y.field.type)) for y in present
                                          if y.field is not None], "type"))
        self._add_join_field(merged, sources, all_equal, ov)
        return merged

    def _merge_arguments(self, coord: str, merged: Field, resolving: list[Source]) -> None:
        names: list[str] = []
        for x in resolving:
            assert x.field is not None
            for a in x.field.args:
                if a not in names:
                    names.append(a)
        for a in names:
            holders = [(x.sub, x.field.args[a]) for x in resolving if x.field is not None and a in x.field.args]
            if len(holders) < len(resolving):
                required = [s.name for s, v in holders if type_str(v.type).endswith("!") and v.default is None]
                if required:
                    lacking = [x.sub.name for x in resolving if x.field is not None and a not in x.field.args]
                    self.errors.add(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{coord}({a}:)" is required in some subgraphs but does not appear in all '
                        f"subgraphs: it is required in {subgraph_list(required)} but does not appear in "
                        f"{subgraph_list(lacking)}")
                continue
            merged.args[a] = self._merge_input_value(coord, a, holders, "Argument")

    def _add_join_field(self, merged: Field, sources: list[Source], all_equal: bool, ov: OverrideInfo) -> None:
        needed = not all_equal or bool(ov.used) or bool(ov.labels)
        if not needed:
            for x in sources:
                if x.field is not None and x.sub.name not in ov.unused:
                    if x.meta.is_external(x.parent, x.field) or x.field.has("provides") or x.field.has("requires"):
                        needed = True
                        break
                else:
                    needed = True
                    break
        if not needed:
            return
        for x in sources:
            f = x.field
            label = ov.labels.get(x.sub.name)
            if f is None or (x.sub.name in ov.unused and label is None):
                continue
            parts = [f"graph: {self.graphs[x.sub.name]}"]
            req = f.get("requires")
            if req is not None:
                parts.append(f"requires: {js_string(req.str_arg('fields') or '')}")
            prov = f.get("provides")
            if prov is not None:
                parts.append(f"provides: {js_string(prov.str_arg('fields') or '')}")
            if not all_equal:
                parts.append(f"type: {js_string(type_str(f.type))}")
            if x.meta.is_external(x.parent, f):
                parts.append("external: true")
            over = f.get("override") if x.sub.fed2 else None
            if over is not None:
                parts.append(f"override: {js_string(over.str_arg('from') or '')}")
            if x.sub.name in ov.used:
                parts.append("usedOverridden: true")
            if label is not None:
                parts.append(f"overrideLabel: {js_string(label)}")
            merged.join.append(f"@join__field({', '.join(parts)})")

    def _validate_override(self, dest: TypeDef, fname: str, sources: list[Source]) -> OverrideInfo:
        info = OverrideInfo()
        coord = f"{dest.name}.{fname}"
        by_name = {x.sub.name: x for x in sources if x.field is not None}
        with_override = {n: x.field.get("override") for n, x in by_name.items()
                         if x.field is not None and x.sub.fed2 and x.field.get("override") is not None}
        all_names = [s.name for s in self.subs]
        for name, directive in with_override.items():
            assert directive is not None
            x = by_name[name]
            if x.parent.kind == INTERFACE:
                self.errors.add("OVERRIDE_ON_INTERFACE",
                                f'@override cannot be used on field "{coord}" on subgraph "{name}": @override is not '
                                "supported on interface type fields.")
                continue
            if x.meta.is_interface_object(x.parent):
                self.errors.add("OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                                f'@override is not yet supported on fields of @interfaceObject types: cannot be used '
                                f'on field "{coord}" on subgraph "{name}".')
                continue
            source = directive.str_arg("from") or ""
            if source not in all_names:
                info.unknown_target.add(name)  # Apollo only hints: the override is ignored
            elif source == name:
                self.errors.add("OVERRIDE_FROM_SELF_ERROR",
                                f'Source and destination subgraphs "{source}" are the same for overridden field '
                                f'"{coord}"')
            elif source in with_override:
                self.errors.add("OVERRIDE_SOURCE_HAS_OVERRIDE",
                                f'Field "{coord}" on subgraph "{name}" is also marked with directive @override in '
                                f'subgraph "{source}". Only one @override directive is allowed per field.')
            elif source not in by_name:
                continue  # the field no longer exists in the source subgraph: only a hint
            else:
                src = by_name[source]
                assert src.field is not None and x.field is not None
                conflict = next((d for d in ("requires", "provides") if src.field.has(d)), None)
                where = source
                if conflict is None and x.meta.is_external(x.parent, x.field):
                    conflict, where = "external", name
                if conflict is not None:
                    self.errors.add("OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                                    f'@override cannot be used on field "{coord}" on subgraph "{name}" since '
                                    f'"{coord}" on "{where}" is marked with directive "@{conflict}"')
                elif src.meta.is_external(src.parent, src.field):
                    continue
                else:
                    (info.used if src.meta.is_used(src.parent, src.field) else info.unused).add(source)
                    label = directive.str_arg("label")
                    if label is not None:
                        if _LABEL.match(label) or _valid_percent(label):
                            info.labels[name] = info.labels[source] = label
                        else:
                            self.errors.add(
                                "OVERRIDE_LABEL_INVALID",
                                f'Invalid @override label "{label}" on field "{coord}" on subgraph "{name}": labels '
                                "must start with a letter and after that may contain alphanumerics, underscores, "
                                "minuses, colons, periods, or slashes. Alternatively, labels may be of the form "
                                '"percent(x)" where x is a float between 0-100 inclusive.')
        return info

    def _validate_sharing(self, dest: TypeDef, fname: str, sources: list[Source], ov: OverrideInfo) -> None:
        shareable: list[str] = []
        non_shareable: list[str] = []
        resolving: list[str] = []

        def categorize(label: str, meta: Metadata, t: TypeDef, f: Field) -> None:
            if meta.is_fully_external(t, f):
                return
            resolving.append(label)
            (shareable if meta.is_shareable(t, f) else non_shareable).append(label)

        have = {x.sub.name for x in sources}
        for s in self.subs:
            if s.name not in have:
                for t, f in self._itf_object_fields(dest, fname, s):
                    categorize(f'"{s.name}" (through @interfaceObject field "{t.name}.{fname}")',
                               self.metas[s.name], t, f)
        for x in sources:
            if x.field is None or x.sub.name in ov.used or x.sub.name in ov.unused:
                continue
            categorize(f'"{x.sub.name}"', x.meta, x.parent, x.field)
        if non_shareable and (shareable or len(non_shareable) > 1):
            def lst(items: list[str]) -> str:
                if len(items) == 1:
                    return f"subgraph {items[0]}"
                return "subgraphs " + ", ".join(items[:-1]) + " and " + items[-1]

            culprits = lst(non_shareable) if shareable else "all of them"
            extra = ""
            if ov.unknown_target:
                target = sorted(ov.unknown_target)[0]
                extra = (f' (please note that "{dest.name}.{fname}" has an @override directive in "{target}" that '
                         "targets an unknown subgraph so this could be due to misspelling the @override(from:) "
                         "argument)")
            self.errors.add(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{dest.name}.{fname}" is resolved from multiple subgraphs: it is resolved from '
                f"{lst(resolving)} and defined as non-shareable in {culprits}{extra}")

    def _validate_interface_keys(self, dest: TypeDef, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        impls = sorted(self.possible_types(dest.name) - {t.name for t in self.types.values() if t.kind == INTERFACE})
        for s, src in sources:
            if src.kind != INTERFACE:
                continue
            resolvable = [k for k in src.all("key") if k.bool_arg("resolvable") is not False]
            if not resolvable:
                continue
            local = {t.name for t in s.implementations(dest.name)}
            missing = [i for i in impls if i not in local]
            if missing:
                self.errors.add(
                    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                    f'[{s.name}] Interface type "{dest.name}" has a resolvable key (@key(fields: '
                    f'"{resolvable[0].str_arg("fields")}")) in subgraph "{s.name}" but that subgraph is missing some '
                    f'of the supergraph implementation types of "{dest.name}". Subgraph "{s.name}" should define '
                    + ", ".join(f'type "{m}"' for m in missing) + f' (and have them implement "{dest.name}").')
