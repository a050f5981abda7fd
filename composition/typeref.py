"""Type-reference merging: which field/argument type the supergraph gets when subgraphs disagree.

Federation allows a subgraph to declare a *subtype* of another subgraph's type: ``T!`` vs ``T``,
``[T!]`` vs ``[T]``, an implementation vs its interface, a member vs its union.  Output positions merge
to the most general type (a client must be ready for the nullable/abstract one); input positions
(arguments, input fields) to the most specific one (every subgraph must accept what clients send).
Anything else is a FIELD_TYPE_MISMATCH / ARGUMENT_TYPE_MISMATCH.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode

from .model import type_str

PossibleTypes = Callable[[str], set[str]]


def is_subtype(sup: TypeNode, sub: TypeNode, possible: PossibleTypes) -> bool:
    """``sub`` can be returned where ``sup`` is expected (Apollo's default subtyping rules, no list upgrade)."""
    if isinstance(sub, NonNullTypeNode):
        if isinstance(sup, NonNullTypeNode):
            return is_subtype(sup.type, sub.type, possible)
        return is_subtype(sup, sub.type, possible)
    if isinstance(sup, NonNullTypeNode):
        return False
    if isinstance(sup, ListTypeNode) or isinstance(sub, ListTypeNode):
        if isinstance(sup, ListTypeNode) and isinstance(sub, ListTypeNode):
            return is_subtype(sup.type, sub.type, possible)
        return False
    assert isinstance(sup, NamedTypeNode) and isinstance(sub, NamedTypeNode)
    return sup.name.value == sub.name.value or sub.name.value in possible(sup.name.value)


def is_strict_subtype(sup: TypeNode, sub: TypeNode, possible: PossibleTypes) -> bool:
    return type_str(sup) != type_str(sub) and is_subtype(sup, sub, possible)


def merge_types(types: list[TypeNode], input_position: bool, possible: PossibleTypes) -> tuple[TypeNode, bool, bool]:
    """Return (merged type, all equal, incompatible)."""
    dest: TypeNode | None = None
    has_subtypes = False
    incompatible = False
    for t in types:
        if dest is None or type_str(dest) == type_str(t):
            dest = t
        elif is_strict_subtype(dest, t, possible):
            has_subtypes = True
            if input_position:
                dest = t
        elif is_strict_subtype(t, dest, possible):
            has_subtypes = True
            if not input_position:
                dest = t
        else:
            incompatible = True
    assert dest is not None
    return dest, not (has_subtypes or incompatible), incompatible
