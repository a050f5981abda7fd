"""The one small interface every provider adapter implements, and its error taxonomy.

An adapter turns a ``ProviderRequest`` into an async stream of ``TextDelta``
chunks ending with exactly one ``StreamEnd`` (finish reason + the provider's
own usage accounting, or ``None`` when it reported none). Every SDK failure is
mapped to a ``ProviderError`` whose ``kind`` drives the router's fail-over
decision, so the router never needs to know an SDK's exception classes.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    model: str  # the provider's own model id
    messages: tuple[Message, ...]
    system: str | None = None
    max_tokens: int = 1024
    temperature: float | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    finish_reason: str
    usage: Usage | None


Chunk = TextDelta | StreamEnd


class ErrorKind(StrEnum):
    RATE_LIMITED = "RATE_LIMITED"
    OVERLOADED = "OVERLOADED"
    SERVER = "SERVER"
    TIMEOUT = "TIMEOUT"
    CONNECTION = "CONNECTION"
    CONTEXT_WINDOW = "CONTEXT_WINDOW"
    BAD_REQUEST = "BAD_REQUEST"
    AUTH = "AUTH"
    UNAVAILABLE = "UNAVAILABLE"  # circuit open or local quota exhausted: never reached the provider


#: A rejected credential is the provider account's problem, not the request's: fail over (and open its circuit).
RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED, ErrorKind.SERVER, ErrorKind.TIMEOUT,
                       ErrorKind.CONNECTION, ErrorKind.CONTEXT_WINDOW, ErrorKind.UNAVAILABLE, ErrorKind.AUTH})
#: Kinds that say something about the provider's health (and so count for its circuit breaker).
HEALTH_FAILURES = frozenset({ErrorKind.OVERLOADED, ErrorKind.SERVER, ErrorKind.TIMEOUT, ErrorKind.CONNECTION,
                             ErrorKind.RATE_LIMITED, ErrorKind.AUTH})


@dataclass(eq=False)
class ProviderError(Exception):
    """A classified upstream failure; ``message`` has already been scrubbed of secrets."""

    kind: ErrorKind
    message: str
    status: int | None = None
    retry_after_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


class ProviderAdapter(Protocol):
    """What the router needs from a provider: a name, a kind and a chunk stream."""

    name: str
    kind: str

    def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]: ...

    async def close(self) -> None: ...


_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context window|maximum context|prompt is too long|input is too long|too many tokens"
    r"|reduce the length|max_tokens.*exceed|exceeds? the (model'?s? )?(maximum|limit)", re.IGNORECASE)
_TIMEOUT_NAMES = {"TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout",
                  "APITimeoutError", "TimeoutError", "ReadTimeoutError", "ConnectTimeoutError"}
_CONNECTION_NAMES = {"TransportError", "NetworkError", "RemoteProtocolError", "ReadError", "ConnectError",
                     "APIConnectionError", "ProtocolError", "ConnectionError", "EndpointConnectionError",
                     "ConnectionClosedError", "IncompleteRead", "ResponseStreamingError",
                     "IncompleteReadError", "ClientPayloadError", "ServerDisconnectedError"}


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove every configured secret (and bearer tokens) from ``text`` before it leaves the process."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return re.sub(r"(?i)(bearer\s+|x-api-key[\"':\s]+|api[_-]?key[\"'=:\s]+)[A-Za-z0-9._\-]{8,}", r"\1[redacted]",
                  text)[:500]


def kind_for_status(status: int, message: str) -> ErrorKind:
    """Map an HTTP status (plus the message for the context-window 400s) to an ``ErrorKind``."""
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 529:
        return ErrorKind.OVERLOADED
    if status in (408, 504):
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER
    if status in (400, 413, 422) and _CONTEXT_PATTERNS.search(message):
        return ErrorKind.CONTEXT_WINDOW
    if status in (401, 403):
        return ErrorKind.AUTH
    return ErrorKind.BAD_REQUEST


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("retry-after") if headers is not None else None
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _body_error_type(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("type") or err.get("code") or "")
    return ""


def classify_http_sdk_error(exc: BaseException, secrets: tuple[str, ...]) -> ProviderError:
    """Classify an exception from the openai/anthropic/groq SDKs (or their httpx transport)."""
    message = scrub(str(exc) or type(exc).__name__, secrets)
    names = {cls.__name__ for cls in type(exc).__mro__}
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        kind = kind_for_status(status, message)
        body_type = _body_error_type(getattr(exc, "body", None))
        if status < 400 or body_type in ("overloaded_error", "api_error", "rate_limit_error"):
            # An error event inside a 200 stream (Anthropic's SSE ``error`` event).
            kind = {"overloaded_error": ErrorKind.OVERLOADED, "rate_limit_error": ErrorKind.RATE_LIMITED}.get(
                body_type, ErrorKind.SERVER)
        response = getattr(exc, "response", None)
        return ProviderError(kind, message, status=status,
                             retry_after_s=_retry_after(getattr(response, "headers", None)))
    if names & _TIMEOUT_NAMES:
        return ProviderError(ErrorKind.TIMEOUT, message)
    if names & _CONNECTION_NAMES or isinstance(exc, OSError):
        return ProviderError(ErrorKind.CONNECTION, message)
    return ProviderError(ErrorKind.SERVER, message)


def estimate_tokens(text: str) -> int:
    """A rough token count (≈4 characters a token) used only when a provider reports no usage."""
    return max(1, math.ceil(len(text) / 4)) if text else 0
