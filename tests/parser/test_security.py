"""Security rules: one positive and one negative fixture per rule and language.

Positive fixtures mark each expected finding with ``expect: RULE-ID`` in a
comment on the same line (or ``expect-next: RULE-ID`` on the line before);
the scan must report exactly those (line, rule) pairs.  Negative fixtures
must produce no finding at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from subgraphs.parser.languages import get_parser
from subgraphs.parser.model import Finding, Severity
from subgraphs.parser.security import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "security"
RULES = ("eval", "shell", "sql", "secrets", "weak_hash", "deserialization", "tls")
LANGUAGES = {"python": "py", "javascript": "js"}
_EXPECT = re.compile(r"expect(-next)?: ([A-Z0-9-]+)")


def run_scan(code: bytes | str, language: str) -> list[Finding]:
    data = code.encode() if isinstance(code, str) else code
    return scan(get_parser(language).parse(data), data, language)


def expected(path: Path) -> set[tuple[int, str]]:
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in _EXPECT.finditer(line):
            out.add((number + (1 if match.group(1) else 0), match.group(2)))
    return out


CASES = [(lang, rule) for lang in LANGUAGES for rule in RULES]


@pytest.mark.parametrize(("language", "rule"), CASES)
def test_positive_fixture(language: str, rule: str) -> None:
    path = FIXTURES / language / f"{rule}_pos.{LANGUAGES[language]}"
    want = expected(path)
    assert want, f"{path} has no expect markers"
    findings = run_scan(path.read_bytes(), language)
    assert {(f.line, f.rule_id) for f in findings} == want
    for f in findings:
        assert f.cwe and f.cwe.startswith("CWE-")
        assert isinstance(f.severity, Severity)
        assert f.column >= 1 and f.message


@pytest.mark.parametrize(("language", "rule"), CASES)
def test_negative_fixture(language: str, rule: str) -> None:
    path = FIXTURES / language / f"{rule}_neg.{LANGUAGES[language]}"
    assert run_scan(path.read_bytes(), language) == []


def test_rule_metadata() -> None:
    findings = run_scan("import pickle\npickle.loads(b)\neval(x)\n", "python")
    by_id = {f.rule_id: f for f in findings}
    assert by_id["QL-PY-DESERIALIZE"].cwe == "CWE-502"
    assert by_id["QL-PY-EVAL"].cwe == "CWE-95"
    assert (by_id["QL-PY-EVAL"].line, by_id["QL-PY-EVAL"].column) == (3, 1)


def test_column_is_one_based_bytes() -> None:
    [finding] = run_scan("def f(x):\n    return eval(x)\n", "python")
    assert (finding.line, finding.column) == (2, 12)


def test_typescript_uses_javascript_rules() -> None:
    code = (
        "import { exec } from 'child_process';\n"
        "export function run(host: string): void {\n"
        "  exec(`ping ${host}` as string);\n"
        "  const n = eval(host as any) as number;\n"
        "}\n"
    )
    ids = {(f.line, f.rule_id) for f in run_scan(code, "typescript")}
    assert ids == {(3, "QL-JS-SHELL"), (4, "QL-JS-EVAL")}


def test_secrets_in_other_languages() -> None:
    code = 'package main\nconst apiKey = "q8Zr4LmN2pXv7TsK"\nvar id = "AKIAZ7Q3EXAMPL3KEY12"\n'
    ids = {(f.line, f.rule_id) for f in run_scan(code, "go")}
    assert ids == {(2, "QL-SECRET-HARDCODED"), (3, "QL-SECRET-AWS-KEY")}


def test_findings_are_sorted_and_unique() -> None:
    findings = run_scan("eval(a)\neval(b); eval(c)\n", "python")
    assert [(f.line, f.column) for f in findings] == [(1, 1), (2, 1), (2, 10)]


def test_odd_input_does_not_raise() -> None:
    for code in ("eval(", "subprocess.run(x, shell=True", "cur.execute(", "password = '", "\x00\xff"):
        run_scan(code, "python")
        run_scan(code, "javascript")
