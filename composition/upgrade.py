"""Fed-1 → Fed-2 upgrade of subgraphs without a federation v2 ``@link``.

Federation 1 had different defaults: every field may be resolved by several subgraphs, key fields of
``extend type`` are declared @external but are really owned, unused @external fields were tolerated, and
@key on interfaces meant nothing.  Composition first rewrites such a subgraph into the equivalent Fed-2
one (the steps and their order match the documented Fed-1 upgrade), then composes it like any other.
"""

from __future__ import annotations

from graphql import FieldNode, InlineFragmentNode, SelectionNode, SelectionSetNode, StringValueNode, print_ast

from .errors import ErrorCollector
from .fieldset import FieldSetError, parse_field_set, targets
from .metadata import Metadata
from .model import INTERFACE, OBJECT, UNION, Directive, TypeDef, named
from .subgraph import Subgraph

TypeMap = dict[str, dict[str, tuple[TypeDef, Metadata]]]


def build_type_map(subs: list[Subgraph], metas: dict[str, Metadata]) -> TypeMap:
    """type name -> subgraph name -> (type, metadata), taken before any upgrade (as Apollo does)."""
    out: TypeMap = {}
    for s in subs:
        for t in s.types.values():
            if t.kind in (OBJECT, INTERFACE):
                out.setdefault(t.name, {})[s.name] = (t, metas[s.name])
    return out


def _is_federation_extension(t: TypeDef) -> bool:
    has_extends = t.has("extends")
    return (t.has_extension or has_extends) and t.kind in (OBJECT, INTERFACE) and (has_extends or not t.has_definition)


def _is_root_extension(sub: Subgraph, t: TypeDef) -> bool:
    return t.kind == OBJECT and t.name in sub.roots.values() and (
        t.has("extends") or (t.has_extension and not t.has_definition))


def upgrade_fed1(sub: Subgraph, meta: Metadata, type_map: TypeMap, errors: ErrorCollector) -> None:
    """Rewrite ``sub`` in place into its Fed-2 equivalent."""
    for t in sub.types.values():
        if _is_federation_extension(t) and not _is_root_extension(sub, t):
            others = [o for n, (o, _) in type_map.get(t.name, {}).items() if n != sub.name]
            if not any(o.has_definition for o in others):
                errors.add("EXTENSION_WITH_NO_BASE",
                           f'[{sub.name}] Type "{t.name}" is an extension type, but there is no type definition for '
                           f'"{t.name}" in any subgraph.')
    original_shareable = {
        (t.name, f.name) for t in sub.types.values() for f in t.fields.values() if meta.is_shareable(t, f)
    }
    for t in sub.types.values():
        if t.kind == INTERFACE:
            for f in t.fields.values():
                f.remove("external")
        if t.kind == OBJECT:
            t.directives = [d for d in t.directives if d.name != "external"]
    _remove_external_on_extensions(sub, type_map)
    meta.refresh()
    _remove_inactive_provides_requires(sub, meta)
    for t in sub.types.values():
        if _is_federation_extension(t) or _is_root_extension(sub, t):
            t.has_extension = False
            t.has_definition = True
            for d in t.directives:
                d.of_extension = False
            for f in t.fields.values():
                f.of_extension = False
        if t.kind == INTERFACE:
            t.directives = [d for d in t.directives if d.name != "key"]
            for f in t.fields.values():
                f.remove("provides")
                f.remove("requires")
        if t.kind == OBJECT:
            for f in t.fields.values():
                target = sub.types.get(named(f.type))
                if target is None or target.kind == "SCALAR" or target.kind == "ENUM":
                    f.remove("provides")
    meta.refresh()
    _remove_unused_externals(sub, meta, errors)
    meta.refresh()
    _add_shareable(sub, meta, type_map, original_shareable)
    sub.fed2 = True
    meta.refresh()


def _remove_external_on_extensions(sub: Subgraph, type_map: TypeMap) -> None:
    for t in sub.types.values():
        if not (_is_federation_extension(t) or _is_root_extension(sub, t)):
            continue
        keys = t.all("key")
        if keys:
            for key in keys:
                for tn, fn in targets(sub, t, key.str_arg("fields") or "", include_implementations=False):
                    if tn == t.name:
                        t.fields[fn].remove("external")
            continue
        # No key on the extension: fields of the first key of the type elsewhere are not external.
        for other_name, (other, other_meta) in type_map.get(t.name, {}).items():
            if other_name == sub.name:
                continue
            other_keys = other_meta.keys(other)
            if not other_keys:
                continue
            for tn, fn in targets(other_meta.sub, other, other_keys[0].str_arg("fields") or "", False):
                if tn == other.name and fn in t.fields:
                    t.fields[fn].remove("external")


def _raw_external(sub: Subgraph, parent: TypeDef, fname: str) -> bool:
    """@external on the field, or (for an interface) on some implementation's field."""
    f = parent.fields.get(fname)
    if f is not None and f.has("external"):
        return True
    if parent.kind == INTERFACE:
        return any(fname in impl.fields and impl.fields[fname].has("external")
                   for impl in sub.implementations(parent.name) if impl.kind == OBJECT)
    return False


