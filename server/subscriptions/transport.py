"""graphql-transport-ws connections: who may connect, what they may run, and how they end.

strawberry's handler speaks the protocol; this module adds what Switchboard needs on top of it:

- connection_init is accepted by server/subscriptions/connections.py (the bearer token, the
  connection cap per identity, the access watch, presence); refusals close with their code;
- every message is parsed as HTTP bodies are (server/http/request_json.py: standard JSON, bounded
  depth and integers, no lone surrogates; else close 4400 with the reason);
- every message is checked before it is acted on: valid JSON that is not an object, or a
  `subscribe` whose id, query, variables, operationName or extensions have the wrong type, closes
  the connection with 4400 (invalid message), as the protocol says;
- operations are capped per connection and per identity; one over a cap gets an `error` message
  with code LIMIT_EXCEEDED and the connection stays open;
- every message the server sends goes through one bounded queue per connection, written by one
  task: subscription pushes (pre-encoded once per cohort, server/subscriptions/cohorts.py) and
  protocol messages stay in order, and a client that reads too slowly is closed with 1013 (try
  again later: it reconnects and resumes from its cursor) instead of memory growing;
- a user's connection counts towards their presence (server/subscriptions/presence.py) from its
  accepted connection_init until it ends; a `ping` whose payload is `{"presence": "AWAY"}` or
  `{"presence": "ONLINE"}` marks the connection away or back (the pong is sent as ever);
- a live subscription, once its resolver has sent its first messages, is handed off to the
  handler (`hand_off`): strawberry's execution of it returns, and the handler ends it — on the
  client's `complete`, when the connection ends, or when its cohort ends it (`end_live`);
- nothing of a connection is kept that it does not need while idle (no queue until a send has to wait, no finished timer or task): an idle
  subscribed connection costs little more than the ASGI server's own WebSocket;
- when the connection ends, however it ends, its access watch stops, every slot it held is
  released and it stops counting towards presence.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections import deque
from contextvars import ContextVar
from typing import Any, Protocol

import msgspec

from graphql import GraphQLError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation

from server.http.request_json import RequestJSONError
from server.subscriptions import presence
from server.subscriptions.limits import PrincipalLimits, Slot

log = logging.getLogger(__name__)

# graphql-transport-ws close codes
INVALID_MESSAGE_CLOSE_CODE = 4400
ACCESS_REVOKED_CLOSE_CODE = 4403  # the code a refused connection_init closes with (Forbidden)
ACCESS_REVOKED_CLOSE_REASON = "Access revoked"
TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429
TOO_MANY_CONNECTIONS_CLOSE_REASON = "Too many connections"
SLOW_CLIENT_CLOSE_CODE = 1013  # Try Again Later: graphql-ws clients reconnect
SLOW_CLIENT_CLOSE_REASON = "Too far behind; reconnect and resume from your cursor"
DEFAULT_OUTGOING_QUEUE = 1000

_encode = msgspec.json.Encoder().encode

# the operation a subscription resolver runs for: set by TransportWSHandler.run_operation
current_operation: ContextVar["tuple[TransportWSHandler, Operation] | None"] = ContextVar("switchboard_ws_operation", default=None)


def next_prefix(op_id: str) -> str:
    """A `next` frame of `op_id` is this prefix, its payload (encoded once for a whole cohort),
    and a closing brace."""
    return '{"id":' + _encode(op_id).decode() + ',"type":"next","payload":'


async def _finish(coroutine: Any, waiting: Any) -> None:
    """Run a coroutine that was started by hand (`coroutine.send(None)` returned `waiting`, the
    future it waits on) to its end, as a task would."""
    while True:
        try:
            if waiting is None:  # a bare yield: let the loop run once
                await asyncio.sleep(0)
            else:
                # the flag a yielded future carries until a task takes it (asyncio.Task does this)
                waiting._asyncio_future_blocking = False
                await waiting
        except BaseException as exc:  # noqa: BLE001 - handed to the coroutine, as a task would
            try:
                waiting = coroutine.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return


class LiveHandle(Protocol):
    """A live subscription its resolver handed to the handler (server/schema/live/)."""

    def stop(self) -> None: ...


class ConnectionRefused(Exception):
    """connection_init is refused with this close code (strawberry's own refusal is always 4403)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _malformed_subscribe(message: dict[str, Any]) -> str | None:
    """What is wrong with a `subscribe` message's shape, or None."""
    if not isinstance(message.get("id"), str):
        return "subscribe: id must be a string"
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "subscribe: payload must be an object"
    if not isinstance(payload.get("query"), str):
        return "subscribe: payload.query must be a string"
    for key, kind, name in (("variables", dict, "an object"), ("extensions", dict, "an object"), ("operationName", str, "a string")):
        if payload.get(key) is not None and not isinstance(payload[key], kind):
            return f"subscribe: payload.{key} must be {name} or null"
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with message checks, per-connection and per-identity operation caps,
    and the connection's access watch and slots released when the connection ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._operation_slots: dict[Operation, Slot] = {}
        self._live: dict[str, LiveHandle] = {}  # operations handed off by their resolver
        # the connection's context (the database's, no operation's): what callbacks and tasks of
        # its live subscriptions run in, so that they keep no finished operation alive
        self.base_context = contextvars.copy_context()
        self._outgoing: deque[str] | None = None  # made when a send first has to wait
        self._writer: asyncio.Task[None] | None = None  # while a send had to wait
        self._close_task: asyncio.Future[None] | None = None
        self._closing = False

    # -- the outgoing queue ---------------------------------------------------------------------

    def enqueue(self, frame: str) -> None:
        if self._closing:
            return
        if self._writer is None and not self._outgoing:
            self._send_now(frame)
            return
        if self._outgoing is None:
            self._outgoing = deque()
        limit = getattr(self.context, "outgoing_queue", DEFAULT_OUTGOING_QUEUE)
        if len(self._outgoing) >= limit:
            self._closing = True
            self._outgoing.clear()
            self._close_task = asyncio.ensure_future(self._close_slow())
            return
        self._outgoing.append(frame)

    def _send_now(self, frame: str) -> None:
        """Write `frame` at once. A socket that is writable takes it without waiting (the ASGI
        send completes without suspending), so the usual push costs no task switch; when it
        must wait (the client reads slowly), a writer task finishes it and then drains what was
        queued meanwhile, in order."""
        sending = self.websocket.send_text(frame)
        try:
            waiting = sending.send(None)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - the socket closed; the handler ends on its own
            self._closing = True
            return
        self._writer = asyncio.create_task(self._write(sending, waiting), name="ws-writer")

    async def _write(self, sending: Any, waiting: Any) -> None:
        socket = self.websocket
        try:
            await _finish(sending, waiting)
            while self._outgoing:
                await socket.send_text(self._outgoing.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the socket closed; the handler ends on its own
            self._closing = True
        finally:
            self._writer = None
            self._outgoing = None

    async def _close_slow(self) -> None:
        log.info("Closed a WebSocket whose client fell %d messages behind", getattr(self.context, "outgoing_queue", 0))
        await self.websocket.close(code=SLOW_CLIENT_CLOSE_CODE, reason=SLOW_CLIENT_CLOSE_REASON)

    async def send_message(self, message: Any) -> None:
        self.enqueue(_encode(message).decode())

    async def run_operation(self, operation: Operation) -> None:
        current_operation.set((self, operation))
        await super().run_operation(operation)

    async def handle(self) -> None:
        """strawberry's loop (BaseGraphQLTransportWSHandler.handle) in this one frame, holding no
        message while it waits for the next, then the connection's own clean-up."""
        self.on_request_accepted()
        try:
            async for message in self.websocket.iter_json():
                await self.handle_message(message)
                message = None  # noqa: PLW2901 - handled: not kept while the connection idles
        except NonTextMessageReceived:
            await self.handle_invalid_message("WebSocket message type must be text")
        except NonJsonMessageReceived:
            await self.handle_invalid_message("WebSocket message must be valid JSON")
        finally:
            await self.shutdown()
            if self._writer is not None:
                self._writer.cancel()
                await asyncio.gather(self._writer, return_exceptions=True)
            for slot in self._operation_slots.values():
                slot.release()
            self._operation_slots.clear()
            slot, self.context.connection_slot = getattr(self.context, "connection_slot", None), None
            if slot is not None:
                slot.release()
            watch = getattr(self.context, "access_watch", None)
            if watch is not None:
                self.context.access_watch = None
                await watch.stop()
            user_id = getattr(self.context, "presence_user_id", None)
            if user_id is not None:
                self.context.presence_user_id = None
                await presence.disconnected(user_id, self.context.connection_id)

    async def handle_ping(self, message: Any) -> None:
        await super().handle_ping(message)  # the pong first: presence is a hint, never a delay
        payload = message.get("payload")
        user_id = getattr(self.context, "presence_user_id", None)
        if user_id is None or not isinstance(payload, dict):
            return
        said = payload.get("presence")
        if said in ("AWAY", "ONLINE"):
            await presence.set_away(user_id, self.context.connection_id, said == "AWAY")

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("WebSocket message must be a JSON object")
            return
        if message.get("type") == "complete" and not isinstance(message.get("id"), str):
            await self.handle_invalid_message("complete: id must be a string")
            return
        await super().handle_message(message)

    async def handle_invalid_message(self, error_message: str) -> None:
        # a message the view's decode_json refused (server/http/request_json.py): say why
        handling = sys.exc_info()[1]
        if isinstance(handling, NonJsonMessageReceived) and isinstance(handling.__cause__, RequestJSONError):
            error_message = handling.__cause__.message
        await super().handle_invalid_message(error_message)

    async def handle_connection_init(self, message: Any) -> None:
        timer = self.connection_init_timeout_task
        try:
            await super().handle_connection_init(message)  # cancels the timer
        except ConnectionRefused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)
        if timer is not None and timer.cancelled():
            self.connection_init_timeout_task = None  # a finished timer: nothing to keep

    async def handle_subscribe(self, message: Any) -> None:
        problem = _malformed_subscribe(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # closes the connection (4401, 4409)
            return
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) >= limit:
            await self._refuse(message["id"], f"At most {limit} operations may run at once on one connection.")
            return
        slot = None
        limits: PrincipalLimits | None = getattr(self.context, "limits", None)
        if limits is not None:
            slot = limits.take_operation(self.context.connection_viewer)
            if slot is None:
                await self._refuse(message["id"], f"At most {limits.max_operations} operations may run at once for one identity, over all its connections.")
                return
        await super().handle_subscribe(message)
        operation = self.operations.get(message["id"])
        if operation is None or operation.task is None:
            if slot is not None:
                slot.release()
            return
        if slot is not None:
            self._operation_slots[operation] = slot
        operation.task.add_done_callback(lambda _task: self._task_ended(operation))

    def _task_ended(self, operation: Operation) -> None:
        """Every way an operation ends finishes its task (completion, error, cancellation) — but
        a live subscription's task ends at its hand-off: the subscription keeps its slot (until
        `end_live` or `cleanup_operation`) and drops the finished task, which would keep the
        whole execution's context alive."""
        if self._live.get(operation.id) is not None and self.operations.get(operation.id) is operation:
            operation.task = None
        else:
            self._release(operation)

    # -- live subscriptions, once their resolver has handed them off -----------------------------

    def hand_off(self, operation: Operation, live: "LiveHandle") -> None:
        """From now on `live` serves `operation` and strawberry's execution of it returns without
        a word (the operation counts as completed for strawberry); the operation keeps its id and
        slots until `end_live` or the client's `complete`."""
        if self.operations.get(operation.id) is not operation:  # completed meanwhile
            live.stop()
            return
        operation.completed = True
        self._live[operation.id] = live

    def end_live(self, operation: Operation, payload: str | None) -> None:
        """The live subscription ended on the server's side: its last `next` (an error's, when
        `payload` is given), then `complete`."""
        if self.operations.get(operation.id) is not operation:
            return
        del self.operations[operation.id]
        self._live.pop(operation.id, None)
        self._release(operation)
        if payload is not None:
            self.enqueue(next_prefix(operation.id) + payload + "}")
        self.enqueue(_encode({"id": operation.id, "type": "complete"}).decode())

    def forget_id(self, id: str) -> None:
        operation = self.operations.get(id)
        super().forget_id(id)
        if operation is not None:
            self._release(operation)  # before its final message is sent

    async def cleanup_operation(self, operation_id: str) -> None:
        live = self._live.pop(operation_id, None)
        if live is not None:  # its task has ended, or is about to without a word
            operation = self.operations.pop(operation_id, None)
            if operation is not None:
                self._release(operation)
            live.stop()
            return
        operation = self.operations.get(operation_id)
        await super().cleanup_operation(operation_id)
        if operation is not None:
            self._release(operation)

    def _release(self, operation: Operation) -> None:
        slot = self._operation_slots.pop(operation, None)
        if slot is not None:
            slot.release()

    async def _refuse(self, op_id: str, message: str) -> None:
        error = GraphQLError(message, extensions={"code": "LIMIT_EXCEEDED"})
        await self.send_message({"id": op_id, "type": "error", "payload": [error.formatted]})
