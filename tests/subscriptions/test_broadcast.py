"""SafeBroadcast and our Redis backend against a real, private redis-server.

Each Redis test starts its own `redis-server` on a free loopback port in a temporary directory
(never the system Redis on 6379), so a test can kill and restart it. Redis state is checked from
outside with a separate client (PUBSUB NUMSUB, the receiver count PUBLISH returns).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from server.subscriptions.backends.redis import RedisBackend
from server.subscriptions.broadcast import SafeBroadcast, backend_for
from tests.support.redis_server import REDIS_SERVER, RedisServer

needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server binary not found on PATH; these tests run a private Redis"
)

RECEIVE_TIMEOUT = 3.0  # generous: a message that arrives at all arrives within milliseconds
RECOVERY_TIMEOUT = 10.0  # reconnect backoff after a short outage stays well under a second


def fresh_channel(label: str) -> str:
    return f"test-broadcast:{label}:{uuid.uuid4().hex}"


async def receive(subscriber, timeout: float = RECEIVE_TIMEOUT) -> str:
    event = await asyncio.wait_for(subscriber.get(), timeout)
    return event.message


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float = RECOVERY_TIMEOUT) -> None:
    """Wait until `condition()` holds, polling every 20 ms; fail after `timeout` seconds."""

    async def poll() -> None:
        while not await condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server binary not found on PATH")
    server = RedisServer(REDIS_SERVER, tmp_path)
    await server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def admin(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    """An independent client on the private server, to look at Redis state from outside."""
    client = aioredis.Redis.from_url(redis_server.url, socket_connect_timeout=2)
    yield client
    await client.aclose()


async def numsub(admin: aioredis.Redis, channel: str) -> int:
    """Subscribers Redis has for `channel` (our backend holds one subscription per channel)."""
    [(_name, count)] = await admin.pubsub_numsub(channel)
    return count


async def unsubscribed(admin: aioredis.Redis, channel: str) -> bool:
    # Our UNSUBSCRIBE is sent but not awaited, and `admin` is another connection: poll for it.
    return await numsub(admin, channel) == 0


async def redis_up_and_subscribed(admin: aioredis.Redis, channel: str) -> bool:
    try:
        return await numsub(admin, channel) == 1
    except (RedisError, OSError):
        return False


@pytest.fixture
async def broadcast(redis_server: RedisServer) -> AsyncIterator[SafeBroadcast]:
    b = SafeBroadcast(backend_for(redis_server.url))
    async with b:
        yield b


# --- 1. subscribe returns only once the subscription is confirmed ---------------------------------


@needs_redis
async def test_message_published_right_after_subscribe_is_received(broadcast, admin):
    assert isinstance(broadcast._backend, RedisBackend)
    for i in range(20):
        channel = fresh_channel(f"confirm-{i}")
        async with broadcast.subscribe(channel) as subscriber:
            # Nothing awaited between entering and publishing: Redis must already know us.
            await broadcast.publish(channel, f"hello {i}")
            assert await receive(subscriber) == f"hello {i}"
            assert await numsub(admin, channel) == 1
        await eventually(lambda: unsubscribed(admin, channel), timeout=2)


# --- 2 and 5. concurrent first subscribers, then unsubscribe, on Redis and in memory --------------


async def check_concurrent_first_subscribers(
    broadcast: SafeBroadcast,
    upstream_subscribed: Callable[[str], Awaitable[bool]],
    publish_to_nobody: Callable[[str], Awaitable[None]],
) -> None:
    """5 subscribers enter together on a fresh channel: all get every message. When they have all
    left, the backend holds the channel no more (`upstream_subscribed`), a publish reaches no one
    (`publish_to_nobody` asserts that), and a new subscriber gets only what comes after it."""
    for round_ in range(5):
        channel = fresh_channel(f"race-{round_}")
        async with contextlib.AsyncExitStack() as stack:
            subscribers = await asyncio.gather(
                *(stack.enter_async_context(broadcast.subscribe(channel)) for _ in range(5))
            )
            assert await upstream_subscribed(channel)
            messages = [f"m{round_}-{n}" for n in range(3)]
            for message in messages:
                await broadcast.publish(channel, message)
            for subscriber in subscribers:
                assert [await receive(subscriber) for _ in messages] == messages

        async def upstream_unsubscribed() -> bool:
            return not await upstream_subscribed(channel)

        await eventually(upstream_unsubscribed, timeout=2)
        await publish_to_nobody(channel)
        async with broadcast.subscribe(channel) as subscriber:
            assert await upstream_subscribed(channel)
            await broadcast.publish(channel, "again")
            assert await receive(subscriber) == "again"
        await eventually(upstream_unsubscribed, timeout=2)


@needs_redis
async def test_concurrent_first_subscribers_redis(broadcast, admin):
    async def upstream_subscribed(channel: str) -> bool:
        return await numsub(admin, channel) > 0

    async def publish_to_nobody(channel: str) -> None:
        assert await admin.publish(channel, "nobody listens") == 0  # PUBLISH answers its receiver count

    await check_concurrent_first_subscribers(broadcast, upstream_subscribed, publish_to_nobody)


async def test_concurrent_first_subscribers_memory():
    broadcast = SafeBroadcast(backend_for("memory://"))
    async with broadcast:
        memory = broadcast._backend

        async def upstream_subscribed(channel: str) -> bool:
            return channel in memory._subscribed

        async def publish_to_nobody(channel: str) -> None:
            await broadcast.publish(channel, "nobody listens")

            # The memory backend filters by channel when the listener takes the event off its
            # queue: once the queue is empty, the event was dropped, not kept for a later subscriber.
            async def drained() -> bool:
                return memory._published.empty()

            await eventually(drained, timeout=2)

        await check_concurrent_first_subscribers(broadcast, upstream_subscribed, publish_to_nobody)


# --- 3. Redis restart: the backend reconnects and re-subscribes on its own ------------------------


@needs_redis
async def test_subscription_survives_redis_restart(broadcast, redis_server, admin):
    backend: RedisBackend = broadcast._backend
    channel = fresh_channel("restart")
    async with broadcast.subscribe(channel) as subscriber:
        await broadcast.publish(channel, "before")
        assert await receive(subscriber) == "before"
        reconnects = backend.reconnects

        redis_server.kill()

        async def reader_saw_it() -> bool:
            return not backend._connected.is_set()

        await eventually(reader_saw_it, timeout=5)
        await redis_server.start()  # same port, empty: it knows no subscriptions

        # No re-subscribe from the test: the backend must subscribe again by itself.
        await eventually(lambda: redis_up_and_subscribed(admin, channel))
        await broadcast.publish(channel, "after")
        assert await receive(subscriber) == "after"
        assert backend.reconnects > reconnects
        assert subscriber._queue.empty()  # and nothing twice


@needs_redis
async def test_subscribe_during_outage_completes_when_redis_returns(broadcast, redis_server, admin):
    channel = fresh_channel("outage-subscribe")
    redis_server.kill()
    backend: RedisBackend = broadcast._backend

    async def reader_saw_it() -> bool:
        return not backend._connected.is_set()

    await eventually(reader_saw_it, timeout=5)
    subscription = broadcast.subscribe(channel)
    entering = asyncio.create_task(subscription.__aenter__())
    await asyncio.sleep(0.1)  # a grace period to prove a negative: nothing to await instead
    assert not entering.done(), "subscribe returned although Redis could not confirm it"
    await redis_server.start()
    subscriber = await asyncio.wait_for(entering, RECOVERY_TIMEOUT)
    await broadcast.publish(channel, "back")
    assert await receive(subscriber) == "back"
    await subscription.__aexit__(None, None, None)
    await eventually(lambda: unsubscribed(admin, channel), timeout=2)


@needs_redis
async def test_channels_changed_while_reconnecting_are_not_lost(broadcast, redis_server, admin):
    """A subscribe or unsubscribe that lands while the reader's re-SUBSCRIBE after a reconnect is
    in flight (after it took its list of channels, before it counts as connected) must still take
    effect. The test parks both calls exactly in that window."""
    backend: RedisBackend = broadcast._backend
    kept = fresh_channel("kept")
    dropped = fresh_channel("dropped")
    added = fresh_channel("added")
    in_window: dict[str, asyncio.Task] = {}
    added_cm = broadcast.subscribe(added)

    # Wrap the reader's pubsub.subscribe: once the re-SUBSCRIBE reply is in (but before the reader
    # marks itself connected), subscribe `added` and unsubscribe `dropped`.
    make_client = backend._client

    def client_with_hook():
        client = make_client()
        make_pubsub = client.pubsub

        def pubsub():
            ps = make_pubsub()
            subscribe = ps.subscribe

            async def subscribe_then_interfere(*channels):
                await subscribe(*channels)
                if dropped in channels and not in_window:
                    in_window["added"] = asyncio.create_task(added_cm.__aenter__())
                    in_window["dropped"] = asyncio.create_task(backend.unsubscribe(dropped))

                    async def parked() -> bool:  # both calls ran and found no connection
                        return added in backend._waiting and in_window["dropped"].done()

                    await eventually(parked, timeout=2)

            ps.subscribe = subscribe_then_interfere
            return ps

        client.pubsub = pubsub
        return client

    async with broadcast.subscribe(kept) as kept_subscriber:
        await backend.subscribe(dropped)  # straight on the backend, so unsubscribing it is ours too
        backend._client = client_with_hook
        redis_server.kill()

        async def reader_saw_it() -> bool:
            return not backend._connected.is_set()

        await eventually(reader_saw_it, timeout=5)
        await redis_server.start()
        await eventually(lambda: redis_up_and_subscribed(admin, kept))
        assert "added" in in_window, "the reconnect did not go through the hook"

        added_subscriber = await asyncio.wait_for(in_window["added"], 5)
        await broadcast.publish(added, "to added")
        assert await receive(added_subscriber) == "to added"
        await eventually(lambda: unsubscribed(admin, dropped), timeout=2)
        await broadcast.publish(kept, "to kept")
        assert await receive(kept_subscriber) == "to kept"
        await added_cm.__aexit__(None, None, None)


# --- 4. the event bus while Redis is down ---------------------------------------------------------


# --- 6. A subscriber cancelled mid-subscribe cancels nobody else ------------------------------------


class GatedMemoryBackend:
    """The memory backend, with SUBSCRIBE held until the test opens the gate."""

    def __init__(self) -> None:
        self.inner = backend_for("memory://")
        self.gate = asyncio.Event()
        self.calls: list[tuple[str, str]] = []

    async def connect(self) -> None:
        await self.inner.connect()

    async def disconnect(self) -> None:
        await self.inner.disconnect()

    async def subscribe(self, channel: str) -> None:
        self.calls.append(("subscribe", channel))
        await self.gate.wait()
        await self.inner.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        self.calls.append(("unsubscribe", channel))
        await self.inner.unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        await self.inner.publish(channel, message)

    async def next_published(self):
        return await self.inner.next_published()


async def test_first_subscriber_cancelled_while_subscribing_does_not_break_the_others():
    backend = GatedMemoryBackend()
    broadcast = SafeBroadcast(backend)
    channel = fresh_channel("cancelled-first")
    async with broadcast:
        entered = asyncio.Event()

        async def first() -> None:
            async with broadcast.subscribe(channel):
                entered.set()
                await asyncio.Event().wait()

        async def second() -> str:
            async with broadcast.subscribe(channel) as subscriber:
                return await receive(subscriber)

        first_task = asyncio.create_task(first())
        await eventually(lambda: _true_when(backend.calls))
        second_task = asyncio.create_task(second())
        await asyncio.sleep(0)  # let the second subscriber start waiting on the same SUBSCRIBE
        first_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first_task
        assert not entered.is_set()
        backend.gate.set()
        await eventually(lambda: _true_when(channel in backend.inner._subscribed))
        await broadcast.publish(channel, "still delivered")
        assert await asyncio.wait_for(second_task, RECEIVE_TIMEOUT) == "still delivered"
        await eventually(lambda: _true_when(channel not in backend.inner._subscribed))
        assert backend.calls == [("subscribe", channel), ("unsubscribe", channel)]


async def test_leaving_and_joining_at_once_ends_subscribed():
    backend = GatedMemoryBackend()
    backend.gate.set()
    broadcast = SafeBroadcast(backend)
    channel = fresh_channel("leave-join")
    async with broadcast:
        for _ in range(5):
            async with broadcast.subscribe(channel):
                pass
            # leave and join in the same breath: the UNSUBSCRIBE must not win over the SUBSCRIBE
            async with broadcast.subscribe(channel) as subscriber:
                await broadcast.publish(channel, "hello")
                assert await receive(subscriber) == "hello"


async def _true_when(value) -> bool:
    return bool(value)
