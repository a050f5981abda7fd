"""A tiny fake GraphQL endpoint standing in for the LLM and parser subgraphs over real HTTP."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web


class FakeGraphQL:
    """Answers ``generate`` from a script and ``parse`` with Python's own parser; records every call.

    ``hang_on`` makes the n-th generate call never answer (a worker stuck mid-step).
    """

    def __init__(self, answers: list[str] | Callable[[int, dict[str, Any]], str], cost_usd: float = 0.0,
                 hang_on: set[int] | None = None) -> None:
        self.answers = answers
        self.cost_usd = cost_usd
        self.hang_on = hang_on or set()
        self.generate_calls: list[dict[str, Any]] = []
        self.parse_calls: list[dict[str, Any]] = []
        self.fail_with: dict[str, Any] | None = None
        self.runner: web.AppRunner | None = None
        self.release = asyncio.Event()
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/graphql", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/graphql"
        return self.url

    async def stop(self) -> None:
        self.release.set()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        variables = body.get("variables") or {}
        if "generate(" in body["query"]:
            if self.fail_with is not None:
                return web.json_response({"data": None, "errors": [self.fail_with]})
            self.generate_calls.append(variables["input"])
            n = len(self.generate_calls)
            if n in self.hang_on:
                await self.release.wait()
                return web.json_response({"errors": [{"message": "shutting down"}]}, status=503)
            if callable(self.answers):
                text = self.answers(n, variables["input"])
            else:
                text = self.answers[min(n, len(self.answers)) - 1]
            return web.json_response({"data": {"generate": {
                "id": f"gen-{n}", "text": text, "costUsd": self.cost_usd,
                "usage": {"inputTokens": 10, "outputTokens": 20}}}})
        if "parse(" in body["query"]:
            self.parse_calls.append(variables["input"])
            errors = []
            try:
                ast.parse(variables["input"]["source"])
            except SyntaxError as exc:
                errors.append({"line": exc.lineno or 0, "column": exc.offset or 0, "message": exc.msg})
            return web.json_response({"data": {"parse": {"syntaxErrors": errors, "findings": []}}})
        return web.json_response({"errors": [{"message": "unknown operation"}]}, status=400)
