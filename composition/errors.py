"""Composition errors.

Codes follow @apollo/composition's error codes (INVALID_FIELD_SHARING, FIELD_TYPE_MISMATCH, ...) so that
people who know Apollo's documentation recognise them; messages name the subgraph, type and field the
same way Apollo's do (``[subgraph] On type "T" ...`` / ``Field "T.f" ...``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One reason why the subgraphs do not compose."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ErrorCollector:
    """Accumulates errors; composition keeps going after an error so that users see them all at once."""

    def __init__(self) -> None:
        self.errors: list[CompositionError] = []

    def add(self, code: str, message: str) -> None:
        err = CompositionError(code, message)
        if err not in self.errors:
            self.errors.append(err)

    def __bool__(self) -> bool:
        return bool(self.errors)
