"""The event hub: committed events reach every process in cursor order, none missing, none twice.

Each process subscribes to one broker channel (`<prefix>:events`); a committing process publishes
its transaction's events there as one message. The broker is only the fast path: the event log is
the truth, and its cursors are dense and in commit order (server/domain/event_log.py). So one pump
task per process delivers events to local listeners strictly in order:

- an event at or below the last delivered cursor is a duplicate and is dropped;
- an event beyond the next cursor means the broker lost some (a Redis outage, a full queue, a
  process killed between commit and publish): the missing ones are read from the log first;
- every `poll_interval` seconds, and at once when the broker connection comes back, the pump looks
  at the newest cursor in the log and reads what it has not seen: events that were committed but
  never published reach every process within that interval, whoever committed them.

Listeners are local (a subscription's cohort, a connection's access watch): `listen(channels)`
registers one at the current position, with a bounded queue; a listener that falls behind by more
than its queue holds is marked overflowed and reads the rest from the log itself. A transaction's
events are delivered together, with no await between them (from the broker and from the log alike),
so a listener that takes one of them finds the rest of its transaction already queued (`peek`).

One hub per process, installed by the app's lifespan; it is also the domain's publisher. Processes
without one (the `demo` command, a migration) still log every event; they only skip live delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable, Iterable

from broadcaster import Broadcast

from server.domain import event_log, uow
from server.domain.events import Envelope, EventFormatError, decode_batch, encode_batch

log = logging.getLogger(__name__)

DEFAULT_LISTENER_QUEUE = 1000


class ListenerOverflow(Exception):
    """The listener fell more than its queue behind; read from `position` in the log."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


class Listener:
    """Events on some channels, delivered by the hub in cursor order into a bounded queue."""

    __slots__ = ("channels", "registered_at", "position", "_queue", "_wake", "_limit", "overflowed")

    def __init__(self, channels: frozenset[str], position: int, limit: int) -> None:
        self.channels = channels
        self.registered_at = position  # every event after it reaches this listener
        self.position = position  # the last cursor taken from the queue (or skipped past)
        self._queue: deque[Envelope] = deque()
        self._wake = asyncio.Event()
        self._limit = limit
        self.overflowed = False

    def deliver(self, envelope: Envelope) -> None:
        if self.overflowed:
            return
        if len(self._queue) >= self._limit:
            self.overflowed = True
            self._queue.clear()
        else:
            self._queue.append(envelope)
        self._wake.set()

    async def get(self) -> Envelope:
        """The next event; `ListenerOverflow` once when the queue overflowed."""
        while not self._queue:
            if self.overflowed:
                self.overflowed = False
                raise ListenerOverflow(self.position)
            self._wake.clear()
            await self._wake.wait()
        return self.take()

    def peek(self) -> Envelope | None:
        """The next queued event without taking it (None when nothing is queued)."""
        return self._queue[0] if self._queue else None

    def take(self) -> Envelope:
        """Take the queued event `peek` returned, without waiting."""
        envelope = self._queue.popleft()
        self.position = envelope.cursor
        return envelope

    def pending(self) -> int:
        return len(self._queue)


