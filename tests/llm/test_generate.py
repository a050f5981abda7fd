"""generate / generation / usage through the real schema, the router and the fake upstream."""

from __future__ import annotations

from pathlib import Path

from tests.llm.conftest import SECRET, gql, llm_settings, service_for
from tests.llm.fakes import INPUT_TOKENS, TOKENS, FakeUpstream

GENERATE = """
mutation($input: GenerateInput!) { generate(input: $input) {
  id provider model text finishReason costUsd latencyMs timeToFirstTokenMs cached createdAt
  usage { inputTokens outputTokens estimated }
  attempts { provider model ok errorCode tokensSent }
} }"""


async def test_generate_persists_and_resolves(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url), tmp_path) as service:
        result = await gql(service, GENERATE, input={"prompt": "hi", "user": "ann"})
        assert result.errors is None, result.errors
        gen = result.data["generate"]
        assert gen["text"] == "".join(TOKENS) and gen["provider"] == "openai" and not gen["cached"]
        assert gen["usage"] == {"inputTokens": INPUT_TOKENS, "outputTokens": 5, "estimated": False}
        assert abs(gen["costUsd"] - (INPUT_TOKENS * 1.0 + 5 * 2.0) / 1e6) < 1e-12
        await service.flush()
        again = await gql(service, 'query($id: ID!) { generation(id: $id) { id text usage { outputTokens } } }',
                          id=gen["id"])
        assert again.data["generation"]["text"] == gen["text"]
        entity = await gql(service, 'query($r: [_Any!]!) { _entities(representations: $r) '
                                    '{ ... on Generation { id model } } }',
                           r=[{"__typename": "Generation", "id": gen["id"]}])
        assert entity.errors is None and entity.data["_entities"][0]["model"] == "ok"
        missing = await gql(service, '{ generation(id: "nope") { id } }')
        assert missing.data["generation"] is None


async def test_bad_input_is_a_coded_error_and_writes_nothing(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url), tmp_path) as service:
        cases = [({}, "BAD_USER_INPUT"), ({"prompt": "x", "temperature": 5.0}, "BAD_USER_INPUT"),
                 ({"prompt": "x", "maxTokens": 0}, "BAD_USER_INPUT"),
                 ({"prompt": "x", "model": "nope"}, "UNKNOWN_MODEL"),
                 ({"prompt": "x", "route": "nope"}, "UNKNOWN_ROUTE"),
                 ({"messages": [{"role": "system", "content": "x"}]}, "BAD_USER_INPUT")]
        for payload, code in cases:
            result = await gql(service, GENERATE, input=payload)
            assert result.errors and result.errors[0].extensions["code"] == code, (payload, result.errors)
        assert not fake.calls
        usage = await gql(service, "{ usage { requests } }")
        assert usage.data["usage"] == [{"requests": 0}]


async def test_provider_bad_request_is_not_failed_over(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("bad-request", "openai", 8192), ("ok", "anthropic", 8192)])
    async with service_for(settings, tmp_path) as service:
        result = await gql(service, GENERATE, input={"prompt": "hi"})
        assert result.errors and result.errors[0].extensions["code"] == "PROVIDER_BAD_REQUEST"
        assert SECRET not in str(result.errors[0].message) and SECRET not in str(result.errors[0].extensions)
        assert [c.dialect for c in fake.calls] == ["openai"]


async def test_usage_aggregates_once_across_failover_and_cache(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("server-error", "openai", 8192), ("ok", "anthropic", 8192)])
    async with service_for(settings, tmp_path) as service:
        first = await gql(service, GENERATE, input={"prompt": "hi", "user": "ann", "temperature": 0})
        gen = first.data["generate"]
        assert gen["provider"] == "anthropic"
        assert [a["ok"] for a in gen["attempts"]] == [False, True]
        assert gen["attempts"][0]["errorCode"] == "SERVER"
        second = await gql(service, GENERATE, input={"prompt": "hi", "user": "ann", "temperature": 0})
        hit = second.data["generate"]
        assert hit["cached"] and hit["costUsd"] == 0 and hit["text"] == gen["text"]
        assert len(fake.calls) == 2  # the cache hit made no upstream call
        rows = await gql(service, "{ usage(groupBy: [PROVIDER, USER]) { provider user requests cachedRequests "
                                  "inputTokens outputTokens costUsd } }")
        assert rows.data["usage"] == [{"provider": "anthropic", "user": "ann", "requests": 2, "cachedRequests": 1,
                                       "inputTokens": INPUT_TOKENS + 1, "outputTokens": 5,
                                       "costUsd": gen["costUsd"]}]
        by_day = await gql(service, "{ usage(groupBy: [DAY, MODEL]) { day model requests } }")
        assert by_day.data["usage"][0]["requests"] == 2 and by_day.data["usage"][0]["day"]


async def test_models_and_routes(fake: FakeUpstream, tmp_path: Path) -> None:
    settings = llm_settings(fake.url, models=[("ok:a", "openai", 8192), ("ok:b", "groq", 4096)],
                            routes={"default": {"models": ["ok:a", "ok:b"]},
                                    "cheap": {"strategy": "lowest-cost", "models": ["ok:b", "ok:a"]}})
    async with service_for(settings, tmp_path) as service:
        data = (await gql(service, "{ models { name provider upstreamModel contextWindow inputUsdPerMillionTokens "
                                   "available } routes { name strategy models isDefault } }")).data
        assert data["models"][1] == {"name": "ok:b", "provider": "groq", "upstreamModel": "ok:b",
                                     "contextWindow": 4096, "inputUsdPerMillionTokens": 1.0, "available": True}
        assert {"name": "cheap", "strategy": "LOWEST_COST", "models": ["ok:b", "ok:a"], "isDefault": False} \
            in data["routes"]
        gen = (await gql(service, GENERATE, input={"prompt": "hi", "route": "cheap", "model": "ok:a"}))
        assert gen.data["generate"]["model"] == "ok:a"


async def test_persist_before_response(fake: FakeUpstream, tmp_path: Path) -> None:
    async with service_for(llm_settings(fake.url, persist_before_response=True), tmp_path) as service:
        gen = (await gql(service, GENERATE, input={"prompt": "hi"})).data["generate"]
        assert not service._pending and await service.store.get(gen["id"]) is not None
