"""Fail-over rules, strategies, circuit breakers and local quotas."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from subgraphs.llm.config import ModelConfig, RouteConfig, Strategy
from subgraphs.llm.providers.base import Message, ProviderRequest
from subgraphs.llm.routing import LatencyTracker, order_candidates
from tests.llm.conftest import gql, llm_settings, service_for
from tests.llm.fakes import FakeUpstream
from tests.llm.test_generate import GENERATE


@pytest.mark.parametrize("failing", [("rate-limit", "openai"), ("overloaded", "anthropic"),
                                     ("server-error", "groq"), ("hang", "bedrock"), ("cut", "openai")])
async def test_fails_over_on_retryable_errors(fake: FakeUpstream, tmp_path: Path, failing: tuple[str, str]) -> None:
    settings = llm_settings(fake.url, models=[(failing[0], failing[1], 8192), ("ok", "groq", 8192)], timeout_s=0.5)
    async with service_for(settings, tmp_path) as service:
        result = await gql(service, GENERATE, input={"prompt": "hi"})
        assert result.errors is None, result.errors
        gen = result.data["generate"]
        assert (gen["provider"], gen["model"]) == ("groq", "ok")
        assert gen["attempts"][0]["ok"] is False and gen["attempts"][1]["ok"] is True


async def test_context_window_fails_over_only_to_longer_context(fake: FakeUpstream, tmp_path: Path) -> None:
    models = [("context:a", "openai", 8192), ("ok:short", "groq", 4096), ("ok:same", "anthropic", 8192),
              ("ok:long", "bedrock", 200_000)]
    async with service_for(llm_settings(fake.url, models=models), tmp_path) as service:
        gen = (await gql(service, GENERATE, input={"prompt": "hi"})).data["generate"]
        assert gen["model"] == "ok:long"
        assert [a["errorCode"] for a in gen["attempts"]] == ["CONTEXT_WINDOW", "CONTEXT_WINDOW",
                                                              "CONTEXT_WINDOW", None]
        assert [c.model for c in fake.calls] == ["context:a", "ok:long"]  # the short ones were never called


async def test_prompt_larger_than_every_window(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url, models=[("ok", "openai", 100)]), tmp_path) as service:
        result = await gql(service, GENERATE, input={"prompt": "word " * 400})
        assert result.errors[0].extensions["code"] == "CONTEXT_WINDOW_EXCEEDED"
        assert not fake.calls


async def test_all_rate_limited_gives_retry_after(fake: FakeUpstream, tmp_path: Path) -> None:
    models = [("rate-limit:a", "openai", 8192), ("rate-limit:b", "anthropic", 8192)]
    async with service_for(llm_settings(fake.url, models=models), tmp_path) as service:
        result = await gql(service, GENERATE, input={"prompt": "hi"})
        ext = result.errors[0].extensions
        assert ext["code"] == "RATE_LIMITED" and ext["retryAfter"] == 7
        assert [a["code"] for a in ext["attempts"]] == ["RATE_LIMITED", "RATE_LIMITED"]


async def test_circuit_opens_then_half_open_probe_closes(fake: FakeUpstream, tmp_path: Path) -> None:
    models = [("server-error", "openai", 8192), ("ok", "groq", 8192)]
    settings = llm_settings(fake.url, models=models, circuit_failure_threshold=2, circuit_base_backoff_s=0.2,
                            circuit_jitter=0.0)
    query = "{ providers { name circuit consecutiveFailures nextProbeAt lastError models { model circuit } } }"
    async with service_for(settings, tmp_path) as service:
        for _ in range(3):
            assert (await gql(service, GENERATE, input={"prompt": "hi"})).data["generate"]["provider"] == "groq"
        assert [c.model for c in fake.calls].count("server-error") == 2  # third request skipped it
        providers = {p["name"]: p for p in (await gql(service, query)).data["providers"]}
        assert providers["openai"]["circuit"] == "OPEN" and providers["openai"]["consecutiveFailures"] == 2
        assert providers["openai"]["nextProbeAt"] and "Internal server error" in providers["openai"]["lastError"]
        assert providers["groq"]["circuit"] == "CLOSED"
        import asyncio

        await asyncio.sleep(0.25)
        providers = {p["name"]: p for p in (await gql(service, query)).data["providers"]}
        assert providers["openai"]["circuit"] == "HALF_OPEN"
        # The probe fails again: re-opened with a longer backoff.
        await gql(service, GENERATE, input={"prompt": "hi"})
        assert [c.model for c in fake.calls].count("server-error") == 3
        providers = {p["name"]: p for p in (await gql(service, query)).data["providers"]}
        assert providers["openai"]["circuit"] == "OPEN"


async def test_circuit_closes_on_successful_probe(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("ok", "openai", 8192)], circuit_failure_threshold=1,
                            circuit_base_backoff_s=0.05, circuit_jitter=0.0)
    async with service_for(settings, tmp_path) as service:
        breakers = service.router.circuits
        await breakers.record_failure("openai:ok", "boom")
        assert (await breakers.snapshot("openai:ok")).next_probe_at is not None
        result = await gql(service, GENERATE, input={"prompt": "hi"})
        assert result.errors[0].extensions["code"] == "PROVIDERS_UNAVAILABLE"
        import asyncio

        await asyncio.sleep(0.1)
        assert (await gql(service, GENERATE, input={"prompt": "hi"})).errors is None
        snap = await breakers.snapshot("openai:ok")
        assert snap.next_probe_at is None and snap.consecutive_failures == 0


async def test_provider_quota_fails_over_then_rate_limits(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("ok:a", "openai", 8192), ("ok:b", "anthropic", 8192)])
    settings.providers["openai"].requests_per_minute = 1
    settings.providers["anthropic"].requests_per_minute = 1
    async with service_for(settings, tmp_path) as service:
        providers = [(await gql(service, GENERATE, input={"prompt": "hi"})).data["generate"]["provider"]
                     for _ in range(2)]
        assert providers == ["openai", "anthropic"]
        third = await gql(service, GENERATE, input={"prompt": "hi"})
        assert third.errors[0].extensions["code"] == "RATE_LIMITED"
        assert 1 <= third.errors[0].extensions["retryAfter"] <= 60
        assert len(fake.calls) == 2


async def test_user_quota(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, user_requests_per_minute=2)
    async with service_for(settings, tmp_path) as service:
        for _ in range(2):
            assert (await gql(service, GENERATE, input={"prompt": "hi", "user": "bob"})).errors is None
        over = await gql(service, GENERATE, input={"prompt": "hi", "user": "bob"})
        assert over.errors[0].extensions["code"] == "RATE_LIMITED" and over.errors[0].extensions["retryAfter"] >= 1
        assert (await gql(service, GENERATE, input={"prompt": "hi", "user": "eve"})).errors is None


def _models() -> list[ModelConfig]:
    return [ModelConfig(name="a", provider="p", input_price_per_mtok=5, output_price_per_mtok=5),
            ModelConfig(name="b", provider="p", input_price_per_mtok=1, output_price_per_mtok=1),
            ModelConfig(name="c", provider="p", input_price_per_mtok=3, output_price_per_mtok=3)]


def test_strategies() -> None:
    request = ProviderRequest("", (Message("user", "hi"),), max_tokens=100)
    models, rng, latency = _models(), random.Random(1), LatencyTracker(0.5)
    names = lambda ms: [m.name for m in ms]  # noqa: E731
    assert names(order_candidates(RouteConfig(models=["a", "b", "c"]), models, request, latency, rng)) == \
        ["a", "b", "c"]
    cost = RouteConfig(strategy=Strategy.LOWEST_COST, models=["a", "b", "c"])
    assert names(order_candidates(cost, models, request, latency, rng)) == ["b", "c", "a"]
    for name, ms in (("a", 30.0), ("b", 10.0), ("c", 20.0), ("b", 50.0)):
        latency.observe(name, ms)
    fastest = RouteConfig(strategy=Strategy.LOWEST_LATENCY, models=["a", "b", "c"])
    assert names(order_candidates(fastest, models, request, latency, rng)) == ["c", "a", "b"]  # b: EWMA 30 > 20
    weighted = RouteConfig(strategy=Strategy.WEIGHTED, models=["a", "b", "c"], weights=[8, 1, 1])
    firsts = [order_candidates(weighted, models, request, latency, rng)[0].name for _ in range(2000)]
    assert 0.75 < firsts.count("a") / 2000 < 0.85
    assert all(sorted(names(order_candidates(weighted, models, request, latency, rng))) == ["a", "b", "c"]
               for _ in range(10))


async def test_auth_failure_fails_over(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("auth", "openai", 8192), ("ok", "anthropic", 8192)])
    async with service_for(settings, tmp_path) as service:
        gen = (await gql(service, GENERATE, input={"prompt": "hi"})).data["generate"]
        assert gen["provider"] == "anthropic" and gen["attempts"][0]["errorCode"] == "AUTH"


async def test_provider_tokens_per_minute_reserves_then_refunds(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("ok:a", "openai", 8192), ("ok:b", "anthropic", 8192)])
    settings.providers["openai"].tokens_per_minute = 100
    async with service_for(settings, tmp_path) as service:
        # Reserves ~95 (prompt estimate + maxTokens), uses 16: the unused 79 come back.
        first = (await gql(service, GENERATE, input={"prompt": "hi", "maxTokens": 90})).data["generate"]
        # ~84 left: a second 95-token reservation does not fit, so it goes to the next provider.
        second = (await gql(service, GENERATE, input={"prompt": "hi", "maxTokens": 90})).data["generate"]
        third = (await gql(service, GENERATE, input={"prompt": "hi", "maxTokens": 10})).data["generate"]
        assert [first["provider"], second["provider"], third["provider"]] == ["openai", "anthropic", "openai"]
        assert second["attempts"][0]["errorCode"] == "RATE_LIMITED"
