"""Fan-out once per cohort: subscribers that share a document, its variables and their visibility
receive the same bytes, executed once per event.

A subscription field is backed by a `Source` (server/schema/live/): what it listens to, its
snapshot, and what an event means for a viewer. A `Member` is one client operation; members whose
(field, document, operation name, variables, source key, visibility key) are equal form a
`Cohort`. The cohort listens on the event hub, decides each event once with a representative
viewer (every member's viewer would decide the same: that is what the visibility key captures),
executes the document once on the result, encodes the payload once, and queues the same bytes on
each member's connection.

A member joins in three steps: its first messages are its own (the snapshot at a cursor, or the
replay from its `after` cursor up to the hub's position), then the cohort's recent history after
that cursor, then live — with no await between the last two, so nothing falls in between, and
each member skips what is at or below its own cursor, so nothing comes twice.

A source may fold consecutive events into one push (`folds`, `on_events`): workItemUpdated pushes
a change and the timeline entry that records it as one message. The cohort groups events the same
way live (the rest of a transaction is already queued on its listener when it takes the first
event) and when it reads from the log, and so does a member's replay: the same messages either
way, each at the cursor of the group's last event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Hashable, Protocol

import msgspec

from server.domain import event_log
from server.domain.errors import DomainError
from server.domain.events import Envelope
from server.domain.viewer import Viewer
from server.subscriptions import bus

log = logging.getLogger(__name__)

HISTORY = 256  # events a cohort remembers for members joining while it runs

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class Opened:
    """A subscription's arguments checked for a viewer: where it listens and what it is about."""

    channels: frozenset[str]
    key: Hashable  # with the document, variables and visibility: the cohort
    state: Any = None


class Source(Protocol):
    name: str
    # a stream of whole states (teamBar): a client resuming from a valid cursor gets the current
    # state again (everything it missed, folded in), not a replay event by event
    states: bool

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened: ...

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable: ...

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> Any: ...

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> Any | None:
        """The root value to push for this event, None for nothing; raise DomainError to end."""

    # Optional:
    #   def final(self, value) -> bool
    #       the root value (a snapshot's, or a push's) is the stream's last: the operation completes
    #       after it (an import job that ended). Without it a stream goes on until the client ends it.
    # Optional, together (a source without them pushes once per event):
    #   def folds(self, first: Envelope, second: Envelope) -> bool
    #       `second`, the next event on the source's channels, is pushed with the group `first` ends
    #   async def on_events(self, viewer, opened, envelopes: list[Envelope]) -> Any | None
    #       on_event for a group of two or more events


def _folds(source: Source) -> Callable[[Envelope, Envelope], bool] | None:
    return getattr(source, "folds", None)


def _final(source: Source, value: Any) -> bool:
    final = getattr(source, "final", None)
    return value is not None and final is not None and final(value)


async def decide(source: Source, viewer: Viewer, opened: Opened, group: list[Envelope]) -> Any | None:
    """The root value to push for a group of events (one event, unless the source folds)."""
    if len(group) == 1:
        return await source.on_event(viewer, opened, group[0])
    return await source.on_events(viewer, opened, group)  # type: ignore[attr-defined]


async def grouped(source: Source, envelopes: AsyncIterator[Envelope]) -> AsyncIterator[list[Envelope]]:
    """`envelopes` (in cursor order) in the groups `source` pushes them in."""
    folds = _folds(source)
    group: list[Envelope] = []
    async for envelope in envelopes:
        if group and folds is not None and folds(group[-1], envelope):
            group.append(envelope)
            continue
        if group:
            yield group
        group = [envelope]
    if group:
        yield group


# Executes the member's document on a root value: (context-or-viewer, root) -> payload bytes
Execute = Callable[[Any, Any], Awaitable[bytes]]
Send = Callable[[bytes], None]  # queue a `next` payload on the member's connection


@dataclass(eq=False, slots=True)
class Member:
    viewer: Viewer
    execute: Execute  # with the member's own context
    send: Send
    position: int = 0  # the last cursor this member has been sent (or is past)
    ended: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def push(self, cursor: int, payload: bytes | None) -> None:
        if cursor <= self.position:
            return
        self.position = cursor
        if payload is not None:
            self.send(payload)

    def end(self, error: BaseException | None = None) -> None:
        if not self.ended.done():
            if error is None:
                self.ended.set_result(None)
            else:
                self.ended.set_exception(error)


