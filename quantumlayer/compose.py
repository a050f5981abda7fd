"""``schema/``: each subgraph's SDL and the composed supergraph, kept in sync with the code.

Each subgraph's SDL is read from its Strawberry schema object (exactly what
``_service { sdl }`` serves) or, with ``--from-urls``, from running services.
The supergraph is composed in Python by ``composition.compose`` (no Node, no
rover), with each subgraph's routing URL taken from the settings' host and
ports; deployments that route elsewhere rewrite URLs at the gateway.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from common.federation import subgraph_sdl
from common.settings import Settings
from composition import SubgraphDefinition, compose
from quantumlayer.services import ROOT, SUBGRAPHS

SCHEMA_DIR = ROOT / "schema"
SUPERGRAPH_FILE = "supergraph.graphql"


class CompositionFailed(Exception):
    """The subgraphs do not compose; ``errors`` are the composition's messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SchemaFiles:
    """Every file of ``schema/`` by name, as the code says it should be."""

    files: dict[str, str]


def subgraph_definitions(settings: Settings, from_urls: bool = False) -> list[SubgraphDefinition]:
    defs = []
    for name, spec in SUBGRAPHS.items():
        url = f"http://{settings.host}:{spec.port(settings)}/graphql"
        if from_urls:
            sdl = _fetch_sdl(url)
        else:
            module, attr = spec.schema.split(":")
            sdl = subgraph_sdl(getattr(importlib.import_module(module), attr))
        defs.append(SubgraphDefinition(name=name, url=url, sdl=sdl))
    return defs


def _fetch_sdl(url: str) -> str:
    import httpx

    response = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=10)
    response.raise_for_status()
    return str(response.json()["data"]["_service"]["sdl"]).strip() + "\n"


def expected_files(settings: Settings | None = None, from_urls: bool = False) -> SchemaFiles:
    """Subgraph SDLs plus the composed supergraph; raises ``CompositionFailed``."""
    defs = subgraph_definitions(settings or Settings(), from_urls)
    result = compose(defs)
    if result.supergraph_sdl is None:
        raise CompositionFailed([f"[{e.code}] {e.message}" for e in result.errors])
    files = {f"{d.name}.graphql": d.sdl for d in defs}
    files[SUPERGRAPH_FILE] = result.supergraph_sdl
    return SchemaFiles(files)


def write_schemas(schema_dir: Path = SCHEMA_DIR, from_urls: bool = False) -> list[Path]:
    """Write what changed; returns the paths written."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files(from_urls=from_urls).files.items():
        path = schema_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def check_schemas(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """What differs from the code (empty when ``schema/`` is in sync)."""
    try:
        files = expected_files().files
    except CompositionFailed as failed:
        return [f"composition failed: {e}" for e in failed.errors]
    stale = []
    for name, text in files.items():
        path = schema_dir / name
        if not path.exists():
            stale.append(f"missing: schema/{name}")
        elif path.read_text() != text:
            stale.append(f"out of date: schema/{name}")
    return stale
