"""OpenAI Chat Completions adapters: OpenAI (and any OpenAI-compatible server) and Groq.

Both SDKs share the chat.completions streaming shape. OpenAI reports exact usage
in a final chunk when ``stream_options.include_usage`` is set; Groq reports it in
``x_groq.usage`` on the last chunk. The SDKs' own retries are off
(``max_retries=0``): fail-over is the router's decision, not the SDK's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from subgraphs.llm.config import ProviderConfig, ProviderKind
from subgraphs.llm.providers.base import (
    Chunk,
    ProviderError,
    ProviderRequest,
    StreamEnd,
    TextDelta,
    Usage,
    classify_http_sdk_error,
)


def _messages(request: ProviderRequest) -> list[dict[str, str]]:
    out = [{"role": "system", "content": request.system}] if request.system else []
    out.extend({"role": m.role, "content": m.content} for m in request.messages)
    return out


def _usage_from(obj: Any) -> Usage | None:
    if obj is None:
        return None
    get = obj.get if isinstance(obj, dict) else lambda k, d=None: getattr(obj, k, d)
    prompt, completion = get("prompt_tokens"), get("completion_tokens")
    if prompt is None or completion is None:
        return None
    return Usage(int(prompt), int(completion))


class OpenAICompatibleProvider:
    """Streams chat completions through the ``openai`` or ``groq`` async client."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        self.name = name
        self.kind = config.kind.value
        key = config.key() or "unset"
        self._secrets = (key,)
        client: Any
        if config.kind is ProviderKind.GROQ:
            import groq
            import httpx

            timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)
            client = groq.AsyncGroq(api_key=key, base_url=config.base_url, max_retries=0, timeout=timeout)
        else:
            import httpx2
            import openai

            # ``timeout_s`` bounds each read, so a stream that stalls between chunks times out too.
            timeout2 = httpx2.Timeout(config.timeout_s, connect=config.connect_timeout_s)
            client = openai.AsyncOpenAI(api_key=key, base_url=config.base_url, max_retries=0, timeout=timeout2)
        self._client = client
        self._stream_usage = config.stream_usage and config.kind is ProviderKind.OPENAI

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        params: dict[str, Any] = {"model": request.model, "messages": _messages(request), "stream": True,
                                  "max_tokens": request.max_tokens}
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if self._stream_usage:
            params["stream_options"] = {"include_usage": True}
        try:
            stream = await self._client.chat.completions.create(**params)
        except Exception as exc:
            raise classify_http_sdk_error(exc, self._secrets) from None
        usage: Usage | None = None
        finish = "stop"
        try:
            async for chunk in stream:
                usage = _usage_from(getattr(chunk, "usage", None)) or usage
                x_groq = getattr(chunk, "x_groq", None)
                if x_groq is not None:
                    usage = _usage_from(getattr(x_groq, "usage", None)) or usage
                for choice in chunk.choices or ():
                    if choice.finish_reason:
                        finish = str(choice.finish_reason)
                    text = choice.delta.content if choice.delta is not None else None
                    if text:
                        yield TextDelta(text)
        except ProviderError:
            raise
        except Exception as exc:
            raise classify_http_sdk_error(exc, self._secrets) from None
        finally:
            await stream.close()
        yield StreamEnd(finish, usage)

    async def close(self) -> None:
        await self._client.close()
