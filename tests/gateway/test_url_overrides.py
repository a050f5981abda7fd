"""Subgraph URL overrides: deployments route elsewhere without recomposing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.supergraph import SupergraphError, load_supergraph, override_subgraph_urls

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_override_replaces_only_the_named_subgraph() -> None:
    supergraph = load_supergraph((FIXTURES / "hello_supergraph.graphql").read_text())
    assert supergraph.subgraph_urls == {"hello": "http://127.0.0.1:4101/graphql"}
    moved = override_subgraph_urls(supergraph, {"hello": "http://hello.svc:8080/graphql"})
    assert moved.subgraph_urls == {"hello": "http://hello.svc:8080/graphql"}
    assert supergraph.subgraph_urls["hello"] == "http://127.0.0.1:4101/graphql"  # the original is untouched
    assert moved.hash == supergraph.hash and moved.api_schema is supergraph.api_schema


def test_unknown_subgraph_name_is_an_error() -> None:
    supergraph = load_supergraph((FIXTURES / "hello_supergraph.graphql").read_text())
    with pytest.raises(SupergraphError, match="unknown subgraph"):
        override_subgraph_urls(supergraph, {"helo": "http://x/graphql"})


def test_cli_rejects_a_malformed_override() -> None:
    proc = subprocess.run([sys.executable, "-m", "gateway", "--supergraph", str(FIXTURES / "hello_supergraph.graphql"),
                           "--override-subgraph-url", "no-equals-sign"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "NAME=URL" in proc.stderr
