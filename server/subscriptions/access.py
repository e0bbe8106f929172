"""Watching a live connection's identity: when it loses access, the connection is closed at once.

Operations re-check the viewer anyway (server.resolvers.context, and every subscription push), but a
connection that sends nothing and receives nothing would stay open after its API key is revoked. A
connection therefore watches `access:<subject>:<id>`, the channel its identity's `AccessRevoked`
events are published on (in every process, through the bus), and calls its close callback on the
first one. A revocation published while this process had lost the broker would be missed, so
each time the broker connection comes back the watch checks the identity again and closes the
connection if it lost access meanwhile.

    watch = AccessWatch(viewer, on_revoked=close_the_socket)
    await watch.start()   # returns once the broker subscription is confirmed
    ...
    await watch.stop()    # when the connection ends

or `async with AccessWatch(viewer, on_revoked=...):`. A revocation committed before `start()`
returns is not seen by the watch: check the identity again after starting it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from server.domain.viewer import Viewer, ViewerKind, refresh
from server.subscriptions import bus
from server.domain.events import AccessRevoked

log = logging.getLogger(__name__)

# The identities whose connections are watched, and their channel subject. Only API key
# revocation emits an AccessRevoked event so far; watching users as well (deactivation) is adding
# USER here once something emits it.
SUBJECTS: dict[ViewerKind, str] = {ViewerKind.API_KEY: "api_key"}

# called once: with the event, or with None when a re-check after a broker outage found access gone
OnRevoked = Callable[[AccessRevoked | None], Awaitable[None]]


def is_watched(viewer: Viewer) -> bool:
    return viewer.kind in SUBJECTS


def access_channel(viewer: Viewer) -> str:
    return AccessRevoked.channel(SUBJECTS[viewer.kind], viewer.id)


class WatchUnavailable(Exception):
    """The broker subscription could not be made: revocations would not reach this connection."""


class AccessWatch:
    def __init__(self, viewer: Viewer, on_revoked: OnRevoked) -> None:
        self.viewer = viewer
        self.channel = access_channel(viewer)
        self._on_revoked = on_revoked
        self._task: asyncio.Task[None] | None = None  # strong reference: the task lives as long as the watch
        self._recheck: asyncio.Task[None] | None = None
        self._recheck_wanted = False
        self.revoked: AccessRevoked | None = None
        self.fired = False
        self.rechecks = 0  # re-checks completed after broker reconnects

    async def start(self) -> None:
        """Subscribe in a background task; return once the subscription is active.
        `WatchUnavailable` when there is no bus or the broker does not confirm it."""
        event_bus = bus.current()
        if event_bus is None:
            raise WatchUnavailable("no event bus in this process")
        active: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._watch(event_bus, active), name=f"access-watch {self.channel}")
        try:
            await asyncio.wait({active, self._task}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self.stop()
            raise
        if not active.done():
            task, self._task = self._task, None
            error = task.exception() if not task.cancelled() else None
            raise WatchUnavailable(f"could not subscribe to {self.channel}: {error!r}") from error

    async def _watch(self, event_bus: bus.EventBus, active: asyncio.Future[None]) -> None:
        async with event_bus.subscribe(self.channel) as envelopes:
            stop_listening = event_bus.on_reconnect(self._schedule_recheck)
            try:
                active.set_result(None)
                async for envelope in envelopes:
                    if isinstance(envelope.event, AccessRevoked):
                        self.revoked = envelope.event
                        await self._fire(envelope.event)
                        return
            finally:
                stop_listening()

    def _schedule_recheck(self) -> None:
        if self.fired:
            return
        self._recheck_wanted = True  # a check running now may have read before this reconnect
        if self._recheck is None or self._recheck.done():
            self._recheck = asyncio.create_task(self._check_again(), name=f"access-recheck {self.channel}")

    async def _check_again(self) -> None:
        while self._recheck_wanted and not self.fired:
            self._recheck_wanted = False
            try:
                if await refresh(self.viewer) is None:
                    await self._fire(None)
            except Exception:
                log.exception("Checking access on %s again failed", self.channel)
            finally:
                self.rechecks += 1

    async def _fire(self, event: AccessRevoked | None) -> None:
        if self.fired:
            return
        self.fired = True
        try:
            await self._on_revoked(event)
        except Exception:
            log.exception("Closing a connection on %s failed", self.channel)

    async def stop(self) -> None:
        """Unsubscribe (idempotent). Never call it from the `on_revoked` callback itself."""
        recheck, self._recheck = self._recheck, None
        if recheck is not None and not recheck.done():
            recheck.cancel()
            await asyncio.gather(recheck, return_exceptions=True)
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():  # it is we who are being cancelled
                raise
        except Exception:
            log.exception("Access watch on %s failed", self.channel)

    async def __aenter__(self) -> "AccessWatch":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
