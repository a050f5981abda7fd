"""Printing the merged model as a join-spec supergraph SDL, laid out the way @apollo/composition does.

Layout facts reproduced here (so that diffs against Apollo's output stay readable): spec directive
definitions first, then all types sorted by name the way JavaScript's ``localeCompare`` sorts them
(case-insensitive, ``_`` before letters), type-level directives one per line, fields in merge order.
"""

from __future__ import annotations

from graphql import print_ast

from .model import ENUM, INPUT_OBJECT, KIND_KEYWORD, SCALAR, UNION, Directive, InputValue, TypeDef, type_str

LINK_URL = "https://specs.apollo.dev/link/v1.0"
JOIN_URL = "https://specs.apollo.dev/join/{version}"
TAG_URL = "https://specs.apollo.dev/tag/v0.3"
INACCESSIBLE_URL = "https://specs.apollo.dev/inaccessible/v0.2"

_LOCATIONS_ALL = ("FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE"
                  " | INPUT_OBJECT | INPUT_FIELD_DEFINITION")
DIRECTIVE_DEFS = {
    "inaccessible": f"directive @inaccessible on {_LOCATIONS_ALL}",
    "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    "join__field": (
        "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, "
        "type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on "
        "FIELD_DEFINITION | INPUT_FIELD_DEFINITION"),
    "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    "join__implements": (
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE"),
    "join__type": (
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, "
        "resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | "
        "UNION | ENUM | INPUT_OBJECT | SCALAR"),
    "join__unionMember": "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
    "join__directive": ("directive @join__directive(graphs: [join__Graph!], name: String!, args: "
                        "join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"),
    "link": ("directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable "
             "on SCHEMA"),
    "tag": f"directive @tag(name: String!) repeatable on {_LOCATIONS_ALL} | SCHEMA",
}

# join v0.4 adds progressive-override labels and @join__directive, v0.5 context arguments.
JOIN_FIELD_EXTRA = {
    "v0.3": "",
    "v0.4": ", overrideLabel: String",
    "v0.5": ", overrideLabel: String, contextArguments: [join__ContextArgument!]",
}
JOIN_V05_TYPES = {
    "join__ContextArgument": (
        "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
        "  selection: join__FieldValue!\n}"),
    "join__FieldValue": "scalar join__FieldValue",
}

LINK_TYPES = {
    "join__FieldSet": "scalar join__FieldSet",
    "link__Import": "scalar link__Import",
    "link__Purpose": (
        'enum link__Purpose {\n  """\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n'
        '  """\n  SECURITY\n\n  """\n  `EXECUTION` features provide metadata necessary for operation execution.\n'
        '  """\n  EXECUTION\n}'),
}


def locale_key(name: str) -> tuple[str, str]:
    """Approximates ICU collation used by ``String.prototype.localeCompare`` for identifiers."""
    primary = "".join(" " if c == "_" else c.lower() for c in name)
    return primary, name.swapcase()


def _block_string(text: str, indent: str) -> str:
    body = text.replace('"""', '\\"""')
    lines = body.split("\n")
    inner = "\n".join((indent + line) if line else "" for line in lines)
    return f'{indent}"""\n{inner}\n{indent}"""\n'


def _desc(description: str | None, index: int, indent: str = "  ") -> str:
    """Described members after the first get a blank line before them (graphql-js layout)."""
    if not description:
        return ""
    return ("\n" if index else "") + _block_string(description, indent)


def _directives(ds: list[Directive]) -> str:
    return "".join(" " + d.printed() for d in ds)


def _applied(directives: list[Directive], join: list[str], join_last: bool = False) -> str:
    """Apollo applies @inaccessible while merging, join__ directives next, other directives at the end."""
    if join_last:
        return _directives(directives) + "".join(" " + j for j in join)
    first = [d for d in directives if d.name == "inaccessible"]
    rest = [d for d in directives if d.name != "inaccessible"]
    return _directives(first) + "".join(" " + j for j in join) + _directives(rest)


def _input_value(v: InputValue) -> str:
    out = f"{v.name}: {type_str(v.type)}"
    if v.default is not None:
        out += f" = {print_ast(v.default)}"
    return out + _applied(v.directives, v.join)


