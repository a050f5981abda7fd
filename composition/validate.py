"""Per-subgraph validation of federation directives (before merging).

Errors carry Apollo's codes and are phrased like Apollo's (``[subgraph] On type "T", for @key(fields:
"x"): ...``) so a failing composition points at the subgraph, the type and the field to fix.
"""

from __future__ import annotations

from .errors import ErrorCollector
from .fieldset import FieldSetError, Visit, walk
from .metadata import Metadata
from .model import INTERFACE, OBJECT, UNION, Directive, Field, TypeDef, named, type_str
from .subgraph import Subgraph


def _printed(d: Directive) -> str:
    return f'@{d.name}(fields: "{d.str_arg("fields") or ""}")'


UNSUPPORTED = ("authenticated", "requiresScopes", "policy", "context", "fromContext", "cost", "listSize")


def _check_unsupported(sub: Subgraph, errors: ErrorCollector) -> None:
    """Refuse what we cannot compose faithfully: silently dropping e.g. @requiresScopes would open access."""
    for t in sub.types.values():
        elements: list[tuple[str, list[Directive]]] = [(t.name, t.directives)]
        for f in t.fields.values():
            elements.append((f"{t.name}.{f.name}", f.directives))
            elements.extend((f"{t.name}.{f.name}({a.name}:)", a.directives) for a in f.args.values())
        for coord, directives in elements:
            for d in directives:
                if d.name in UNSUPPORTED:
                    errors.add("UNSUPPORTED_FEATURE",
                               f'[{sub.name}] @{d.name} on "{coord}" is not supported by this composition yet')


def validate_subgraph(sub: Subgraph, meta: Metadata, errors: ErrorCollector) -> None:
    """Check @key/@requires/@provides field sets and @external usage of one (Fed-2 or upgraded) subgraph."""
    _check_unsupported(sub, errors)
    for t in sub.types.values():
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for key in meta.keys(t):
            _validate_key(sub, meta, t, key, errors)
        for f in t.fields.values():
            for d in f.directives:
                if d.name == "requires":
                    _validate_requires(sub, meta, t, f, d, errors)
                elif d.name == "provides":
                    _validate_provides(sub, meta, t, f, d, errors)
            if meta.is_external(t, f):
                if t.kind == INTERFACE:
                    errors.add("EXTERNAL_ON_INTERFACE",
                               f'[{sub.name}] Interface type field "{t.name}.{f.name}" is marked @external but '
                               "@external is not allowed on interface fields (it is nonsensical).")
                elif not meta.is_used(t, f):
                    errors.add("EXTERNAL_UNUSED",
                               f'[{sub.name}] Field "{t.name}.{f.name}" is marked @external but is not used in any '
                               "federation directive (@key, @provides, @requires) or to satisfy an interface; the "
                               "field declaration has no use and should be removed (or the field should not be "
                               "@external).")


def _fields_error(code: str, sub: Subgraph, where: str, d: Directive, msg: str, errors: ErrorCollector) -> None:
    errors.add(code, f"[{sub.name}] On {where}, for {_printed(d)}: {msg}")


def _cannot_query(msg: str, key: bool) -> str:
    if msg.startswith("Cannot query field"):
        msg = msg.rstrip(".")
        if key:
            return msg + (" (the field should either be added to this subgraph or, if it should not be resolved "
                          "by this subgraph, you need to add it to this subgraph with @external).")
        return msg + " (if the field is defined in another subgraph, you need to add it to this subgraph with @external)."
    return msg


def _validate_key(sub: Subgraph, meta: Metadata, t: TypeDef, key: Directive, errors: ErrorCollector) -> None:
    where = f'type "{t.name}"'
    fields = key.str_arg("fields")
    if fields is None:
        _fields_error("KEY_INVALID_FIELDS_TYPE", sub, where, key, 'Invalid value for argument "fields": must be a string.', errors)
        return
    problems: list[tuple[str, str]] = []

    def on_field(v: Visit) -> None:
        coord = f"{v.parent.name}.{v.field.name}"
        if v.field.args:
            problems.append(("KEY_FIELDS_HAS_ARGS",
                             f'field {coord} cannot be included because it has arguments (fields with argument are '
                             "not allowed in @key)"))
        target = sub.types.get(named(v.field.type))
        if target is not None and target.kind in (UNION, INTERFACE):
            kind = "Union" if target.kind == UNION else "Interface"
            problems.append(("KEY_FIELDS_SELECT_INVALID_TYPE",
                             f'field "{coord}" is a {kind} type which is not allowed in @key'))

    try:
        walk(sub, t, fields, meta.is_external, on_field)
    except FieldSetError as exc:
        _fields_error("KEY_INVALID_FIELDS", sub, where, key, _cannot_query(str(exc), True), errors)
        return
    for code, msg in problems:
        _fields_error(code, sub, where, key, msg, errors)


