"""broadcaster's `Broadcast`, with subscribe made safe under concurrency, and the backend chosen by
URL scheme (imported only when chosen).

Stock `Broadcast.subscribe` lets a second subscriber to a channel overwrite the first one's queue
when it arrives while the first backend SUBSCRIBE is still in flight, lets it start before the
subscription is confirmed, and races an UNSUBSCRIBE of the last leaver against the SUBSCRIBE of a
newcomer. Here the backend's state for a channel is reconciled with its subscribers by one
operation at a time per channel, in a task of its own (so a subscriber cancelled mid-way cancels
nobody else's subscription); every subscriber waits until the backend — which returns only once
the broker has confirmed — is subscribed.

Every queue is bounded: a subscriber whose queue is full loses the message (counted in
`dropped`). The event hub, the one subscriber that matters, reads what it lost from the event log.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit

from broadcaster import Broadcast, BroadcastBackend
from broadcaster._base import Event, Subscriber


SUBSCRIBER_QUEUE = 10_000


class SafeBroadcast(Broadcast):
    def __init__(self, backend: BroadcastBackend, *, queue_size: int = SUBSCRIBER_QUEUE) -> None:
        super().__init__(backend=backend)
        self._queue_size = queue_size
        self.dropped = 0
        self._active: set[str] = set()  # channels the backend is subscribed to
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per channel: lock, users
        self._tasks: set[asyncio.Task[None]] = set()  # strong references to running reconciles

    async def _reconciled(self, channel: str) -> None:
        """Run a reconcile in its own task and wait for it; cancelling the waiter leaves it running."""
        task = asyncio.ensure_future(self._reconcile(channel))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def _reconcile(self, channel: str) -> None:
        """Subscribe or unsubscribe the backend so it matches whether anyone listens."""
        lock, users = self._locks.get(channel) or (asyncio.Lock(), 0)
        self._locks[channel] = (lock, users + 1)
        try:
            async with lock:
                wanted = bool(self._subscribers.get(channel))
                if wanted and channel not in self._active:
                    await self._backend.subscribe(channel)
                    self._active.add(channel)
                elif not wanted and channel in self._active:
                    self._active.discard(channel)
                    await self._backend.unsubscribe(channel)
        finally:
            lock, users = self._locks[channel]
            if users == 1:
                del self._locks[channel]
            else:
                self._locks[channel] = (lock, users - 1)

    async def _listener(self) -> None:
        while True:
            event = await self._backend.next_published()
            for queue in list(self._subscribers.get(event.channel, [])):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.dropped += 1

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=self._queue_size)
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            await self._reconciled(channel)
            yield Subscriber(queue)
        finally:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(channel, None)
                await self._reconciled(channel)


def backend_for(url: str) -> BroadcastBackend:
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        from server.subscriptions.backends.redis import RedisBackend

        return RedisBackend(url)
    if scheme == "memory":
        from broadcaster._backends.memory import MemoryBackend

        return MemoryBackend(url)
    raise ValueError(f"no broadcast backend for {scheme!r}")
