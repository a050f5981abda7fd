"""Narrow interfaces to the LLM and parser subgraphs, with HTTP (GraphQL) implementations.

The agents only need ``generate`` and ``parse``; hiding them behind two small
protocols lets tests script the LLM and lets a deployment point both at the
gateway (one URL) or at each subgraph directly.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from subgraphs.agents.errors import InfrastructureError, TaskRejected

GENERATE = """mutation AgentGenerate($input: GenerateInput!) {
  generate(input: $input) { id text costUsd usage { inputTokens outputTokens } }
}"""

PARSE = """query AgentParse($input: SourceInput!) {
  parse(input: $input) { syntaxErrors { line column message } findings { ruleId severity message line } }
}"""

# Errors that are the request's fault: retrying the same input cannot help.
_REJECTING_CODES = frozenset({"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "PROMPT_TOO_LARGE",
                              "CONTEXT_WINDOW_EXCEEDED", "PROVIDER_BAD_REQUEST", "UNKNOWN_MODEL",
                              "UNKNOWN_ROUTE", "SOURCE_TOO_LARGE", "UNSUPPORTED_LANGUAGE"})
# Everything else (RATE_LIMITED, PROVIDERS_UNAVAILABLE, UPSTREAM_FAILED, ...) is retried with backoff.


@dataclass(frozen=True, slots=True)
class LlmReply:
    id: str
    text: str
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: str
    message: str
    line: int


@dataclass(frozen=True, slots=True)
class ParseReport:
    syntax_errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class LlmClient(Protocol):
    async def generate(self, *, prompt: str, system: str, route: str | None, user: str | None) -> LlmReply: ...
    async def close(self) -> None: ...


class ParserClient(Protocol):
    async def parse(self, source: str, path: str, language: str) -> ParseReport: ...
    async def close(self) -> None: ...


class _GraphQLClient:
    """POST a GraphQL document; transport failures and 5xx are infrastructure errors."""

    def __init__(self, url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self.http = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def call(self, query: str, variables: dict[str, Any], field_name: str) -> dict[str, Any]:
        try:
            response = await self.http.post(self.url, json={"query": query, "variables": variables})
        except httpx.HTTPError as exc:
            raise InfrastructureError(f"{self.url} unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise InfrastructureError(f"{self.url} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise InfrastructureError(f"{self.url} answered HTTP {response.status_code} without JSON") from None
        errors = body.get("errors") or []
        data = (body.get("data") or {}).get(field_name)
        if errors and data is None:
            first = errors[0]
            code = (first.get("extensions") or {}).get("code", "")
            message = f"{field_name} failed: {first.get('message', 'unknown error')}"
            if code in _REJECTING_CODES:
                raise TaskRejected(message + f" ({code})")
            raise InfrastructureError(message + (f" ({code})" if code else ""))
        if not isinstance(data, dict):
            raise InfrastructureError(f"{field_name} returned no data (HTTP {response.status_code})")
        return data

    async def close(self) -> None:
        await self.http.aclose()


class HttpLlmClient:
    """``mutation { generate(...) }`` on the LLM subgraph or the gateway."""

    def __init__(self, url: str, timeout_s: float = 120.0, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.gql = _GraphQLClient(url, timeout_s, transport)

    async def generate(self, *, prompt: str, system: str, route: str | None, user: str | None) -> LlmReply:
        payload: dict[str, Any] = {"prompt": prompt, "system": system}
        if route:
            payload["route"] = route
        if user:
            payload["user"] = user
        data = await self.gql.call(GENERATE, {"input": payload}, "generate")
        usage = data.get("usage") or {}
        return LlmReply(id=str(data["id"]), text=str(data.get("text") or ""),
                        cost_usd=float(data.get("costUsd") or 0.0),
                        input_tokens=int(usage.get("inputTokens") or 0),
                        output_tokens=int(usage.get("outputTokens") or 0))

    async def close(self) -> None:
        await self.gql.close()


class HttpParserClient:
    """``query { parse(...) }`` on the parser subgraph or the gateway."""

    def __init__(self, url: str, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.gql = _GraphQLClient(url, timeout_s, transport)

    async def parse(self, source: str, path: str, language: str) -> ParseReport:
        data = await self.gql.call(PARSE, {"input": {"source": source, "path": path, "language": language}},
                                   "parse")
        return ParseReport(
            syntax_errors=[f"line {e['line']}:{e['column']}: {e['message']}" for e in data.get("syntaxErrors") or []],
            findings=[Finding(f["ruleId"], f["severity"], f["message"], int(f["line"]))
                      for f in data.get("findings") or []])

    async def close(self) -> None:
        await self.gql.close()


class LocalPythonParser:
    """Syntax check with the interpreter's own parser: for offline runs (bench, demos) without the subgraph."""

    async def parse(self, source: str, path: str, language: str) -> ParseReport:
        if language != "python":
            return ParseReport()
        try:
            ast.parse(source, filename=path)
        except SyntaxError as exc:
            return ParseReport(syntax_errors=[f"line {exc.lineno}:{exc.offset}: {exc.msg}"])
        return ParseReport()

    async def close(self) -> None:
        return None


Responder = Callable[[str, str], str]


class ScriptedLlmClient:
    """A deterministic LLM: answers from a list (or a function of prompt/system) and records every call.

    Used by tests and the HumanEval bench; ``cost_usd`` per call exercises budgets.
    """

    def __init__(self, answers: Sequence[str] | Responder, cost_usd: float = 0.0) -> None:
        self.answers = answers
        self.cost_usd = cost_usd
        self.calls: list[tuple[str, str]] = []

    async def generate(self, *, prompt: str, system: str, route: str | None, user: str | None) -> LlmReply:
        self.calls.append((system, prompt))
        n = len(self.calls)
        if callable(self.answers):
            text = self.answers(prompt, system)
        else:
            text = self.answers[min(n - 1, len(self.answers) - 1)]
        return LlmReply(id=f"scripted-{n}", text=text, cost_usd=self.cost_usd, input_tokens=len(prompt) // 4,
                        output_tokens=len(text) // 4)

    async def close(self) -> None:
        return None
