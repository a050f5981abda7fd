"""Fixtures for the LLM subgraph tests: a wire-level fake upstream on 127.0.0.1."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from common.settings import Settings
from subgraphs.llm.app import open_service
from subgraphs.llm.config import LLMSettings, ModelConfig, ProviderConfig, ProviderKind
from subgraphs.llm.service import LLMService
from tests.llm.fakes import FakeUpstream

SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    upstream = await FakeUpstream().start()
    yield upstream
    await upstream.stop()


def provider_configs(url: str, timeout_s: float = 5.0) -> dict[str, ProviderConfig]:
    """One provider per dialect, all pointing at the fake (dummy credentials)."""
    from pydantic import SecretStr

    key = SecretStr(SECRET)
    return {
        "openai": ProviderConfig(kind=ProviderKind.OPENAI, api_key=key, base_url=f"{url}/v1", timeout_s=timeout_s),
        "groq": ProviderConfig(kind=ProviderKind.GROQ, api_key=key, base_url=url, timeout_s=timeout_s),
        "anthropic": ProviderConfig(kind=ProviderKind.ANTHROPIC, api_key=key, base_url=url, timeout_s=timeout_s),
        "bedrock": ProviderConfig(kind=ProviderKind.BEDROCK, base_url=url, region="us-east-1",
                                  aws_access_key_id=SecretStr("AKIDFAKE"), aws_secret_access_key=key,
                                  timeout_s=timeout_s),
    }


def llm_settings(url: str, *, models: list[tuple[str, str, int]] | None = None,
                 routes: dict[str, Any] | None = None, timeout_s: float = 5.0, **extra: Any) -> LLMSettings:
    """Settings whose models (name, provider, context window) all live on the fake."""
    models = models or [("ok", "openai", 8192)]
    return LLMSettings(
        providers={**provider_configs(url, timeout_s), **extra.pop("providers", {})},
        models=[ModelConfig(name=n, provider=p, context_window=cw, input_price_per_mtok=1.0,
                            output_price_per_mtok=2.0) for n, p, cw in models],
        routes=routes or {"default": {"models": [n for n, _, _ in models]}},
        **extra,
    )


def common_settings(tmp_path: Path, database_url: str | None = None, redis_url: str | None = None) -> Settings:
    overrides: dict[str, Any] = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "data_dir": tmp_path}
    return Settings(**overrides)


@asynccontextmanager
async def service_for(settings: LLMSettings, tmp_path: Path, **common: Any) -> AsyncIterator[LLMService]:
    async with open_service(settings, common_settings(tmp_path, **common), CollectorRegistry(),
                            random.Random(7)) as service:
        yield service


async def gql(service: LLMService, query: str, **variables: Any) -> Any:
    """Run an operation against the real schema with this service in the context."""
    from subgraphs.llm.schema import schema

    return await schema.execute(query, variable_values=variables, context_value={"llm": service})
