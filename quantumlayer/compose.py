"""Subgraph SDLs checked into ``schema/`` and kept in sync with the code.

Each subgraph's SDL is read from its Strawberry schema object (what
``_service { sdl }`` serves). Composition of ``schema/supergraph.graphql`` is
not implemented yet (tracked by the composition issue).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from common.federation import subgraph_sdl
from quantumlayer.services import ROOT

SCHEMA_DIR = ROOT / "schema"
SUBGRAPH_SCHEMAS = {"parser": "subgraphs.parser.schema:schema"}


def current_sdls() -> dict[str, str]:
    sdls: dict[str, str] = {}
    for name, target in SUBGRAPH_SCHEMAS.items():
        module, attr = target.split(":")
        sdls[name] = subgraph_sdl(getattr(importlib.import_module(module), attr))
    return sdls


def write_schemas(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sdl in current_sdls().items():
        path = schema_dir / f"{name}.graphql"
        if not path.exists() or path.read_text() != sdl:
            path.write_text(sdl)
            written.append(path)
    return written


def check_schemas(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Names of the files that differ from what the code serves (empty when in sync)."""
    stale = []
    for name, sdl in current_sdls().items():
        path = schema_dir / f"{name}.graphql"
        if not path.exists():
            stale.append(f"missing: {path.relative_to(schema_dir.parent)}")
        elif path.read_text() != sdl:
            stale.append(f"out of date: {path.relative_to(schema_dir.parent)}")
    return stale
