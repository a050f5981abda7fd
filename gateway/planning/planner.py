"""The query planner: a pure function from (supergraph, operation) to a QueryPlan.

How it works, in short:

* The client's selections are walked type by type.  Abstract types are expanded into the
  object types the *resolving subgraph* can return (``@join__implements`` /
  ``@join__unionMember``), so members that differ per subgraph are handled uniformly.
* Every walk position belongs to a *fetch group* (one subgraph, one response path).  A field the
  group's subgraph can resolve (not external, not overridden, no @requires -- or provided by an
  enclosing @provides) is added to that group; otherwise the planner jumps to another subgraph
  through an entity key (``@join__type(key:)``, resolvable ones only), possibly through a chain
  of keys via other subgraphs (breadth-first, shortest chain), and continues there.
* @requires fields are planned like client fields (aliased when they take arguments so they never
  clash with the client's own selection) and the group that needs them depends on every group
  they landed in.
* When no chain of keys the current fetch already has leads to the subgraph, the key fields of
  the target are themselves planned first (like @requires), e.g. a composite key one of whose
  fields lives in a third subgraph.
* Choices between subgraphs (@shareable fields, root fields) use a cost estimate: the number of
  entity jumps the rest of the selection would need from there (ties: fewer fields moved).
  If no single subgraph can resolve a field's whole selection (shared root fields, value types
  split across subgraphs) the field is fetched from several, each with what it can resolve.
* On a @shareable path that several subgraphs could resolve, an abstract type is expanded only
  into the members all of them define: the others are not well-defined for that path.
* A field that no subgraph can reach raises PlanningError (the whole operation fails).
* Fields that share a response key across type fragments but have different subgraph types
  (``ID`` vs ``ID!``) get ``_fa<n>__`` aliases so the subgraph query stays valid; planner-added
  fields get ``_fed_`` aliases whenever they could clash with the client's response keys.
* Plans never look at variable values: @skip/@include with variables are forwarded to the
  subgraph fields (and re-applied by the executor when shaping the response); literal ones are
  applied while planning.  A subgraph field is fetched exactly when the client selects it
  (GraphQL CollectFields): under the conjunction of its own and its enclosing fragments'
  conditions (repeated @include/@skip go on condition-only inline fragments), and, when the
  field is selected several times under different conditions, under their disjunction (one
  copy per alternative; each occurrence's sub-fields keep that occurrence's conditions).  So a
  subgraph never runs -- and never fails on -- a field the client did not select.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    print_ast,
)
from graphql.language import Visitor, visit

from gateway.planning.nodes import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RepField,
    RepSpec,
    SequenceNode,
)
from gateway.supergraph import FieldGraph, KeyDef, Supergraph

INF = float("inf")
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# Subgraph response key of a client field aliased ``__typename`` (``__typename: name``): every
# subgraph selection carries the real ``__typename`` for the planner/executor.
TYPENAME_ALIAS_KEY = "_fed_typename_alias"
# A field selected under several alternative conditions is rendered once per alternative; past
# this many copies of one sub-selection it is fetched unconditionally instead.
MAX_RENDER_COPIES = 16

SelSets = list[tuple[SelectionSetNode, tuple[DirectiveNode, ...]]]
# When a subgraph field is fetched: any of these conjunctions of @skip/@include holds (a field
# selected several times is included when ANY occurrence is -- GraphQL CollectFields);
# () means unconditionally.
Alts = tuple[tuple[DirectiveNode, ...], ...]
# how to enter an entity in another subgraph: ("route", chain of keys the current fetch has) or
# ("key", [(graph, key)]) whose key fields are planned first like @requires
Hop = tuple[str, list[tuple[str, KeyDef]]]


class PlanningError(Exception):
    """The operation cannot be planned against this supergraph."""


def internal_key(node: FieldNode, taken: frozenset[str] = frozenset()) -> str:
    """Response key for a field the planner adds for itself (keys, @requires).

    Fields with arguments get a deterministic alias so ``price(currency: "EUR")`` needed by a
    @requires never collides with the client's ``price(currency: "USD")``; so do argument-less
    fields whose name the client uses as a response key for something else (``id: name``).
    """
    name = node.name.value
    if not node.arguments:
        if name not in taken:
            return name
        key = f"_fed_{name}"
    else:
        text = ",".join(print_ast(a) for a in node.arguments)
        key = f"_fed_{name}_{hashlib.sha1(text.encode()).hexdigest()[:8]}"
    while key in taken:  # the client itself uses this (unlikely) response key
        key += "_"
    return key


def _taken_keys(document: DocumentNode) -> frozenset[str]:
    """Client response keys that do not mean "this field, without arguments"."""
    out: set[str] = set()

    class _V(Visitor):
        def enter_field(self, node: FieldNode, *_args: object) -> None:
            key = node.alias.value if node.alias is not None else node.name.value
            if (node.alias is not None and node.alias.value != node.name.value) or node.arguments:
                out.add(key)
            if key.startswith("_fed_"):
                out.add(key)  # internal keys must never collide with a client's response key

    visit(document, _V())
    return frozenset(out)


def _response_keys(document: DocumentNode) -> frozenset[str]:
    """Every response key the client's document uses (planner aliases must avoid them)."""
    out: set[str] = set()

    class _V(Visitor):
        def enter_field(self, node: FieldNode, *_args: object) -> None:
            out.add(node.alias.value if node.alias is not None else node.name.value)

    visit(document, _V())
    return frozenset(out)


@dataclass
class Occ:
    """One occurrence of a field in the client's (or an internal) selection."""

    node: FieldNode
    key: str
    conds: tuple[DirectiveNode, ...]
    internal: bool


class FieldSel:
    """A field in a subgraph selection under construction."""

    __slots__ = ("args", "conds", "key", "name", "stype", "sub")

    def __init__(self, key: str, name: str, args: tuple, conds: Alts, stype: str = "") -> None:
        self.key = key
        self.name = name
        self.args = args
        self.conds = conds
        self.stype = stype  # the field's type in the subgraph (for same-response-shape checks)
        self.sub: SelSet | None = None


