"""The transport seam between the executor and the network.

The executor only knows this Protocol; ``gateway.transport`` implements it over aiohttp,
tests implement it in memory.  Keeping it here (and not in the transport module) means the
executor has no import-time dependency on aiohttp.
"""

from __future__ import annotations

from typing import Any, Protocol


class SubgraphFetchError(Exception):
    """A subgraph request failed (connection, HTTP status or undecodable JSON)."""


class SubgraphFetcher(Protocol):
    """Sends one GraphQL request to one subgraph and returns the decoded JSON response."""

    async def fetch(self, subgraph: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` is ``{"query", "variables"?, "operationName"?}``; raise SubgraphFetchError on failure."""
        ...
