"""The HTTP clients: LLM against a tiny fake GraphQL endpoint, parser against the real parser app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from subgraphs.agents.agents import extract_code
from subgraphs.agents.clients import HttpLlmClient, HttpParserClient
from subgraphs.agents.errors import InfrastructureError, TaskRejected
from tests.agents.fakes import FakeGraphQL


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraphQL]:
    server = FakeGraphQL(["```python\nprint(1)\n```"], cost_usd=0.002)
    await server.start()
    yield server
    await server.stop()


async def test_http_llm_client_round_trip(fake: FakeGraphQL) -> None:
    client = HttpLlmClient(fake.url)
    try:
        reply = await client.generate(prompt="p", system="s", route="cheap", user="agents:1")
    finally:
        await client.close()
    assert reply.id == "gen-1" and reply.text.startswith("```python") and reply.cost_usd == 0.002
    assert (reply.input_tokens, reply.output_tokens) == (10, 20)
    assert fake.generate_calls == [{"prompt": "p", "system": "s", "route": "cheap", "user": "agents:1"}]


async def test_http_llm_client_error_classes(fake: FakeGraphQL) -> None:
    client = HttpLlmClient(fake.url)
    try:
        fake.fail_with = {"message": "prompt too long", "extensions": {"code": "BAD_USER_INPUT"}}
        with pytest.raises(TaskRejected):
            await client.generate(prompt="p", system="s", route=None, user=None)
        fake.fail_with = {"message": "all providers down", "extensions": {"code": "PROVIDERS_UNAVAILABLE"}}
        with pytest.raises(InfrastructureError):
            await client.generate(prompt="p", system="s", route=None, user=None)
    finally:
        await client.close()
    unreachable = HttpLlmClient("http://127.0.0.1:9/graphql", timeout_s=2)
    try:
        with pytest.raises(InfrastructureError):
            await unreachable.generate(prompt="p", system="s", route=None, user=None)
    finally:
        await unreachable.close()


async def test_http_parser_client_against_the_parser_subgraph() -> None:
    from subgraphs.parser.app import create_app
    from subgraphs.parser.service import ParserSettings

    app = create_app(ParserSettings(workers=1))
    async with app.router.lifespan_context(app):
        client = HttpParserClient("http://parser/graphql", transport=httpx.ASGITransport(app=app))
        try:
            broken = await client.parse("def f(:\n  pass\n", "solution.py", "python")
            risky = await client.parse("import os\nos.system(input())\n", "solution.py", "python")
        finally:
            await client.close()
    assert broken.syntax_errors and not risky.syntax_errors
    assert risky.findings and all(f.rule_id for f in risky.findings)


def test_extract_code_from_markdown() -> None:
    assert extract_code("Sure!\n```python\ndef f():\n    return 1\n```\nBye") == "def f():\n    return 1\n"
    assert extract_code("```\nx = 1\n```") == "x = 1\n"
    assert extract_code("```js\nlet a\n```\n```py\nb = 2\n```") == "b = 2\n"
    assert extract_code("no fences here") == "no fences here\n"
    assert extract_code("```python\nunterminated = True\n") == "unterminated = True\n"
