"""The event bus: domain events go out on the broker after their transaction commits, and
subscription generators receive them per channel.

One bus per process, installed by the app's lifespan. Processes without one (the `demo` command,
a migration) still record every event in the durable log; they only skip live delivery.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from broadcaster import Broadcast

from server.domain import uow
from server.domain.events import Envelope, EventFormatError

log = logging.getLogger(__name__)


class EventBus:
    def __init__(self, broadcast: Broadcast, prefix: str) -> None:
        self._broadcast = broadcast
        self._prefix = prefix

    def _channel(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    async def publish(self, envelopes: list[Envelope]) -> None:
        """Publish committed events. Never raises: the change is committed and the event logged,
        so a broker failure costs live delivery only (clients catch up from the log)."""
        for envelope in envelopes:
            payload = envelope.to_json()
            for name in envelope.event.channels():
                try:
                    await self._broadcast.publish(self._channel(name), payload)
                except Exception:
                    log.exception("Could not publish %s on %s", envelope.event.type, name)

    @asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[AsyncIterator[Envelope]]:
        """Subscribe to one channel; the subscription is active when this is entered."""
        async with self._broadcast.subscribe(self._channel(name)) as subscriber:

            async def envelopes() -> AsyncIterator[Envelope]:
                async for message in subscriber:
                    try:
                        yield Envelope.from_json(message.message)
                    except EventFormatError:
                        log.exception("Dropped a malformed event on %s", name)

            yield envelopes()


    def on_reconnect(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` whenever the broker connection comes back after a break, during which
        messages may have been lost; returns the function that removes it. Brokers that cannot
        break (in-process memory) never call it."""
        add = getattr(getattr(self._broadcast, "_backend", None), "add_reconnect_listener", None)
        return add(listener) if add is not None else lambda: None


_bus: EventBus | None = None


def install(bus: EventBus | None) -> None:
    """This process's bus, also as the publisher of the domain's committed events."""
    global _bus
    _bus = bus
    uow.install_publisher(bus)


def current() -> EventBus | None:
    return _bus


@asynccontextmanager
async def running_bus(broadcast_url: str, prefix: str) -> AsyncIterator[EventBus]:
    """Connect the broker, install the bus for this process, and take both down on exit."""
    from server.subscriptions.broadcast import SafeBroadcast, backend_for

    broadcast = SafeBroadcast(backend_for(broadcast_url))
    async with broadcast:
        bus = EventBus(broadcast, prefix)
        install(bus)
        try:
            yield bus
        finally:
            install(None)
