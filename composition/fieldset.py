"""Walking ``fields:`` arguments of @key / @requires / @provides against one subgraph.

The same walk serves three purposes, as in federation itself: validating the field set, collecting
the fields it "uses" (which makes an @external field legitimate and an overridden field still used),
and collecting provided fields (which makes an external field only partially external).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from .model import BUILTIN_SCALARS, ENUM, INTERFACE, OBJECT, SCALAR, UNION, Field, TypeDef, named
from .subgraph import Subgraph


@dataclass
class Visit:
    """One selected field: where it was found and whether an external field encloses it."""

    parent: TypeDef
    field: Field
    node: FieldNode
    external_in_parents: bool


class FieldSetError(Exception):
    """The field set does not apply to the type (unknown field, bad fragment, syntax error)."""


def parse_field_set(fields: str) -> SelectionSetNode:
    try:
        doc = parse("{" + fields + "}", no_location=True)
    except GraphQLError as exc:
        raise FieldSetError(exc.message) from exc
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op.selection_set


def _is_leaf(sub: Subgraph, name: str) -> bool:
    t = sub.types.get(name)
    return name in BUILTIN_SCALARS or (t is not None and t.kind in (SCALAR, ENUM))


def walk(
    sub: Subgraph,
    parent: TypeDef,
    fields: str,
    is_external: Callable[[TypeDef, Field], bool],
    on_field: Callable[[Visit], None],
    include_implementations: bool = False,
) -> None:
    """Call ``on_field`` for every field selected by ``fields`` on ``parent``; raise FieldSetError on mistakes."""
    selection = parse_field_set(fields)
    _walk(sub, parent, selection, is_external, on_field, include_implementations, False)


def _walk(sub: Subgraph, parent: TypeDef, sel: SelectionSetNode, is_external: Callable[[TypeDef, Field], bool],
          on_field: Callable[[Visit], None], impls: bool, ext_parent: bool) -> None:
    for s in sel.selections:
        if isinstance(s, InlineFragmentNode):
            target = parent
            if s.type_condition is not None:
                cond = sub.types.get(s.type_condition.name.value)
                if cond is None or cond.kind not in (OBJECT, INTERFACE, UNION):
                    raise FieldSetError(f'Unknown type "{s.type_condition.name.value}".')
                target = cond
            _walk(sub, target, s.selection_set, is_external, on_field, impls, ext_parent)
            continue
        if not isinstance(s, FieldNode):
            raise FieldSetError("Named fragments are not allowed in field sets.")
        fname = s.name.value
        if fname == "__typename":
            continue
        f = parent.fields.get(fname)
        if f is None:
            raise FieldSetError(f'Cannot query field "{fname}" on type "{parent.name}".')
        ext = is_external(parent, f)
        on_field(Visit(parent, f, s, ext_parent))
        if impls and parent.kind == INTERFACE:
            for impl in sub.implementations(parent.name):
                impl_field = impl.fields.get(fname)
                if impl_field is not None:
                    on_field(Visit(impl, impl_field, s, ext_parent))
        target_name = named(f.type)
        if s.selection_set is None:
            if not _is_leaf(sub, target_name):
                raise FieldSetError(
                    f'Field "{fname}" of type "{target_name}" must have a selection of subfields. '
                    f'Did you mean "{fname} {{ ... }}"?'
                )
            continue
        if not ext and parent.kind == INTERFACE:
            # An implementation may declare the field @external: then nested fields may be external too.
            ext = any(impl.kind == OBJECT and fname in impl.fields and is_external(impl, impl.fields[fname])
                      for impl in sub.implementations(parent.name))
        sub_parent = sub.types.get(target_name)
        if sub_parent is None or sub_parent.kind not in (OBJECT, INTERFACE, UNION):
            raise FieldSetError(
                f'Field "{fname}" must not have a selection since type "{target_name}" has no subfields.'
            )
        _walk(sub, sub_parent, s.selection_set, is_external, on_field, impls, ext_parent or ext)


def targets(sub: Subgraph, parent: TypeDef, fields: str, include_implementations: bool = True) -> list[tuple[str, str]]:
    """Coordinates ``(type, field)`` selected by ``fields``; invalid field sets select what they can."""
    out: list[tuple[str, str]] = []
    try:
        walk(sub, parent, fields, lambda _t, _f: False,
             lambda v: out.append((v.parent.name, v.field.name)), include_implementations)
    except FieldSetError:
        pass
    return out