def _args(args: dict[str, InputValue], indent: str) -> str:
    if not args:
        return ""
    if any(a.description for a in args.values()):
        parts = []
        for i, a in enumerate(args.values()):
            desc = _desc(a.description, i, indent + "  ")
            parts.append(desc + indent + "  " + _input_value(a))
        return "(\n" + "\n".join(parts) + "\n" + indent + ")"
    return "(" + ", ".join(_input_value(a) for a in args.values()) + ")"


def print_type(t: TypeDef) -> str:
    head = _block_string(t.description, "") if t.description else ""
    head += f"{KIND_KEYWORD[t.kind]} {t.name}"
    if t.interfaces:
        head += " implements " + " & ".join(t.interfaces)
    lines = [head]
    lines.extend("  " + j for j in t.join if not j.startswith("@join__unionMember"))
    lines.extend("  " + d.printed() for d in t.directives if d.name == "inaccessible")
    lines.extend("  " + j for j in t.join if j.startswith("@join__unionMember"))
    lines.extend("  " + d.printed() for d in t.directives if d.name != "inaccessible")
    if t.kind == SCALAR:
        return "\n".join(lines)
    if t.kind == UNION:
        return "\n".join(lines) + ("\n = " + " | ".join(t.members) if t.members else "")
    body: list[str] = []
    if t.kind == ENUM:
        for i, v in enumerate(t.values.values()):
            desc = _desc(v.description, i)
            body.append(desc + "  " + v.name + _applied(v.directives, v.join))
    elif t.kind == INPUT_OBJECT:
        for i, f in enumerate(t.input_fields.values()):
            desc = _desc(f.description, i)
            body.append(desc + "  " + _input_value(f))
    else:
        for i, fd in enumerate(t.fields.values()):
            desc = _desc(fd.description, i)
            body.append(desc + "  " + fd.name + _args(fd.args, "  ") + ": " + type_str(fd.type)
                        + _applied(fd.directives, fd.join, fd.join_last))
    return "\n".join(lines) + "\n{\n" + "\n".join(body) + "\n}"


def print_supergraph(types: dict[str, TypeDef], roots: dict[str, str], graphs: dict[str, str],
                     urls: dict[str, str], uses: set[str],
                     composed: dict[str, tuple[str, str]] | None = None, join_version: str = "v0.3") -> str:
    """Render the whole supergraph document."""
    composed = composed or {}
    join_url = JOIN_URL.format(version=join_version)
    links = [f'@link(url: "{LINK_URL}")', f'@link(url: "{join_url}", for: EXECUTION)']
    if "tag" in uses:
        links.append(f'@link(url: "{TAG_URL}")')
    if "inaccessible" in uses:
        links.append(f'@link(url: "{INACCESSIBLE_URL}", for: SECURITY)')
    by_url: dict[str, list[str]] = {}
    for name, (url, _) in composed.items():
        by_url.setdefault(url, []).append(name)
    for url, names in by_url.items():
        imports = ", ".join(f'"@{n}"' for n in names)
        links.append(f'@link(url: "{url}", import: [{imports}])')
    schema = "schema\n" + "".join(f"  {link}\n" for link in links) + "{\n"
    schema += "".join(f"  {op}: {name}\n" for op, name in roots.items()) + "}"

    directive_names = [n for n in DIRECTIVE_DEFS if n not in ("inaccessible", "tag") or n in uses]
    if join_version == "v0.3":
        directive_names.remove("join__directive")
    defs = {n: DIRECTIVE_DEFS[n] for n in directive_names}
    defs["join__field"] = defs["join__field"].replace(
        "usedOverridden: Boolean)", f"usedOverridden: Boolean{JOIN_FIELD_EXTRA[join_version]})")
    defs.update({n: definition for n, (_, definition) in composed.items()})
    directives = [defs[n] for n in sorted(defs, key=locale_key)]

    graph_enum = "enum join__Graph {\n" + "".join(
        f'  {enum} @join__graph(name: "{name}", url: "{urls[name]}")\n' for name, enum in graphs.items()) + "}"
    printed: dict[str, str] = dict(LINK_TYPES)
    if join_version != "v0.3":
        printed["join__DirectiveArguments"] = "scalar join__DirectiveArguments"
    if join_version == "v0.5":
        printed.update(JOIN_V05_TYPES)
    printed["join__Graph"] = graph_enum
    for t in types.values():
        printed[t.name] = print_type(t)
    blocks = [schema, *directives] + [printed[n] for n in sorted(printed, key=locale_key)]
    return "\n\n".join(blocks)
