"""Plan execution: run fetches (parallel where the plan says so), merge their data into one raw
tree, then shape the client's response from it.

The raw tree holds whatever the subgraphs returned (plus fields the planner added for keys and
@requires).  Shaping walks the client's operation over the API schema: it puts response keys in
the client's order, applies @skip/@include with the actual variable values, nulls enum values
the API schema does not know, and propagates nulls per the GraphQL spec (a null non-null field
nulls its parent, up to the nearest nullable position) -- also across fetch boundaries, because
it only looks at the merged tree.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    execute_sync,
)

from gateway.execution.fetcher import SubgraphFetcher, SubgraphFetchError
from gateway.planning import TYPENAME_ALIAS_KEY
from gateway.planning.nodes import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RepField,
    SequenceNode,
)
from gateway.supergraph import Supergraph

_PROPAGATE = object()


def _merge(target: dict[str, Any], source: dict[str, Any], concrete: set[str] | None) -> None:
    """Deep-merge ``source`` into ``target``; never replace a concrete __typename by an interface
    name (an @interfaceObject subgraph answers with the interface's name)."""
    for k, v in source.items():
        if k == "__typename":
            old = target.get(k)
            if (
                old is not None
                and old != v
                and concrete is not None
                and old in concrete
                and v not in concrete
            ):
                continue
            target[k] = v
            continue
        old = target.get(k)
        if isinstance(old, dict) and isinstance(v, dict):
            _merge(old, v, concrete)
        elif isinstance(old, list) and isinstance(v, list) and len(old) == len(v):
            for i, (a, b) in enumerate(zip(old, v, strict=True)):
                if isinstance(a, dict) and isinstance(b, dict):
                    _merge(a, b, concrete)
                else:
                    old[i] = b
        else:
            target[k] = v


def _unalias(v: Any, aliases: dict[str, str]) -> Any:
    """Undo the planner's ``_fa<n>__key`` aliases (used only to keep subgraph queries valid;
    ``aliases`` lists exactly those, so a client's own ``_fa1__x`` key is left alone)."""
    if isinstance(v, list):
        return [_unalias(x, aliases) for x in v]
    if isinstance(v, dict):
        return {aliases.get(k, k): _unalias(x, aliases) for k, x in v.items()}
    return v


class _Run:
    def __init__(
        self, sg: Supergraph, plan: QueryPlan, variables: dict[str, Any], fetcher: SubgraphFetcher
    ) -> None:
        self.sg = sg
        self.plan = plan
        self.variables = variables
        self.fetcher = fetcher
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.failed: set[int] = set()  # id()s of objects whose entity fetch was nulled by an error
        concrete = sg._cache.get("concrete")
        if concrete is None:
            concrete = sg._cache["concrete"] = {n for n, t in sg.types.items() if t.kind == "object"}
        self.concrete: set[str] = concrete

    async def run(self, node: PlanNode) -> None:
        if isinstance(node, SequenceNode):
            for n in node.nodes:
                await self.run(n)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self.run(n) for n in node.nodes))
        elif isinstance(node, FlattenNode):
            await self.entity_fetch(node.path, node.node)
        else:
            await self.root_fetch(node)

    def _body(self, fetch: FetchNode, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        variables = {k: self.variables[k] for k in fetch.variable_usages if k in self.variables}
        if extra:
            variables.update(extra)
        body: dict[str, Any] = {"query": fetch.operation}
        if variables:
            body["variables"] = variables
        return body

    async def _send(self, fetch: FetchNode, body: dict[str, Any]) -> dict[str, Any] | None:
        url = self.sg.subgraph_urls.get(fetch.service_name, "")
        try:
            resp = await self.fetcher.fetch(fetch.service_name, url, body)
        except SubgraphFetchError as exc:
            self.errors.append(
                {
                    "message": str(exc) or f"fetch from subgraph '{fetch.service_name}' failed",
                    "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": fetch.service_name},
                }
            )
            return None
        if not isinstance(resp, dict):
            self.errors.append(
                {
                    "message": f"invalid response from subgraph '{fetch.service_name}'",
                    "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": fetch.service_name},
                }
            )
            return None
        return resp

    async def root_fetch(self, fetch: FetchNode) -> None:
        resp = await self._send(fetch, self._body(fetch))
        if resp is None:
            return
        for err in resp.get("errors") or ():
            self.errors.append(
                _sub_error(
                    err,
                    fetch.service_name,
                    err.get("path") if isinstance(err, dict) else None,
                    fetch.aliases,
                )
            )
        data = resp.get("data")
        if data is None and any(isinstance(e, dict) and e.get("path") for e in resp.get("errors") or ()):
            # a non-null root field failed and the subgraph nulled its whole data: the null
            # propagates to the client's data as well (GraphQL spec, "Handling Field Errors");
            # its sibling root fields are not "missing" -- the subgraph's error reports it
            self.failed.add(id(self.data))
        if isinstance(data, dict):
            if fetch.aliases:
                data = _unalias(data, fetch.aliases)
            _merge(self.data, data, self.concrete)

    async def entity_fetch(self, path: list[str], fetch: FetchNode) -> None:
        assert fetch.reps is not None
        found: list[tuple[dict[str, Any], list[str | int]]] = []
        _collect_at(self.data, path, 0, [], found)
        reps: list[dict[str, Any]] = []
        index: dict[bytes, int] = {}
        targets: list[list[tuple[dict[str, Any], list[str | int]]]] = []
        for obj, client_path in found:
            tn = obj.get("__typename")
            spec = fetch.reps.get(tn) if isinstance(tn, str) else None
            if spec is None and isinstance(tn, str):
                for iface in sorted(self.sg._declared.get(tn, ())):
                    spec = fetch.reps.get(iface)
                    if spec is not None:
                        break
            if spec is None:
                continue
            rep = _build_rep(obj, spec.fields, self.sg)
            if rep is None:
                continue
            rep = {"__typename": spec.typename, **rep}
            ck = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
            i = index.get(ck)
            if i is None:
                i = index[ck] = len(reps)
                reps.append(rep)
                targets.append([])
            targets[i].append((obj, client_path))
        if not reps:
            return
        resp = await self._send(fetch, self._body(fetch, {"representations": reps}))
        if resp is None:
            return
        errored: set[int] = set()  # entities some error of this fetch points into
        for err in resp.get("errors") or ():
            epath = err.get("path") if isinstance(err, dict) else None
            if (
                isinstance(epath, list)
                and len(epath) >= 2
                and epath[0] == "_entities"
                and isinstance(epath[1], int)
            ):
                if 0 <= epath[1] < len(targets) and targets[epath[1]]:
                    errored.add(epath[1])
                    # one representation may stand for several positions of the response (it
                    # was deduplicated): the field raised at each of them (GraphQL spec,
                    # "Handling Field Errors": an error per field position that failed)
                    for _, client_path in targets[epath[1]]:
                        self.errors.append(
                            _sub_error(err, fetch.service_name, [*client_path, *epath[2:]], fetch.aliases)
                        )
                    continue
                self.errors.append(_sub_error(err, fetch.service_name, None))
                continue
            self.errors.append(_sub_error(err, fetch.service_name, list(found[0][1]) if found else None))
        data = resp.get("data")
        if isinstance(data, dict) and fetch.aliases:
            data = _unalias(data, fetch.aliases)
        entities = data.get("_entities") if isinstance(data, dict) else None
        if not isinstance(entities, list):
            if not resp.get("errors"):
                self.errors.append(
                    {
                        "message": f"subgraph '{fetch.service_name}' returned no _entities",
                        "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": fetch.service_name},
                    }
                )
            return
        for i, ent in enumerate(entities):
            if i >= len(targets):
                continue
            if ent is None and i in errored:
                # a non-null field of this entity failed and the subgraph propagated the null up
                # to the entity: per the spec the null continues from this object's position
                # in the client's response (to its nearest nullable ancestor), and the subgraph's
                # error already reports it -- fields of the failed fetch are not "missing"
                for obj, _ in targets[i]:
                    self.failed.add(id(obj))
                continue
            if not isinstance(ent, dict):
                continue
            for obj, _ in targets[i]:
                _merge(obj, ent, self.concrete)


