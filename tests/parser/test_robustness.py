"""Bad input never raises: every prefix of every language's fixture analyses to data.

Editors send half-typed code all the time; a truncated definition (``def f(:``
at the end of a file) once raised IndexError inside symbol extraction, which
the service turned into PARSE_FAILED. Here every line-prefix of a realistic
file in each symbol language, and some byte-level garbage, must give a
ParseResult with syntax errors as data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.parser.analyze import analyze
from subgraphs.parser.languages import detect_language
from subgraphs.parser.symbols import symbol_languages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "symbols"


def _fixtures() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.iterdir()):
        try:
            language = detect_language("", str(path))
        except ValueError:
            continue
        if language in symbol_languages():
            found.append(path)
    return found


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.name)
def test_every_line_prefix_analyses(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for end in range(len(lines) + 1):
        prefix = "".join(lines[:end])
        for text in (prefix, prefix.rstrip("\n"), prefix + "(", prefix[:-3]):
            result = analyze(text, str(path))
            assert result.metrics.lines >= 0
            for symbol in result.symbols:
                assert 1 <= symbol.start_line <= symbol.end_line


@pytest.mark.parametrize("language", sorted(symbol_languages()))
@pytest.mark.parametrize("source", ["def f(:\n", "class A(:\n", "\x00\x01\x02", "}}}{{{", "'''", "\ufeff\u2028x"])
def test_garbage_analyses(language: str, source: str) -> None:
    result = analyze(source, language=language)
    assert result.language == language
