"""Pipeline tests with a fake planner and executor: the stages, the caches, the error codes.

The fakes stand in for ``gateway.planning`` / ``gateway.execution`` so these tests pin
the pipeline's own behaviour (what reaches the planner, what is cached, which code each
refusal carries) independently of the core's progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from graphql import DocumentNode, GraphQLSchema, build_schema, execute

from gateway.pipeline import (
    BAD_USER_INPUT,
    INTERNAL_SERVER_ERROR,
    PARSE_FAILED,
    UNKNOWN_OPERATION_NAME,
    VALIDATION_FAILED,
    GraphQLRequest,
    LruCache,
    Outcome,
    Pipeline,
    PipelineOptions,
)

API_SDL = """
type Query { hello(name: String): String  add(a: Int!, b: Int!): Int  boom: String }
type Mutation { bump(by: Int! = 1): Int }
"""


@dataclass
class FakeSupergraph:
    api_schema: GraphQLSchema
    hash: str = "schema-1"
    subgraph_urls: dict[str, str] | None = None


@dataclass
class FakePlan:
    document: DocumentNode
    operation_name: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "QueryPlan", "operationName": self.operation_name}


class Root:
    @staticmethod
    def hello(_info: Any, name: str | None = None) -> str:
        return f"Hello, {name or 'world'}!"

    @staticmethod
    def add(_info: Any, a: int, b: int) -> int:
        return a + b

    @staticmethod
    def bump(_info: Any, by: int) -> int:
        return by


class Recorder:
    """Counts planner calls and records what the executor received."""

    def __init__(self) -> None:
        self.plans: list[str | None] = []
        self.executed: list[tuple[FakePlan, dict[str, Any]]] = []

    def planner(self, supergraph: Any, document: DocumentNode, operation_name: str | None) -> FakePlan:
        self.plans.append(operation_name)
        return FakePlan(document, operation_name)

    async def executor(
        self, supergraph: Any, plan: FakePlan, variables: dict[str, Any], fetcher: Any
    ) -> dict:
        self.executed.append((plan, variables))
        result = execute(
            supergraph.api_schema,
            plan.document,
            root_value=Root,
            variable_values=variables,
            operation_name=plan.operation_name,
        )
        assert not hasattr(result, "__await__")
        return dict(result.formatted)  # type: ignore[union-attr]


def make_pipeline(recorder: Recorder, **options: Any) -> Pipeline:
    return Pipeline(
        FakeSupergraph(build_schema(API_SDL)),
        fetcher=None,
        options=PipelineOptions(**options),
        planner=recorder.planner,
        executor=recorder.executor,
    )


async def test_executes_and_passes_coerced_variables() -> None:
    rec = Recorder()
    pipeline = make_pipeline(rec)
    result = await pipeline.run(
        GraphQLRequest(
            "query Q($n: String, $by: Int! = 3) { hello(name: $n) bump: add(a: $by, b: 0) }",
            variables={"n": "Ada"},
        )
    )
    assert result.outcome is Outcome.EXECUTED
    assert result.body == {"data": {"hello": "Hello, Ada!", "bump": 3}}
    # Operation defaults are applied before the executor sees the variables.
    assert rec.executed[0][1] == {"n": "Ada", "by": 3}


async def test_parse_error_code() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest("{"))
    assert result.outcome is Outcome.REQUEST_ERROR
    assert "data" not in result.body
    assert result.body["errors"][0]["extensions"]["code"] == PARSE_FAILED
    assert result.body["errors"][0]["locations"] == [{"line": 1, "column": 2}]


async def test_validation_error_code() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest("{ nope }"))
    assert result.outcome is Outcome.REQUEST_ERROR
    assert result.body["errors"][0]["extensions"]["code"] == VALIDATION_FAILED


async def test_empty_selection_set_is_rejected() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest("{ }"))
    assert result.outcome is Outcome.REQUEST_ERROR


async def test_variable_coercion_error_is_bad_user_input() -> None:
    rec = Recorder()
    result = await make_pipeline(rec).run(
        GraphQLRequest("query ($a: Int!) { add(a: $a, b: 1) }", variables={"a": "x"})
    )
    assert result.outcome is Outcome.REQUEST_ERROR
    assert [e["extensions"]["code"] for e in result.body["errors"]] == [BAD_USER_INPUT]
    assert rec.plans == []  # refused before planning


async def test_missing_required_variable() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest("query ($a: Int!) { add(a: $a, b: 1) }"))
    assert result.body["errors"][0]["extensions"]["code"] == BAD_USER_INPUT


MULTI = "query A { hello } query B { add(a: 1, b: 2) } mutation M { bump(by: 2) }"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("A", {"hello": "Hello, world!"}), ("B", {"add": 3}), ("M", {"bump": 2})],
)
async def test_operation_name_selects_operation(name: str, expected: dict) -> None:
    rec = Recorder()
    result = await make_pipeline(rec).run(GraphQLRequest(MULTI, operation_name=name))
    assert result.body == {"data": expected}
    assert rec.plans == [name]


async def test_unknown_operation_name() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest(MULTI, operation_name="Z"))
    assert result.outcome is Outcome.REQUEST_ERROR
    assert result.body["errors"][0]["extensions"]["code"] == UNKNOWN_OPERATION_NAME


async def test_multiple_operations_need_a_name() -> None:
    result = await make_pipeline(Recorder()).run(GraphQLRequest(MULTI))
    assert result.outcome is Outcome.REQUEST_ERROR
    assert result.body["errors"][0]["extensions"]["code"] == VALIDATION_FAILED


async def test_single_named_operation_plans_under_its_name() -> None:
    rec = Recorder()
    await make_pipeline(rec).run(GraphQLRequest("query Only { hello }"))
    assert rec.plans == ["Only"]


async def test_mutation_refused_when_mutations_not_allowed() -> None:
    rec = Recorder()
    result = await make_pipeline(rec).run(GraphQLRequest(MULTI, operation_name="M"), allow_mutations=False)
    assert result.outcome is Outcome.METHOD_NOT_ALLOWED
    assert rec.executed == []
    ok = await make_pipeline(rec).run(GraphQLRequest(MULTI, operation_name="A"), allow_mutations=False)
    assert ok.outcome is Outcome.EXECUTED


async def test_plan_cache_hits_per_document_and_operation() -> None:
    rec = Recorder()
    pipeline = make_pipeline(rec)
    for _ in range(3):
        await pipeline.run(GraphQLRequest(MULTI, operation_name="A"))
    await pipeline.run(GraphQLRequest(MULTI, operation_name="B"))
    assert rec.plans == ["A", "B"]
    assert pipeline.plans.hits == 2
    assert pipeline.documents.hits == 3


async def test_plan_cache_is_keyed_by_schema_hash() -> None:
    rec = Recorder()
    pipeline = make_pipeline(rec)
    await pipeline.run(GraphQLRequest("{ hello }"))
    pipeline.supergraph.hash = "schema-2"  # type: ignore[misc]
    await pipeline.run(GraphQLRequest("{ hello }"))
    assert rec.plans == [None, None]


async def test_caches_are_bounded() -> None:
    rec = Recorder()
    pipeline = make_pipeline(rec, plan_cache_size=2, document_cache_size=2)
    for i in range(5):
        await pipeline.run(GraphQLRequest(f"{{ add(a: {i}, b: 1) }}"))
    assert len(pipeline.plans) == 2
    assert len(pipeline.documents) == 2


async def test_debug_query_plan_extension() -> None:
    off = await make_pipeline(Recorder()).run(GraphQLRequest("{ hello }"))
    assert "extensions" not in off.body
    on = await make_pipeline(Recorder(), debug_query_plan=True).run(GraphQLRequest("{ hello }"))
    assert on.body["extensions"]["queryPlan"] == {"kind": "QueryPlan", "operationName": None}


async def test_planner_crash_is_internal_error_without_details(caplog: pytest.LogCaptureFixture) -> None:
    def broken_planner(*_args: Any) -> Any:
        raise RuntimeError("secret detail")

    pipeline = Pipeline(
        FakeSupergraph(build_schema(API_SDL)), None, planner=broken_planner, executor=Recorder().executor
    )
    result = await pipeline.run(GraphQLRequest("{ hello }"))
    assert result.outcome is Outcome.INTERNAL_ERROR
    assert result.body == {
        "errors": [{"message": "Internal server error", "extensions": {"code": INTERNAL_SERVER_ERROR}}]
    }
    assert "secret detail" in caplog.text  # logged for operators, not returned


async def test_deliberate_planning_error_keeps_its_message() -> None:
    class PlanningError(Exception):
        pass

    def refusing_planner(*_args: Any) -> Any:
        raise PlanningError("no subgraph resolves Query.hello")

    pipeline = Pipeline(
        FakeSupergraph(build_schema(API_SDL)),
        None,
        planner=refusing_planner,
        executor=Recorder().executor,
        planning_errors=(PlanningError,),
    )
    result = await pipeline.run(GraphQLRequest("{ hello }"))
    assert result.outcome is Outcome.INTERNAL_ERROR
    error = result.body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert "Query.hello" in error["message"]


async def test_executor_crash_is_internal_error() -> None:
    async def broken_executor(*_args: Any) -> dict:
        raise KeyError("boom")

    pipeline = Pipeline(
        FakeSupergraph(build_schema(API_SDL)), None, planner=Recorder().planner, executor=broken_executor
    )
    result = await pipeline.run(GraphQLRequest("{ hello }"))
    assert result.outcome is Outcome.INTERNAL_ERROR
    assert "boom" not in str(result.body)


def test_lru_cache_evicts_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3
    disabled: LruCache[str, int] = LruCache(0)
    disabled.put("a", 1)
    assert disabled.get("a") is None
