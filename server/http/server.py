"""The uvicorn server of `switchboard serve` and of the test harness, built from the settings.

uvicorn bounds an idle keep-alive connection (`timeout_keep_alive`) and the number of open
connections and requests (`limit_concurrency`: beyond it HTTP requests answer 503), but nothing
bounds how long a client may take to send its request. Two deadlines do:

- headers: `HeaderDeadlineProtocol` closes a connection whose request line and headers are not
  complete `header_timeout` seconds after the connection opened (first request) or after the
  request's first byte (later requests; the idle time between them is the keep-alive timeout),
  and answers 431 when they pass `max_query_string_bytes` + 32 KiB before they are complete;
- body: `RequestLimits` (server/http/limits.py) answers 408 when the body is not complete
  `body_timeout` seconds after the headers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.http.errors import HttpError, error_body
from server.settings import Settings

HEADER_ALLOWANCE = 32 * 1024  # bytes of request line and headers on top of the query string


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    max_header_bytes: int = 96 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._awaiting_headers = True

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # bytes that arrive while a request's headers are incomplete (at most one read of the
        # next pipelined request's head goes uncounted)
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._awaiting_headers and self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
            self._refuse(HttpError(431, f"The request line and headers exceed {self.max_header_bytes} bytes."))

    def _refuse(self, error: HttpError) -> None:
        body = error_body(error.message, error.code)
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
        )
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._arm()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._disarm()
        super().on_headers_complete()


def protocol_class(settings: Settings) -> type[HeaderDeadlineProtocol]:
    return type(
        "SwitchboardHttpProtocol",
        (HeaderDeadlineProtocol,),
        {
            "header_timeout": settings.header_timeout,
            "max_header_bytes": settings.max_query_string_bytes + HEADER_ALLOWANCE,
        },
    )


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The server configuration from the settings; `overrides` for what the caller decides
    (the test harness: port 0, quieter logs)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": protocol_class(settings),
        "ws": "websockets-sansio",
        # the server pings every client; one that does not answer in time is dropped (1011)
        "ws_ping_interval": settings.ws_ping_interval,
        "ws_ping_timeout": settings.ws_ping_timeout,
        "lifespan": "on",
        "log_level": "info",
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.limit_concurrency,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)
