"""GraphQL errors with a machine-readable ``extensions.code``.

Resolvers raise ``CodedError`` for bad input; anything else that escapes a
resolver is masked (message replaced, logged server-side) so no stack trace or
secret reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("quantumlayer.errors")


class CodedError(GraphQLError):
    """A client-facing error: ``CodedError("too big", "SOURCE_TOO_LARGE", limit=...)``."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})
        self.code = code


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Mask exceptions that are not GraphQL errors, keeping path and location."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected resolver error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked
