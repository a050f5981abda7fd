"""Input validation for generations: every check runs before any upstream call or write.

Bad input becomes a ``CodedError`` (``extensions.code`` + the offending field)
so clients can tell their mistakes from provider failures, and nothing is
persisted or billed for a request that never ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from common.errors import CodedError
from subgraphs.llm.config import Catalog
from subgraphs.llm.providers.base import Message, ProviderRequest

MAX_TOKENS_LIMIT = 200_000
DEFAULT_MAX_TOKENS = 1024
ROLES = ("user", "assistant")


@dataclass(frozen=True, slots=True)
class GenerateParams:
    prompt: str | None = None
    messages: tuple[tuple[str, str], ...] = ()
    system: str | None = None
    model: str | None = None
    route: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    cache: bool | None = None
    user: str | None = None


def bad_input(message: str, field: str) -> CodedError:
    return CodedError(message, "BAD_USER_INPUT", field=field)


def _messages(params: GenerateParams) -> list[Message]:
    messages = [Message(role, content) for role, content in params.messages]
    if params.prompt is not None:
        messages.append(Message("user", params.prompt))
    if not messages:
        raise bad_input("give a prompt or messages", "prompt")
    for m in messages:
        if m.role not in ROLES:
            raise bad_input(f"message role must be one of {', '.join(ROLES)} (use `system` for system "
                            "instructions)", "messages")
        if not m.content.strip():
            raise bad_input("a message is empty", "messages")
    return messages


def _check_parameters(params: GenerateParams, size: int, max_prompt_chars: int) -> int:
    if size > max_prompt_chars:
        raise CodedError("the prompt is too large", "PROMPT_TOO_LARGE", limit=max_prompt_chars)
    max_tokens = DEFAULT_MAX_TOKENS if params.max_tokens is None else params.max_tokens
    if not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise bad_input(f"maxTokens must be between 1 and {MAX_TOKENS_LIMIT}", "maxTokens")
    t = params.temperature
    if t is not None and not (math.isfinite(t) and 0.0 <= t <= 2.0):
        raise bad_input("temperature must be between 0 and 2", "temperature")
    if params.user is not None and not 0 < len(params.user) <= 256:
        raise bad_input("user must be 1 to 256 characters", "user")
    return max_tokens


def _target(params: GenerateParams, catalog: Catalog) -> str:
    """What the client asked for (part of the cache key); unknown names are rejected here."""
    if params.model is not None and params.model not in catalog.models:
        raise CodedError(f"unknown model {params.model!r}", "UNKNOWN_MODEL", model=params.model)
    if params.route is not None and params.route not in catalog.routes:
        raise CodedError(f"unknown route {params.route!r}", "UNKNOWN_ROUTE", route=params.route)
    if params.model is None:
        return f"route:{params.route or catalog.default_route}"
    if params.route is None:
        return f"model:{params.model}"
    if params.model not in catalog.routes[params.route].models:
        raise bad_input(f"model {params.model!r} is not in route {params.route!r}", "model")
    return f"model:{params.model}@{params.route}"


def build_request(params: GenerateParams, catalog: Catalog, max_prompt_chars: int) -> tuple[ProviderRequest, str]:
    """The provider-neutral request and the cache target, or a ``CodedError`` for bad input."""
    messages = _messages(params)
    size = sum(len(m.content) for m in messages) + len(params.system or "")
    max_tokens = _check_parameters(params, size, max_prompt_chars)
    target = _target(params, catalog)
    return ProviderRequest("", tuple(messages), params.system, max_tokens, params.temperature), target
