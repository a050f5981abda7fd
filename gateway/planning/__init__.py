"""Query planning: ``plan_operation`` turns a validated operation into a cacheable QueryPlan."""

from __future__ import annotations

from graphql import DocumentNode

from gateway.planning.nodes import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RepField,
    RepSpec,
    SequenceNode,
)
from gateway.planning.planner import TYPENAME_ALIAS_KEY, PlanningError, build_plan
from gateway.supergraph import Supergraph

__all__ = [
    "TYPENAME_ALIAS_KEY",
    "FetchNode",
    "FlattenNode",
    "ParallelNode",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "RepField",
    "RepSpec",
    "SequenceNode",
    "plan_operation",
]


def plan_operation(supergraph: Supergraph, document: DocumentNode, operation_name: str | None) -> QueryPlan:
    """Plan ``operation_name`` (or the only operation) of an already validated document.

    Pure: no network, no variable values -- the result may be cached per
    (supergraph hash, document, operation name).
    """
    return build_plan(supergraph, document, operation_name)
