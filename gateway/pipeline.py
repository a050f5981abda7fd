"""The request pipeline: GraphQL request → parse → validate → coerce → plan → execute.

This module is the transport-agnostic middle of the gateway. ``gateway.http``
turns HTTP into a :class:`GraphQLRequest` and maps the :class:`GraphQLResult`
back to a status code; this module never sees HTTP and never opens a
connection (the subgraph fetcher is handed to the executor as it was handed
to us). Each stage takes the previous stage's output and returns either that
stage's product or a request error, so no stage reaches back.

Parsing + validation and query planning are the costly, deterministic stages,
so both are memoised in bounded LRU caches: documents by (schema hash, query
text hash), plans by (schema hash, document hash, operation name), as Apollo
Router does.
"""

from __future__ import annotations

import enum
import hashlib
import inspect
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

logger = logging.getLogger(__name__)

# Error codes, chosen as Apollo Router / Apollo Server name them so clients
# written against those keep working.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
UNKNOWN_OPERATION_NAME = "GRAPHQL_UNKNOWN_OPERATION_NAME"
BAD_USER_INPUT = "BAD_USER_INPUT"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"

# graphql-core >= 3.3 accepts empty selection sets unless told otherwise; the
# spec does not, so ask for the strict behaviour where the option exists.
_STRICT_SELECTIONS: dict[str, Any] = (
    {"allow_empty_selection_sets": False}
    if "allow_empty_selection_sets" in inspect.signature(parse).parameters
    else {}
)


# --------------------------------------------------------------------------- contracts


class SupergraphLike(Protocol):
    """What the pipeline needs from ``gateway.supergraph.Supergraph``."""

    @property
    def api_schema(self) -> GraphQLSchema: ...

    @property
    def hash(self) -> str: ...


class QueryPlanLike(Protocol):
    """What the pipeline needs from ``gateway.planning.QueryPlan``."""

    def to_dict(self) -> dict[str, Any]: ...


Planner = Callable[[Any, DocumentNode, "str | None"], Any]
"""``plan_operation(supergraph, document, operation_name) -> QueryPlan`` (pure)."""

Executor = Callable[[Any, Any, dict[str, Any], Any], Awaitable[dict[str, Any]]]
"""``execute_plan(supergraph, plan, variables, fetcher) -> {"data": ..., "errors"?: ...}``."""


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """A well-formed GraphQL-over-HTTP request, already checked for shape by the HTTP layer."""

    query: str
    operation_name: str | None = None
    variables: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] | None = None


class Outcome(enum.Enum):
    """How far a request got; the HTTP layer derives the status code from it."""

    REQUEST_ERROR = "request_error"  # parse/validation/operation/variables: nothing executed
    METHOD_NOT_ALLOWED = "method_not_allowed"  # mutation or subscription over GET
    EXECUTED = "executed"  # execution started; the body may still carry field errors
    INTERNAL_ERROR = "internal_error"  # a bug or unexpected failure; logged, never leaked


@dataclass(frozen=True, slots=True)
class GraphQLResult:
    """The GraphQL response body plus the :class:`Outcome` that produced it."""

    body: dict[str, Any]
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """The pipeline's knobs, taken from ``GatewaySettings`` by the composition root."""

    document_cache_size: int = 1024
    plan_cache_size: int = 512
    debug_query_plan: bool = False
    parser_max_tokens: int | None = 15_000


# --------------------------------------------------------------------------- caches

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class LruCache(Generic[K, V]):
    """A small bounded LRU map with hit/miss counters (``maxsize == 0`` disables it).

    Not thread-safe, and it need not be: the pipeline runs on one event loop.
    """

    maxsize: int
    hits: int = 0
    misses: int = 0
    _data: OrderedDict[K, V] = field(default_factory=OrderedDict, repr=False)

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        if self.maxsize <= 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """Output of parse + validate: a document that is valid against the API schema."""

    document: DocumentNode
    hash: str