class Cohort:
    def __init__(self, registry: "Registry", key: tuple, source: Source, opened: Opened, viewer: Viewer, execute: Execute, hub: bus.EventHub) -> None:
        self.registry = registry
        self.key = key
        self.source = source
        self.folds = _folds(source)
        self.opened = opened
        self.viewer = viewer
        self.execute = execute  # with a context of the cohort's own, for the representative viewer
        self.hub = hub
        self.members: set[Member] = set()
        # (first cursor, last cursor, payload) of each group pushed
        self.history: deque[tuple[int, int, bytes | None]] = deque(maxlen=HISTORY)
        self.listener = hub.listen(opened.channels)
        self.position = self.listener.registered_at
        self.executions = 0
        self.task = asyncio.create_task(self._run(), name=f"cohort {source.name}")

    async def _run(self) -> None:
        try:
            while True:
                try:
                    group = [await self.listener.get()]
                except bus.ListenerOverflow as overflow:
                    logged = event_log.read(max(overflow.position, self.position), self.hub.position, self.opened.channels)
                    async for group in grouped(self.source, logged):
                        if not await self._process(group):
                            return
                    continue
                # the rest of the group, if any, came in the same dispatch: it is queued already
                while self.folds is not None and (following := self.listener.peek()) is not None and self.folds(group[-1], following):
                    group.append(self.listener.take())
                if not await self._process(group):
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # each member's operation reports it (masked, logged once there)
            self._end_all(exc)
        finally:
            self.hub.unlisten(self.listener)
            self.registry.forget(self)

    async def _process(self, group: list[Envelope]) -> bool:
        """Push one event (or a group the source folds) to every member; False when the stream
        ended."""
        try:
            value = await decide(self.source, self.viewer, self.opened, group)
        except DomainError as error:
            self._end_all(error)
            return False
        payload = None
        if value is not None:
            payload = await self.execute(self.viewer, value)
            self.executions += 1
        cursor = group[-1].cursor
        self.position = cursor
        self.history.append((group[0].cursor, cursor, payload))
        for member in list(self.members):
            member.push(cursor, payload)
        if _final(self.source, value):  # every member completes; a later one starts a cohort anew
            self._end_all(None)
            return False
        return True

    def _end_all(self, error: BaseException | None) -> None:
        for member in self.members:
            member.end(error)
        self.members.clear()

    def attach(self, member: Member) -> bool:
        """Make `member` live if the history covers everything after its cursor (no await here)."""
        if self.task.done():
            return False
        if self.position > member.position:
            oldest = self.history[0][0] if self.history else self.position + 1
            if oldest > member.position + 1:
                return False
            for _, cursor, payload in self.history:
                member.push(cursor, payload)
        self.members.add(member)
        return True

    def detach(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.task.cancel()


class Registry:
    """This process's cohorts, by key."""

    def __init__(self) -> None:
        self.cohorts: dict[tuple, Cohort] = {}

    def forget(self, cohort: Cohort) -> None:
        if self.cohorts.get(cohort.key) is cohort:
            del self.cohorts[cohort.key]

    async def join(
        self,
        source: Source,
        viewer: Viewer,
        args: dict[str, Any],
        document: tuple,
        after: int | None,
        execute: Execute,
        send: Send,
        on_member: Callable[[Member], None] = lambda member: None,
        on_opened: Callable[[Viewer, Opened], Awaitable[None]] | None = None,
    ) -> tuple[Member, Cohort]:
        """Check a client operation's arguments, send its first messages and make it a live
        member of its cohort; then it is pushed to until its `ended` future is done (the cohort
        ended it: an error, or ScopeChanged) or `leave` is called (the client completed it).
        An error raised from here refuses the subscription (before its first message).
        `execute` runs the operation's document: for its first messages and replays, and for
        every push of the cohort when this operation starts it. `on_opened` runs once the
        arguments are checked, before the first message."""
        hub = bus.current()
        if hub is None:
            raise Unavailable("Live updates are not available on this server process.")
        opened = await source.open(viewer, args)
        if on_opened is not None:
            await on_opened(viewer, opened)
        member = Member(viewer=viewer, execute=execute, send=send)
        on_member(member)
        key = (source.name, document, opened.key, await source.visibility(viewer, opened))
        cohort = self.cohorts.get(key)
        if cohort is None or cohort.task.done():
            cohort = Cohort(self, key, source, opened, viewer, execute, hub)
            self.cohorts[key] = cohort
        try:
            await self._first_messages(source, opened, member, after, hub)
            while not member.ended.done() and not cohort.attach(member):
                if cohort.task.done():  # ended meanwhile (the item left the viewer's sight)
                    cohort = self.cohorts.get(key) or Cohort(self, key, source, opened, viewer, execute, hub)
                    self.cohorts[key] = cohort
                await self._replay(source, opened, member, max(cohort.position, member.position))
        except BaseException:
            self.leave(member, cohort)
            raise
        if member.ended.done():  # its first messages held the stream's last value
            cohort.detach(member)
        return member, cohort

    @staticmethod
    def leave(member: Member, cohort: Cohort) -> None:
        """Stop pushing to `member` (idempotent)."""
        cohort.detach(member)
        if member.ended.done() and not member.ended.cancelled():
            member.ended.exception()  # retrieved: whoever ended it has been told
        else:
            member.ended.cancel()

    async def _first_messages(self, source: Source, opened: Opened, member: Member, after: int | None, hub: bus.EventHub) -> None:
        if after is not None:
            await event_log.check_cursor(after)
            if not source.states:
                member.position = after
                await self._replay(source, opened, member, hub.position)  # the cohort brings the rest
                return
        cursor = await event_log.last_cursor()
        value = await source.snapshot(member.viewer, opened, cursor)
        member.send(await member.execute(member.viewer, value))
        member.position = cursor
        if _final(source, value):
            member.end()

    async def _replay(self, source: Source, opened: Opened, member: Member, upto: int) -> None:
        """Send `member` what the log holds after its cursor up to `upto`, decided for its viewer."""
        async for group in grouped(source, event_log.read(member.position, upto, opened.channels)):
            value = await decide(source, member.viewer, opened, group)
            member.push(group[-1].cursor, await member.execute(member.viewer, value) if value is not None else None)
            if _final(source, value):
                member.end()
                return
        member.position = max(member.position, upto)


class ScopeChanged(Exception):
    """The member's viewer changed scope: it carries on from its cursor in its new cohort."""

    position: int = 0


class Unavailable(DomainError):
    code = "UNAVAILABLE"


def encode_payload(data: Any, errors: list[dict] | None, extensions: dict | None = None) -> bytes:
    payload: dict[str, Any] = {"data": data}
    if errors:
        payload["errors"] = errors
    if extensions:
        payload["extensions"] = extensions
    return _encode(payload)


registry = Registry()
