"""Anthropic Messages adapter over the official ``anthropic`` SDK (raw stream events).

Usage is exact: ``message_start`` carries the input tokens, ``message_delta``
carries *cumulative* output tokens (so we keep the last value, never a sum).
A mid-stream ``error`` event (e.g. ``overloaded_error``) surfaces as an SDK
status error and is classified like a 529.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from subgraphs.llm.config import ProviderConfig
from subgraphs.llm.providers.base import (
    Chunk,
    ProviderError,
    ProviderRequest,
    StreamEnd,
    TextDelta,
    Usage,
    classify_http_sdk_error,
)


class _Accounting:
    """Folds the raw stream events: text deltas out, usage and stop reason kept."""

    def __init__(self) -> None:
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.finish = "stop"

    def apply(self, event: Any) -> str | None:
        etype = getattr(event, "type", "")
        if etype == "content_block_delta":
            return getattr(event.delta, "text", None)
        if etype == "message_start":
            self.input_tokens = event.message.usage.input_tokens
            self.output_tokens = event.message.usage.output_tokens
        elif etype == "message_delta":
            self.finish = str(event.delta.stop_reason or self.finish)
            self.output_tokens = event.usage.output_tokens  # cumulative: the last value is the total
            if getattr(event.usage, "input_tokens", None) is not None:
                self.input_tokens = event.usage.input_tokens
        return None

    def usage(self) -> Usage | None:
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return Usage(self.input_tokens, self.output_tokens)


class AnthropicProvider:
    """Streams ``messages.create(stream=True)`` through ``anthropic.AsyncAnthropic``."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        import anthropic
        import httpx2

        self.name = name
        self.kind = config.kind.value
        key = config.key() or "unset"
        self._secrets = (key,)
        self._client = anthropic.AsyncAnthropic(api_key=key, base_url=config.base_url, max_retries=0,
                                                timeout=httpx2.Timeout(config.timeout_s,
                                                                       connect=config.connect_timeout_s))

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        params: dict[str, Any] = {
            "model": request.model, "max_tokens": request.max_tokens, "stream": True,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if request.system:
            params["system"] = request.system
        if request.temperature is not None:
            # anthropic>=2 dropped the typed ``temperature`` argument; the API still accepts it.
            params["extra_body"] = {"temperature": request.temperature}
        try:
            stream = await self._client.messages.create(**params)
        except Exception as exc:
            raise classify_http_sdk_error(exc, self._secrets) from None
        accounting = _Accounting()
        try:
            async for event in stream:
                text = accounting.apply(event)
                if text:
                    yield TextDelta(text)
        except ProviderError:
            raise
        except Exception as exc:
            raise classify_http_sdk_error(exc, self._secrets) from None
        finally:
            await stream.close()
        yield StreamEnd(accounting.finish, accounting.usage())

    async def close(self) -> None:
        await self._client.close()
