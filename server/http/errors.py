"""The JSON body of a refused HTTP request: `{"errors": [{"message", "extensions": {"code"}}]}`,
the shape of a GraphQL request error, whatever refused it (the transport or the GraphQL view)."""

from __future__ import annotations

import json

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# HTTP status of a refused request → its stable `extensions.code`
CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "LIMIT_EXCEEDED",
    414: "LIMIT_EXCEEDED",
    431: "LIMIT_EXCEEDED",
}


class HttpError(Exception):
    """A request refused before any GraphQL result exists."""

    def __init__(self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "BAD_REQUEST")
        self.headers = headers or {}


def error_body(message: str, code: str) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}, separators=(",", ":")).encode()
