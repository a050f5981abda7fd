"""AWS Bedrock Converse/ConverseStream adapter over ``boto3`` (bedrock-runtime).

boto3 is synchronous, so the blocking ``converse_stream`` call and the event
iteration run on a dedicated thread that pumps events into an ``asyncio.Queue``;
the event loop never blocks. Closing the async stream closes the HTTP response,
which ends the thread's blocking read (so a cancelled subscription closes the
upstream request). botocore's own retries are off (``total_max_attempts=1``).
Exact usage comes from the ``metadata`` event.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

from subgraphs.llm.config import ProviderConfig
from subgraphs.llm.providers.base import (
    Chunk,
    ErrorKind,
    ProviderError,
    ProviderRequest,
    StreamEnd,
    TextDelta,
    Usage,
    classify_http_sdk_error,
    kind_for_status,
    scrub,
)

_CODE_KINDS = {
    "throttlingexception": ErrorKind.RATE_LIMITED,
    "toomanyrequestsexception": ErrorKind.RATE_LIMITED,
    "serviceunavailableexception": ErrorKind.OVERLOADED,
    "internalserverexception": ErrorKind.SERVER,
    "modelstreamerrorexception": ErrorKind.SERVER,
    "modeltimeoutexception": ErrorKind.TIMEOUT,
    "modelnotreadyexception": ErrorKind.OVERLOADED,
    "accessdeniedexception": ErrorKind.AUTH,
    "unrecognizedclientexception": ErrorKind.AUTH,
}


def classify_boto_error(exc: BaseException, secrets: tuple[str, ...]) -> ProviderError:
    """Map a botocore ``ClientError``/``EventStreamError`` or transport error to a ``ProviderError``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response.get("Error", {})
        code = str(error.get("Code", ""))
        message = scrub(str(error.get("Message", "")) or code, secrets)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        kind = _CODE_KINDS.get(code.lower())
        if kind is None:
            kind = kind_for_status(int(status) if status else 400, message)
        return ProviderError(kind, f"{code}: {message}", status=status)
    return classify_http_sdk_error(exc, secrets)


class _Done:
    """Queue sentinel: the worker thread finished."""


class BedrockProvider:
    """Streams ``converse_stream`` events from a worker thread into the event loop."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        import boto3
        from botocore.config import Config

        self.name = name
        self.kind = config.kind.value
        key_id = config.aws_access_key_id.get_secret_value() if config.aws_access_key_id else None
        secret = config.aws_secret_access_key.get_secret_value() if config.aws_secret_access_key else None
        self._secrets = tuple(s for s in (key_id, secret, os.environ.get("AWS_SECRET_ACCESS_KEY")) if s)
        self._client = boto3.session.Session().client(
            "bedrock-runtime",
            region_name=config.region or os.environ.get("AWS_REGION") or "us-east-1",
            endpoint_url=config.base_url,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                          read_timeout=config.timeout_s, connect_timeout=config.connect_timeout_s,
                          tcp_keepalive=True),
        )

    def _params(self, request: ProviderRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "modelId": request.model,
            "messages": [{"role": m.role, "content": [{"text": m.content}]} for m in request.messages],
            "inferenceConfig": {"maxTokens": request.max_tokens},
        }
        if request.temperature is not None:
            params["inferenceConfig"]["temperature"] = request.temperature
        if request.system:
            params["system"] = [{"text": request.system}]
        return params

    def _pump(self, params: dict[str, Any], loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any],
              holder: dict[str, Any], stop: threading.Event) -> None:
        """Worker thread: call the API and forward each event (or the exception) to the loop."""

        def put(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stop.set()

        try:
            response = self._client.converse_stream(**params)
            events = response["stream"]
            holder["stream"] = events
            if stop.is_set():
                events.close()
                return
            for event in events:
                if stop.is_set():
                    break
                put(event)
            put(_Done())
        except BaseException as exc:
            put(exc if not stop.is_set() else _Done())
        finally:
            stream = holder.get("stream")
            if stream is not None:
                stream.close()

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        holder: dict[str, Any] = {}
        stop = threading.Event()
        worker = threading.Thread(target=self._pump, args=(self._params(request), loop, queue, holder, stop),
                                  name=f"bedrock-{self.name}", daemon=True)
        worker.start()
        usage: Usage | None = None
        finish = "stop"
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Done):
                    break
                if isinstance(item, BaseException):
                    raise classify_boto_error(item, self._secrets) from None
                if "contentBlockDelta" in item:
                    text = item["contentBlockDelta"].get("delta", {}).get("text")
                    if text:
                        yield TextDelta(text)
                elif "messageStop" in item:
                    finish = str(item["messageStop"].get("stopReason", "stop"))
                elif "metadata" in item:
                    raw = item["metadata"].get("usage") or {}
                    if "inputTokens" in raw and "outputTokens" in raw:
                        usage = Usage(int(raw["inputTokens"]), int(raw["outputTokens"]))
        finally:
            stop.set()
            stream = holder.get("stream")
            if stream is not None and worker.is_alive():
                # Closing the response unblocks the worker's read: the upstream request ends now.
                await asyncio.to_thread(stream.close)
        yield StreamEnd(finish, usage)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
