"""Replicas sharing Redis (quotas, circuits, cache) and PostgreSQL persistence."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from tests.llm.conftest import gql, llm_settings, service_for
from tests.llm.fakes import FakeUpstream
from tests.llm.test_generate import GENERATE


@pytest.mark.redis
async def test_user_limit_holds_across_two_replicas(fake: FakeUpstream, tmp_path: Path, redis_url: str) -> None:
    prefix = f"ql:llm:test:{uuid.uuid4().hex}:"
    settings = llm_settings(fake.url, user_requests_per_minute=5, redis_prefix=prefix)
    async with service_for(settings, tmp_path / "a", redis_url=redis_url) as one, \
            service_for(settings, tmp_path / "b", redis_url=redis_url) as two:
        results = await asyncio.gather(*[gql(one if i % 2 else two, GENERATE, input={"prompt": "hi", "user": "u"})
                                         for i in range(12)])
        ok = [r for r in results if r.errors is None]
        limited = [r for r in results if r.errors]
        assert len(ok) == 5, [r.errors for r in limited]
        assert all(r.errors[0].extensions["code"] == "RATE_LIMITED" for r in limited)
        assert len(fake.calls) == 5


@pytest.mark.redis
async def test_provider_limit_holds_across_replicas(fake: FakeUpstream, tmp_path: Path, redis_url: str) -> None:
    prefix = f"ql:llm:test:{uuid.uuid4().hex}:"
    settings = llm_settings(fake.url, models=[("ok", "openai", 8192)], redis_prefix=prefix)
    settings.providers["openai"].requests_per_minute = 3
    async with service_for(settings, tmp_path / "a", redis_url=redis_url) as one, \
            service_for(settings, tmp_path / "b", redis_url=redis_url) as two:
        results = [await gql(svc, GENERATE, input={"prompt": "hi"}) for svc in (one, two) * 3]
        assert sum(r.errors is None for r in results) == 3
        assert len(fake.calls) == 3


@pytest.mark.redis
async def test_circuit_is_shared(fake: FakeUpstream, tmp_path: Path, redis_url: str) -> None:
    prefix = f"ql:llm:test:{uuid.uuid4().hex}:"
    settings = llm_settings(fake.url, models=[("server-error", "openai", 8192), ("ok", "groq", 8192)],
                            circuit_failure_threshold=2, redis_prefix=prefix)
    async with service_for(settings, tmp_path / "a", redis_url=redis_url) as one, \
            service_for(settings, tmp_path / "b", redis_url=redis_url) as two:
        await gql(one, GENERATE, input={"prompt": "hi"})
        await gql(two, GENERATE, input={"prompt": "hi"})
        providers = (await gql(one, "{ providers { name circuit } }")).data["providers"]
        assert {p["name"]: p["circuit"] for p in providers}["openai"] == "OPEN"
        fake.calls.clear()
        await gql(two, GENERATE, input={"prompt": "hi"})
        assert [c.model for c in fake.calls] == ["ok"]


@pytest.mark.redis
async def test_cache_is_shared(fake: FakeUpstream, tmp_path: Path, redis_url: str) -> None:
    prefix = f"ql:llm:test:{uuid.uuid4().hex}:"
    settings = llm_settings(fake.url, redis_prefix=prefix)
    async with service_for(settings, tmp_path / "a", redis_url=redis_url) as one, \
            service_for(settings, tmp_path / "b", redis_url=redis_url) as two:
        first = (await gql(one, GENERATE, input={"prompt": "hi", "temperature": 0})).data["generate"]
        second = (await gql(two, GENERATE, input={"prompt": "hi", "temperature": 0})).data["generate"]
        assert not first["cached"] and second["cached"] and second["text"] == first["text"]
        assert len(fake.calls) == 1


@pytest.mark.postgres
async def test_postgres_persistence_and_usage(fake: FakeUpstream, tmp_path: Path, postgres_url: str) -> None:
    settings = llm_settings(fake.url, models=[("server-error", "openai", 8192), ("ok", "anthropic", 8192)])
    async with service_for(settings, tmp_path, database_url=postgres_url) as service:
        gen = (await gql(service, GENERATE, input={"prompt": "hi", "user": "ann"})).data["generate"]
        await service.flush()
        loaded = (await gql(service, 'query($id: ID!) { generation(id: $id) { provider attempts { ok } } }',
                            id=gen["id"])).data["generation"]
        assert loaded == {"provider": "anthropic", "attempts": [{"ok": False}, {"ok": True}]}
        rows = (await gql(service, '{ usage(groupBy: [DAY, PROVIDER, USER], since: "2020-01-01T00:00:00Z") '
                                   '{ day provider user requests outputTokens } }')).data["usage"]
        assert len(rows) == 1 and rows[0]["provider"] == "anthropic" and rows[0]["requests"] == 1
        none = (await gql(service, '{ usage(until: "2020-01-01T00:00:00Z") { requests } }')).data["usage"]
        assert none == [{"requests": 0}]


async def test_redis_outage_fails_open(fake: FakeUpstream, tmp_path: Path) -> None:
    """Nothing listens on the Redis port: cache, circuits and quotas degrade, generation still works."""
    settings = llm_settings(fake.url, user_requests_per_minute=1)
    async with service_for(settings, tmp_path, redis_url="redis://127.0.0.1:9/0") as service:
        for _ in range(2):
            result = await gql(service, GENERATE, input={"prompt": "hi", "user": "u", "temperature": 0})
            assert result.errors is None, result.errors
