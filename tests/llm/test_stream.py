"""generateStream: token deltas, mid-stream fail-over, cache replay and cancellation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from subgraphs.llm.schema import schema
from subgraphs.llm.service import LLMService
from tests.llm.conftest import llm_settings, service_for
from tests.llm.fakes import TOKENS, FakeUpstream

STREAM = """
subscription($input: GenerateInput!) { generateStream(input: $input) {
  __typename
  ... on TokenDelta { index text }
  ... on GenerationRestarted { reason provider }
  ... on GenerationDone { generation { id provider text cached usage { outputTokens } attempts { ok tokensSent } } }
} }"""


async def _subscribe(service: LLMService, payload: dict[str, Any]) -> Any:
    return await schema.subscribe(STREAM, variable_values={"input": payload}, context_value={"llm": service})


async def _events(service: LLMService, payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    async for result in await _subscribe(service, payload):
        assert result.errors is None, result.errors
        out.append(result.data["generateStream"])
    return out


async def test_stream_tokens_then_done(fake: FakeUpstream, tmp_path: Path) -> None:
    for provider in ("openai", "groq", "anthropic", "bedrock"):
        async with service_for(llm_settings(fake.url, models=[("ok", provider, 8192)]), tmp_path) as service:
            events = await _events(service, {"prompt": "hi"})
            deltas = [e for e in events if e["__typename"] == "TokenDelta"]
            assert [d["text"] for d in deltas] == TOKENS and [d["index"] for d in deltas] == list(range(5))
            done = events[-1]["generation"]
            assert events[-1]["__typename"] == "GenerationDone" and done["provider"] == provider
            assert done["text"] == "".join(TOKENS)


async def test_mid_stream_cut_restarts_on_next_provider(fake: FakeUpstream, tmp_path: Path) -> None:
    for broken in ("openai", "anthropic", "bedrock"):
        fake.calls.clear()
        models = [("cut", broken, 8192), ("ok", "groq", 8192)]
        async with service_for(llm_settings(fake.url, models=models), tmp_path) as service:
            events = await _events(service, {"prompt": "hi"})
            kinds = [e["__typename"] for e in events]
            restart = kinds.index("GenerationRestarted")
            assert restart >= 1 and all(k == "TokenDelta" for k in kinds[:restart]), kinds
            assert events[restart]["provider"] == "groq" and broken in events[restart]["reason"]
            after = [e for e in events[restart + 1:] if e["__typename"] == "TokenDelta"]
            assert [e["text"] for e in after] == TOKENS and after[0]["index"] == 0
            done = events[-1]["generation"]
            assert done["text"] == "".join(TOKENS) and done["provider"] == "groq"
            assert done["attempts"][0]["ok"] is False and done["attempts"][0]["tokensSent"] == restart


async def test_cached_stream_replays_tokens(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url), tmp_path) as service:
        first = await _events(service, {"prompt": "hi", "cache": True})
        second = await _events(service, {"prompt": "hi", "cache": True})
        assert [e for e in second if e["__typename"] == "TokenDelta"] == \
            [e for e in first if e["__typename"] == "TokenDelta"]
        assert second[-1]["generation"]["cached"] is True and len(fake.calls) == 1
        third = await _events(service, {"prompt": "hi", "cache": True, "maxTokens": 10})
        assert third[-1]["generation"]["cached"] is False  # parameters are part of the key


async def test_closing_the_subscription_closes_upstream(fake: FakeUpstream, tmp_path: Path) -> None:
    fake.token_delay_s = 0.01
    for provider in ("openai", "anthropic", "bedrock"):
        fake.disconnects = 0
        async with service_for(llm_settings(fake.url, models=[("slow", provider, 8192)]), tmp_path) as service:
            stream = await _subscribe(service, {"prompt": "hi"})
            seen = 0
            async for result in stream:
                seen += result.data["generateStream"]["__typename"] == "TokenDelta"
                if seen == 3:
                    break
            await stream.aclose()
            for _ in range(100):
                if fake.disconnects:
                    break
                await asyncio.sleep(0.02)
            assert fake.disconnects == 1, provider
            await service.flush()
            rows = await service.store.usage(None, None, ["provider"])
            assert rows[0].requests == 1  # the cancelled generation is recorded once


async def test_stream_validation_error(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url), tmp_path) as service:
        results = [r async for r in await _subscribe(service, {"prompt": "hi", "temperature": -1})]
        assert results[0].errors[0].extensions["code"] == "BAD_USER_INPUT"
