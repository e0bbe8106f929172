"""Watching a live connection's identity: its scope is held in memory, and read again (or the
connection closed) the moment an access-change event for it is committed.

A connection keeps the viewer it authenticated as (departments, teams, role) and authorises every
push against it without asking the database. What can change that scope — department grants,
group membership, deactivation, an API key's revocation — emits an `AccessRevoked` event on
`access:<subject>:<id>` (server/domain/events.py). The watch listens there through the event hub,
which delivers every committed event in order and reads from the log whatever the broker lost,
so no change is missed, even across a broker outage:

    watch = AccessWatch(viewer, on_changed=use_new_scope, on_revoked=close_the_socket)
    await watch.start()   # listening from here on
    ...
    await watch.stop()    # when the connection ends

A change committed before `start()` returns is not seen by the watch: check the identity again
after starting it (`Connections.accept` does).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from server.domain.events import AccessRevoked, Envelope
from server.domain.viewer import Viewer, ViewerKind, refresh
from server.subscriptions import bus

log = logging.getLogger(__name__)

SUBJECTS: dict[ViewerKind, str] = {ViewerKind.API_KEY: "api_key", ViewerKind.USER: "user", ViewerKind.CONTACT: "contact"}

OnRevoked = Callable[[AccessRevoked | None], Awaitable[None]]
OnChanged = Callable[[Viewer], Awaitable[None]]


def is_watched(viewer: Viewer) -> bool:
    return viewer.kind in SUBJECTS


def access_channel(viewer: Viewer) -> str:
    return AccessRevoked.channel(SUBJECTS[viewer.kind], viewer.id)


class WatchUnavailable(Exception):
    """There is no event hub: access changes would not reach this connection."""


async def _noop(viewer: Viewer) -> None:
    return None


class AccessWatch:
    __slots__ = ("viewer", "channel", "_on_revoked", "_on_changed", "_hub", "_task", "_again", "revoked", "fired", "changes")

    def __init__(self, viewer: Viewer, on_revoked: OnRevoked, on_changed: OnChanged = _noop) -> None:
        self.viewer = viewer
        self.channel = access_channel(viewer)
        self._on_revoked = on_revoked
        self._on_changed = on_changed
        self._hub: bus.EventHub | None = None  # while watching
        # a check runs in a task only while an access change is being applied (rarely): an idle
        # watch is one callback in the hub, nothing more
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.revoked: AccessRevoked | None = None
        self.fired = False
        self.changes = 0  # access changes applied

    async def start(self) -> None:
        hub = bus.current()
        if hub is None:
            raise WatchUnavailable("no event hub in this process")
        hub.watch(self.channel, self._changed)
        self._hub = hub

    def _changed(self, envelope: Envelope) -> None:
        if self.fired:
            return
        event = envelope.event
        self.revoked = event if isinstance(event, AccessRevoked) else None
        if self._task is not None:
            self._again = True  # the running check may have read before this change
            return
        self._task = asyncio.create_task(self._check(), name=f"access-check {self.channel}")

    async def _check(self) -> None:
        try:
            while True:
                self._again = False
                try:
                    current = await refresh(self.viewer)
                except Exception:
                    log.exception("Checking access on %s again failed", self.channel)
                    current = self.viewer
                if current is None:
                    await self._fire(self.revoked)
                    return
                self.viewer = current
                self.changes += 1
                try:
                    await self._on_changed(current)
                except Exception:
                    log.exception("Applying an access change on %s failed", self.channel)
                if not self._again:
                    return
        finally:
            self._task = None

    async def _fire(self, event: AccessRevoked | None) -> None:
        if self.fired:
            return
        self.fired = True
        try:
            await self._on_revoked(event)
        except Exception:
            log.exception("Closing a connection on %s failed", self.channel)

    async def stop(self) -> None:
        """Stop watching (idempotent). Never call it from the callbacks themselves."""
        hub, self._hub = self._hub, None
        if hub is not None:
            hub.unwatch(self.channel, self._changed)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise
            except Exception:
                log.exception("Access watch on %s failed", self.channel)

    async def __aenter__(self) -> "AccessWatch":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