class SelSet:
    """A subgraph selection set under construction: fields by response key plus inline fragments."""

    __slots__ = ("fields", "frags")

    def __init__(self) -> None:
        self.fields: dict[str, FieldSel] = {}
        self.frags: dict[str, SelSet] = {}

    def frag(self, type_name: str) -> SelSet:
        s = self.frags.get(type_name)
        if s is None:
            s = self.frags[type_name] = SelSet()
        return s

    def add_typename(self) -> None:
        if "__typename" not in self.fields:
            self.fields["__typename"] = FieldSel("__typename", "__typename", (), (), "String!")

    def add_field(self, key: str, name: str, args: tuple, conds: Alts, stype: str = "") -> FieldSel:
        existing = self.fields.get(key)
        if existing is not None:
            existing.conds = _or(existing.conds, conds)
            return existing
        fs = self.fields[key] = FieldSel(key, name, args, conds, stype)
        return fs

    def flat(self) -> dict[str, list[FieldSel]]:
        out: dict[str, list[FieldSel]] = {}
        for k, fs in self.fields.items():
            out.setdefault(k, []).append(fs)
        for sub in self.frags.values():
            for k, lst in sub.flat().items():
                out.setdefault(k, []).extend(lst)
        return out

    def render(self, counter: _Aliases | None = None) -> str:
        """Print as GraphQL.  Fields that share a response key across type fragments but would
        not merge (different subgraph types, e.g. ``ID`` vs ``ID!``) get an ``_fa<n>__`` alias
        that the executor strips again."""
        if counter is None:
            counter = _Aliases()
        parts: list[str] = [_render_field(fs, fs.key, counter) for fs in self.fields.values()]
        seen: dict[str, list[FieldSel]] = {k: [fs] for k, fs in self.fields.items()}
        for t, sub in self.frags.items():
            inner: list[str] = []
            for k, fs in sub.fields.items():
                key = k
                prev = seen.get(k)
                if prev is not None and not all(_mergeable(fs, p) for p in prev):
                    key = counter.new(k)
                else:
                    seen.setdefault(k, []).append(fs)
                inner.append(_render_field(fs, key, counter))
            for t2, sub2 in sub.frags.items():
                inner.append(f"... on {t2} {sub2.render(counter)}")
            parts.append(f"... on {t} {{ {' '.join(inner)} }}")
        return "{ " + " ".join(parts) + " }"

    def variables(self, out: set[str]) -> None:
        for fs in self.fields.values():
            for node in (*fs.args, *(d for conj in fs.conds for d in conj)):
                _collect_vars(node, out)
            if fs.sub is not None:
                fs.sub.variables(out)
        for sub in self.frags.values():
            sub.variables(out)


class _Aliases:
    """The ``_fa<n>__`` aliases one rendered operation uses (alias -> response key); they avoid
    every response key of the client's document, so the executor never renames a client's key."""

    def __init__(self, avoid: frozenset[str] = frozenset()) -> None:
        self.n = 0
        self.avoid = avoid
        self.map: dict[str, str] = {}
        self.copies = 1  # how many times the selection being rendered is repeated in the text

    def new(self, key: str) -> str:
        while True:
            self.n += 1
            alias = f"_fa{self.n}__{key}"
            if alias not in self.avoid:
                self.map[alias] = key
                return alias


def _render_field(fs: FieldSel, key: str, counter: _Aliases) -> str:
    head = fs.name if key == fs.name else f"{key}: {fs.name}"
    if fs.args:
        head += "(" + ", ".join(print_ast(a) for a in fs.args) + ")"
    alts = fs.conds
    if fs.sub is not None and len(alts) > 1 and counter.copies * len(alts) > MAX_RENDER_COPIES:
        # alternatives repeat the sub-selection; nested ones would multiply the text: fetch
        # unconditionally instead (the executor still applies the client's conditions)
        alts = ()
    saved = counter.copies
    counter.copies *= max(1, len(alts))
    tail = "" if fs.sub is None else " " + fs.sub.render(counter)
    counter.copies = saved
    if not alts:
        return head + tail
    out: list[str] = []
    for conj in alts:
        # @skip/@include are not repeatable: further ones wrap the field in condition-only
        # inline fragments (same response shape); several alternatives select the field once
        # per alternative -- the subgraph merges them (CollectFields)
        on_field: list[DirectiveNode] = []
        wrap: list[DirectiveNode] = []
        for d in conj:
            (wrap if any(x.name.value == d.name.value for x in on_field) else on_field).append(d)
        s = head + "".join(" " + print_ast(d) for d in on_field) + tail
        for d in reversed(wrap):
            s = f"... {print_ast(d)} {{ {s} }}"
        out.append(s)
    return " ".join(out)


def _or(a: Alts, b: Alts) -> Alts:
    """The disjunction of two field conditions (() = unconditional absorbs everything)."""
    if not a or not b:
        return ()
    seen = {_conj_key(c) for c in a}
    return a + tuple(c for c in b if _conj_key(c) not in seen)


def _dkey(d: DirectiveNode) -> tuple[str, str]:
    """Identity of a @skip/@include condition: its name and its ``if`` value."""
    arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
    value = arg.value if arg is not None else None
    if isinstance(value, VariableNode):
        return d.name.value, "$" + value.name.value
    return d.name.value, str(getattr(value, "value", ""))


