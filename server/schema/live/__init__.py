"""The subscription fields: each one a `Source` (server/subscriptions/cohorts.py) served through
the cohort fan-out, and the Subscription root type.

`serve` is what every subscription resolver runs: it finds the client operation it serves (set by
the graphql-transport-ws handler), joins the operation's cohort, sends its first messages, and
hands the operation to the handler as a `LiveOperation`; the resolver then returns without ever
yielding, so strawberry executes nothing per subscriber and keeps no execution of it while it is
idle (its parse, validation, limits and error handling still run once, at subscribe). When the
connection's scope changes (an access event), the operation carries on from its cursor in the
cohort of its new scope.

A source with `tracked_item(opened)` records who has its item open: an employee's operation is
written once its arguments are checked (before its snapshot) and removed when it ends, however it
ends (server/subscriptions/item_viewers.py); a scope change keeps the same row.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, AsyncGenerator, Hashable

import strawberry
from graphql import GraphQLError
from strawberry.types.graphql import OperationType

from server.domain import visibility
from server.domain.errors import Forbidden, ValidationError
from server.domain.events import user_channel
from server.domain.viewer import Viewer
from server.resolvers.context import Context
from server.resolvers.inputs import decode_cursor, encode_cursor
from server.schema.errors import present_errors
from server.subscriptions.cohorts import Cohort, Member, Opened, ScopeChanged, Source, encode_payload, registry
from server.subscriptions.item_viewers import Tracked, operation_key
from server.subscriptions.transport import current_operation, next_prefix

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


class LiveOperation:
    """One client subscription served through its cohort, once strawberry has checked the
    document (parse, validation, limits) and this object has sent the first messages.

    From then on the graphql-transport-ws handler owns it (`hand_off`) and strawberry's own
    execution of it has returned: an idle subscription is this object, its cohort member and
    its row of open items, not a suspended execution stack. It ends when the client completes
    it or the connection ends (`stop`), or when its cohort ends it (`_ended`): with an error
    (sent as strawberry would send an error raised by the stream: a `next` with the error, then
    `complete`), or with a scope change (it carries on from its cursor in its new cohort)."""

    __slots__ = ("handler", "operation", "schema", "source", "args", "document", "prefix", "tracked", "member", "cohort", "_task")

    def __init__(self, handler: Any, operation: Any, schema: Any, source: Source, args: dict[str, Any]) -> None:
        self.handler = handler
        # equal documents are one string, however many operations run them
        operation.query = sys.intern(operation.query)
        self.operation = operation
        self.schema = schema
        self.source = source
        self.args = args
        self.document = (operation.query, operation.operation_name, encode_payload(operation.variables or {}, None))
        self.prefix = next_prefix(operation.id)
        tracked = getattr(source, "tracked_item", None) is not None
        self.tracked = Tracked(operation_key(handler.context.connection_id, operation.id)) if tracked else None
        self.member: Member | None = None
        self.cohort: Cohort | None = None
        self._task: asyncio.Task | None = None  # a rejoin after a scope change

    def send(self, payload: str) -> None:
        """Queue a `next` with `payload` (encoded once for the cohort), unless the client
        completed the operation meanwhile."""
        handler, operation = self.handler, self.operation
        if handler.operations.get(operation.id) is operation:
            handler.enqueue(self.prefix + payload + "}")

    async def execute(self, viewer: Any, value: Any) -> str:
        operation = self.operation
        result = await self.schema.execute(
            operation.query,
            variable_values=operation.variables or {},
            context_value=Context(request=None, response=None, signer=self.handler.context.signer, fixed_viewer=viewer),
            root_value=value,
            operation_name=operation.operation_name,
            allowed_operation_types=_SUBSCRIPTION,
        )
        errors = [error.formatted for error in result.errors] if result.errors else None
        return encode_payload(result.data, errors).decode()

    async def join(self, position: int | None) -> None:
        context = self.handler.context
        self.member, self.cohort = await registry.join(
            self.source, context.connection_viewer, self.args, self.document, position,
            self.execute, self.send, on_member=context.add_member, on_opened=self._opened,
        )
        self.member.ended.add_done_callback(self._ended, context=self.handler.base_context)

    async def _opened(self, viewer: Viewer, opened: Opened) -> None:
        if self.tracked is not None and viewer.is_user and not self.tracked.open:
            await self.tracked.opened(self.source.tracked_item(opened), viewer.id)

    def _leave(self) -> None:
        member, cohort = self.member, self.cohort
        if member is not None and cohort is not None:
            self.handler.context.discard_member(member)
            registry.leave(member, cohort)
        self.member = self.cohort = None

    def _ended(self, ended: asyncio.Future) -> None:
        if ended.cancelled():  # left: `stop` or a rejoin took it
            return
        error = ended.exception()
        position = self.member.position if self.member is not None else None
        self._leave()
        if isinstance(error, ScopeChanged):
            self._task = asyncio.get_running_loop().create_task(self._rejoin(position), name="live rejoin", context=self.handler.base_context)
        else:
            self._end(error)

    async def _rejoin(self, position: int | None) -> None:
        try:
            await self.join(position)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - told to the client (masked, logged once)
            self._end(error)
        finally:
            self._task = None

    def _end(self, error: BaseException | None) -> None:
        payload = None
        if error is not None:
            errors = [error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)]
            self.schema.process_errors(errors)
            payload = encode_payload(None, [e.formatted for e in present_errors(errors, hide_suggestions=self.schema.hide_suggestions)]).decode()
        if self.tracked is not None:
            self.tracked.close_soon()
        self.handler.end_live(self.operation, payload)

    def stop(self) -> None:
        """The client completed it, or its connection ended."""
        if self._task is not None:
            self._task.cancel()
        self._leave()
        if self.tracked is not None:
            self.tracked.close_soon()


async def serve(info: strawberry.Info, source: Source, args: dict[str, Any], after: str | None) -> AsyncGenerator[Any, None]:
    """A subscription resolver's body: join the cohort, then hand the operation to the
    connection's handler and return, so that strawberry's execution ends (quietly: the handler
    marked the operation as its own) and holds nothing while the subscription is idle. An error
    raised before the hand-off (the arguments, the cursor, the snapshot) is strawberry's to send."""
    running = current_operation.get()
    if running is None:
        raise ValidationError("Subscriptions are served over WebSocket (graphql-transport-ws) only.")
    handler, operation = running
    live = LiveOperation(handler, operation, info.schema, source, args)
    try:
        await live.join(_after(after))
    except BaseException:
        if live.tracked is not None:
            await live.tracked.closed()
        raise
    handler.hand_off(operation, live)
    return
    yield  # an async generator for strawberry; never reached