def _client_key(key: str, aliases: dict[str, str] | None) -> str:
    if key == TYPENAME_ALIAS_KEY:
        return "__typename"
    return aliases.get(key, key) if aliases else key


def _sub_error(
    err: Any, service: str, path: list[Any] | None, aliases: dict[str, str] | None = None
) -> dict[str, Any]:
    if not isinstance(err, dict):
        return {"message": str(err), "extensions": {"serviceName": service}}
    out: dict[str, Any] = {"message": err.get("message", "subgraph error")}
    if path:
        out["path"] = [_client_key(p, aliases) if isinstance(p, str) else p for p in path]
    ext = dict(err.get("extensions") or {})
    ext.setdefault("serviceName", service)
    out["extensions"] = ext
    return out


def _collect_at(
    value: Any,
    path: list[str],
    i: int,
    client_path: list[str | int],
    out: list[tuple[dict[str, Any], list[str | int]]],
) -> None:
    if value is None:
        return
    if i == len(path):
        if isinstance(value, dict):
            out.append((value, client_path))
        elif isinstance(value, list):  # defensive: unexpected extra list level
            for j, item in enumerate(value):
                _collect_at(item, path, i, [*client_path, j], out)
        return
    seg = path[i]
    if seg == "@":
        if isinstance(value, list):
            for j, item in enumerate(value):
                _collect_at(item, path, i + 1, [*client_path, j], out)
        return
    if isinstance(value, dict):
        _collect_at(value.get(seg), path, i + 1, [*client_path, seg], out)


