"""Throughput of the metrics and security stages on the installed Python stdlib.

    .venv/bin/python -m bench.parser_stages [step]   (from the repository root)

Parses every ``step``-th stdlib file once (parse time is reported but not
charged to the stages), then times, per file: ``symbol_metrics`` for every
function/class definition node, ``file_metrics`` and ``scan``.  Prints MB/s
per stage and for metrics+scan together, the rule ids found, and the
end-to-end ``analyze()`` throughput (parse + symbols + metrics + findings).
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from tree_sitter import Query, QueryCursor

from subgraphs.parser.analyze import analyze
from subgraphs.parser.languages import get_language, get_parser
from subgraphs.parser.metrics import file_metrics, symbol_metrics
from subgraphs.parser.model import SymbolInfo, SymbolKind
from subgraphs.parser.security import scan
from tests.parser.test_lizard_agreement import stdlib_files


def main(step: int = 1) -> None:
    parser = get_parser("python")
    query = Query(get_language("python"), "[(function_definition) (class_definition)] @s")
    sources = []
    for path in stdlib_files(step):
        try:
            sources.append(path.read_text(encoding="utf-8").encode("utf-8", "surrogatepass"))
        except (UnicodeDecodeError, OSError):
            continue
    total = sum(map(len, sources)) / 1e6
    t0 = time.perf_counter()
    trees = [parser.parse(s) for s in sources]
    t_parse = time.perf_counter() - t0
    nodes = [QueryCursor(query).captures(t.root_node).get("s", []) for t in trees]
    t_sym = t_file = t_scan = 0.0
    rules: Counter[str] = Counter()
    for data, tree, defs in zip(sources, trees, nodes, strict=True):
        t0 = time.perf_counter()
        symbols = []
        for node in defs:
            cc, depth, lines = symbol_metrics(node, data, "python")
            kind = SymbolKind.FUNCTION if node.type == "function_definition" else SymbolKind.CLASS
            symbols.append(SymbolInfo(kind, "", "", 0, 0, complexity=cc, max_nesting=depth, lines=lines))
        t1 = time.perf_counter()
        file_metrics(tree, data, "python", symbols)
        t2 = time.perf_counter()
        findings = scan(tree, data, "python")
        t3 = time.perf_counter()
        t_sym += t1 - t0
        t_file += t2 - t1
        t_scan += t3 - t2
        rules.update(f.rule_id for f in findings)
    both = t_sym + t_file + t_scan
    print(f"{len(sources)} files, {total:.1f} MB; parse {t_parse:.2f}s ({total / t_parse:.1f} MB/s)")
    for name, secs in (("symbol_metrics", t_sym), ("file_metrics", t_file), ("scan", t_scan),
                       ("metrics+scan", both)):
        print(f"{name:15s} {secs:6.2f}s  {secs / total * 1000:6.1f} ms/MB  {total / secs:7.1f} MB/s")
    print(dict(rules.most_common()))
    texts = [s.decode("utf-8", "surrogatepass") for s in sources]
    analyze(texts[0], language="python")
    t0 = time.perf_counter()
    for text in texts:
        analyze(text, language="python")
    secs = time.perf_counter() - t0
    print(f"analyze()       {secs:6.2f}s  {secs / total * 1000:6.1f} ms/MB  {total / secs:7.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
