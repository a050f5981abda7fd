"""In-memory model of one subgraph schema (and of the merged supergraph).

graphql-core's ``GraphQLSchema`` cannot hold a raw subgraph (federation directives are usually not
declared, ``extend type`` may have no base) and it loses "was this declared in an extension", which
federation semantics depend on.  So we keep a small, mutable, order-preserving model of our own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    print_ast,
)


@dataclass
class Directive:
    """An applied directive; ``name`` is canonical (``key``) for federation ones, whatever the import alias."""

    name: str
    args: dict[str, ValueNode] = field(default_factory=dict)
    of_extension: bool = False

    def str_arg(self, name: str) -> str | None:
        value = self.args.get(name)
        if isinstance(value, StringValueNode):
            return value.value
        if value is not None and value.kind == "enum_value":  # fed1 accepted unquoted field sets
            return str(getattr(value, "value", ""))
        return None

    def bool_arg(self, name: str) -> bool | None:
        value = self.args.get(name)
        if isinstance(value, BooleanValueNode):
            return value.value
        return None

    def printed(self) -> str:
        if not self.args:
            return f"@{self.name}"
        inner = ", ".join(f"{k}: {print_ast(v)}" for k, v in self.args.items())
        return f"@{self.name}({inner})"


@dataclass
class InputValue:
    """A field argument or an input-object field."""

    name: str
    type: TypeNode
    default: ValueNode | None = None
    directives: list[Directive] = field(default_factory=list)
    description: str | None = None
    join: list[str] = field(default_factory=list)  # printed join__ directives (supergraph only)

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.directives)


@dataclass
class Field:
    """A field of an object or interface type."""

    name: str
    type: TypeNode
    args: dict[str, InputValue] = field(default_factory=dict)
    directives: list[Directive] = field(default_factory=list)
    description: str | None = None
    of_extension: bool = False
    join: list[str] = field(default_factory=list)
    join_last: bool = False  # copied from an interface: its directives were applied before the join__field

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.directives)

    def get(self, name: str) -> Directive | None:
        return next((d for d in self.directives if d.name == name), None)

    def all_named(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]

    def remove(self, name: str) -> None:
        self.directives = [d for d in self.directives if d.name != name]


@dataclass
class EnumValue:
    name: str
    directives: list[Directive] = field(default_factory=list)
    description: str | None = None
    join: list[str] = field(default_factory=list)


OBJECT = "OBJECT"
INTERFACE = "INTERFACE"
UNION = "UNION"
ENUM = "ENUM"
INPUT_OBJECT = "INPUT_OBJECT"
SCALAR = "SCALAR"

KIND_KEYWORD = {
    OBJECT: "type",
    INTERFACE: "interface",
    UNION: "union",
    ENUM: "enum",
    INPUT_OBJECT: "input",
    SCALAR: "scalar",
}


@dataclass
class TypeDef:
    """A named type.  ``has_definition``/``has_extension`` record how it was declared (``type`` vs ``extend type``)."""

    name: str
    kind: str
    fields: dict[str, Field] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    directives: list[Directive] = field(default_factory=list)
    description: str | None = None
    has_definition: bool = False
    has_extension: bool = False
    join: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.directives)

    def all(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]


BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


# ---- type references ------------------------------------------------------------------------------


def type_str(t: TypeNode) -> str:
    """``[Book!]!`` style rendering, used both for printing and as an equality key."""
    if isinstance(t, NonNullTypeNode):
        return type_str(t.type) + "!"
    if isinstance(t, ListTypeNode):
        return "[" + type_str(t.type) + "]"
    assert isinstance(t, NamedTypeNode)
    return t.name.value


def named(t: TypeNode) -> str:
    """The named type at the bottom of list/non-null wrappers."""
    while isinstance(t, NonNullTypeNode | ListTypeNode):
        t = t.type
    assert isinstance(t, NamedTypeNode)
    return t.name.value


def is_non_null(t: TypeNode) -> bool:
    return isinstance(t, NonNullTypeNode)


def rename_type_ref(t: TypeNode, mapping: dict[str, str]) -> TypeNode:
    """Rewrite named types (used to rename custom root types to Query/Mutation/Subscription)."""
    if isinstance(t, NonNullTypeNode):
        inner = rename_type_ref(t.type, mapping)
        assert isinstance(inner, NamedTypeNode | ListTypeNode)
        return NonNullTypeNode(type=inner)
    if isinstance(t, ListTypeNode):
        return ListTypeNode(type=rename_type_ref(t.type, mapping))
    assert isinstance(t, NamedTypeNode)
    new = mapping.get(t.name.value)
    if new is None:
        return t
    from graphql import NameNode

    return NamedTypeNode(name=NameNode(value=new))
