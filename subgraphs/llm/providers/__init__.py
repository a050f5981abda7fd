"""Provider adapters (one per SDK) behind the ``ProviderAdapter`` interface."""

from __future__ import annotations

from subgraphs.llm.config import ProviderConfig, ProviderKind
from subgraphs.llm.providers.base import ProviderAdapter


def create_provider(name: str, config: ProviderConfig) -> ProviderAdapter:
    """Build the adapter for ``config.kind`` (SDKs are imported lazily, only when used)."""
    if config.kind in (ProviderKind.OPENAI, ProviderKind.GROQ):
        from subgraphs.llm.providers.openai_compat import OpenAICompatibleProvider

        return OpenAICompatibleProvider(name, config)
    if config.kind is ProviderKind.ANTHROPIC:
        from subgraphs.llm.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(name, config)
    if config.kind is ProviderKind.BEDROCK:
        from subgraphs.llm.providers.bedrock import BedrockProvider

        return BedrockProvider(name, config)
    from subgraphs.llm.providers.echo import EchoProvider

    return EchoProvider(name)
