"""Names and message fragments shared by the merge steps (graph enum values, subgraph lists, literals)."""

from __future__ import annotations

import json
import re


def graph_enum_names(names: list[str]) -> dict[str, str]:
    """join__Graph value per subgraph: upper-cased, non-alphanumerics as ``_``, made unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for n in names:
        base = re.sub(r"[^A-Za-z0-9]", "_", n).upper()
        if base[:1].isdigit():
            base = "_" + base
        candidate, i = base, 1
        while candidate in used:
            candidate = f"{base}_{i}"
            i += 1
        used.add(candidate)
        out[n] = candidate
    return out


def subgraph_list(names: list[str]) -> str:
    """Apollo's human readable list: ``subgraph "a"`` / ``subgraphs "a", "b" and "c"``."""
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def js_string(value: str) -> str:
    """A GraphQL string literal (field sets may span lines: newlines are escaped, as graphql-js does)."""
    return json.dumps(value, ensure_ascii=False)




def describe_mismatch(pairs: list[tuple[str, str]], label: str) -> str:
    """``type "A" in subgraph "x" but type "B" in subgraphs "y" and "z"`` (Apollo's mismatch wording)."""
    groups: dict[str, list[str]] = {}
    for sub, val in pairs:
        groups.setdefault(val, []).append(sub)
    parts = []
    for val, subs in groups.items():
        shown = f'{label} "{val}"' if label else val
        parts.append(f"{shown} in {subgraph_list(subs)}")
    return " but ".join(parts)