class EventHub:
    def __init__(self, broadcast: Broadcast, prefix: str, *, poll_interval: float = 1.0, listener_queue: int = DEFAULT_LISTENER_QUEUE) -> None:
        self._broadcast = broadcast
        self._channel = f"{prefix}:events"
        self.poll_interval = poll_interval
        self.listener_queue = listener_queue
        self.position = 0  # the last cursor delivered to local listeners
        self._routes: dict[str, set[Listener]] = {}
        self._callbacks: dict[str, set[Callable[[Envelope], None]]] = {}
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._remove_reconnect: Callable[[], None] = lambda: None
        self.gaps_filled = 0  # events read from the log because the broker did not bring them
        self.delivered = 0

    # -- publishing (the domain's Publisher) ---------------------------------------------------

    async def publish(self, envelopes: list[Envelope]) -> None:
        """Publish one transaction's committed events. Never raises: they are logged, and every
        process reads what the broker does not bring (within `poll_interval`)."""
        try:
            await self._broadcast.publish(self._channel, encode_batch(envelopes).decode())
        except Exception:
            log.warning("Could not publish events %d..%d; processes will read them from the log", envelopes[0].cursor, envelopes[-1].cursor)

    # -- listening ------------------------------------------------------------------------------

    def listen(self, channels: Iterable[str]) -> Listener:
        """A listener at the current position (call `unlisten` when done)."""
        listener = Listener(frozenset(channels), self.position, self.listener_queue)
        for name in listener.channels:
            self._routes.setdefault(name, set()).add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        for name in listener.channels:
            routed = self._routes.get(name)
            if routed is not None:
                routed.discard(listener)
                if not routed:
                    del self._routes[name]

    def watch(self, channel: str, callback: Callable[[Envelope], None]) -> None:
        """Call `callback` (synchronously, in cursor order) with every event on `channel` until
        `unwatch`. For watchers that are idle almost always (a connection's access): no queue
        and no task of their own."""
        self._callbacks.setdefault(channel, set()).add(callback)

    def unwatch(self, channel: str, callback: Callable[[Envelope], None]) -> None:
        watching = self._callbacks.get(channel)
        if watching is not None:
            watching.discard(callback)
            if not watching:
                del self._callbacks[channel]

    @asynccontextmanager
    async def listening(self, channels: Iterable[str]) -> AsyncIterator[Listener]:
        listener = self.listen(channels)
        try:
            yield listener
        finally:
            self.unlisten(listener)

    # -- the pump -------------------------------------------------------------------------------

    async def start(self) -> None:
        self.position = await event_log.last_cursor()
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pump = asyncio.create_task(self._run(started), name="event-hub")
        await asyncio.wait({started, self._pump}, return_when=asyncio.FIRST_COMPLETED)
        if self._pump.done():
            self._pump.result()
        add = getattr(getattr(self._broadcast, "_backend", None), "add_reconnect_listener", None)
        if add is not None:
            self._remove_reconnect = add(self._wake.set)

    async def stop(self) -> None:
        self._remove_reconnect()
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None

    async def _run(self, started: asyncio.Future[None]) -> None:
        async with self._broadcast.subscribe(self._channel) as subscriber:
            started.set_result(None)
            incoming = asyncio.ensure_future(subscriber.get())
            try:
                while True:
                    wake = asyncio.ensure_future(self._wake.wait())
                    done, _ = await asyncio.wait({incoming, wake}, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
                    wake.cancel()
                    try:
                        if incoming in done:
                            message = incoming.result()
                            incoming = asyncio.ensure_future(subscriber.get())
                            await self._receive(message.message)
                        else:
                            self._wake.clear()
                            await self._catch_up(await event_log.last_cursor())
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("The event hub failed to deliver; retrying from the log")
                        await asyncio.sleep(self.poll_interval)
            finally:
                incoming.cancel()

    async def _receive(self, message: str) -> None:
        try:
            envelopes = decode_batch(message)
        except EventFormatError:
            log.exception("Dropped a malformed broker message; the log has its events")
            return
        for envelope in envelopes:
            if envelope.cursor <= self.position:
                continue
            if envelope.cursor > self.position + 1:
                await self._catch_up(envelope.cursor - 1)
            if envelope.cursor == self.position + 1:
                self._dispatch(envelope)

    async def _catch_up(self, upto: int) -> None:
        """Deliver every logged event up to `upto` not yet delivered, from the log; a
        transaction's events together, as from the broker (the log is read in pages, and a
        transaction may straddle two)."""
        if upto <= self.position:
            return
        transaction: list[Envelope] = []
        async for envelope in event_log.read(self.position, upto):
            if transaction and not event_log.same_transaction(transaction[-1], envelope):
                self._dispatch_all(transaction)
                transaction = []
            transaction.append(envelope)
        self._dispatch_all(transaction)
        if self.position < upto:
            log.warning("Events %d..%d are not in the log (pruned); skipped", self.position + 1, upto)
            self.position = upto

    def _dispatch_all(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.cursor > self.position:
                self.gaps_filled += 1
                self._dispatch(envelope)

    def _dispatch(self, envelope: Envelope) -> None:
        self.position = envelope.cursor
        self.delivered += 1
        reached: set[Listener] = set()
        for name in envelope.event.channels():
            reached.update(self._routes.get(name, ()))
            for callback in list(self._callbacks.get(name, ())):
                try:
                    callback(envelope)
                except Exception:
                    log.exception("An event watcher failed")
        for listener in reached:
            listener.deliver(envelope)


_hub: EventHub | None = None


def install(hub: EventHub | None) -> None:
    """This process's hub, also as the publisher of the domain's committed events."""
    global _hub
    _hub = hub
    uow.install_publisher(hub)


def current() -> EventHub | None:
    return _hub


@asynccontextmanager
async def running_bus(broadcast_url: str, prefix: str, *, poll_interval: float = 1.0, listener_queue: int = DEFAULT_LISTENER_QUEUE) -> AsyncIterator[EventHub]:
    """Connect the broker, start this process's hub and install it, with the heartbeat that
    vouches for this process's open-item rows (server/subscriptions/item_viewers.py); take them
    down on exit."""
    from server.subscriptions.broadcast import SafeBroadcast, backend_for
    from server.subscriptions.item_viewers import running_heartbeat

    broadcast = SafeBroadcast(backend_for(broadcast_url))
    async with broadcast:
        hub = EventHub(broadcast, prefix, poll_interval=poll_interval, listener_queue=listener_queue)
        await hub.start()
        install(hub)
        try:
            async with running_heartbeat():
                yield hub
        finally:
            install(None)
            await hub.stop()
