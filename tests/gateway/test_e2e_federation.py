"""End to end: `python -m gateway` in front of two Strawberry federation subgraphs on uvicorn.

Covers what the federation audit does not send: variables, input objects, lists, @skip/@include
with variables, operationName in multi-operation documents, mutations, partial failures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import free_port as _free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "federation"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(FIXTURES))

from fed_subgraphs import supergraph_sdl  # noqa: E402


def _wait(url: str, body: dict[str, Any], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.post(url, json=body, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{url} did not start")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sub_port = _free_port()
    subs = subprocess.Popen(
        [sys.executable, str(FIXTURES / "fed_serve.py"), str(sub_port)], cwd=ROOT, start_new_session=True
    )
    gw: subprocess.Popen[bytes] | None = None
    try:
        base = f"http://127.0.0.1:{sub_port}"
        _wait(f"{base}/users/", {"query": "{ __typename }"}, subs)
        path = tmp_path_factory.mktemp("sg") / "supergraph.graphql"
        path.write_text(supergraph_sdl(f"{base}/users/", f"{base}/reviews/"))
        port = _free_port()
        gw = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--supergraph", str(path), "--port", str(port)],
            cwd=ROOT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/graphql"
        _wait(url, {"query": "{ __typename }"}, gw)
        yield url
    finally:
        if gw is not None:
            _stop(gw)
        _stop(subs)


def post(
    url: str, query: str, variables: dict[str, Any] | None = None, op: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if op is not None:
        body["operationName"] = op
    resp = httpx.post(url, json=body, headers={"Accept": "application/json"}, timeout=10)
    return resp.json()  # type: ignore[no-any-return]


def test_entity_join_with_variables_and_input_objects(gateway_url: str) -> None:
    q = """query Users($f: UserFilter) { users(filter: $f) { id name reviews { body rating } } }"""
    result = post(gateway_url, q, {"f": {"roles": ["MEMBER"]}})
    assert result == {
        "data": {"users": [{"id": "u2", "name": "Brian", "reviews": [{"body": "meh", "rating": 3}]}]}
    }


def test_skip_include_with_variables(gateway_url: str) -> None:
    q = """query($withReviews: Boolean!, $noName: Boolean!) {
      me { id name @skip(if: $noName) reviews @include(if: $withReviews) { body } reviewCount }
    }"""
    assert post(gateway_url, q, {"withReviews": False, "noName": True}) == {
        "data": {"me": {"id": "u1", "reviewCount": 2}}
    }
    assert post(gateway_url, q, {"withReviews": True, "noName": False}) == {
        "data": {
            "me": {
                "id": "u1",
                "name": "Ada",
                "reviews": [{"body": "great"}, {"body": "fine"}],
                "reviewCount": 2,
            }
        }
    }


def test_operation_name_in_multi_operation_document(gateway_url: str) -> None:
    doc = """
      query Me { me { name } }
      query Top($n: Int!) { topReviews(first: $n) { body author { name } } }
    """
    assert post(gateway_url, doc, op="Me") == {"data": {"me": {"name": "Ada"}}}
    assert post(gateway_url, doc, {"n": 1}, op="Top") == {
        "data": {"topReviews": [{"body": "great", "author": {"name": "Ada"}}]}
    }


def test_lists_and_aliases_keep_client_order(gateway_url: str) -> None:
    result = post(gateway_url, "{ all: users { n: name t: __typename id } }")
    assert result["data"]["all"][0] == {"n": "Ada", "t": "User", "id": "u1"}
    assert list(result["data"]["all"][0]) == ["n", "t", "id"]


def test_mutation_with_input_object(gateway_url: str) -> None:
    q = """mutation Add($input: ReviewInput!) { addReview(input: $input) { body rating author { name } } }"""
    result = post(gateway_url, q, {"input": {"authorId": "u2", "body": "e2e", "rating": 1}})
    assert result == {"data": {"addReview": {"body": "e2e", "rating": 1, "author": {"name": "Brian"}}}}


def test_inaccessible_enum_value_is_nulled(gateway_url: str) -> None:
    result = post(gateway_url, '{ user(id: "u3") { name role } }')
    assert result["data"] == {"user": None}
    assert result["errors"]


def test_introspection_with_federated_field(gateway_url: str) -> None:
    result = post(gateway_url, '{ me { id } __type(name: "User") { name } }')
    assert result == {"data": {"me": {"id": "u1"}, "__type": {"name": "User"}}}
