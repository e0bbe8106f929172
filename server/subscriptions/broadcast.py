"""broadcaster's `Broadcast`, with subscribe made safe for concurrent first subscribers, and the
backend chosen by URL scheme (imported only when chosen).

Stock `Broadcast.subscribe` lets a second subscriber to a channel overwrite the first one's queue
when it arrives while the first backend SUBSCRIBE is still in flight, and lets it start before the
subscription is confirmed. Here every subscriber waits for the one backend subscription, and the
backend's `subscribe` returns only once the broker has confirmed it.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit

from broadcaster import Broadcast, BroadcastBackend
from broadcaster._base import Event, Subscriber


class SafeBroadcast(Broadcast):
    def __init__(self, backend: BroadcastBackend) -> None:
        super().__init__(backend=backend)
        self._pending: dict[str, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        subscribers = self._subscribers.setdefault(channel, set())
        first = not subscribers and channel not in self._pending
        subscribers.add(queue)
        try:
            if first:
                ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._pending[channel] = ready
                try:
                    await self._backend.subscribe(channel)
                    ready.set_result(None)
                except BaseException as exc:
                    ready.set_exception(exc)
                    ready.exception()  # retrieved here; waiters re-raise it
                    raise
                finally:
                    del self._pending[channel]
            elif channel in self._pending:
                await asyncio.shield(self._pending[channel])
            yield Subscriber(queue)
        finally:
            subscribers.discard(queue)
            if not subscribers and self._subscribers.get(channel) is subscribers:
                del self._subscribers[channel]
                await self._backend.unsubscribe(channel)


def backend_for(url: str) -> BroadcastBackend:
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        from server.subscriptions.backends.redis import RedisBackend

        return RedisBackend(url)
    if scheme == "memory":
        from broadcaster._backends.memory import MemoryBackend

        return MemoryBackend(url)
    raise ValueError(f"no broadcast backend for {scheme!r}")
