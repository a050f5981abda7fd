"""Shared state and helpers of the merge: the supergraph being built and per-element merge rules.

Split from :mod:`composition.merge` so that field rules (:mod:`composition.fields`) and type rules
(:mod:`composition.merge`) stay small; both operate on the same :class:`MergeContext`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import TypeNode, print_ast

from .errors import ErrorCollector
from .metadata import Metadata
from .model import ENUM, INTERFACE, OBJECT, UNION, Directive, Field, InputValue, TypeDef, named, type_str
from .naming import describe_mismatch, graph_enum_names, js_string
from .subgraph import Subgraph
from .typeref import merge_types

# Directives copied from subgraph elements to the supergraph (besides @composeDirective ones).
MERGED_DIRECTIVES = ("inaccessible", "tag", "deprecated", "specifiedBy")


@dataclass
class Source:
    """One subgraph's version of a field (``field`` is None when the subgraph has the type but not the field)."""

    sub: Subgraph
    meta: Metadata
    parent: TypeDef
    field: Field | None


@dataclass
class OverrideInfo:
    """Outcome of @override checks for one field: subgraphs that lost it (still ``used`` by a key/@requires/
    interface, or ``unused`` and dropped), overrides naming unknown subgraphs, progressive-override labels."""

    used: set[str] = field(default_factory=set)
    unused: set[str] = field(default_factory=set)
    unknown_target: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)  # progressive @override(label:), per subgraph


class MergeContext:
    """The supergraph under construction, over subgraphs sorted by name (Apollo's order, which fixes field order)."""

    def __init__(self, subs: list[Subgraph], metas: dict[str, Metadata], errors: ErrorCollector) -> None:
        self.subs = sorted(subs, key=lambda s: s.name)
        self.metas = metas
        self.errors = errors
        self.graphs = graph_enum_names([s.name for s in self.subs])
        self.types: dict[str, TypeDef] = {}
        self.enum_usage: dict[str, str] = {}
        self.uses: set[str] = set()  # "inaccessible", "tag"
        self.roots: dict[str, str] = {}
        # @composeDirective: directive name -> (link url, printed definition)
        self.composed: dict[str, tuple[str, str]] = {}

    # ---- helpers ------------------------------------------------------------------------------
    def _sources(self, name: str) -> list[tuple[Subgraph, TypeDef]]:
        return [(s, s.types[name]) for s in self.subs if name in s.types]

    def possible_types(self, name: str) -> set[str]:
        t = self.types.get(name)
        if t is None:
            return set()
        if t.kind == UNION:
            return set(t.members)
        if t.kind == INTERFACE:
            return {o.name for o in self.types.values() if name in o.interfaces}
        return set()

    def _merge_description(self, descriptions: list[str | None]) -> str | None:
        present = [d for d in descriptions if d is not None]
        if not present:
            return None
        distinct = list(dict.fromkeys(present))
        non_empty = [d for d in distinct if d != ""]
        if len(distinct) == 1:
            return distinct[0]
        if len(non_empty) == 1:
            return non_empty[0]
        counts = Counter(present)
        return max(distinct, key=lambda d: (counts[d] if d else -1, -distinct.index(d)))

    def _merge_directives(self, owners: list[tuple[Subgraph, list[Directive]]]) -> list[Directive]:
        """@inaccessible/@tag/@deprecated and composed custom directives, de-duplicated by arguments."""
        out: list[Directive] = []
        seen: set[str] = set()
        for sub, directives in owners:
            for d in directives:
                if d.name not in MERGED_DIRECTIVES and d.name not in sub.compose_directives:
                    continue
                if d.name in ("inaccessible", "tag"):
                    self.uses.add(d.name)
                key = d.printed()
                if d.name in ("deprecated", "specifiedBy", "inaccessible") and any(o.name == d.name for o in out):
                    continue
                if key not in seen:
                    seen.add(key)
                    out.append(Directive(d.name, dict(d.args)))
        return out

    # ---- driver -------------------------------------------------------------------------------

    def _record_enum_usage(self, t: TypeNode, input_position: bool) -> None:
        """Enums merge differently depending on whether they are read (output), written (input) or both."""
        base = named(t)
        target = self.types.get(base)
        if target is None or target.kind != ENUM:
            return
        pos = "Input" if input_position else "Output"
        existing = self.enum_usage.get(base)
        self.enum_usage[base] = pos if existing in (None, pos) else "Both"

    # ---- input objects ------------------------------------------------------------------------

    def _merge_input_value(self, parent: str, name: str, holders: list[tuple[Subgraph, InputValue]],
                           kind: str) -> InputValue:
        """Merge one argument / input field: most specific type, consistent default value."""
        coord = f"{parent}.{name}"
        dest_type, all_equal, incompatible = merge_types([v.type for _, v in holders], True, self.possible_types)
        self._record_enum_usage(dest_type, True)
        if incompatible:
            code = "ARGUMENT_TYPE_MISMATCH" if kind == "Argument" else "FIELD_TYPE_MISMATCH"
            what = "argument" if kind == "Argument" else "field"
            self.errors.add(code, f'Type of {what} "{coord}" is incompatible across subgraphs: it has '
                            + describe_mismatch([(s.name, type_str(v.type)) for s, v in holders], "type"))
        merged = InputValue(name, dest_type)
        merged.description = self._merge_description([v.description for _, v in holders])
        merged.directives = self._merge_directives([(s, v.directives) for s, v in holders])
        defaults = [(s.name, v.default) for s, v in holders]
        printed = [print_ast(d) if d is not None else None for _, d in defaults]
        distinct = {p for p in printed if p is not None}
        if len(distinct) > 1:
            code = "ARGUMENT_DEFAULT_MISMATCH" if kind == "Argument" else "INPUT_FIELD_DEFAULT_MISMATCH"
            self.errors.add(code, f'{kind} "{coord}" has incompatible default values across subgraphs: it has '
                            + describe_mismatch([(n, f"default value {p}" if p else "no default value")
                                              for (n, _), p in zip(defaults, printed, strict=True)], ""))
        elif len(distinct) == 1 and all(p is not None for p in printed):
            merged.default = next(d for _, d in defaults if d is not None)
        if kind == "Input field" and not all_equal:
            merged.join = [f"@join__field(graph: {self.graphs[s.name]}, type: {js_string(type_str(v.type))})"
                           for s, v in holders]
        return merged

    def _itf_object_fields(self, dest: TypeDef, fname: str, sub: Subgraph) -> list[tuple[TypeDef, Field]]:
        """Fields of @interfaceObject types standing in for ``dest.fname`` in a subgraph lacking ``dest``."""
        if dest.kind != OBJECT or dest.name in sub.types:
            return []
        out = []
        for itf in dest.interfaces:
            local = sub.types.get(itf)
            if local is not None and local.kind == OBJECT and fname in local.fields:
                out.append((local, local.fields[fname]))
        return out