def _child(sub: Subgraph, parent: TypeDef, node: SelectionNode) -> TypeDef:
    if isinstance(node, FieldNode):
        target = sub.types.get(named(parent.fields[node.name.value].type))
    else:
        assert isinstance(node, InlineFragmentNode)
        target = sub.types.get(node.type_condition.name.value) if node.type_condition else parent
    if target is None:
        raise FieldSetError("unknown type")
    return target


def _selects_non_external_leaf(sub: Subgraph, parent: TypeDef, sel: SelectionSetNode) -> bool:
    for node in sel.selections:
        if isinstance(node, FieldNode):
            if node.name.value not in parent.fields:
                raise FieldSetError(node.name.value)
            if _raw_external(sub, parent, node.name.value):
                continue
            if node.selection_set is None:
                return True
        inner_sel = getattr(node, "selection_set", None)
        if inner_sel is not None and _selects_non_external_leaf(sub, _child(sub, parent, node), inner_sel):
            return True
    return False


def _without_non_external_leaves(sub: Subgraph, parent: TypeDef, sel: SelectionSetNode) -> list[str]:
    """The field set minus non-external leaves, printed on one line like federation does."""
    out: list[str] = []
    for node in sel.selections:
        if isinstance(node, FieldNode) and _raw_external(sub, parent, node.name.value):
            out.append(print_ast(node).replace("\n", " "))
            out[-1] = " ".join(out[-1].split())
            continue
        inner_sel = getattr(node, "selection_set", None)
        if inner_sel is not None:
            inner = _without_non_external_leaves(sub, _child(sub, parent, node), inner_sel)
            if inner:
                if isinstance(node, FieldNode):
                    head = print_ast(FieldNode(alias=node.alias, name=node.name, arguments=node.arguments,
                                               directives=(), selection_set=None))
                else:
                    assert isinstance(node, InlineFragmentNode)
                    head = f"... on {node.type_condition.name.value}" if node.type_condition else "..."
                out.append(f"{head} {{ {' '.join(inner)} }}")
    return out


def _remove_inactive_provides_requires(sub: Subgraph, meta: Metadata) -> None:
    """Fed 1 accepted @provides/@requires selecting non-external leaves; they did nothing, so drop them."""
    del meta  # the raw @external (not the key-aware predicate) is what counts here, as in federation
    for t in sub.types.values():
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for f in t.fields.values():
            for i, d in enumerate(list(f.directives)):
                if d.name not in ("provides", "requires"):
                    continue
                parent = t if d.name == "requires" else sub.types.get(named(f.type))
                if parent is None or parent.kind not in (OBJECT, INTERFACE, UNION):
                    continue
                try:
                    sel = parse_field_set(d.str_arg("fields") or "")
                    if not _selects_non_external_leaf(sub, parent, sel):
                        continue
                    kept = _without_non_external_leaves(sub, parent, sel)
                except (FieldSetError, KeyError):
                    continue  # invalid field sets are reported by validation
                if kept:
                    f.directives[i] = Directive(d.name, {"fields": StringValueNode(value=" ".join(kept))})
                else:
                    f.directives[i] = Directive("__removed__")
            f.remove("__removed__")


def _is_referenced(sub: Subgraph, name: str) -> bool:
    for t in sub.types.values():
        if name in t.interfaces or name in t.members:
            return True
        for f in t.fields.values():
            if named(f.type) == name:
                return True
    return False


def _remove_unused_externals(sub: Subgraph, meta: Metadata, errors: ErrorCollector) -> None:
    for t in list(sub.types.values()):
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for f in list(t.fields.values()):
            if meta.is_external(t, f) and not meta.is_used(t, f):
                del t.fields[f.name]
        if not t.fields and t.name not in sub.roots.values():
            if _is_referenced(sub, t.name):
                errors.add(
                    "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
                    f"[{sub.name}] Type {t.name} contains only external fields and all those fields are all "
                    "unused (they do not appear in any @key, @provides or @requires).",
                )
            else:
                del sub.types[t.name]


def _add_shareable(sub: Subgraph, meta: Metadata, type_map: TypeMap, original_shareable: set[tuple[str, str]]) -> None:
    """Fed 1 let several subgraphs resolve the same field; Fed 2 needs that spelled out as @shareable."""
    for t in sub.types.values():
        if t.kind != OBJECT or sub.roots.get("subscription") == t.name:
            continue
        others = {n: v for n, v in type_map.get(t.name, {}).items() if n != sub.name}
        if meta.is_entity(t) or t.name in sub.roots.values():
            for f in t.fields.values():
                if (t.name, f.name) in original_shareable or f.has("shareable"):
                    continue
                for other, other_meta in others.values():
                    of = other.fields.get(f.name)
                    if of is not None and (not other_meta.is_external(other, of)
                                           or other_meta.is_partially_external(other, of)):
                        f.directives.append(Directive("shareable"))
                        break
        elif others and not t.has("shareable"):
            t.directives.append(Directive("shareable"))
