"""Bounds on what one HTTP request may make the server hold, checked before anything is parsed.

- the query string: at most `max_query_string_bytes` (414);
- the body: a declared `Content-Length` over the limit is refused before one byte of the body is
  read, and a chunked body is counted while it streams in and refused the moment it passes the
  limit (413). The limit is `max_body_bytes`, or `max_upload_bytes` for a `multipart/form-data`
  request (file uploads, server/http/view.py);
- the body must arrive within `body_timeout` seconds of the headers (408);
- a client that disconnects before its body is complete costs one log line, not a traceback.

Each refusal is a JSON error body (server/http/errors.py) with `Connection: close`: the rest of a
refused body is never read, so the connection cannot carry another request.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http.errors import JSON, HttpError, error_body

log = logging.getLogger("switchboard.http")


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class RequestLimits:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_query_string_bytes: int, body_timeout: float, max_upload_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_body_bytes if max_upload_bytes is None else max_upload_bytes
        self.max_query_string_bytes = max_query_string_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        limit = self.max_upload_bytes if media_type == "multipart/form-data" else self.max_body_bytes
        try:
            self._check_head(scope, headers, limit)
            body = await self._read_body(receive, limit)
        except HttpError as error:
            await refuse(send, error)
            return
        except ClientGone as gone:
            client = scope.get("client")
            log.info(
                "%s%s %s: client disconnected before sending its whole request body (%s)",
                f"{client[0]}:{client[1]} - " if client else "",
                scope["method"],
                scope["path"],
                gone,
            )
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_head(self, scope: Scope, headers: Headers, limit: int) -> None:
        if len(scope.get("query_string", b"")) > self.max_query_string_bytes:
            raise HttpError(414, f"The query string exceeds the limit of {self.max_query_string_bytes} bytes.")
        declared = headers.get("content-length")
        if declared is None:
            return
        if not declared.isdigit():
            raise HttpError(400, "The Content-Length header is not a number of bytes.")
        if int(declared) > limit:
            raise HttpError(413, f"The request body exceeds the limit of {limit} bytes.")

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ClientGone(f"{size} bytes received")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise HttpError(413, f"The request body exceeds the limit of {limit} bytes.")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise HttpError(408, f"The request body did not arrive within {self.body_timeout:g} seconds.") from None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then waits for the disconnect."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed


async def refuse(send: Send, error: HttpError, media_type: str = JSON) -> None:
    body = error_body(error.message, error.code)
    headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
