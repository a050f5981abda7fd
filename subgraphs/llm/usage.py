"""Token usage and cost accounting.

Exact usage comes from the provider's own stream accounting; only when a
provider reported none do we estimate (and flag it), so cost reports say which
numbers are measured. Cost is priced per model from ``prices.json`` (USD per
million tokens); a cache hit costs nothing.
"""

from __future__ import annotations

from subgraphs.llm.config import ModelConfig
from subgraphs.llm.providers.base import ProviderRequest, Usage, estimate_tokens


def prompt_text(request: ProviderRequest) -> str:
    return (request.system or "") + "\n".join(m.content for m in request.messages)


def estimate_input_tokens(request: ProviderRequest) -> int:
    """Rough prompt size: used for pre-flight quota and context-window checks only."""
    return estimate_tokens(prompt_text(request)) + 4 * len(request.messages)


def final_usage(reported: Usage | None, request: ProviderRequest, output_text: str) -> Usage:
    """The provider's exact usage, or an estimate flagged ``estimated`` when it reported none."""
    if reported is not None:
        return reported
    return Usage(estimate_input_tokens(request), estimate_tokens(output_text), estimated=True)


def cost_usd(model: ModelConfig, usage: Usage) -> float:
    """Price ``usage`` on ``model`` (prices are USD per million tokens)."""
    return round((usage.input_tokens * (model.input_price_per_mtok or 0.0)
                  + usage.output_tokens * (model.output_price_per_mtok or 0.0)) / 1_000_000, 10)


def expected_cost(model: ModelConfig, input_tokens: int, max_tokens: int) -> float:
    """Worst-case cost of a request on ``model`` (what lowest-cost routing compares)."""
    return cost_usd(model, Usage(input_tokens, max_tokens))
