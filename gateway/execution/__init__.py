"""Plan execution: ``execute_plan`` runs a QueryPlan against the subgraphs via a SubgraphFetcher."""

from gateway.execution.executor import execute_plan
from gateway.execution.fetcher import SubgraphFetcher, SubgraphFetchError

__all__ = ["SubgraphFetchError", "SubgraphFetcher", "execute_plan"]
