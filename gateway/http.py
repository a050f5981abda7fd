"""The gateway's HTTP edge: GraphQL over HTTP on Starlette.

Everything HTTP lives here and nowhere else: body limits, content negotiation,
request-shape checks, GET query parameters, status codes. A request leaves this
module as a :class:`~gateway.pipeline.GraphQLRequest` and comes back as a
:class:`~gateway.pipeline.GraphQLResult`, whose ``Outcome`` decides the status:

* ``application/graphql-response+json``: 400 when the request never reached
  execution (parse, validation, operation, variables), 200 once execution
  started, 5xx when there is no ``data`` for another reason. This media type
  exists so clients and intermediaries can tell those apart by status.
* ``application/json``: 200 for every well-formed GraphQL request, as the
  GraphQL-over-HTTP spec asks for legacy clients that treat 4xx as transport
  failures.

Malformed HTTP requests (bad JSON, wrong parameter types, missing query) get
400 under either media type; a mutation over GET gets 405; an oversized body
413; an unsupported Content-Type 415; an unsatisfiable Accept 406.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.config import GatewaySettings
from gateway.pipeline import (
    INTERNAL_SERVER_ERROR,
    GraphQLRequest,
    GraphQLResult,
    Outcome,
    Pipeline,
    PipelineOptions,
)

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"

# Request-shape error codes, as Apollo Router names them.
INVALID_GRAPHQL_REQUEST = "INVALID_GRAPHQL_REQUEST"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"

PipelineFactory = Callable[[], AbstractAsyncContextManager[Pipeline | None]]
"""Opens the pipeline (supergraph + subgraph transport) for the app's lifetime.

It may yield None when no supergraph is known yet (polling mode): the gateway
then answers 503 until a background task publishes one."""

BackgroundTask = Callable[["GatewayState"], Coroutine[Any, Any, None]]
"""Runs for the app's lifetime next to the server (schema watchers); cancelled on shutdown."""


# --------------------------------------------------------------------------- negotiation


def _parse_media_range(item: str) -> tuple[str, float]:
    parts = item.split(";")
    media = parts[0].strip().lower()
    quality = 1.0
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                quality = 0.0
    return media, quality


def negotiate(accept: str | None, *, offer_html: bool = False) -> str | None:
    """Choose the response media type for an ``Accept`` header; None means 406.

    The most specific matching range decides each offer's quality (RFC 9110).
    Wildcards (``*/*``, ``application/*``) select plain ``application/json``:
    a client that did not name ``application/graphql-response+json`` may not
    understand its status codes. HTML (GraphiQL) is only served when asked for
    by name, never through a wildcard. Ties go to the GraphQL media type.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = [_parse_media_range(item) for item in accept.split(",") if item.strip()]

    def quality(offer: str, wildcards: bool) -> float:
        main = offer.split("/", 1)[0]
        best: tuple[int, float] = (-1, 0.0)
        for media, q in ranges:
            if media == offer:
                specificity = 2
            elif wildcards and media == f"{main}/*":
                specificity = 1
            elif wildcards and media == "*/*":
                specificity = 0
            else:
                continue
            if specificity > best[0]:
                best = (specificity, q)
        return best[1]

    candidates = [(GRAPHQL_RESPONSE_JSON, quality(GRAPHQL_RESPONSE_JSON, False)), (JSON, quality(JSON, True))]
    if offer_html:
        candidates.append((HTML, quality(HTML, False)))
    chosen, best_q = None, 0.0
    for media, q in candidates:  # server preference order; strict '>' keeps the earlier on ties
        if q > best_q:
            chosen, best_q = media, q
    return chosen


def _content_type_ok(header: str | None) -> bool:
    """JSON bodies only, in UTF-8 (the default when no charset is given)."""
    if header is None:
        return False
    media, *params = (p.strip() for p in header.split(";"))
    if media.lower() != JSON:
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


# --------------------------------------------------------------------------- request shape


class HttpError(Exception):
    """A request refused before GraphQL processing, with its status and GraphQL error code."""

    def __init__(self, status: int, message: str, code: str = INVALID_GRAPHQL_REQUEST) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _optional_map(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise HttpError(400, f"Invalid GraphQL request: '{name}' must be an object or null.")


def graphql_request_from_params(params: Any) -> GraphQLRequest:
    """Check a decoded body (or decoded GET parameters) against the GraphQL-over-HTTP request shape."""
    if not isinstance(params, dict):
        raise HttpError(400, "Invalid GraphQL request: the body must be a JSON object.")
    query = params.get("query")
    operation_name = params.get("operationName")
    variables = _optional_map(params, "variables")
    extensions = _optional_map(params, "extensions")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HttpError(400, "Invalid GraphQL request: 'operationName' must be a string or null.")
    if query is None:
        if extensions is not None and "persistedQuery" in extensions:
            raise HttpError(400, "Persisted queries are not supported.", PERSISTED_QUERY_NOT_SUPPORTED)
        raise HttpError(
            400,
            "Invalid GraphQL request: missing 'query'. Send a POST with a JSON body "
            "{\"query\": ...} or a GET with a 'query' URL parameter.",
        )
    if not isinstance(query, str):
        raise HttpError(400, "Invalid GraphQL request: 'query' must be a string.")
    return GraphQLRequest(query, operation_name, variables, extensions)


def _decode_json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise HttpError(400, f"Invalid GraphQL request: '{name}' is not valid JSON.") from None


async def _read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing (413) as soon as it exceeds ``limit`` bytes, declared or streamed."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HttpError(413, f"Request body exceeds {limit} bytes.", "PAYLOAD_TOO_LARGE")
        except ValueError:
            raise HttpError(400, "Invalid Content-Length header.") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"Request body exceeds {limit} bytes.", "PAYLOAD_TOO_LARGE")
        chunks.append(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- responses


def _status_for(result: GraphQLResult, media_type: str) -> int:
    if result.outcome is Outcome.METHOD_NOT_ALLOWED:
        return 405
    if media_type != GRAPHQL_RESPONSE_JSON:
        return 200
    if result.outcome is Outcome.REQUEST_ERROR:
        return 400
    if result.outcome is Outcome.INTERNAL_ERROR:
        return 500
    # Execution started: 2xx whenever the response has a data entry (even null).
    return 200 if "data" in result.body else 500


def _json_response(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    try:
        content = orjson.dumps(body)
    except TypeError:
        logger.exception("response body is not JSON-serialisable")
        content = orjson.dumps(
            {"errors": [{"message": "Internal server error", "extensions": {"code": INTERNAL_SERVER_ERROR}}]}
        )
        status = 500 if media_type == GRAPHQL_RESPONSE_JSON else 200
    return Response(content, status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers)


def _error_response(error: HttpError, media_type: str) -> Response:
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    headers = {"Allow": "GET, POST"} if error.status == 405 else None
    return _json_response(body, error.status, media_type, headers)


GRAPHIQL_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>QuantumLayer gateway · GraphiQL</title>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
    ReactDOM.createRoot(document.getElementById("graphiql"))
      .render(React.createElement(GraphiQL, { fetcher }));
  </script>
</body>
</html>
"""


