"""Pure-Python Apollo Federation 2 composition: subgraph SDLs → join-spec supergraph SDL.

``compose()`` mirrors what ``@apollo/composition`` does (minus the query-graph satisfiability check):
parse each subgraph, upgrade Federation-1 subgraphs, validate federation directives per subgraph,
merge types and fields with the Federation 2 rules, and print the supergraph with join v0.3 metadata.
Errors are returned, never raised, so callers (the CLI) can show all of them at once.

Not implemented (yet): Apollo's satisfiability check (can every field be reached by some query plan),
composition hints, and @context/@fromContext, @cost/@listSize, @authenticated/@requiresScopes/@policy —
those are refused with UNSUPPORTED_FEATURE rather than silently dropped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .errors import CompositionError, ErrorCollector
from .merge import Merger, join_version_for
from .metadata import Metadata
from .printer import print_supergraph
from .subgraph import Subgraph, parse_subgraph
from .upgrade import build_type_map, upgrade_fed1
from .validate import validate_graphql, validate_subgraph

__all__ = ["CompositionError", "CompositionResult", "SubgraphDefinition", "compose"]


@dataclass(frozen=True)
class SubgraphDefinition:
    """A subgraph to compose: its name (becomes the join__Graph value), routing URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass
class CompositionResult:
    """``supergraph_sdl`` is None exactly when ``errors`` is non-empty."""

    supergraph_sdl: str | None
    errors: list[CompositionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None


def compose(subgraphs: list[SubgraphDefinition]) -> CompositionResult:
    """Compose ``subgraphs`` into a supergraph, or explain why they do not compose."""
    errors = ErrorCollector()
    names = [s.name for s in subgraphs]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        errors.add("INVALID_SUBGRAPH_NAME", f'A subgraph named "{dup}" already exists')
    if not subgraphs:
        errors.add("NO_QUERIES", "No subgraphs to compose.")
    parsed: list[Subgraph] = []
    for definition in subgraphs:
        sub = parse_subgraph(definition.name, definition.url, definition.sdl, errors)
        if sub is not None:
            parsed.append(sub)
    if errors:
        return CompositionResult(None, errors.errors)
    metas = {s.name: Metadata(s) for s in parsed}
    # The Fed-1 upgrade looks at the other subgraphs as they were written, not as already upgraded.
    originals = copy.deepcopy(parsed)
    type_map = build_type_map(originals, {s.name: Metadata(s) for s in originals})
    for sub in parsed:
        if not sub.fed2:
            upgrade_fed1(sub, metas[sub.name], type_map, errors)
    for sub in parsed:
        validate_graphql(sub, errors)
        validate_subgraph(sub, metas[sub.name], errors)
    if errors:
        return CompositionResult(None, errors.errors)
    merger = Merger(parsed, metas, errors)
    merger.merge()
    if errors:
        return CompositionResult(None, errors.errors)
    urls = {s.name: s.url for s in parsed}
    sdl = print_supergraph(merger.types, merger.roots, merger.graphs, urls, merger.uses, merger.composed,
                           join_version_for(parsed))
    from .api_schema import validate_supergraph

    for message in validate_supergraph(sdl):
        errors.add("INVALID_GRAPHQL", message)
    if errors:
        return CompositionResult(None, errors.errors)
    return CompositionResult(sdl)
