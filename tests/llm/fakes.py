"""Wire-level fake upstreams (aiohttp on 127.0.0.1) spoken to through the REAL SDKs.

One server speaks four dialects: OpenAI SSE (``/v1/chat/completions`` with the
``include_usage`` final chunk), Groq (``/openai/v1/chat/completions`` with
``x_groq.usage``), Anthropic SSE (``/v1/messages``) and Bedrock ConverseStream
(``/model/{id}/converse-stream``) in the binary AWS event-stream encoding.
The requested *model id* picks the scenario, so one fake serves a whole route:
``ok``, ``rate-limit``, ``server-error``, ``overloaded``, ``bad-request``,
``context``, ``cut`` (tokens, then the TCP connection is aborted), ``slow``
(a long stream, to test cancellation), ``hang`` (no response: a timeout),
``no-usage``, ``stream-error`` (an error event after tokens). Anything after a
``:`` is ignored, so ``ok:a`` and ``ok:b`` are distinct models with the same behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKENS = ["Hello", " world", " from", " the", " fake"]
INPUT_TOKENS = 11


@dataclass
class Call:
    dialect: str
    model: str
    body: dict[str, Any]


@dataclass
class FakeUpstream:
    """The fake server plus what it saw (calls, client disconnects)."""

    tokens: list[str] = field(default_factory=lambda: list(TOKENS))
    token_delay_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    disconnects: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _last_headers: dict[str, str] = field(default_factory=dict)

    async def start(self) -> FakeUpstream:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/openai/v1/chat/completions", self._groq)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/model/{model_id}/converse-stream", self._bedrock)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def models(self, dialect: str) -> list[str]:
        return [c.model for c in self.calls if c.dialect == dialect]

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def scenario(model: str) -> str:
        return model.split(":", 1)[0].split("/")[-1]

    async def _open_stream(self, request: web.Request, content_type: str) -> web.StreamResponse:
        resp = web.StreamResponse(status=200, headers={"Content-Type": content_type})
        await resp.prepare(request)
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return resp

    async def _emit(self, request: web.Request, resp: web.StreamResponse, frames: list[bytes],
                    cut_after: int | None = None) -> web.StreamResponse:
        """Write frames; abort the TCP connection after ``cut_after`` frames; count disconnects."""
        try:
            for i, frame in enumerate(frames):
                if cut_after is not None and i == cut_after:
                    await asyncio.sleep(0.01)
                    assert request.transport is not None
                    request.transport.abort()
                    return resp
                await resp.write(frame)
                if self.token_delay_s:
                    await asyncio.sleep(self.token_delay_s)
            await resp.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            self.disconnects += 1
            raise
        return resp

    async def _pre(self, scen: str, dialect: str) -> web.Response | None:
        """Scenarios that answer before any stream starts: HTTP errors and hangs."""
        if scen == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 30)
            return web.json_response({"error": {"message": "gone"}}, status=503)
        errors: dict[str, tuple[int, str, str]] = {
            "rate-limit": (429, "rate_limit_error", "Rate limit reached for requests"),
            "server-error": (500, "api_error", "Internal server error"),
            "overloaded": (529, "overloaded_error", "Overloaded"),
            "bad-request": (400, "invalid_request_error", "temperature: unsupported value"),
            "context": (400, "invalid_request_error",
                        "This model's maximum context length is 8192 tokens; prompt is too long"),
        }
        if scen == "auth":  # like OpenAI's 401, the message echoes the key it got
            key = (self._last_headers.get("authorization") or self._last_headers.get("x-api-key") or "")
            return web.json_response({"error": {"message": f"Incorrect API key provided: {key}",
                                                "type": "invalid_request_error"}}, status=401)
        if scen not in errors:
            return None
        status, etype, message = errors[scen]
        headers = {"retry-after": "7"} if status == 429 else {}
        if dialect == "bedrock":
            code = {429: "ThrottlingException", 500: "InternalServerException",
                    529: "ServiceUnavailableException", 400: "ValidationException"}[status]
            headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
            return web.json_response({"message": message.replace("maximum context length", "Input is too long")},
                                     status=503 if status == 529 else status, headers=headers)
        if dialect == "anthropic":
            body: dict[str, Any] = {"type": "error", "error": {"type": etype, "message": message}}
        else:
            body = {"error": {"message": message, "type": etype,
                              "code": "context_length_exceeded" if scen == "context" else None}}
        return web.json_response(body, status=status, headers=headers)

    # -- OpenAI / Groq ---------------------------------------------------------------------

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, "openai")

    async def _groq(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, "groq")

    async def _chat(self, request: web.Request, dialect: str) -> web.StreamResponse:
        self._last_headers = {k.lower(): v for k, v in request.headers.items()}
        body = await request.json()
        model = body["model"]
        self.calls.append(Call(dialect, model, body))
        scen = self.scenario(model)
        early = await self._pre(scen, dialect)
        if early is not None:
            return early
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        usage = {"prompt_tokens": INPUT_TOKENS, "completion_tokens": len(self.tokens),
                 "total_tokens": INPUT_TOKENS + len(self.tokens)}
        tokens = self.tokens * 40 if scen == "slow" else self.tokens

        def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> bytes:
            data = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(data)}\n\n".encode()

        frames = [chunk({"role": "assistant", "content": t}, None) for t in tokens]
        last_extra: dict[str, Any] = {}
        if dialect == "groq" and scen != "no-usage":
            last_extra["x_groq"] = {"id": "req_1", "usage": usage}
        frames.append(chunk({}, "stop", **last_extra))
        if include_usage and scen != "no-usage":
            final = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model,
                     "choices": [], "usage": usage}
            frames.append(f"data: {json.dumps(final)}\n\n".encode())
        if scen == "stream-error":
            err = {"error": {"message": "The server had an error", "type": "server_error"}}
            frames = [*frames[:2], f"data: {json.dumps(err)}\n\n".encode()]
        frames.append(b"data: [DONE]\n\n")
        resp = await self._open_stream(request, "text/event-stream")
        return await self._emit(request, resp, frames, cut_after=2 if scen == "cut" else None)

    # -- Anthropic -------------------------------------------------------------------------

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        self._last_headers = {k.lower(): v for k, v in request.headers.items()}
        body = await request.json()
        model = body["model"]
        self.calls.append(Call("anthropic", model, body))
        scen = self.scenario(model)
        early = await self._pre(scen, "anthropic")
        if early is not None:
            return early

        def sse(event: str, data: dict[str, Any]) -> bytes:
            return f"event: {event}\ndata: {json.dumps({'type': event, **data})}\n\n".encode()

        tokens = self.tokens * 40 if scen == "slow" else self.tokens
        start_usage = {"input_tokens": INPUT_TOKENS + 1, "output_tokens": 1}
        frames = [sse("message_start", {"message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": start_usage}}),
            sse("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
            sse("ping", {})]
        for i, t in enumerate(tokens):
            frames.append(sse("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": t}}))
            if i == 1:  # a cumulative usage update mid-stream: must not be summed
                frames.append(sse("message_delta", {"delta": {"stop_reason": None, "stop_sequence": None},
                                                    "usage": {"output_tokens": 2}}))
        if scen == "stream-error":
            frames = [*frames[:5], sse("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})]
        frames += [sse("content_block_stop", {"index": 0}),
                   sse("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                         "usage": {"output_tokens": len(tokens)}}),
                   sse("message_stop", {})]
        resp = await self._open_stream(request, "text/event-stream")
        return await self._emit(request, resp, frames, cut_after=5 if scen == "cut" else None)

    # -- Bedrock ConverseStream ------------------------------------------------------------

    async def _bedrock(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = request.match_info["model_id"]
        self.calls.append(Call("bedrock", model, body))
        scen = self.scenario(model)
        early = await self._pre(scen, "bedrock")
        if early is not None:
            return early
        tokens = self.tokens * 40 if scen == "slow" else self.tokens
        frames = [event_frame("messageStart", {"role": "assistant"})]
        frames += [event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": t}}) for t in tokens]
        if scen == "stream-error":
            frames = [*frames[:3], exception_frame("throttlingException", "Too many requests")]
        frames += [event_frame("contentBlockStop", {"contentBlockIndex": 0}),
                   event_frame("messageStop", {"stopReason": "end_turn"})]
        if scen != "no-usage":
            frames.append(event_frame("metadata", {
                "usage": {"inputTokens": INPUT_TOKENS + 2, "outputTokens": len(tokens),
                          "totalTokens": INPUT_TOKENS + 2 + len(tokens)},
                "metrics": {"latencyMs": 5}}))
        resp = await self._open_stream(request, "application/vnd.amazon.eventstream")
        return await self._emit(request, resp, frames, cut_after=3 if scen == "cut" else None)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude (lengths + CRC32), string headers, payload, message CRC32."""
    raw_headers = b""
    for name, value in headers.items():
        encoded = value.encode()
        raw_headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(encoded)) + encoded
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF) + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def event_frame(event_type: str, data: dict[str, Any]) -> bytes:
    return encode_message({":event-type": event_type, ":content-type": "application/json",
                           ":message-type": "event"}, json.dumps(data).encode())


def exception_frame(exception_type: str, message: str) -> bytes:
    return encode_message({":exception-type": exception_type, ":content-type": "application/json",
                           ":message-type": "exception"}, json.dumps({"message": message}).encode())
