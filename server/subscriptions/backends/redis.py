"""A Redis pub/sub backend for broadcaster that confirms subscriptions and survives Redis restarts.

One reader task owns the subscription connection: it reads messages, resolves subscription
confirmations, and when the connection breaks it reconnects with backoff and subscribes again to
every channel (and then applies any subscribe or unsubscribe made while it was reconnecting).
Publishing uses a separate pooled client that retries a command once on a fresh connection, so the
first publish after a Redis restart does not fail on a stale pooled connection. Works with
redis-py 5 to 8 (the stock backend delivers nothing with redis-py 8 and never reconnects).

Redis pub/sub is at-most-once: messages published while the reader is disconnected are lost for
this process; clients catch up from the durable event log, and `add_reconnect_listener` lets
whoever must not miss a message (a connection's access watch) look again once the reader is back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from broadcaster import BroadcastBackend, Event
from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# A channel the reader always listens on, so its connection exists (and is health-checked) even
# when no client is subscribed to anything.
KEEPALIVE_CHANNEL = "switchboard:backend-keepalive"


class RedisBackend(BroadcastBackend):
    def __init__(self, url: str, *, confirm_timeout: float = 10.0, max_backoff: float = 5.0, queue_size: int = 10_000) -> None:
        self._url = url
        self._confirm_timeout = confirm_timeout
        self._max_backoff = max_backoff
        self._channels: set[str] = {KEEPALIVE_CHANNEL}
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        # bounded: when nobody drains it fast enough, new messages are dropped (the event hub
        # reads what it lost from the event log) instead of memory growing without limit
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size)
        self.dropped = 0
        self._connected = asyncio.Event()
        self._pubsub: redis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnect_listeners: list[Callable[[], None]] = []
        self.reconnects = 0

    def add_reconnect_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` each time the reader is subscribed again after losing its connection
        (messages may have been lost meanwhile). Returns the function that removes it."""
        self._reconnect_listeners.append(listener)

        def remove() -> None:
            if listener in self._reconnect_listeners:
                self._reconnect_listeners.remove(listener)

        return remove

    def _client(self, **options) -> redis.Redis:
        return redis.Redis.from_url(self._url, health_check_interval=5, socket_connect_timeout=5, **options)

    async def connect(self) -> None:
        # from_url clients do not retry; one immediate retry replaces a pooled connection that a
        # Redis restart broke (a refused connection still fails at once).
        self._publisher = self._client(retry=Retry(NoBackoff(), 1))
        await self._publisher.ping()
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broadcast-reader")
        await asyncio.wait_for(self._connected.wait(), self._confirm_timeout)

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append(confirmed)
        self._channels.add(channel)
        if self._connected.is_set() and self._pubsub is not None:
            try:
                await self._pubsub.subscribe(channel)
            except (RedisError, OSError):
                pass  # the reader reconnects and subscribes to every channel again
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), self._confirm_timeout)
        except BaseException:
            waiting = self._waiting.get(channel, [])
            if confirmed in waiting:
                waiting.remove(confirmed)
            raise

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self._connected.is_set() and self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel)
            except (RedisError, OSError):
                pass  # a reconnect subscribes only to channels still wanted

    async def publish(self, channel: str, message: str) -> None:
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    def _confirm(self, channel: str) -> None:
        for waiter in self._waiting.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)

    async def _read_forever(self) -> None:
        backoff = 0.05
        while True:
            client = self._client()
            pubsub = client.pubsub()
            try:
                channels = set(self._channels)
                await pubsub.subscribe(*sorted(channels))
                self._pubsub = pubsub
                self._connected.set()
                # subscribe()/unsubscribe() calls made while that SUBSCRIBE was in flight saw no
                # connection and left it to us; from here on they send their own commands.
                if added := self._channels - channels:
                    await pubsub.subscribe(*sorted(added))
                if removed := channels - self._channels:
                    await pubsub.unsubscribe(*sorted(removed))
                if self.reconnects:
                    for listener in list(self._reconnect_listeners):
                        try:
                            listener()
                        except Exception:
                            log.exception("A reconnect listener failed")
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    backoff = 0.05
                    kind = message["type"]
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    if kind == "message":
                        data = message["data"]
                        try:
                            self._queue.put_nowait(Event(channel, data.decode() if isinstance(data, bytes) else data))
                        except asyncio.QueueFull:
                            self.dropped += 1
                    elif kind == "subscribe":
                        self._confirm(channel)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Redis broadcast connection lost (%s); reconnecting in %.2fs", exc, backoff)
            except Exception:
                log.exception("Redis broadcast reader failed; reconnecting in %.2fs", backoff)
            finally:
                self._connected.clear()
                self._pubsub = None
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:  # noqa: BLE001 - the connection is already broken
                    pass
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)
            self.reconnects += 1
