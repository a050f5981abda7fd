"""Our cyclomatic complexity must agree with lizard's on the Python stdlib.

Functions are matched by start line (lizard's ``start_line`` against the
``def`` line of each ``function_definition`` node); functions only one side
finds are left out.  The test runs every ``STEP``-th file (all of them by default); run
``python -m tests.parser.test_lizard_agreement`` for the full stdlib figure.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import lizard
from tree_sitter import Query, QueryCursor

from subgraphs.parser.languages import get_language, get_parser
from subgraphs.parser.metrics import symbol_metrics

STEP = 1  # the full stdlib takes ~15 s here; raise to sample every STEP-th file
THRESHOLD = 0.99


@cache
def _function_query() -> Query:
    return Query(get_language("python"), "(function_definition) @f")


def stdlib_files(step: int = 1) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    return files[::step]


def compare_file(path: Path) -> Iterator[tuple[int, int, int]]:
    """(start line, lizard CCN, our CCN) for each function both sides find."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return
    info = lizard.analyze_file.analyze_source_code(str(path), text)
    theirs: dict[int, int] = {}
    for fn in info.function_list:
        theirs.setdefault(fn.start_line, fn.cyclomatic_complexity)
    data = text.encode("utf-8", "surrogatepass")
    tree = get_parser("python").parse(data)
    ours: dict[int, int] = {}
    for node in QueryCursor(_function_query()).captures(tree.root_node).get("f", ()):
        line = node.start_point[0] + 1
        if line not in ours:
            ours[line] = symbol_metrics(node, data, "python")[0]
    for line, ccn in theirs.items():
        if line in ours:
            yield line, ccn, ours[line]


def agreement(files: list[Path]) -> tuple[int, int, list[tuple[str, int, int, int]]]:
    total = agree = 0
    mismatches: list[tuple[str, int, int, int]] = []
    for path in files:
        for line, theirs, ours in compare_file(path):
            total += 1
            if theirs == ours:
                agree += 1
            else:
                mismatches.append((str(path), line, theirs, ours))
    return agree, total, mismatches


def test_ccn_agrees_with_lizard_on_stdlib_sample() -> None:
    agree, total, mismatches = agreement(stdlib_files(STEP))
    assert total > 1000
    ratio = agree / total
    assert ratio >= THRESHOLD, (ratio, mismatches[:20])


if __name__ == "__main__":
    import time

    step = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    t0 = time.perf_counter()
    a, t, bad = agreement(stdlib_files(step))
    for m in bad[:40]:
        print(*m)
    print(f"agreement {a}/{t} = {a / t:.4%} in {time.perf_counter() - t0:.1f}s")