def _check_external_leaves(sub: Subgraph, meta: Metadata, parent: TypeDef, d: Directive, where: str,
                           code_prefix: str, errors: ErrorCollector) -> None:
    problems: list[str] = []

    def on_field(v: Visit) -> None:
        ext = meta.is_external(v.parent, v.field)
        if not ext and v.node.selection_set is None and not v.external_in_parents:
            coord = f"{v.parent.name}.{v.field.name}"
            if meta.is_fake_external(v.parent, v.field):
                problems.append(
                    f'field "{coord}" should not be part of a @{d.name} since it is already "effectively" provided '
                    "by this subgraph (while it is marked @external, it is a @key field of an extension type, which "
                    "are not internally considered external for historical/backward compatibility reasons)")
            else:
                problems.append(f'field "{coord}" should not be part of a @{d.name} since it is already provided by '
                                "this subgraph (it is not marked @external)")

    try:
        walk(sub, parent, d.str_arg("fields") or "", meta.is_external, on_field)
    except FieldSetError as exc:
        _fields_error(f"{code_prefix}_INVALID_FIELDS", sub, where, d, _cannot_query(str(exc), False), errors)
        return
    for msg in problems:
        _fields_error(f"{code_prefix}_FIELDS_MISSING_EXTERNAL", sub, where, d, msg, errors)


def _validate_requires(sub: Subgraph, meta: Metadata, t: TypeDef, f: Field, d: Directive, errors: ErrorCollector) -> None:
    _check_external_leaves(sub, meta, t, d, f'field "{t.name}.{f.name}"', "REQUIRES", errors)


def _validate_provides(sub: Subgraph, meta: Metadata, t: TypeDef, f: Field, d: Directive, errors: ErrorCollector) -> None:
    coord = f"{t.name}.{f.name}"
    if meta.is_external(t, f):
        errors.add("EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                   f'[{sub.name}] Cannot have both @provides and @external on field "{coord}"')
        return
    target = sub.types.get(named(f.type))
    if target is None or target.kind not in (OBJECT, INTERFACE, UNION):
        errors.add("PROVIDES_ON_NON_OBJECT_FIELD",
                   f'[{sub.name}] Invalid @provides directive on field "{coord}": field has type "{type_str(f.type)}" '
                   "which is not a Composite Type")
        return
    _check_external_leaves(sub, meta, target, d, f'field "{coord}"', "PROVIDES", errors)


def validate_graphql(sub: Subgraph, errors: ErrorCollector) -> None:
    """Plain GraphQL validity of the subgraph (unknown types, unimplemented interface fields, ...).

    Federation directives are stripped first: subgraphs rarely declare them, and they were checked above.
    """
    from dataclasses import replace

    from graphql import GraphQLError, build_ast_schema, parse, validate_schema

    from .printer import print_type

    parts = []
    for t in sub.types.values():
        if t.kind in (OBJECT, INTERFACE) and not t.fields:
            # The implicit Query of a subgraph without query fields (its real field is _service).
            parts.append(f"{'type' if t.kind == OBJECT else 'interface'} {t.name} {{ _service: String }}")
            continue
        bare = replace(
            t, directives=[], join=[],
            fields={n: replace(f, directives=[], join=[],
                               args={a: replace(v, directives=[], join=[]) for a, v in f.args.items()})
                    for n, f in t.fields.items()},
            input_fields={n: replace(v, directives=[], join=[]) for n, v in t.input_fields.items()},
            values={n: replace(v, directives=[], join=[]) for n, v in t.values.items()},
        )
        parts.append(print_type(bare))
    try:
        schema = build_ast_schema(parse("\n\n".join(parts)))
    except (GraphQLError, TypeError) as exc:
        errors.add("INVALID_GRAPHQL", f"[{sub.name}] {exc}")
        return
    for err in validate_schema(schema):
        errors.add("INVALID_GRAPHQL", f"[{sub.name}] {err.message}")
