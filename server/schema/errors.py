"""Every error a client sees carries a stable `extensions.code`; unexpected ones are masked.

- a domain error keeps its message and gets its code (VALIDATION, NOT_FOUND, CONFLICT, ...);
- a document that does not parse: GRAPHQL_PARSE_FAILED; one that fails validation:
  GRAPHQL_VALIDATION_FAILED; a variable of the wrong type: VALIDATION;
- the depth, alias, size and token limits: LIMIT_EXCEEDED;
- in production, no message suggests names ("Did you mean …?"): the schema is not public there;
- anything else is an unexpected exception: logged once, briefly (its message cut to
  `MAX_LOGGED_MESSAGE` characters, one traceback), and shown as "Unexpected error."
  with code INTERNAL — over HTTP, WebSocket and inside subscriptions alike.
"""

from __future__ import annotations

import logging
import re
import traceback

from typing import Any, Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from graphql import OperationDefinitionNode
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension
from strawberry.schema import Schema
from strawberry.types import ExecutionContext

from server.domain.errors import DomainError

log = logging.getLogger("switchboard.graphql")

MASKED_MESSAGE = "Unexpected error."
MAX_LOGGED_MESSAGE = 500  # characters of an unexpected exception's message that reach the log

_LIMIT_PATTERNS = (
    re.compile(r"exceeds maximum operation depth"),
    re.compile(r"aliases found\. Allowed"),
    re.compile(r"more than \d+ tokens"),
)


# a variable's value that cannot be coerced (graphql-core's get_variable_values); the validation
# rules' messages about variables ("Variable '$x' is never used.", "... is not defined.", "... of
# type 'String' used in position expecting ...") are document errors, not wrong input
_VARIABLE_VALUE = re.compile(r"^Variable '\$\w+' (has invalid (default )?value|expected value of type)")
# where in the variable: "Variable '$input' has invalid value at .customData.x: ..." (or at [2].y)
_VARIABLE_PATH = re.compile(r"^Variable '\$(\w+)' has invalid (?:default )?value(?: at ((?:\.\w+|\[\d+\])+))?")


def _variable_field(message: str) -> str | None:
    """The input field (else the variable) a variable-value error is about, for `extensions.field`."""
    match = _VARIABLE_PATH.match(message)
    if match is None:
        return None
    names = re.findall(r"\.(\w+)", match.group(2) or "")
    return names[0] if names else match.group(1)


# graphql-core's hints at the schema's names (graphql.pyutils.did_you_mean), wherever in a message:
# " Did you mean 'a', 'b', or 'c'?", " Did you mean the enum value 'A'?"
_SUGGESTION = re.compile(r" Did you mean (?:[a-z ]+ )?'[^']*'(?:,? (?:or )?'[^']*')*\?")


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
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
    if _VARIABLE_VALUE.match(error.message):
        return "VALIDATION"
    return "GRAPHQL_VALIDATION_FAILED"


def _masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL"},
    )


def present_errors(errors: list[GraphQLError], *, hide_suggestions: bool = False) -> list[GraphQLError]:
    """What clients see of errors: masked when unexpected, coded always, without suggestions
    when asked. Idempotent."""
    presented = []
    for error in errors:
        if hide_suggestions:
            error = _without_suggestions(error)
        code = classify(error)
        if code == "VALIDATION" and not (error.extensions or {}).get("field"):
            field = _variable_field(error.message)
            if field is not None:
                error.extensions = {**(error.extensions or {}), "field": field}
        if (error.extensions or {}).get("code"):
            presented.append(error)
        elif code is None:
            presented.append(_masked(error))
        elif isinstance(error.original_error, DomainError):
            presented.append(
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
            error.extensions = {**(error.extensions or {}), "code": code}
            presented.append(error)
    return presented


class ErrorCodes(MaskErrors):
    """MaskErrors with our presentation: applied to every result and to every result a
    subscription streams. (Errors that end an operation before any result exists — a document
    that does not parse — are presented by SwitchboardSchema.)"""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(error_message=MASKED_MESSAGE)
        self.hide_suggestions = hide_suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return present_errors(errors, hide_suggestions=self.hide_suggestions)


class SafeParserCache(ParserCache):
    """ParserCache whose parse errors are left to strawberry's own parse step.

    A parse error raised inside the stock cache's hook escapes the operation: over WebSocket the
    client gets a bare `complete` and the error is only logged. Leaving the document unset makes
    strawberry parse again and report the error as the protocol says (HTTP: an error with a code;
    graphql-transport-ws: close 4400 with the reason). Only invalid documents are parsed twice.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            pass
        yield


MULTIPLE_OPERATIONS = "Must provide operation name if query contains multiple operations."


class OperationNameRequired(SchemaExtension):
    """A document with several operations needs `operationName` (GraphQL spec, GetOperation) —
    a request error, GRAPHQL_VALIDATION_FAILED. strawberry would run the first operation: its
    execution context takes the first operation's name when none is given."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context._provided_operation_name is None and document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                context.pre_execution_errors = [GraphQLError(MULTIPLE_OPERATIONS)]
        yield


class SwitchboardSchema(Schema):
    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    async def _handle_execution_result(self, context: ExecutionContext, result: Any, *args: Any, **kwargs: Any) -> Any:
        handled = await super()._handle_execution_result(context, result, *args, **kwargs)
        if getattr(handled, "errors", None):
            handled.errors = present_errors(handled.errors, hide_suggestions=self.hide_suggestions)
        return handled

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log unexpected errors (one line and the traceback, of bounded size: an exception's
        message may quote a client's whole input); expected ones are the client's business."""
        for error in errors:
            if classify(error) is None:
                original = error.original_error
                where = ".".join(str(p) for p in error.path or []) or "operation"
                if original is None:
                    log.error("Unexpected error in %s: %s", where, _brief(error.message))
                    continue
                log.error(
                    "Unexpected error in %s: %s: %s\nTraceback (most recent call last):\n%s",
                    where,
                    type(original).__qualname__,
                    _brief(str(original)),
                    "".join(traceback.format_tb(original.__traceback__)).rstrip(),
                )


def _brief(message: str) -> str:
    if len(message) <= MAX_LOGGED_MESSAGE:
        return message
    return f"{message[:MAX_LOGGED_MESSAGE]}… ({len(message)} characters)"
