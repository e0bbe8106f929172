"""Every error a client sees carries a stable `extensions.code`; unexpected ones are masked.

- a domain error keeps its message and gets its code (VALIDATION, NOT_FOUND, CONFLICT, ...);
- a document that does not parse: GRAPHQL_PARSE_FAILED; one that fails validation:
  GRAPHQL_VALIDATION_FAILED; a variable of the wrong type: VALIDATION;
- the depth, alias and token limits: LIMIT_EXCEEDED;
- anything else is an unexpected exception: logged in full, and shown as "Unexpected error."
  with code INTERNAL — over HTTP, WebSocket and inside subscriptions alike.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors
from strawberry.schema import Schema
from strawberry.types import ExecutionContext

from server.domain.errors import DomainError

log = logging.getLogger("switchboard.graphql")

MASKED_MESSAGE = "Unexpected error."

_LIMIT_PATTERNS = (
    re.compile(r"exceeds maximum operation depth"),
    re.compile(r"aliases found\. Allowed"),
    re.compile(r"more than \d+ tokens"),
)


def _is_limit(message: str) -> bool:
    return any(p.search(message) for p in _LIMIT_PATTERNS)


def classify(error: GraphQLError) -> str | None:
    """The code for an error that did not come from a resolver exception; None if unexpected."""
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if original is not None and not isinstance(original, GraphQLError):
        return None
    if _is_limit(error.message):
        return "LIMIT_EXCEEDED"
    if isinstance(error, GraphQLSyntaxError) or (original and isinstance(original, GraphQLSyntaxError)):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "VALIDATION"
    return "GRAPHQL_VALIDATION_FAILED"


class ErrorCodes(MaskErrors):
    """MaskErrors that also gives every error a code, and keeps expected errors readable."""

    def __init__(self) -> None:
        super().__init__(error_message=MASKED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            code = classify(error)
            if code is None:
                processed.append(self.anonymise_error(error))
            elif isinstance(error.original_error, DomainError):
                processed.append(
                    GraphQLError(
                        error.original_error.message,
                        nodes=error.nodes,
                        source=error.source,
                        positions=error.positions,
                        path=error.path,
                        original_error=error.original_error,
                        extensions=error.original_error.extensions(),
                    )
                )
            else:
                if "code" not in (error.extensions or {}):
                    error.extensions = {**(error.extensions or {}), "code": code}
                processed.append(error)
        return processed


class SwitchboardSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log unexpected errors in full; expected ones are the client's business, not the log's."""
        for error in errors:
            if classify(error) is None:
                original = error.original_error
                log.error(
                    "Unexpected error in %s: %s",
                    ".".join(str(p) for p in error.path or []) or "operation",
                    original,
                    exc_info=(type(original), original, original.__traceback__) if original else None,
                )
