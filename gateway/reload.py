"""Hot reload: swap in a new supergraph atomically while requests keep flowing.

Two sources feed a :class:`SchemaReloader`:

* :func:`watch_supergraph_file` polls the supergraph file (mtime, size, then
  content hash), the way a deployment's config-map update or ``rover`` output
  lands;
* :func:`poll_subgraphs` (development mode, ``--poll-subgraphs``) asks each
  subgraph for ``_service { sdl }`` every few seconds and recomposes with our
  Python composition.

A new schema becomes a new :class:`~gateway.pipeline.Pipeline` (fresh plan and
document caches) and is published with one assignment to the app state, so an
in-flight request finishes on the pipeline it started with and the next one
sees the new schema: no lock, no request ever sees half a schema. A schema
that fails to load or compose is logged and rejected while the last good one
keeps serving.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class _State(Protocol):
    pipeline: Any


PipelineBuilder = Callable[[Any], Any]
"""Builds a pipeline for a loaded supergraph (sharing the open subgraph transport)."""

SupergraphLoader = Callable[[str], Any]


def sdl_hash(sdl: str) -> str:
    return hashlib.sha256(sdl.encode("utf-8")).hexdigest()


@dataclass
class SchemaReloader:
    """Loads candidate supergraphs and publishes the good ones to ``state.pipeline``."""

    state: _State
    build: PipelineBuilder
    load: SupergraphLoader
    loads: int = 0
    rejections: int = 0
    last_error: str | None = None

    def active_hash(self) -> str | None:
        pipeline = self.state.pipeline
        return None if pipeline is None else str(pipeline.schema_hash)

    async def offer(self, sdl: str, origin: str) -> bool:
        """Try ``sdl``; True when it became the active schema."""
        if sdl_hash(sdl) == self.active_hash():
            return False
        try:
            # Building the API schema is CPU work; a thread keeps the loop answering meanwhile.
            supergraph = await asyncio.to_thread(self.load, sdl)
            pipeline = self.build(supergraph)
        except Exception as error:
            self.rejections += 1
            self.last_error = f"{type(error).__name__}: {error}"
            logger.error("rejected the supergraph from %s, keeping schema %s: %s", origin,
                         (self.active_hash() or "none")[:12], self.last_error)
            return False
        previous = self.active_hash()
        self.state.pipeline = pipeline  # the atomic swap
        self.loads += 1
        logger.info("schema %s -> %s (from %s)", (previous or "none")[:12], pipeline.schema_hash[:12], origin)
        return True


async def watch_supergraph_file(reloader: SchemaReloader, path: Path, interval_s: float = 1.0) -> None:
    """Poll ``path``; offer its content whenever its mtime or size changes (runs until cancelled)."""
    last: tuple[int, int] | None = None
    try:
        stat = await asyncio.to_thread(path.stat)
        last = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        pass
    while True:
        await asyncio.sleep(interval_s)
        try:
            stat = await asyncio.to_thread(path.stat)
        except OSError as error:
            logger.warning("cannot stat the supergraph file %s: %s", path, error.strerror)
            continue
        current = (stat.st_mtime_ns, stat.st_size)
        if current == last:
            continue
        last = current
        try:
            sdl = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            logger.error("cannot read the supergraph file %s: %s", path, error)
            continue
        await reloader.offer(sdl, str(path))


SdlFetcher = Callable[[str, str], Awaitable[str]]


async def fetch_sdl_aiohttp(session: Any, name: str, url: str) -> str:
    async with session.post(url, json={"query": "query __ApolloGetServiceDefinition__ { _service { sdl } }"}) as r:
        if r.status != 200:
            raise RuntimeError(f"subgraph {name} answered HTTP {r.status}")
        body = await r.json(content_type=None)
    try:
        return str(body["data"]["_service"]["sdl"])
    except (KeyError, TypeError):
        raise RuntimeError(f"subgraph {name} returned no _service.sdl: {body.get('errors')}") from None


async def compose_from_subgraphs(subgraphs: Mapping[str, str], fetch: SdlFetcher) -> str:
    """Fetch every subgraph's SDL and compose them; raises with every composition error."""
    from composition import SubgraphDefinition, compose

    sdls = await asyncio.gather(*(fetch(name, url) for name, url in subgraphs.items()))
    result = compose([SubgraphDefinition(name, url, sdl) for (name, url), sdl in zip(subgraphs.items(), sdls,
                                                                                     strict=True)])
    if result.supergraph_sdl is None:
        raise RuntimeError("composition failed: " + "; ".join(f"[{e.code}] {e.message}" for e in result.errors))
    return result.supergraph_sdl


async def poll_subgraphs(reloader: SchemaReloader, subgraphs: Mapping[str, str], interval_s: float = 5.0,
                         timeout_s: float = 5.0) -> None:
    """Recompose from the live subgraphs every ``interval_s`` (runs until cancelled)."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        async def fetch(name: str, url: str) -> str:
            return await fetch_sdl_aiohttp(session, name, url)

        while True:
            try:
                sdl = await compose_from_subgraphs(subgraphs, fetch)
            except Exception as error:
                reloader.rejections += 1
                reloader.last_error = str(error)
                logger.error("subgraph polling: %s; keeping schema %s", error, (reloader.active_hash() or "none")[:12])
            else:
                await reloader.offer(sdl, "live subgraphs")
            await asyncio.sleep(interval_s)
