"""Accepting graphql-transport-ws connections: the context of a new connection, and its
connection_init — the bearer token authenticated, the connection counted against its identity
(over the cap: 4429 "Too many connections"), an API key's access watched so that a revocation
closes the connection at once (4403 "Access revoked"), a user's connection counted towards their
presence. The handler (server/subscriptions/transport.py) releases all of it when the connection
ends."""

from __future__ import annotations

import dataclasses
import logging
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

from strawberry.exceptions import ConnectionRejectionError

from server.domain.errors import Unauthenticated
from server.domain.tokens import TokenSigner
from server.domain.viewer import Viewer, authenticate, refresh
from server.resolvers.context import Context, parse_bearer
from server.subscriptions import presence
from server.subscriptions.access import AccessWatch, WatchUnavailable, is_watched
from server.subscriptions.cohorts import ScopeChanged
from server.subscriptions.limits import PrincipalLimits, Slot
from server.subscriptions.transport import (
    ACCESS_REVOKED_CLOSE_CODE,
    ACCESS_REVOKED_CLOSE_REASON,
    DEFAULT_OUTGOING_QUEUE,
    TOO_MANY_CONNECTIONS_CLOSE_CODE,
    TOO_MANY_CONNECTIONS_CLOSE_REASON,
    ConnectionRefused,
)

log = logging.getLogger(__name__)

_viewers: "weakref.WeakValueDictionary[tuple, Viewer]" = weakref.WeakValueDictionary()


def shared(viewer: Viewer) -> Viewer:
    """One object for equal viewers (immutable, compared by value): a thousand connections of one
    identity hold one viewer, not a thousand copies of its scope."""
    key = tuple(getattr(viewer, name) for name in _VIEWER_FIELDS)
    kept = _viewers.get(key)
    if kept is None:
        _viewers[key] = kept = viewer
    return kept


_VIEWER_FIELDS = tuple(f.name for f in dataclasses.fields(Viewer))


@dataclass(slots=True)
class ConnectionContext(Context):
    """A WebSocket connection's context, holding the watch on its identity's access (a strong
    reference: the watch's task lives as long as the connection) and its slots. Its `request` is
    the connection's socket (server/subscriptions/socket.py)."""

    access_watch: AccessWatch | None = None
    limits: PrincipalLimits | None = None
    connection_slot: Slot | None = None
    outgoing_queue: int = DEFAULT_OUTGOING_QUEUE
    live_members: list | None = None  # cohorts.Member of this connection's subscriptions, once it has one
    connection_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # unique across processes
    presence_user_id: int | None = None  # a user's connection, counted towards their presence

    def add_member(self, member: Any) -> None:
        if self.live_members is None:
            self.live_members = []
        self.live_members.append(member)

    def discard_member(self, member: Any) -> None:
        if self.live_members and member in self.live_members:
            self.live_members.remove(member)

    async def access_revoked(self, event: object) -> None:
        await self.request.close(code=ACCESS_REVOKED_CLOSE_CODE, reason=ACCESS_REVOKED_CLOSE_REASON)

    async def access_changed(self, viewer: Viewer) -> None:
        self.connection_viewer = shared(viewer)
        for member in list(self.live_members or ()):
            member.end(ScopeChanged())  # each subscription carries on in its new cohort


class Connections:
    """What a GraphQL view needs for its WebSocket side: the context of a new connection, and the
    acceptance of its connection_init."""

    def __init__(self, signer: TokenSigner, limits: PrincipalLimits) -> None:
        self.signer = signer
        self.limits = limits
        self.outgoing_queue = DEFAULT_OUTGOING_QUEUE

    def context(self, websocket: Any, response: Any) -> ConnectionContext:
        return ConnectionContext(request=websocket, response=response, signer=self.signer, limits=self.limits, outgoing_queue=self.outgoing_queue)

    async def accept(self, context: Context) -> dict[str, object]:
        """The connection_ack payload, or `ConnectionRejectionError` (4403) / `ConnectionRefused`."""
        params, context.connection_params = context.connection_params or {}, {}  # the token: not kept
        header = params.get("Authorization", params.get("authorization"))
        token, problem = parse_bearer(header if isinstance(header, str) else None)
        if token is None:
            raise ConnectionRejectionError({"message": problem or "connection_init needs an Authorization bearer token"})
        try:
            context.connection_viewer = shared(await authenticate(token, self.signer))
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        viewer = context.connection_viewer
        if isinstance(context, ConnectionContext):
            context.connection_slot = self.limits.take_connection(viewer)  # released by TransportWSHandler.handle
            if context.connection_slot is None:
                raise ConnectionRefused(TOO_MANY_CONNECTIONS_CLOSE_CODE, TOO_MANY_CONNECTIONS_CLOSE_REASON)
            if is_watched(viewer):
                await self._watch_access(context)
            if viewer.is_user:  # released by TransportWSHandler.handle
                context.presence_user_id = viewer.id
                await presence.connected(viewer.id, context.connection_id)
        return {"viewer": {"kind": viewer.kind.value, "id": str(viewer.id), "name": viewer.name}}

    async def _watch_access(self, context: ConnectionContext) -> None:
        """Close the connection the moment its identity loses access (an API key revoked), even
        when it sends nothing. The watch is active before the identity is checked again, so a
        revocation committed at any moment after authentication either is seen here or closes
        the connection. Without a working watch the connection is refused: it could not be closed
        on time."""
        watch = AccessWatch(context.connection_viewer, on_revoked=context.access_revoked, on_changed=context.access_changed)
        try:
            await watch.start()
        except WatchUnavailable:
            log.exception("Refused a WebSocket connection: its access cannot be watched")
            raise ConnectionRejectionError({"message": "Live access checks are unavailable; try again later."}) from None
        context.access_watch = watch  # stopped by TransportWSHandler.handle when the connection ends
        current = await refresh(context.connection_viewer)
        if current is None:
            raise ConnectionRejectionError({"message": "Your access has been revoked."})
        context.connection_viewer = shared(current)