def _conj_key(c: tuple[DirectiveNode, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(_dkey(d) for d in c)


def _alts_of(occs: list[Occ]) -> Alts:
    """The conditions under which a field selected by ``occs`` is needed: any occurrence's."""
    out: dict[frozenset[tuple[str, str]], tuple[DirectiveNode, ...]] = {}
    for o in occs:
        if not o.conds:
            return ()
        out.setdefault(_conj_key(o.conds), o.conds)
    return tuple(out.values())


def _mergeable(a: FieldSel, b: FieldSel) -> bool:
    if a.stype != b.stype or a.name != b.name:
        return False
    if a.sub is None or b.sub is None:
        return True
    fa, fb = a.sub.flat(), b.sub.flat()
    for k in fa.keys() & fb.keys():
        for x in fa[k]:
            for y in fb[k]:
                if not _mergeable(x, y):
                    return False
    return True


class _VarCollector(Visitor):
    def __init__(self, out: set[str]) -> None:
        super().__init__()
        self.out = out

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        self.out.add(node.name.value)


def _collect_vars(node: object, out: set[str]) -> None:
    visit(node, _VarCollector(out))  # type: ignore[arg-type]


@dataclass
class Group:
    """One future fetch: a subgraph, the response path it merges at, and what it selects."""

    id: int
    graph: str
    path: tuple[str, ...]
    phase: int
    reps: dict[str, RepSpec] | None  # None for root fetches
    deps: set[int]
    sel: SelSet = field(default_factory=SelSet)


class Planner:
    """Builds fetch groups for one operation; see the module docstring for the approach."""

    def __init__(
        self,
        sg: Supergraph,
        fragments: dict[str, FragmentDefinitionNode],
        taken: frozenset[str] = frozenset(),
    ) -> None:
        self.sg = sg
        self.taken = taken
        assert sg.full_schema is not None
        self.schema: GraphQLSchema = sg.full_schema
        self.fragments = fragments
        self.groups: list[Group] = []
        self.index: dict[tuple, Group] = {}
        self.touch_stack: list[set[int]] = []
        self.graphs = sorted(sg.graph_names)
        self._route_memo: dict[tuple, list[tuple[str, KeyDef]] | None] = {}
        self._keylocal_memo: dict[tuple, bool] = {}
        self._est_memo: dict[tuple, float] = {}
        self.phase = 0
        # id(selection under construction) -> subgraphs that could all resolve that position
        self.cand_of: dict[int, frozenset[str]] = {}
        # synthetic nodes stay referenced so their id()s (memo keys) are never reused
        self._keep: list[object] = []

    # ---- selection collection ------------------------------------------------------------
    def _conds(
        self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode, conds: tuple[DirectiveNode, ...]
    ) -> tuple[DirectiveNode, ...] | None:
        """Apply @skip/@include: literal ones now, variable ones are carried along."""
        extra: list[DirectiveNode] = []
        for d in node.directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
            if arg is None:
                continue
            if isinstance(arg.value, BooleanValueNode):
                if arg.value.value == (name == "skip"):
                    return None
                continue
            extra.append(d)
        if not extra:
            return conds
        # a conjunction (rendering handles repeated @skip/@include); the same condition twice
        # -- e.g. inherited from a conditional parent occurrence -- is kept once
        have = {_dkey(d) for d in conds}
        extra = [d for d in extra if _dkey(d) not in have]
        return (*conds, *extra) if extra else conds

    def collect(self, runtime: str, selsets: SelSets, internal: bool = False) -> dict[str, list[Occ]]:
        out: dict[str, list[Occ]] = {}
        # the same field node under the same conditions, reached through several occurrences
        # of its parent (fragments spread in repeated fields), is one occurrence
        seen: set[tuple[int, frozenset[tuple[str, str]]]] = set()

        def walk(ss: SelectionSetNode, conds: tuple[DirectiveNode, ...]) -> None:
            for s in ss.selections:
                c = self._conds(s, conds)  # type: ignore[arg-type]
                if c is None:
                    continue
                if isinstance(s, FieldNode):
                    if internal:
                        key = internal_key(s, self.taken)
                    else:
                        key = s.alias.value if s.alias else s.name.value
                        if key == "__typename" and s.name.value != "__typename":
                            key = TYPENAME_ALIAS_KEY  # the planner's own __typename keeps its key
                    ident = (id(s), _conj_key(c))
                    if ident in seen:
                        continue
                    seen.add(ident)
                    out.setdefault(key, []).append(Occ(s, key, c, internal))
                elif isinstance(s, InlineFragmentNode):
                    if s.type_condition is None or self.sg.type_satisfies(
                        runtime, s.type_condition.name.value
                    ):
                        walk(s.selection_set, c)
                elif isinstance(s, FragmentSpreadNode):
                    fd = self.fragments.get(s.name.value)
                    if fd is not None and self.sg.type_satisfies(runtime, fd.type_condition.name.value):
                        walk(fd.selection_set, c)

        for ss, conds in selsets:
            walk(ss, conds)
        return out

    def _needs_concrete(self, iface: str, selsets: SelSets) -> bool:
        """Does a selection on an @interfaceObject need the real object type (for __typename or
        fragments on implementations)?"""

        def walk(ss: SelectionSetNode) -> bool:
            for s in ss.selections:
                if isinstance(s, FieldNode):
                    if s.name.value == "__typename":
                        return True
                elif isinstance(s, InlineFragmentNode):
                    if s.type_condition is not None and not self.sg.type_satisfies(
                        iface, s.type_condition.name.value
                    ):
                        return True
                    if walk(s.selection_set):
                        return True
                elif isinstance(s, FragmentSpreadNode):
                    fd = self.fragments.get(s.name.value)
                    if fd is None:
                        continue
                    if not self.sg.type_satisfies(iface, fd.type_condition.name.value):
                        return True
                    if walk(fd.selection_set):
                        return True
            return False

        return any(walk(ss) for ss, _ in selsets)

    # ---- metadata helpers ------------------------------------------------------------------
    def field_meta(self, graph: str, runtime: str, fname: str) -> FieldGraph | None:
        """How ``graph`` defines the field for an object of ``runtime`` (directly or through an
        @interfaceObject), or None."""
        lt = self.sg.local_type(graph, runtime)
        if lt is None:
            return None
        return self.sg.field_in_graph(lt, fname, graph)

    def field_def(self, runtime: str, fname: str) -> GraphQLField | None:
        t = self.schema.get_type(runtime)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            return t.fields.get(fname)
        return None

    def provided_sub(
        self, provided: SelectionSetNode | None, runtime: str, fname: str
    ) -> tuple[bool, SelectionSetNode | None]:
        if provided is None:
            return False, None
        for s in provided.selections:
            if isinstance(s, FieldNode) and s.name.value == fname:
                return True, s.selection_set
            if isinstance(s, InlineFragmentNode) and (
                s.type_condition is None or self.sg.type_satisfies(runtime, s.type_condition.name.value)
            ):
                found, sub = self.provided_sub(s.selection_set, runtime, fname)
                if found:
                    return found, sub
        return False, None

    def local_ok(self, graph: str, runtime: str, fname: str, provided: SelectionSetNode | None) -> bool:
        """Can the current fetch to ``graph`` select this field directly?"""
        fg = self.field_meta(graph, runtime, fname)
        if fg is None:
            return False
        if provided is not None and self.provided_sub(provided, runtime, fname)[0]:
            return True
        return not (fg.external or fg.used_overridden or fg.requires is not None)

    def resolvers(self, runtime: str, fname: str) -> list[str]:
        """Graphs that can resolve the field through an entity fetch."""
        out = []
        for g in self.graphs:
            fg = self.field_meta(g, runtime, fname)
            if fg is not None and not fg.external and not fg.used_overridden:
                out.append(g)
        return out

    def candidates(
        self, graph: str, runtime: str, fname: str, parent: frozenset[str] | None
    ) -> frozenset[str]:
        """Subgraphs that could resolve this field at this position (shareable fields)."""
        meta = self.sg.types.get(runtime)
        res = set(self.resolvers(runtime, fname))
        if runtime in (self.sg.query_type, self.sg.mutation_type):
            out = res
        elif meta is not None and any(k.resolvable for k in meta.keys):
            out = {g for g in res if self.keys_of(g, runtime)}
        else:
            out = res & set(parent or {graph})
        out.add(graph)
        return frozenset(out)

    def keys_of(self, graph: str, runtime: str) -> list[KeyDef]:
        lt = self.sg.local_type(graph, runtime)
        if lt is None:
            return []
        meta = self.sg.types.get(lt)
        if meta is None:
            return []
        return [k for k in meta.keys if k.graph == graph and k.resolvable]

    def keyfields_local(
        self, graph: str, runtime: str, ss: SelectionSetNode, provided: SelectionSetNode | None = None
    ) -> bool:
        memo_key = (graph, runtime, id(ss), id(provided))
        hit = self._keylocal_memo.get(memo_key)
        if hit is not None:
            return hit
        ok = True
        for s in ss.selections:
            if isinstance(s, FieldNode):
                if s.name.value == "__typename":
                    continue
                if not self.local_ok(graph, runtime, s.name.value, provided):
                    ok = False
                    break
                if s.selection_set is not None:
                    fd = self.field_def(runtime, s.name.value)
                    if fd is None:
                        ok = False
                        break
                    named = get_named_type(fd.type)
                    _, sub_prov = self.provided_sub(provided, runtime, s.name.value)
                    if not self.keyfields_local(graph, named.name, s.selection_set, sub_prov):
                        ok = False
                        break
            elif isinstance(s, InlineFragmentNode):
                if not self.keyfields_local(graph, runtime, s.selection_set, provided):
                    ok = False
                    break
        self._keylocal_memo[memo_key] = ok
        return ok

    def route(
        self, src: str, runtime: str, target: str, provided: SelectionSetNode | None = None
    ) -> list[tuple[str, KeyDef]] | None:
        """Shortest chain of entity jumps from ``src`` into ``target`` (at least one jump)."""
        memo_key = (src, runtime, target, id(provided))
        if memo_key in self._route_memo:
            return self._route_memo[memo_key]
        result: list[tuple[str, KeyDef]] | None = None
        frontier: list[tuple[str, list[tuple[str, KeyDef]]]] = [(src, [])]
        seen = {src}
        while frontier and result is None:
            nxt: list[tuple[str, list[tuple[str, KeyDef]]]] = []
            for g, hops in frontier:
                for x in self.graphs:
                    for k in self.keys_of(x, runtime):
                        if not self.keyfields_local(g, runtime, k.selection, provided if g == src else None):
                            continue
                        path = [*hops, (x, k)]
                        if x == target:
                            result = path
                            break
                        if x not in seen:
                            seen.add(x)
                            nxt.append((x, path))
                        break
                    if result is not None:
                        break
                if result is not None:
                    break
            frontier = nxt
        self._route_memo[memo_key] = result
        return result

    # ---- cost estimate -----------------------------------------------------------------------
    def runtime_types(self, graph: str, static: str) -> list[str]:
        meta = self.sg.types.get(static)
        if meta is None:
            return []
        if meta.kind == "object" or (meta.kind == "interface" and graph in meta.interface_object_in):
            return [static]
        return self.sg.possible_types_in_graph(static, graph)

    def estimate(self, graph: str, static: str, selsets: SelSets, provided: SelectionSetNode | None) -> float:
        """Roughly how many entity jumps resolving ``selsets`` from ``graph`` needs (INF: impossible)."""
        memo_key = (graph, static, tuple(id(s) for s, _ in selsets), id(provided))
        hit = self._est_memo.get(memo_key)
        if hit is not None:
            return hit
        self._est_memo[memo_key] = INF  # recursion guard
        total = 0.0
        meta = self.sg.types.get(static)
        if (
            meta is not None
            and meta.kind == "interface"
            and graph in meta.interface_object_in
            and self._needs_concrete(static, selsets)
        ):
            best = INF
            for x in self.graphs:
                if x in meta.interface_object_in or x not in meta.graphs:
                    continue
                jc = self.jump_cost(graph, static, x)
                if jc is not None:
                    best = min(best, jc[0] + self.estimate(x, static, selsets, None))
            self._est_memo[memo_key] = best
            return best
        for rt in self.runtime_types(graph, static):
            for occs in self.collect(rt, selsets).values():
                fname = occs[0].node.name.value
                if fname == "__typename":
                    continue
                total += self.field_cost(graph, rt, fname, occs, provided, allow_split=True)
                if total == INF:
                    break
        self._est_memo[memo_key] = total
        return total

    def field_options(
        self, graph: str, runtime: str, fname: str, occs: list[Occ], provided: SelectionSetNode | None
    ) -> list[tuple[float, str | None, Hop | None]]:
        """Ways to resolve a field from a fetch to ``graph``: locally (target None) or by a jump."""
        opts: list[tuple[float, str | None, Hop | None]] = []
        if self.local_ok(graph, runtime, fname, provided):
            found, sub_prov = self.provided_sub(provided, runtime, fname)
            if not found:
                fg = self.field_meta(graph, runtime, fname)
                sub_prov = fg.provides if fg is not None else None
            c = self.estimate_sub(graph, runtime, fname, occs, sub_prov)
            opts.append((c, None, None))
            if c == 0:
                return opts
        for x in self.resolvers(runtime, fname):
            jc = self.jump_cost(graph, runtime, x, provided)
            if jc is None:
                continue
            fg = self.field_meta(x, runtime, fname)
            assert fg is not None
            c = (
                jc[0]
                + (1 if fg.requires is not None else 0)
                + self.estimate_sub(x, runtime, fname, occs, fg.provides)
            )
            # tie-break: between equally many jumps prefer the one that moves fewer fields
            c += 0.001 * sum(_size(o.node) for o in occs)
            opts.append((c, x, jc[1]))
        return opts

    def field_cost(
        self,
        graph: str,
        runtime: str,
        fname: str,
        occs: list[Occ],
        provided: SelectionSetNode | None,
        allow_split: bool,
    ) -> float:
        opts = self.field_options(graph, runtime, fname, occs, provided)
        best = min((o[0] for o in opts), default=INF)
        if best == INF and allow_split and opts:
            split = self.split_assignment(graph, runtime, fname, occs, provided, opts)
            if split is not None:
                return split[0]
        return best

    def split_assignment(
        self,
        graph: str,
        runtime: str,
        fname: str,
        occs: list[Occ],
        provided: SelectionSetNode | None,
        opts: list[tuple[float, str | None, Hop | None]],
    ) -> tuple[float, list[tuple[str | None, Hop | None, list[str]]], dict[str, list[Occ]]] | None:
        """No single subgraph resolves the whole sub-selection of a field: fetch the field from
        several (e.g. a shared root field, or a value type whose fields live in different
        subgraphs) and give each the sub-fields it can resolve."""
        fd = self.field_def(runtime, fname)
        if fd is None:
            return None
        named = get_named_type(fd.type)
        if not isinstance(named, GraphQLObjectType):
            return None
        subs: SelSets = [(o.node.selection_set, ()) for o in occs if o.node.selection_set is not None]
        subfields = self.collect(named.name, subs)
        assign: dict[int, list[str]] = {}
        total = 0.0
        for key, socc in subfields.items():
            if socc[0].node.name.value == "__typename":
                continue
            ss = SelectionSetNode(selections=tuple(o.node for o in socc))
            self._keep.append(ss)
            best: tuple[float, int] | None = None
            for i, (_, target, _hop) in enumerate(opts):
                g = graph if target is None else target
                if target is None:
                    found, sub_prov = self.provided_sub(provided, runtime, fname)
                    if not found:
                        fg = self.field_meta(graph, runtime, fname)
                        sub_prov = fg.provides if fg is not None else None
                else:
                    fg = self.field_meta(target, runtime, fname)
                    sub_prov = fg.provides if fg is not None else None
                c = self.estimate(g, self.sub_static(g, runtime, fname, fd), [(ss, ())], sub_prov)
                if c < INF and (best is None or c < best[0]):
                    best = (c, i)
            if best is None:
                return None
            total += best[0]
            assign.setdefault(best[1], []).append(key)
        parts = [(opts[i][1], opts[i][2], keys) for i, keys in sorted(assign.items())]
        total += sum(1 for t, _, _ in parts if t is not None)
        return total, parts, subfields

    def sub_static(self, graph: str, runtime: str, fname: str, fd: GraphQLField) -> str:
        """The field's named type as ``graph`` declares it (join__field(type:) may narrow it)."""
        fg = self.field_meta(graph, runtime, fname)
        if fg is not None and fg.type:
            return fg.type.replace("[", "").replace("]", "").replace("!", "").strip()
        return get_named_type(fd.type).name

    def jump_cost(
        self, graph: str, runtime: str, target: str, provided: SelectionSetNode | None = None
    ) -> tuple[float, Hop] | None:
        """Cost of entering ``target`` for this entity: a chain of keys the current fetch already
        has, or else one key whose fields must be fetched first (from other subgraphs)."""
        r = self.route(graph, runtime, target, provided)
        if r is not None:
            return float(len(r)), ("route", r)
        best: tuple[float, Hop] | None = None
        for k in self.keys_of(target, runtime):
            c = self.estimate(graph, runtime, [(k.selection, ())], provided)
            if c < INF and (best is None or c + 1 < best[0]):
                best = (c + 1, ("key", [(target, k)]))
        return best

    def estimate_sub(
        self, graph: str, runtime: str, fname: str, occs: list[Occ], provided: SelectionSetNode | None
    ) -> float:
        fd = self.field_def(runtime, fname)
        if fd is None:
            return 0.0
        named = get_named_type(fd.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0.0
        subs: SelSets = [(o.node.selection_set, ()) for o in occs if o.node.selection_set is not None]
        return self.estimate(graph, self.sub_static(graph, runtime, fname, fd), subs, provided)

    # ---- building ---------------------------------------------------------------------------
    def new_group(
        self, graph: str, path: tuple[str, ...], reps: dict[str, RepSpec] | None, deps: set[int]
    ) -> Group:
        g = Group(id=len(self.groups), graph=graph, path=path, phase=self.phase, reps=reps, deps=deps)
        self.groups.append(g)
        return g

    def touch(self, group: Group) -> None:
        for frame in self.touch_stack:
            frame.add(group.id)

    def plan_typed(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        static: str,
        selsets: SelSets,
        provided: SelectionSetNode | None,
        internal: bool,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        """Plan a composite-typed position (object, interface, union) inside ``group``.

        ``skip``: response keys an earlier fetch at this very position already resolves."""
        sel.add_typename()
        meta = self.sg.types.get(static)
        if meta is None:
            return
        if meta.kind == "interface" and group.graph in meta.interface_object_in:
            if self._needs_concrete(static, selsets):
                best: tuple[float, str, Hop] | None = None
                for x in self.graphs:
                    if x in meta.interface_object_in or x not in meta.graphs:
                        continue
                    jc = self.jump_cost(group.graph, static, x, provided)
                    if jc is None:
                        continue
                    c = jc[0] + self.estimate(x, static, selsets, None)
                    if best is None or c < best[0]:
                        best = (c, x, jc[1])
                if best is not None:
                    # fields this subgraph answers on the interface itself are fetched here; the
                    # jump (to learn the concrete type) only plans the rest
                    done: set[str] = set()
                    local_fields = {}
                    for key, occs in self.collect(static, selsets, internal).items():
                        fname = occs[0].node.name.value
                        if (
                            fname != "__typename"
                            and self.local_ok(group.graph, static, fname, provided)
                            and self.estimate_sub(group.graph, static, fname, occs, provided) == 0
                        ):
                            local_fields[key] = occs
                            done.add(key)
                    self.plan_object(group, sel, path, static, local_fields, provided)
                    tgroup, tsel = self.do_jump(group, sel, path, static, best[2], None, provided)
                    self.plan_typed(tgroup, tsel, path, static, selsets, None, internal, frozenset(done))
                    return
            self.plan_object(group, sel, path, static, self.collect(static, selsets, internal), provided)
            return
        if meta.kind == "object":
            self.plan_object(group, sel, path, static, self.collect(static, selsets, internal), provided)
            return
        possible = self.sg.possible_types_in_graph(static, group.graph)
        cands = self.cand_of.get(id(sel))
        if cands:
            # a @shareable path several subgraphs could resolve: only the members they all
            # agree on are well-defined for it
            possible = [
                t for t in possible if all(t in self.sg.possible_types_in_graph(static, g) for g in cands)
            ]
        if not possible and meta.kind == "interface":
            # nothing implements it here: the selection must still be resolvable on the interface
            for key, occs in self.collect(static, selsets, internal).items():
                fname = occs[0].node.name.value
                if fname != "__typename" and not self.field_options(
                    group.graph, static, fname, occs, provided
                ):
                    raise PlanningError(f"cannot resolve field {static}.{fname} ({key})")
        for rt in possible:
            fields = {k: v for k, v in self.collect(rt, selsets, internal).items() if k not in skip}
            fsel = sel.frag(rt)
            fsel.add_typename()
            if cands:
                self.cand_of[id(fsel)] = cands
            self.plan_object(group, fsel, path, rt, fields, provided)

    def plan_object(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        fields: dict[str, list[Occ]],
        provided: SelectionSetNode | None,
    ) -> None:
        for key, occs in fields.items():
            fname = occs[0].node.name.value
            if fname == "__typename":
                continue
            conds = _alts_of(occs)
            self.plan_field(group, sel, path, runtime, key, fname, occs, conds, provided)

    def plan_field(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        key: str,
        fname: str,
        occs: list[Occ],
        conds: Alts,
        provided: SelectionSetNode | None,
    ) -> None:
        graph = group.graph
        opts = self.field_options(graph, runtime, fname, occs, provided)
        if not opts:
            raise PlanningError(
                f"cannot resolve field {runtime}.{fname} from subgraph "
                f"'{self.sg.graph_names.get(graph, graph)}' (no subgraph reachable through a key)"
            )
        ranked = []
        for i, (c, target, hop) in enumerate(opts):
            existing = (
                target is not None
                and hop is not None
                and hop[0] == "route"
                and len(hop[1]) == 1
                and (group.id, target, path, frozenset(), 0) in self.index
            )
            ranked.append((c - (1 if existing else 0), 0 if target is None else (1 if existing else 2), i))
        ranked.sort()
        best_c, _, idx = ranked[0]
        if best_c == INF:
            split = self.split_assignment(graph, runtime, fname, occs, provided, opts)
            if split is not None:
                _, parts, subfields = split
                for target, hop, keys in parts:
                    node = occs[0].node
                    sub_nodes = tuple(o.node for k in keys for o in subfields[k])
                    synthetic = FieldNode(
                        alias=node.alias,
                        name=node.name,
                        arguments=node.arguments,
                        directives=(),
                        selection_set=SelectionSetNode(selections=sub_nodes),
                    )
                    self._keep.append(synthetic)
                    socc = [Occ(synthetic, key, (), occs[0].internal)]
                    self._resolve_via(
                        group, sel, path, runtime, key, fname, socc, conds, provided, target, hop
                    )
                return
        _, target, hop = opts[idx]
        self._resolve_via(group, sel, path, runtime, key, fname, occs, conds, provided, target, hop)

    def _resolve_via(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        key: str,
        fname: str,
        occs: list[Occ],
        conds: Alts,
        provided: SelectionSetNode | None,
        target: str | None,
        hop: Hop | None,
    ) -> None:
        if target is None or hop is None:
            self.add_local(group, sel, path, runtime, key, fname, occs, conds, provided)
            return
        fg = self.field_meta(target, runtime, fname)
        assert fg is not None
        tgroup, tsel = self.do_jump(group, sel, path, runtime, hop, fg.requires, provided)
        self.add_local(tgroup, tsel, path, runtime, key, fname, occs, conds, None)

    def do_jump(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        hop: Hop,
        requires: SelectionSetNode | None,
        provided: SelectionSetNode | None,
    ) -> tuple[Group, SelSet]:
        deps: frozenset[int] = frozenset()
        if requires is not None:
            deps |= self.plan_requires(group, sel, path, runtime, requires, provided)
        kind, route = hop
        if kind == "key":
            deps |= self.plan_requires(group, sel, path, runtime, route[0][1].selection, provided)
        return self.jump(group, sel, path, runtime, route, deps, requires, kind == "key", provided)

    def plan_requires(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        requires: SelectionSetNode,
        provided: SelectionSetNode | None,
    ) -> frozenset[int]:
        self.touch_stack.append(set())
        try:
            self.plan_object(
                group, sel, path, runtime, self.collect(runtime, [(requires, ())], True), provided
            )
        finally:
            touched = self.touch_stack.pop()
        for frame in self.touch_stack:
            frame.update(touched)
        touched.discard(group.id)
        return frozenset(touched)

    def jump(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        route: list[tuple[str, KeyDef]],
        deps: frozenset[int],
        requires: SelectionSetNode | None,
        keys_planned: bool = False,
        provided: SelectionSetNode | None = None,
    ) -> tuple[Group, SelSet]:
        """Enter the entity at ``path`` in other subgraphs along ``route``; return the last one."""
        cur_group, cur_sel = group, sel
        for i, (x, key) in enumerate(route):
            last = i == len(route) - 1
            if not (last and keys_planned):
                self.plan_object(
                    cur_group,
                    cur_sel,
                    path,
                    runtime,
                    self.collect(runtime, [(key.selection, ())], True),
                    provided if i == 0 else None,
                )
            cur_sel.add_typename()
            gdeps = deps if last else frozenset()
            lt = self.sg.local_type(x, runtime) or runtime
            new_fields = list(_rep_fields(key.selection, self.taken))
            if last and requires is not None:
                _merge_rep(new_fields, _rep_fields(requires, self.taken))
            variant = 0
            while True:
                gkey = (cur_group.id, x, path, gdeps, variant)
                child = self.index.get(gkey)
                if child is None:
                    child = self.new_group(x, path, {}, {cur_group.id, *gdeps})
                    child.phase = cur_group.phase
                    self.index[gkey] = child
                assert child.reps is not None
                spec = child.reps.get(runtime)
                if spec is None or not _rep_conflict(spec.fields, new_fields):
                    break
                variant += 1  # same argument-less name needed with different arguments: new fetch
            if spec is None:
                spec = child.reps[runtime] = RepSpec(lt, [])
            _merge_rep(spec.fields, new_fields)
            cur_group = child
            cur_sel = child.sel.frag(lt)
            cur_sel.add_typename()
        return cur_group, cur_sel

    def add_local(
        self,
        group: Group,
        sel: SelSet,
        path: tuple[str, ...],
        runtime: str,
        key: str,
        fname: str,
        occs: list[Occ],
        conds: Alts,
        provided: SelectionSetNode | None,
    ) -> None:
        node = occs[0].node
        fd = self.field_def(self.sg.local_type(group.graph, runtime) or runtime, fname) or self.field_def(
            runtime, fname
        )
        fg = self.field_meta(group.graph, runtime, fname)
        stype = fg.type if fg is not None and fg.type else (str(fd.type) if fd is not None else "")
        fs = sel.add_field(key, fname, tuple(node.arguments or ()), conds, stype)
        self.touch(group)
        if fd is None:
            return
        named = get_named_type(fd.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return
        found, sub_prov = self.provided_sub(provided, runtime, fname)
        if not found:
            sub_prov = fg.provides if fg is not None else None
        if fs.sub is None:
            fs.sub = SelSet()
        self.cand_of[id(fs.sub)] = self.candidates(group.graph, runtime, fname, self.cand_of.get(id(sel)))
        subpath = (*path, key, *(["@"] * _list_depth(fd.type)))
        # CollectFields drops a skipped occurrence with its whole sub-selection: when the
        # occurrences' conditions differ, each one's sub-fields carry its conditions (else the
        # subgraph would run -- and maybe fail on -- fields the client never selected)
        same = all(o.conds == occs[0].conds for o in occs)
        subs: SelSets = [
            (o.node.selection_set, () if same else o.conds) for o in occs if o.node.selection_set is not None
        ]
        static = self.sub_static(group.graph, runtime, fname, fd)
        self.plan_typed(group, fs.sub, subpath, static, subs, sub_prov, occs[0].internal)

    # ---- root --------------------------------------------------------------------------------
    def plan_root(self, op: OperationDefinitionNode) -> list[FieldNode]:
        """Plan the root fields; returns the root introspection fields answered locally."""
        if op.operation == OperationType.MUTATION:
            root = self.sg.mutation_type
        elif op.operation == OperationType.SUBSCRIPTION:
            root = self.sg.subscription_type
        else:
            root = self.sg.query_type
        if root is None:
            raise PlanningError(f"the schema has no {op.operation.value} type")
        introspection: list[FieldNode] = []
        fields = self.collect(root, [(op.selection_set, ())])
        roots: dict[tuple[int, str], Group] = {}

        def root_group(g: str) -> Group:
            group = roots.get((self.phase, g))
            if group is None:
                group = roots[(self.phase, g)] = self.new_group(g, (), None, set())
            return group

        for key, occs in fields.items():
            fname = occs[0].node.name.value
            if fname == "__typename":
                continue
            if fname in INTROSPECTION_FIELDS:
                introspection.extend(o.node for o in occs)
                continue
            if op.operation == OperationType.MUTATION:
                self.phase += 1
            conds = _alts_of(occs)
            best: tuple[float, int, int, str] | None = None
            for i, g in enumerate(self.graphs):
                if not self.local_ok(g, root, fname, None):
                    continue
                fg = self.field_meta(g, root, fname)
                c = self.estimate_sub(g, root, fname, occs, fg.provides if fg else None)
                cand = (c, 0 if (self.phase, g) in roots else 1, i, g)
                if best is None or cand < best:
                    best = cand
            if best is None:
                raise PlanningError(f"no subgraph resolves {root}.{fname}")
            if best[0] == INF and op.operation != OperationType.MUTATION:
                # shared root field no single subgraph can answer fully: ask several
                opts: list[tuple[float, str | None, Hop | None]] = [
                    (INF, g, None) for g in self.graphs if self.local_ok(g, root, fname, None)
                ]
                split = self.split_assignment(best[3], root, fname, occs, None, opts)
                if split is not None:
                    _, parts, subfields = split
                    node = occs[0].node
                    for target, _hop, keys in parts:
                        assert target is not None
                        synthetic = FieldNode(
                            alias=node.alias,
                            name=node.name,
                            arguments=node.arguments,
                            directives=(),
                            selection_set=SelectionSetNode(
                                selections=tuple(o.node for k in keys for o in subfields[k])
                            ),
                        )
                        self._keep.append(synthetic)
                        group = root_group(target)
                        self.add_local(
                            group,
                            group.sel,
                            (),
                            root,
                            key,
                            fname,
                            [Occ(synthetic, key, (), False)],
                            conds,
                            None,
                        )
                    continue
            group = root_group(best[3])
            self.add_local(group, group.sel, (), root, key, fname, occs, conds, None)
        return introspection


def _size(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> int:
    """Number of fields in a selection (fragment spreads count as one)."""
    if isinstance(node, FragmentSpreadNode):
        return 1
    n = 1 if isinstance(node, FieldNode) else 0
    if node.selection_set is not None:
        for s in node.selection_set.selections:
            if isinstance(s, FieldNode | InlineFragmentNode | FragmentSpreadNode):
                n += _size(s)
    return n


def _list_depth(t: object) -> int:
    depth = 0
    while isinstance(t, GraphQLNonNull | GraphQLList):
        if isinstance(t, GraphQLList):
            depth += 1
        t = t.of_type
    return depth


def _rep_fields(ss: SelectionSetNode, taken: frozenset[str]) -> list[RepField]:
    out: list[RepField] = []
    for s in ss.selections:
        if isinstance(s, FieldNode):
            children = _rep_fields(s.selection_set, taken) if s.selection_set is not None else None
            out.append(RepField(s.name.value, internal_key(s, taken), children))
        elif isinstance(s, InlineFragmentNode):
            cond = s.type_condition.name.value if s.type_condition else None
            if cond is None:
                out.extend(_rep_fields(s.selection_set, taken))
            else:
                out.append(RepField("", "", _rep_fields(s.selection_set, taken), fragment=cond))
    return out


def _merge_rep(into: list[RepField], extra: Iterable[RepField]) -> None:
    for f in extra:
        same = next(
            (
                e
                for e in into
                if e.fragment == f.fragment and e.response_key == f.response_key and e.name == f.name
            ),
            None,
        )
        if same is None:
            into.append(f)
        elif f.children is not None:
            if same.children is None:
                same.children = []
            _merge_rep(same.children, f.children)


def _rep_conflict(have: list[RepField], new: list[RepField]) -> bool:
    """Would merging ``new`` put one field name twice into a representation (with different
    arguments, hence different response keys)?"""
    for f in new:
        for e in have:
            if e.fragment is None and f.fragment is None and e.name == f.name:
                if e.response_key != f.response_key:
                    return True
                if (
                    e.children is not None
                    and f.children is not None
                    and _rep_conflict(e.children, f.children)
                ):
                    return True
    return False


def _render_group(g: Group, sg: Supergraph, op: OperationDefinitionNode, avoid: frozenset[str]) -> FetchNode:
    used: set[str] = set()
    g.sel.variables(used)
    defs = [v for v in op.variable_definitions or () if v.variable.name.value in used]
    var_text = ", ".join(print_ast(v) for v in defs)
    usages = [v.variable.name.value for v in defs]
    name = sg.graph_names.get(g.graph, g.graph)
    if g.reps is None:
        kind = op.operation.value
        head = kind + (f"({var_text})" if var_text else "")
        aliases = _Aliases(avoid)
        text = g.sel.render(aliases)
        return FetchNode(name, f"{head} {text}", usages, kind, None, g.id, aliases.map)
    head = "query($representations: [_Any!]!" + (", " + var_text if var_text else "") + ")"
    aliases = _Aliases(avoid)
    body = "{ _entities(representations: $representations) " + g.sel.render(aliases) + " }"
    return FetchNode(name, f"{head} {body}", usages, "query", g.reps, g.id, aliases.map)


def _assemble(
    groups: list[Group], sg: Supergraph, op: OperationDefinitionNode, avoid: frozenset[str] = frozenset()
) -> PlanNode | None:
    """Turn the fetch groups into Sequence/Parallel/Flatten/Fetch nodes.

    Mutation root fields are phases run one after the other.  Within a phase, when every group
    depends on at most one other (a tree), each subtree runs as soon as its parent is done;
    otherwise (@requires joining several branches) groups run level by level.
    """
    phases: dict[int, list[Group]] = {}
    for g in groups:
        phases.setdefault(g.phase, []).append(g)
    seq: list[PlanNode] = []
    for phase in sorted(phases):
        members = phases[phase]
        nodes = {g.id: _node_of(g, sg, op, avoid) for g in members}
        if all(len(g.deps) <= 1 for g in members):
            children: dict[int, list[Group]] = {}
            for g in members:
                for d in g.deps:
                    children.setdefault(d, []).append(g)

            seq.append(_parallel([_subtree(g, children, nodes) for g in members if not g.deps]))
            continue
        level: dict[int, int] = {}
        by_level: dict[int, list[PlanNode]] = {}
        for g in members:
            lv = 1 + max((level.get(d, 0) for d in g.deps), default=-1)
            level[g.id] = lv
            by_level.setdefault(lv, []).append(nodes[g.id])
        seq.extend(_parallel(by_level[lv]) for lv in sorted(by_level))
    if not seq:
        return None
    flat: list[PlanNode] = []
    for n in seq:
        flat.extend(n.nodes if isinstance(n, SequenceNode) else [n])
    return flat[0] if len(flat) == 1 else SequenceNode(flat)


def _subtree(g: Group, children: dict[int, list[Group]], nodes: dict[int, PlanNode]) -> PlanNode:
    kids = [_subtree(c, children, nodes) for c in children.get(g.id, [])]
    if not kids:
        return nodes[g.id]
    return SequenceNode([nodes[g.id], _parallel(kids)])


def _node_of(g: Group, sg: Supergraph, op: OperationDefinitionNode, avoid: frozenset[str]) -> PlanNode:
    fetch = _render_group(g, sg, op, avoid)
    return fetch if g.reps is None else FlattenNode(list(g.path), fetch)


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    return nodes[0] if len(nodes) == 1 else ParallelNode(nodes)


def build_plan(sg: Supergraph, document: DocumentNode, operation_name: str | None) -> QueryPlan:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(ops) != 1:
            raise PlanningError("operationName is required when the document has several operations")
        op = ops[0]
    else:
        found = [o for o in ops if o.name is not None and o.name.value == operation_name]
        if not found:
            raise PlanningError(f"unknown operation named '{operation_name}'")
        op = found[0]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    planner = Planner(sg, fragments, _taken_keys(document))
    introspection = planner.plan_root(op)
    intro_doc: DocumentNode | None = None
    if introspection:
        from graphql import SelectionSetNode as _SS

        intro_op = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=None,
            variable_definitions=op.variable_definitions,
            directives=(),
            selection_set=_SS(selections=tuple(introspection)),
        )
        intro_doc = DocumentNode(definitions=(intro_op, *fragments.values()))
    node = _assemble(planner.groups, sg, op, _response_keys(document))
    return QueryPlan(operation=op, node=node, fragments=fragments, introspection=intro_doc)