# --------------------------------------------------------------------------- the app


@dataclass
class GatewayState:
    """The app's mutable state: the active pipeline, None until the supergraph is loaded."""

    pipeline: Pipeline | None = None


class GraphQLHttpHandler:
    """The ``/graphql``, ``/health`` and ``/readiness`` endpoints over a :class:`GatewayState`."""

    def __init__(self, settings: GatewaySettings, state: GatewayState) -> None:
        self._settings = settings
        self._state = state

    async def graphql(self, request: Request) -> Response:
        offer_html = request.method in ("GET", "HEAD") and self._settings.graphiql
        media_type = negotiate(request.headers.get("accept"), offer_html=offer_html)
        if media_type is None:
            return _error_response(
                HttpError(
                    406,
                    f"Not acceptable: this endpoint serves {GRAPHQL_RESPONSE_JSON} and {JSON}.",
                    "NOT_ACCEPTABLE",
                ),
                JSON,
            )
        if media_type == HTML:
            if "query" not in request.query_params:
                return HTMLResponse(GRAPHIQL_PAGE)
            media_type = JSON  # a browser following a link with ?query=: show the JSON
        try:
            graphql_request, allow_mutations = await self._read_request(request)
        except HttpError as error:
            return _error_response(error, media_type)

        pipeline = self._state.pipeline
        if pipeline is None:
            return _error_response(
                HttpError(503, "The gateway is starting.", "SERVICE_UNAVAILABLE"), media_type
            )
        try:
            result = await pipeline.run(graphql_request, allow_mutations=allow_mutations)
        except Exception:  # the pipeline should not raise; if it does, still answer cleanly
            logger.exception("unhandled error in the request pipeline")
            return _error_response(HttpError(500, "Internal server error", INTERNAL_SERVER_ERROR), media_type)
        headers = {"Allow": "POST"} if result.outcome is Outcome.METHOD_NOT_ALLOWED else None
        return _json_response(result.body, _status_for(result, media_type), media_type, headers)

    async def _read_request(self, request: Request) -> tuple[GraphQLRequest, bool]:
        if request.method in ("GET", "HEAD"):
            params = request.query_params
            decoded = {
                "query": params.get("query"),
                "operationName": params.get("operationName") or None,
                "variables": _decode_json_param(params.get("variables"), "variables"),
                "extensions": _decode_json_param(params.get("extensions"), "extensions"),
            }
            return graphql_request_from_params(decoded), False
        if not _content_type_ok(request.headers.get("content-type")):
            raise HttpError(415, f"Unsupported Content-Type: send {JSON} (UTF-8).", "UNSUPPORTED_MEDIA_TYPE")
        body = await _read_body(request, self._settings.max_request_bytes)
        if not body:
            raise HttpError(400, "Invalid GraphQL request: the body is empty.")
        try:
            decoded_body = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise HttpError(400, "Invalid GraphQL request: the body is not valid JSON.") from None
        return graphql_request_from_params(decoded_body), True

    async def health(self, request: Request) -> Response:
        """Liveness: the process serves HTTP. Says nothing about subgraphs on purpose."""
        return _json_response({"status": "ok"}, 200, JSON)

    async def readiness(self, request: Request) -> Response:
        """Readiness: a supergraph is loaded; reports its hash so a rollout can check the schema."""
        pipeline = self._state.pipeline
        if pipeline is None:
            return _json_response({"status": "loading"}, 503, JSON)
        return _json_response({"status": "ready", "schemaHash": pipeline.schema_hash}, 200, JSON)