def _build_rep(obj: dict[str, Any], fields: list[RepField], sg: Supergraph) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for f in fields:
        if f.fragment is not None:
            tn = obj.get("__typename")
            if isinstance(tn, str) and sg.type_satisfies(tn, f.fragment):
                sub = _build_rep(obj, f.children or [], sg)
                if sub is None:
                    return None
                out.update(sub)
            continue
        if f.response_key not in obj:
            return None
        v = obj[f.response_key]
        if f.children is not None and v is not None:
            v = _build_rep_value(v, f.children, sg)
            if v is _PROPAGATE:
                return None
        out[f.name] = v
    return out


def _build_rep_value(v: Any, children: list[RepField], sg: Supergraph) -> Any:
    if isinstance(v, list):
        items = [_build_rep_value(x, children, sg) for x in v]
        return _PROPAGATE if any(x is _PROPAGATE for x in items) else items
    if isinstance(v, dict):
        sub = _build_rep(v, children, sg)
        if sub is None:
            return _PROPAGATE
        if "__typename" in v and "__typename" not in sub:
            sub = {"__typename": v["__typename"], **sub}
        return sub
    return v


# ---- shaping ---------------------------------------------------------------------------------


class _Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        errors: list[dict[str, Any]],
        failed: set[int] | None = None,
    ) -> None:
        self.failed = failed or set()
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.errors = errors

    def _included(self, directives: tuple[DirectiveNode, ...] | None) -> bool:
        for d in directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
            if arg is None:
                continue
            if isinstance(arg.value, BooleanValueNode):
                val = arg.value.value
            elif isinstance(arg.value, VariableNode):
                val = bool(self.variables.get(arg.value.name.value))
            else:
                continue
            if name == "skip" and val:
                return False
            if name == "include" and not val:
                return False
        return True

    def _applies(self, obj_type: GraphQLObjectType | GraphQLInterfaceType, cond: str | None) -> bool:
        if cond is None or cond == obj_type.name:
            return True
        t = self.schema.get_type(cond)
        if isinstance(t, GraphQLInterfaceType | GraphQLUnionType) and isinstance(obj_type, GraphQLObjectType):
            return self.schema.is_sub_type(t, obj_type)
        return False

    def collect(
        self,
        obj_type: GraphQLObjectType | GraphQLInterfaceType,
        sets: list[SelectionSetNode],
        out: dict[str, list[FieldNode]],
    ) -> None:
        for ss in sets:
            for s in ss.selections:
                if not self._included(s.directives):  # type: ignore[arg-type]
                    continue
                if isinstance(s, FieldNode):
                    key = s.alias.value if s.alias else s.name.value
                    lst = out.setdefault(key, [])
                    if not any(n is s for n in lst):  # one node reached twice merges with itself
                        lst.append(s)
                elif isinstance(s, InlineFragmentNode):
                    if self._applies(obj_type, s.type_condition.name.value if s.type_condition else None):
                        self.collect(obj_type, [s.selection_set], out)
                elif isinstance(s, FragmentSpreadNode):
                    fd = self.fragments.get(s.name.value)
                    if fd is not None and self._applies(obj_type, fd.type_condition.name.value):
                        self.collect(obj_type, [fd.selection_set], out)

    def _null_error(self, path: list[str | int], message: str) -> None:
        n = len(path)
        for e in self.errors:
            p = e.get("path")
            if isinstance(p, list) and p[:n] == path:
                return
        self.errors.append({"message": message, "path": list(path)})

    def object(
        self,
        obj_type: GraphQLObjectType | GraphQLInterfaceType,
        sets: list[SelectionSetNode],
        raw: dict[str, Any],
        path: list[str | int],
    ) -> dict[str, Any] | None:
        if id(raw) in self.failed:
            return None
        fields: dict[str, list[FieldNode]] = {}
        self.collect(obj_type, sets, fields)
        result: dict[str, Any] = {}
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                result[key] = obj_type.name
                continue
            if name in ("__schema", "__type"):
                result[key] = raw.get(key)
                continue
            fdef = obj_type.fields.get(name)
            if fdef is None:
                continue
            subs = [n.selection_set for n in nodes if n.selection_set is not None]
            rkey = TYPENAME_ALIAS_KEY if key == "__typename" else key
            v = self.value(fdef.type, subs, raw.get(rkey), [*path, key], f"{obj_type.name}.{name}")
            if v is _PROPAGATE:
                return None
            result[key] = v
        return result

    def value(
        self,
        t: GraphQLOutputType,
        subs: list[SelectionSetNode],
        raw: Any,
        path: list[str | int],
        where: str,
    ) -> Any:
        if isinstance(t, GraphQLNonNull):
            v = self.value(t.of_type, subs, raw, path, where)
            if v is None or v is _PROPAGATE:
                if v is None:
                    self._null_error(path, f"Cannot return null for non-nullable field {where}.")
                return _PROPAGATE
            return v
        if raw is None:
            return None
        if isinstance(t, GraphQLList):
            if not isinstance(raw, list):
                self._null_error(path, f"Expected a list for field {where}.")
                return None
            items = []
            for i, item in enumerate(raw):
                v = self.value(t.of_type, subs, item, [*path, i], where)
                if v is _PROPAGATE:
                    return None
                items.append(v)
            return items
        if isinstance(t, GraphQLEnumType):
            if isinstance(raw, str) and raw in t.values:
                return raw
            self.errors.append(
                {
                    "message": f"Enum '{t.name}' cannot represent value: {orjson.dumps(raw).decode()}",
                    "path": list(path),
                }
            )
            return None
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if not isinstance(raw, dict):
                return None
            if not isinstance(t, GraphQLObjectType):
                tn = raw.get("__typename")
                cand = self.schema.get_type(tn) if isinstance(tn, str) else None
                obj_type = (
                    cand if isinstance(cand, GraphQLObjectType) and self.schema.is_sub_type(t, cand) else None
                )
                if obj_type is None:
                    if isinstance(t, GraphQLInterfaceType) and (tn is None or tn == t.name):
                        # an @interfaceObject answered and the concrete type was never needed
                        return self.object(t, subs, raw, path)
                    return None
                return self.object(obj_type, subs, raw, path)
            return self.object(t, subs, raw, path)
        return raw


async def execute_plan(
    supergraph: Supergraph, plan: QueryPlan, variables: dict[str, Any], fetcher: SubgraphFetcher
) -> dict[str, Any]:
    """Run ``plan`` and return the client response ``{"data": ..., "errors"?: [...]}``."""
    run = _Run(supergraph, plan, variables, fetcher)
    if plan.introspection is not None:
        res = execute_sync(supergraph.api_schema, plan.introspection, variable_values=variables)
        if res.data:
            run.data.update(res.data)
        for e in res.errors or ():
            run.errors.append(dict(e.formatted))
    if plan.node is not None:
        await run.run(plan.node)
    schema = supergraph.api_schema
    op = plan.operation
    if op.operation == OperationType.MUTATION:
        root = schema.mutation_type
    elif op.operation == OperationType.SUBSCRIPTION:
        root = schema.subscription_type
    else:
        root = schema.query_type
    assert root is not None
    shaper = _Shaper(schema, plan.fragments, variables, run.errors, run.failed)
    data = shaper.object(root, [op.selection_set], run.data, [])
    out: dict[str, Any] = {"data": data}
    if run.errors:
        out["errors"] = run.errors
    return out
