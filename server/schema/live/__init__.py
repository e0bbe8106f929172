"""The subscription fields: each one a `Source` (server/subscriptions/cohorts.py) served through
the cohort fan-out, and the Subscription root type.

`serve` is what every subscription resolver runs: it finds the client operation it serves (set by
the graphql-transport-ws handler), joins the operation's cohort, and pushes from there; the
resolver itself never yields, so strawberry executes nothing per subscriber. When the
connection's scope changes (an access event), the operation carries on from its cursor in the
cohort of its new scope.

A source with `tracked_item(opened)` records who has its item open: an employee's operation is
written once its arguments are checked (before its snapshot) and removed when it ends, however it
ends (server/subscriptions/item_viewers.py); a scope change keeps the same row.
"""

from __future__ import annotations

from typing import Any, AsyncGenerator, Hashable

import strawberry
from strawberry.types.graphql import OperationType

from server.domain import visibility
from server.domain.errors import Forbidden, ValidationError
from server.domain.events import user_channel
from server.domain.viewer import Viewer
from server.resolvers.context import Context
from server.resolvers.inputs import decode_cursor, encode_cursor
from server.subscriptions.cohorts import Opened, ScopeChanged, Source, encode_payload, registry
from server.subscriptions.item_viewers import Tracked, operation_key
from server.subscriptions.transport import current_operation

CURSOR_KIND = "Event"
_SUBSCRIPTION = (OperationType.SUBSCRIPTION,)


class ScopedSource:
    """What most sources share: whole-state streams are the exception, and two viewers with the
    same scope key (visibility.scope_key) see the same answer."""

    states = False

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable:
        return await visibility.scope_key(viewer)


def require_staff(viewer: Viewer) -> None:
    if not viewer.is_user:
        raise Forbidden("Only employees have notifications, an outbox and their teams' streams.")


class OwnStream(ScopedSource):
    """A stream of the viewer's own channel (`user:<id>`): one employee's, whoever asks."""

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        require_staff(viewer)
        return Opened(channels=frozenset({user_channel(viewer.id)}), key=viewer.id)


def cursor_of(position: int | None) -> str | None:
    return encode_cursor(CURSOR_KIND, position) if position else None


def _after(after: str | None) -> int | None:
    return decode_cursor(after, CURSOR_KIND, "after") if after is not None else None


async def serve(info: strawberry.Info, source: Source, args: dict[str, Any], after: str | None) -> AsyncGenerator[Any, None]:
    running = current_operation.get()
    if running is None:
        raise ValidationError("Subscriptions are served over WebSocket (graphql-transport-ws) only.")
    handler, operation = running
    context = handler.context
    schema = info.schema
    position = _after(after)
    variables = operation.variables or {}
    document = (operation.query, operation.operation_name, encode_payload(variables, None))

    async def execute(viewer: Any, value: Any) -> str:
        result = await schema.execute(
            operation.query,
            variable_values=variables,
            context_value=Context(request=None, response=None, signer=context.signer, fixed_viewer=viewer),
            root_value=value,
            operation_name=operation.operation_name,
            allowed_operation_types=_SUBSCRIPTION,
        )
        errors = [error.formatted for error in result.errors] if result.errors else None
        return encode_payload(result.data, errors).decode()

    send_next = handler.next_sender(operation.id)

    def send(payload: str) -> None:
        if handler.operations.get(operation.id) is operation:  # not after the client completed it
            send_next(payload)

    tracked_item = getattr(source, "tracked_item", None)
    tracked = Tracked(operation_key(context.connection_id, operation.id)) if tracked_item is not None else None

    async def on_opened(viewer: Viewer, opened: Opened) -> None:
        if tracked is not None and viewer.is_user and not tracked.open:
            await tracked.opened(tracked_item(opened), viewer.id)

    members = context.live_members
    try:
        while True:
            try:
                await registry.run(
                    source, context.connection_viewer, args, document, position,
                    lambda viewer: execute, execute, send, on_member=members.add, off_member=members.discard,
                    on_opened=on_opened,
                )
                return
            except ScopeChanged as changed:
                position = changed.position  # carry on from there in the new scope's cohort
    finally:
        if tracked is not None:
            await tracked.closed()
    yield  # an async generator for strawberry; never reached
