"""The WebSocket endpoint at /graphql, on bare ASGI: the handshake (origin, subprotocol), then
the view's graphql-transport-ws handler (server/subscriptions/transport.py) on a `Socket`.

Why not strawberry's ASGI view for this part (measured with bench/memprobe.py): the view wraps
every connection in Starlette's `WebSocket`, its own adapter and its `run` frames, and the
application's middleware and router stay suspended on the connection's stack for its whole
life — about 5 KiB of a 32 KiB idle subscribed connection, none of it needed once the
handshake is done. The protocol is still strawberry's handler; the view still provides the hooks
it calls (`on_ws_connect`, `decode_json`) and the settings it was built with.

The handshake refuses what strawberry's view refuses, the same way: a page on another origin
that the view does not allow gets HTTP 403 (the connection is never accepted), a client that
does not offer `graphql-transport-ws` is accepted and closed with 4406.
"""

from __future__ import annotations

import logging
from json import JSONDecodeError
from typing import Any, AsyncIterator

from starlette.datastructures import Address
from starlette.types import Receive, Scope, Send
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.http.websocket_origin import is_same_origin
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008  # a close before the accept: the ASGI server answers the handshake with 403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406


class Socket:
    """One accepted WebSocket, as the handler uses it: JSON messages in, text frames out, close."""

    __slots__ = ("_decode", "_receive", "_send", "_scope", "closed")

    def __init__(self, view: Any, scope: Scope, receive: Receive, send: Send) -> None:
        self._decode = view.decode_json
        self._scope = scope
        self._receive = receive
        self._send = send
        self.closed = False

    @property
    def client(self) -> Address | None:
        """The peer, as for an HTTP request (server.resolvers.context.client_address)."""
        client = self._scope.get("client")
        return Address(*client) if client else None

    async def iter_json(self) -> AsyncIterator[Any]:
        """Each message the client sends, decoded, until it disconnects; a binary message raises
        NonTextMessageReceived, text that is not acceptable JSON NonJsonMessageReceived."""
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                self.closed = True
                return
            text = message.get("text")
            if text is None:
                raise NonTextMessageReceived
            try:
                decoded = self._decode(text)
            except JSONDecodeError as error:
                raise NonJsonMessageReceived from error
            message = text = None  # what an idle connection's frame would keep
            yield decoded
            decoded = None

    def send_text(self, text: str) -> Any:
        """The coroutine sending one text frame (the handler may step it by hand); it raises once
        the connection is gone."""
        return self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with `code`; a no-op once the connection is closed or gone."""
        if self.closed:
            return
        self.closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except (OSError, RuntimeError):  # the client went first
            pass


def origin_allowed(view: Any, scope: Scope) -> bool:
    """strawberry's rule: no Origin (not a browser), the same origin, or one the view allows."""
    wanted = {b"origin": None, b"host": None, b"sec-fetch-site": None}
    for name, value in scope["headers"]:  # read in place: the scope is kept as long as the connection
        if name in wanted:
            wanted[name] = value.decode("latin-1")
    origin, host = wanted[b"origin"], wanted[b"host"]
    if origin is None or wanted[b"sec-fetch-site"] == "same-origin" or is_same_origin(origin, host):
        return True
    if view.is_websocket_origin_allowed(None, origin):
        return True
    log.warning("Refused a WebSocket connection from origin %r to host %r (not in the allowed origins)", origin, host)
    return False


class GraphQLWebSocket:
    """The ASGI endpoint of WebSocket connections to /graphql, served by `view`'s handler class."""

    def __init__(self, view: Any) -> None:
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = self.view
        if (await receive())["type"] != "websocket.connect":
            return
        if not origin_allowed(view, scope):
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        offered = GRAPHQL_TRANSPORT_WS_PROTOCOL in (scope.get("subprotocols") or ())
        await send({"type": "websocket.accept", "subprotocol": GRAPHQL_TRANSPORT_WS_PROTOCOL if offered else None})
        socket = Socket(view, scope, receive, send)
        if not offered:
            await socket.close(SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        handler = view.graphql_transport_ws_handler_class(
            view=view,
            websocket=socket,
            context=await view.get_context(socket, socket),
            root_value=None,
            schema=view.schema,
            connection_init_wait_timeout=view.connection_init_wait_timeout,
            max_subscriptions_per_connection=view.max_subscriptions_per_connection,
        )
        await handler.handle()
