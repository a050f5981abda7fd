"""Query plan node types, named as in Apollo's query-plan format (QueryPlan, Sequence, Parallel,
Fetch, Flatten) so ``to_dict()`` output reads like the plans other federation tools print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode


@dataclass
class RepField:
    """One node of a representation template: copy ``response_key`` of the data as ``name``.

    ``fragment`` set means: an inline fragment, applied when the object's ``__typename``
    satisfies that type condition; its ``children`` are then copied.
    """

    name: str
    response_key: str
    children: list[RepField] | None = None
    fragment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.fragment is not None:
            return {
                "kind": "InlineFragment",
                "typeCondition": self.fragment,
                "selections": [c.to_dict() for c in self.children or []],
            }
        out: dict[str, Any] = {"kind": "Field", "name": self.name}
        if self.response_key != self.name:
            out["alias"] = self.response_key
        if self.children is not None:
            out["selections"] = [c.to_dict() for c in self.children]
        return out


@dataclass
class RepSpec:
    """How to build the ``_entities`` representation of an object whose data type is known."""

    typename: str  # the __typename sent to the subgraph (an @interfaceObject's interface name)
    fields: list[RepField] = field(default_factory=list)


@dataclass
class FetchNode:
    """One request to one subgraph.  Entity fetches carry ``reps`` keyed by the data's __typename."""

    service_name: str
    operation: str
    variable_usages: list[str]
    operation_kind: str = "query"
    reps: dict[str, RepSpec] | None = None
    group_id: int = 0
    # response keys the operation renamed to keep it valid (alias -> the client's key)
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def is_entity_fetch(self) -> bool:
        return self.reps is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Fetch",
            "serviceName": self.service_name,
            "variableUsages": list(self.variable_usages),
            "operation": self.operation,
            "operationKind": self.operation_kind,
        }
        if self.reps is not None:
            out["requires"] = [
                {
                    "kind": "InlineFragment",
                    "typeCondition": spec.typename,
                    "dataTypename": data_type,
                    "selections": [{"kind": "Field", "name": "__typename"}]
                    + [f.to_dict() for f in spec.fields],
                }
                for data_type, spec in self.reps.items()
            ]
        return out


@dataclass
class FlattenNode:
    """Runs ``node`` (an entity fetch) for every object found at ``path`` (``@`` = list items)."""

    path: list[str]
    node: FetchNode

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Flatten", "path": list(self.path), "node": self.node.to_dict()}


@dataclass
class SequenceNode:
    nodes: list[PlanNode]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Sequence", "nodes": [n.to_dict() for n in self.nodes]}


@dataclass
class ParallelNode:
    nodes: list[PlanNode]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Parallel", "nodes": [n.to_dict() for n in self.nodes]}


PlanNode = Union[FetchNode, FlattenNode, SequenceNode, ParallelNode]  # noqa: UP007


@dataclass
class QueryPlan:
    """The plan of one operation.  Independent of variable values, hence cacheable."""

    operation: OperationDefinitionNode
    node: PlanNode | None
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    # root __schema / __type fields answered locally from the API schema (None when absent)
    introspection: DocumentNode | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "QueryPlan", "node": self.node.to_dict() if self.node is not None else None}