def create_app(
    settings: GatewaySettings, pipeline_factory: PipelineFactory, background: Sequence[BackgroundTask] = ()
) -> Starlette:
    """The Starlette app; the pipeline is opened in the lifespan and closed on shutdown."""
    state = GatewayState()
    handler = GraphQLHttpHandler(settings, state)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with pipeline_factory() as pipeline:
            state.pipeline = pipeline
            if pipeline is not None:
                logger.info("gateway ready, schema hash %s", pipeline.schema_hash)
            else:
                logger.info("gateway waiting for a supergraph (readiness is 503 until one loads)")
            tasks = [asyncio.create_task(task(state)) for task in background]
            try:
                yield
            finally:
                for running in tasks:
                    running.cancel()
                for running in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
                state.pipeline = None

    routes = [
        Route("/graphql", handler.graphql, methods=["GET", "POST"]),
        Route("/health", handler.health, methods=["GET"]),
        Route("/readiness", handler.readiness, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = state
    return app


def reloading_pipeline_factory(
    settings: GatewaySettings,
    initial: Any | None,
    *,
    supergraph_path: Any | None = None,
    poll_subgraphs: dict[str, str] | None = None,
    file_interval_s: float = 1.0,
    poll_interval_s: float = 5.0,
    load: Callable[[str], Any] | None = None,
) -> tuple[PipelineFactory, list[BackgroundTask]]:
    """Production wiring with hot reload: the transport is opened once and shared by every
    pipeline that a schema change builds; the watchers publish new pipelines to the state."""
    from gateway.reload import SchemaReloader, watch_supergraph_file
    from gateway.reload import poll_subgraphs as poll
    from gateway.supergraph import load_supergraph

    loader = load or load_supergraph

    options = PipelineOptions(
        document_cache_size=settings.document_cache_size,
        plan_cache_size=settings.plan_cache_size,
        debug_query_plan=settings.debug_query_plan,
        parser_max_tokens=settings.parser_max_tokens,
    )
    opened: dict[str, Any] = {}

    def build(supergraph: Any) -> Pipeline:
        return Pipeline(supergraph, opened["fetcher"], options)

    @asynccontextmanager
    async def open_pipeline() -> AsyncIterator[Pipeline | None]:
        from gateway.transport import AiohttpSubgraphFetcher

        async with AiohttpSubgraphFetcher.from_settings(settings) as fetcher:
            opened["fetcher"] = fetcher
            yield None if initial is None else build(initial)

    tasks: list[BackgroundTask] = []
    if supergraph_path is not None:
        async def file_task(state: GatewayState) -> None:
            await watch_supergraph_file(SchemaReloader(state, build, loader), supergraph_path,
                                        file_interval_s)

        tasks.append(file_task)
    if poll_subgraphs:
        async def poll_task(state: GatewayState) -> None:
            await poll(SchemaReloader(state, build, loader), poll_subgraphs, poll_interval_s)

        tasks.append(poll_task)
    return open_pipeline, tasks


def supergraph_pipeline_factory(settings: GatewaySettings, supergraph: Any) -> PipelineFactory:
    """The production wiring: a loaded supergraph plus the pooled aiohttp transport, as a pipeline.

    The supergraph is loaded by the caller (``__main__``) before the server starts,
    so a broken supergraph fails the process with a clean message instead of a
    lifespan traceback; the aiohttp session must be opened inside the server's loop.
    """

    @asynccontextmanager
    async def open_pipeline() -> AsyncIterator[Pipeline]:
        from gateway.transport import AiohttpSubgraphFetcher

        options = PipelineOptions(
            document_cache_size=settings.document_cache_size,
            plan_cache_size=settings.plan_cache_size,
            debug_query_plan=settings.debug_query_plan,
            parser_max_tokens=settings.parser_max_tokens,
        )
        async with AiohttpSubgraphFetcher.from_settings(settings) as fetcher:
            yield Pipeline(supergraph, fetcher, options)

    return open_pipeline
