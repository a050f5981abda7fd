"""Configuration of the LLM subgraph: providers, models, routes and limits.

Read from an optional config file (YAML or JSON, ``QL_LLM_CONFIG_FILE``) with
``QL_LLM_*`` environment variables layered on top (``__`` nests, e.g.
``QL_LLM_ROUTES__FAST__MODELS='["gpt-4o-mini","llama-3.1-8b-instant"]'``), so a
deployment can ship one file and still override a key per environment.
Secrets are ``SecretStr`` so they never appear in a repr, a log line or an error.
"""

from __future__ import annotations

import json
import logging
import os
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

log = logging.getLogger("quantumlayer.llm")

PRICES_FILE = Path(__file__).with_name("prices.json")
ECHO_PROVIDER = "echo"
ECHO_MODEL = "echo-demo"


class ProviderKind(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GROQ = "groq"
    BEDROCK = "bedrock"
    ECHO = "echo"


class Strategy(StrEnum):
    ORDERED_FALLBACK = "ordered-fallback"
    WEIGHTED = "weighted"
    LOWEST_LATENCY = "lowest-latency"
    LOWEST_COST = "lowest-cost"


class ProviderConfig(BaseModel):
    """One upstream account. ``api_key_env`` names a variable to read the key from at start-up."""

    kind: ProviderKind
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    base_url: str | None = None
    region: str | None = None
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    #: Ask OpenAI-compatible servers for the usage chunk (``stream_options.include_usage``); turn off
    #: for local servers that reject the option (their usage is then estimated and flagged).
    stream_usage: bool = True

    def key(self) -> str | None:
        """The API key, from the config or the named environment variable."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if self.api_key_env:
            return os.environ.get(self.api_key_env) or None
        return None

    def configured(self) -> bool:
        """Whether this provider has what it needs to make a real call."""
        if self.kind is ProviderKind.ECHO:
            return True
        if self.kind is ProviderKind.BEDROCK:
            has_keys = self.aws_access_key_id is not None or bool(os.environ.get("AWS_ACCESS_KEY_ID"))
            return bool(self.region or os.environ.get("AWS_REGION")) and has_keys
        return self.key() is not None


class ModelConfig(BaseModel):
    """A model clients can ask for by ``name``; ``upstream`` is the provider's own id."""

    name: str
    provider: str
    upstream: str | None = None
    context_window: int | None = None
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None

    def upstream_id(self) -> str:
        return self.upstream or self.name


class RouteConfig(BaseModel):
    """A named fallback chain of model names and how to order it per request."""

    strategy: Strategy = Strategy.ORDERED_FALLBACK
    models: list[str]
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check(self) -> RouteConfig:
        if not self.models:
            raise ValueError("a route needs at least one model")
        if self.weights is not None and (len(self.weights) != len(self.models) or min(self.weights) <= 0):
            raise ValueError("weights must be positive, one per model")
        return self


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Lowest-priority source: the YAML/JSON file named by ``config_file`` or ``QL_LLM_CONFIG_FILE``."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path:
            return {}
        text = Path(self.path).read_text()
        if self.path.endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{self.path}: the LLM config file must hold a mapping")
        return data


class LLMSettings(BaseSettings):
    """Everything the LLM subgraph reads from the environment, in one object."""

    model_config = SettingsConfigDict(env_prefix="QL_LLM_", env_nested_delimiter="__", extra="ignore")

    config_file: str | None = None
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    models: list[ModelConfig] = Field(default_factory=list)
    routes: dict[str, RouteConfig] = Field(default_factory=dict)
    default_route: str = "default"

    cache_ttl_s: float = 3600.0
    circuit_failure_threshold: int = 3
    circuit_base_backoff_s: float = 2.0
    circuit_max_backoff_s: float = 120.0
    circuit_jitter: float = 0.2
    user_requests_per_minute: int | None = None
    user_tokens_per_minute: int | None = None
    latency_ewma_alpha: float = 0.3
    max_prompt_chars: int = 2_000_000
    #: Wait for the generation row before answering, so a crash right after cannot lose a billed
    #: generation (the default: usage is money). ``false`` writes behind the response, saving a
    #: database round trip per request at the risk of losing rows that were not yet written.
    persist_before_response: bool = True
    #: Prefix of every Redis key (circuits, quotas, cache): lets deployments share one Redis.
    redis_prefix: str = "ql:llm:"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        path = init_kwargs.get("config_file") or os.environ.get("QL_LLM_CONFIG_FILE")
        return init_settings, env_settings, _ConfigFileSource(settings_cls, path)


@cache
def load_prices(path: Path = PRICES_FILE) -> dict[str, dict[str, Any]]:
    """The price/context table, keyed by upstream model id."""
    data: dict[str, Any] = json.loads(path.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


_WELL_KNOWN: dict[str, ProviderConfig] = {
    "openai": ProviderConfig(kind=ProviderKind.OPENAI, api_key_env="OPENAI_API_KEY"),
    "anthropic": ProviderConfig(kind=ProviderKind.ANTHROPIC, api_key_env="ANTHROPIC_API_KEY"),
    "groq": ProviderConfig(kind=ProviderKind.GROQ, api_key_env="GROQ_API_KEY"),
    "bedrock": ProviderConfig(kind=ProviderKind.BEDROCK),
}


class Catalog(BaseModel):
    """The resolved view: providers, models (prices filled in) and routes the router uses."""

    providers: dict[str, ProviderConfig]
    models: dict[str, ModelConfig]
    routes: dict[str, RouteConfig]
    default_route: str
    demo: bool = False


def _fill_model(model: ModelConfig, prices: dict[str, dict[str, Any]]) -> ModelConfig:
    row = prices.get(model.upstream_id(), {})
    return model.model_copy(update={
        "context_window": model.context_window or row.get("context_window") or 8192,
        "input_price_per_mtok": model.input_price_per_mtok if model.input_price_per_mtok is not None
        else float(row.get("input", 0.0)),
        "output_price_per_mtok": model.output_price_per_mtok if model.output_price_per_mtok is not None
        else float(row.get("output", 0.0)),
    })


def _default_models(providers: dict[str, ProviderConfig], configured: set[str],
                    prices: dict[str, dict[str, Any]]) -> list[ModelConfig]:
    """Without a ``models`` list: every priced model of every configured provider's kind."""
    return [ModelConfig(name=model_id, provider=name) for model_id, row in prices.items()
            for name in sorted(configured) if row.get("provider") == providers[name].kind.value]


def _routes(settings: LLMSettings, models: dict[str, ModelConfig], usable: list[str]) -> dict[str, RouteConfig]:
    routes = dict(settings.routes)
    if settings.default_route not in routes:
        if not usable:
            raise ValueError("no model of a configured provider: add `models` to the LLM config")
        routes[settings.default_route] = RouteConfig(models=usable)
    for name, route in routes.items():
        unknown = [m for m in route.models if m not in models]
        if unknown:
            raise ValueError(f"route {name!r} names unknown models: {unknown}")
    return routes


def build_catalog(settings: LLMSettings) -> Catalog:
    """Resolve providers/models/routes; fall back to the offline ``echo`` demo when nothing is configured."""
    prices = load_prices()
    providers = dict(settings.providers) or {n: p.model_copy() for n, p in _WELL_KNOWN.items()}
    configured = {n for n, p in providers.items() if p.configured() and p.kind is not ProviderKind.ECHO}
    if not configured:
        log.warning("no LLM provider is configured: serving the offline 'echo' demo provider (not a real model)")
        providers[ECHO_PROVIDER] = ProviderConfig(kind=ProviderKind.ECHO)
        demo = {ECHO_MODEL: _fill_model(ModelConfig(name=ECHO_MODEL, provider=ECHO_PROVIDER), prices)}
        return Catalog(providers=providers, models=demo, default_route=settings.default_route, demo=True,
                       routes={settings.default_route: RouteConfig(models=[ECHO_MODEL])})
    models = list(settings.models) or _default_models(providers, configured, prices)
    filled = {m.name: _fill_model(m, prices) for m in models if m.provider in providers}
    usable = [name for name, m in filled.items() if m.provider in configured]
    return Catalog(providers=providers, models=filled, routes=_routes(settings, filled, usable),
                   default_route=settings.default_route)