@dataclass(frozen=True, slots=True)
class RequestErrors:
    """A stage's refusal: formatted GraphQL errors, and the outcome they imply."""

    errors: tuple[dict[str, Any], ...]
    outcome: Outcome = Outcome.REQUEST_ERROR

    def result(self) -> GraphQLResult:
        return GraphQLResult({"errors": list(self.errors)}, self.outcome)


def format_error(error: GraphQLError, code: str) -> dict[str, Any]:
    """A GraphQL error as the response carries it, with ``extensions.code`` set."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", code)
    formatted["extensions"] = extensions
    return formatted


def request_error(message: str, code: str, outcome: Outcome = Outcome.REQUEST_ERROR) -> RequestErrors:
    """A single-error refusal not tied to a location in the document."""
    return RequestErrors(({"message": message, "extensions": {"code": code}},), outcome)


def document_hash(query: str) -> str:
    """Stable identity of a query text (also what a persisted-query hash would be)."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def parse_and_validate(
    schema: GraphQLSchema, query: str, *, max_tokens: int | None = None, query_hash: str | None = None
) -> PreparedDocument | RequestErrors:
    """Parse ``query`` and validate it against the API schema (never the supergraph's join schema)."""
    try:
        document = parse(query, max_tokens=max_tokens, **_STRICT_SELECTIONS)
    except GraphQLError as error:
        return RequestErrors((format_error(error, PARSE_FAILED),))
    except RecursionError:
        return request_error("Document is nested too deeply.", PARSE_FAILED)
    errors = validate(schema, document, **_STRICT_SELECTIONS)
    if errors:
        return RequestErrors(tuple(format_error(e, VALIDATION_FAILED) for e in errors))
    return PreparedDocument(document, query_hash or document_hash(query))


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | RequestErrors:
    """Pick the operation to run, with the errors the GraphQL spec's GetOperation asks for."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        if not operations:
            return request_error("The document does not contain any operation.", VALIDATION_FAILED)
        return request_error(
            "Must provide operation name if query contains multiple operations.", VALIDATION_FAILED
        )
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return request_error(f'Unknown operation named "{operation_name}".', UNKNOWN_OPERATION_NAME)


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any] | RequestErrors:
    """Coerce the request's variables per the operation's definitions (defaults applied)."""
    result = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {}), max_errors=50
    )
    if isinstance(result, list):
        return RequestErrors(tuple(format_error(e, BAD_USER_INPUT) for e in result))
    # graphql-core 3.3 returns a VariableValues tuple, 3.2 the plain dict.
    coerced: Any = getattr(result, "coerced", result)
    return dict(coerced)


def internal_error() -> RequestErrors:
    """What a client sees of an unexpected failure: no message details, no stack trace."""
    return request_error("Internal server error", INTERNAL_SERVER_ERROR, Outcome.INTERNAL_ERROR)


# --------------------------------------------------------------------------- the pipeline


def _default_planner() -> Planner:
    # Imported on first use, not at module import: tests inject fakes and never pay for it.
    from gateway.planning import plan_operation

    return plan_operation


def _default_planning_errors() -> tuple[type[Exception], ...]:
    try:
        from gateway.planning import PlanningError
    except ImportError:  # not part of the planning contract; tolerate its absence
        return ()
    return (PlanningError,)


def _default_executor() -> Executor:
    from gateway.execution import execute_plan

    return execute_plan


class Pipeline:
    """Runs GraphQL requests against one supergraph.

    One instance per loaded supergraph: a schema change builds a new pipeline,
    which is why the caches can live here (their keys still carry the schema
    hash, so sharing them later would be safe).
    """

    def __init__(
        self,
        supergraph: SupergraphLike,
        fetcher: Any,
        options: PipelineOptions | None = None,
        *,
        planner: Planner | None = None,
        executor: Executor | None = None,
        planning_errors: tuple[type[Exception], ...] | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.options = options or PipelineOptions()
        self._fetcher = fetcher
        self._planner: Planner = planner if planner is not None else _default_planner()
        self._executor: Executor = executor if executor is not None else _default_executor()
        # Errors the planner raises on purpose (its message is meant for clients),
        # as opposed to bugs, which are logged and hidden.
        self._planning_errors = planning_errors if planning_errors is not None else _default_planning_errors()
        self.documents: LruCache[tuple[str, str], PreparedDocument | RequestErrors] = LruCache(
            self.options.document_cache_size
        )
        self.plans: LruCache[tuple[str, str, str | None], Any] = LruCache(self.options.plan_cache_size)

    @property
    def schema_hash(self) -> str:
        return self.supergraph.hash

    def prepare(self, query: str) -> PreparedDocument | RequestErrors:
        """Parse + validate through the document cache (failures are cached too: they are deterministic)."""
        query_hash = document_hash(query)
        key = (self.supergraph.hash, query_hash)
        prepared = self.documents.get(key)
        if prepared is None:
            prepared = parse_and_validate(
                self.supergraph.api_schema,
                query,
                max_tokens=self.options.parser_max_tokens,
                query_hash=query_hash,
            )
            self.documents.put(key, prepared)
        return prepared

    def plan(self, prepared: PreparedDocument, operation_name: str | None) -> Any:
        """The query plan for one operation of a prepared document, through the plan cache."""
        key = (self.supergraph.hash, prepared.hash, operation_name)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._planner(self.supergraph, prepared.document, operation_name)
            self.plans.put(key, plan)
        return plan

    async def run(self, request: GraphQLRequest, *, allow_mutations: bool = True) -> GraphQLResult:
        """Run one request to completion; never raises except for cancellation.

        ``allow_mutations`` is False for GET requests: GraphQL over HTTP forbids
        anything but queries there, as GETs may be cached, prefetched or replayed.
        """
        prepared = self.prepare(request.query)
        if isinstance(prepared, RequestErrors):
            return prepared.result()

        operation = select_operation(prepared.document, request.operation_name)
        if isinstance(operation, RequestErrors):
            return operation.result()
        if not allow_mutations and operation.operation is not OperationType.QUERY:
            return request_error(
                f"Only query operations are allowed over GET; send {operation.operation.value}s with POST.",
                METHOD_NOT_ALLOWED,
                Outcome.METHOD_NOT_ALLOWED,
            ).result()

        variables = coerce_variables(self.supergraph.api_schema, operation, request.variables)
        if isinstance(variables, RequestErrors):
            return variables.result()

        # The planner receives the operation's real name so an anonymous
        # single-operation document plans with None, as the contract says.
        operation_name = operation.name.value if operation.name is not None else None
        try:
            plan = self.plan(prepared, operation_name)
        except self._planning_errors as error:
            logger.warning("query planning failed for operation %r: %s", operation_name, error)
            return request_error(
                f"Query planning failed: {error}", QUERY_PLANNING_FAILED, Outcome.INTERNAL_ERROR
            ).result()
        except Exception:
            logger.exception("query planning failed for operation %r", operation_name)
            return internal_error().result()

        try:
            body = await self._executor(self.supergraph, plan, variables, self._fetcher)
        except Exception:
            logger.exception("execution failed for operation %r", operation_name)
            return internal_error().result()

        if self.options.debug_query_plan:
            body = self._with_plan(body, plan)
        return GraphQLResult(body, Outcome.EXECUTED)

    @staticmethod
    def _with_plan(body: dict[str, Any], plan: Any) -> dict[str, Any]:
        try:
            plan_dict = plan.to_dict()
        except Exception:
            logger.exception("could not serialise the query plan")
            return body
        extensions = dict(body.get("extensions") or {})
        extensions["queryPlan"] = plan_dict
        return {**body, "extensions": extensions}
