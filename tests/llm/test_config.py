"""Config file + environment overrides, and secrets never leaking."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from subgraphs.llm.config import LLMSettings, Strategy, build_catalog
from tests.llm.conftest import SECRET, gql, llm_settings, service_for
from tests.llm.fakes import FakeUpstream
from tests.llm.test_generate import GENERATE

CONFIG = """
providers:
  main: {kind: openai, api_key: sk-from-file-0123456789, base_url: "http://127.0.0.1:9/v1"}
  backup: {kind: anthropic, api_key_env: TEST_BACKUP_KEY}
models:
  - {name: fast, provider: main, upstream: gpt-4o-mini}
  - {name: smart, provider: backup, upstream: claude-sonnet-4-5}
routes:
  default: {strategy: lowest-cost, models: [smart, fast]}
  fast: {models: [fast, smart]}
cache_ttl_s: 60
"""


def test_file_then_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "llm.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("QL_LLM_CONFIG_FILE", str(path))
    monkeypatch.setenv("TEST_BACKUP_KEY", "sk-ant-from-env-0123456789")
    monkeypatch.setenv("QL_LLM_CACHE_TTL_S", "5")
    monkeypatch.setenv("QL_LLM_ROUTES__FAST__STRATEGY", "weighted")
    monkeypatch.setenv("QL_LLM_ROUTES__FAST__WEIGHTS", "[3, 1]")
    settings = LLMSettings()
    assert settings.cache_ttl_s == 5
    assert "sk-from-file" not in repr(settings)
    catalog = build_catalog(settings)
    assert catalog.routes["fast"].strategy is Strategy.WEIGHTED and catalog.routes["fast"].models == ["fast", "smart"]
    assert catalog.routes["fast"].weights == [3, 1]
    assert catalog.models["fast"].input_price_per_mtok == 0.15  # from prices.json
    assert catalog.models["smart"].context_window == 200000
    assert catalog.providers["backup"].configured() and not catalog.demo


def test_route_with_unknown_model_is_rejected(tmp_path: Path) -> None:
    settings = LLMSettings(providers={"p": {"kind": "openai", "api_key": "k"}},  # type: ignore[dict-item]
                           models=[{"name": "a", "provider": "p"}],  # type: ignore[list-item]
                           routes={"r": {"models": ["a", "b"]}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="unknown models"):
        build_catalog(settings)


async def test_api_key_never_leaks(fake: FakeUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for provider in ("openai", "anthropic", "groq"):
        settings = llm_settings(fake.url, models=[("auth", provider, 8192)])
        async with service_for(settings, tmp_path) as service:
            result = await gql(service, GENERATE, input={"prompt": "hi"})
            assert result.errors and result.errors[0].extensions["code"] == "PROVIDER_AUTH_FAILED"
            assert SECRET not in str(result.errors[0].formatted)
            await service.flush()
            row = await service.store.get(result.errors[0].extensions["generationId"])
            assert row is not None and SECRET not in repr(row)
    assert SECRET not in caplog.text


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-example-0123456789")
    path = Path(__file__).resolve().parents[2] / "subgraphs" / "llm" / "llm.example.yaml"
    catalog = build_catalog(LLMSettings(config_file=str(path)))
    assert set(catalog.routes) == {"default", "fast", "cheap", "split"}
    assert catalog.models["claude-haiku"].output_price_per_mtok == 5.0
