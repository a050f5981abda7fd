"""Each adapter against the wire-level fake, through the real SDK code."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.llm.providers import create_provider
from subgraphs.llm.providers.base import (
    ErrorKind,
    Message,
    ProviderError,
    ProviderRequest,
    StreamEnd,
    TextDelta,
)
from tests.llm.conftest import SECRET, provider_configs
from tests.llm.fakes import INPUT_TOKENS, TOKENS, FakeUpstream

DIALECTS = ["openai", "groq", "anthropic", "bedrock"]
EXPECTED_INPUT = {"openai": INPUT_TOKENS, "groq": INPUT_TOKENS, "anthropic": INPUT_TOKENS + 1,
                  "bedrock": INPUT_TOKENS + 2}


def _request(model: str) -> ProviderRequest:
    return ProviderRequest(model=model, messages=(Message("user", "hi"),), system="be brief", max_tokens=64,
                           temperature=0.0)


async def _collect(fake: FakeUpstream, dialect: str, model: str, timeout_s: float = 5.0
                   ) -> tuple[list[str], StreamEnd | None]:
    provider = create_provider(dialect, provider_configs(fake.url, timeout_s)[dialect])
    texts: list[str] = []
    end = None
    try:
        async for chunk in provider.stream(_request(model)):
            if isinstance(chunk, TextDelta):
                texts.append(chunk.text)
            else:
                end = chunk
    finally:
        await provider.close()
    return texts, end


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_stream_with_exact_usage(fake: FakeUpstream, dialect: str) -> None:
    texts, end = await _collect(fake, dialect, "ok")
    assert texts == TOKENS
    assert end is not None and end.usage is not None
    assert (end.usage.input_tokens, end.usage.output_tokens) == (EXPECTED_INPUT[dialect], len(TOKENS))
    assert not end.usage.estimated
    call = fake.calls[-1]
    if dialect == "openai":
        assert call.body["stream_options"] == {"include_usage": True}


# Anthropic always reports usage in message_start, so it has no "no usage" case.
@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "anthropic"])
async def test_no_usage_reported(fake: FakeUpstream, dialect: str) -> None:
    texts, end = await _collect(fake, dialect, "no-usage")
    assert texts == TOKENS and end is not None and end.usage is None


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("scenario", "kind"), [
    ("rate-limit", ErrorKind.RATE_LIMITED), ("server-error", ErrorKind.SERVER),
    ("overloaded", ErrorKind.OVERLOADED), ("bad-request", ErrorKind.BAD_REQUEST),
    ("context", ErrorKind.CONTEXT_WINDOW), ("cut", ErrorKind.CONNECTION),
])
async def test_error_classes(fake: FakeUpstream, dialect: str, scenario: str, kind: ErrorKind) -> None:
    if scenario == "overloaded" and dialect in ("openai", "groq"):
        kind = ErrorKind.OVERLOADED  # a 529 is a 529 whoever sends it
    with pytest.raises(ProviderError) as info:
        await _collect(fake, dialect, scenario)
    assert info.value.kind is kind, info.value
    assert SECRET not in str(info.value)
    assert len(fake.calls) == 1, "the SDK's own retries must be off"
    if scenario == "rate-limit" and dialect != "bedrock":
        assert info.value.retry_after_s == 7


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_error_after_tokens(fake: FakeUpstream, dialect: str) -> None:
    provider = create_provider(dialect, provider_configs(fake.url)[dialect])
    seen: list[str] = []
    with pytest.raises(ProviderError) as info:
        async for chunk in provider.stream(_request("stream-error")):
            if isinstance(chunk, TextDelta):
                seen.append(chunk.text)
    await provider.close()
    assert seen, "tokens arrive before the error"
    assert info.value.kind in (ErrorKind.SERVER, ErrorKind.OVERLOADED, ErrorKind.RATE_LIMITED)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_timeout(fake: FakeUpstream, dialect: str) -> None:
    with pytest.raises(ProviderError) as info:
        await _collect(fake, dialect, "hang", timeout_s=0.3)
    assert info.value.kind in (ErrorKind.TIMEOUT, ErrorKind.CONNECTION)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_closing_the_stream_closes_the_upstream_request(fake: FakeUpstream, dialect: str) -> None:
    fake.token_delay_s = 0.01
    provider = create_provider(dialect, provider_configs(fake.url)[dialect])
    stream = provider.stream(_request("slow"))
    got = 0
    async for chunk in stream:
        got += isinstance(chunk, TextDelta)
        if got == 3:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    for _ in range(100):
        if fake.disconnects:
            break
        await asyncio.sleep(0.02)
    await provider.close()
    assert fake.disconnects == 1
