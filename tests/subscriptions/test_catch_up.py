"""Delivery across two server processes while mutations flow (PostgreSQL + Redis only): a Redis
outage loses nothing (each process's event hub polls the log every second, so updates keep
arriving while Redis is down), and a client that drops its socket mid-stream and resubscribes
with `after` = its last cursor misses nothing and gets nothing twice.

Servers A and B share the run's PostgreSQL database; the Redis outage test gives them a private
redis-server (tests/support/redis_server.py) that it kills and starts again on the same port.
Jane subscribes on A to `workItemUpdated(ref: "T-1002")`; her mutations go through B every 100 ms.
"""

from __future__ import annotations

import asyncio
import base64
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from server.settings import Settings
from tests.support import backends
from tests.support.client import HttpClient, WsSession, signed_in_on, ws_session
from tests.support.processes import two_servers
from tests.support.redis_server import REDIS_SERVER, RedisServer

SUBSCRIBE = """subscription($after: String) {
  workItemUpdated(ref: "T-1002", after: $after) { kind cursor values }
}"""
UPDATE = 'mutation($t: String!) { updateWorkItem(ref: "T-1002", input: {title: $t}) { version } }'
INTERVAL = 0.1
MUTATIONS = 60  # 6 s of mutations
MAX_DELAY = 5.0  # every update reaches the subscriber within this of its commit
OUTAGE = 2.0


def _number(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor).decode().split(":")[1])


class Mutator:
    """Jane's title changes through one server, one every INTERVAL; when each was committed."""

    def __init__(self, jane: HttpClient) -> None:
        self.jane = jane
        self.committed: dict[str, float] = {}
        self.titles: list[str] = []

    async def run(self) -> None:
        start = time.monotonic()
        for i in range(MUTATIONS):
            title = f"flow {i}"
            await self.jane.data(UPDATE, {"t": title})
            self.committed[title] = time.monotonic()
            self.titles.append(title)
            await asyncio.sleep(max(0.0, start + (i + 1) * INTERVAL - time.monotonic()))


class Received:
    """The UPDATED messages one subscriber got: titles, cursors and arrival times."""

    def __init__(self) -> None:
        self.titles: list[str] = []
        self.cursors: list[int] = []
        self.arrived: dict[str, float] = {}
        self.last_cursor: str | None = None

    async def read(self, session: WsSession, op: str, until: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.titles) < until:
            remaining = deadline - time.monotonic()
            try:
                message = await session.next_for(op, timeout=max(remaining, 0.01))
            except (asyncio.TimeoutError, TimeoutError):
                raise AssertionError(f"{len(self.titles)} of {until} updates within {timeout:.0f} s; last {self.titles[-3:]}") from None
            assert message["type"] == "next" and not message["payload"].get("errors"), message
            update = message["payload"]["data"]["workItemUpdated"]
            if update["kind"] == "SNAPSHOT":
                continue
            self.last_cursor = update["cursor"]
            if update["kind"] == "UPDATED" and "title" in update["values"]:
                title = update["values"]["title"]
                self.titles.append(title)
                self.cursors.append(_number(update["cursor"]))
                self.arrived.setdefault(title, time.monotonic())


async def _subscribed(session: WsSession, after: str | None = None) -> str:
    op = await session.subscribe(SUBSCRIBE, {"after": after})
    if after is None:
        first = await session.next_for(op)
        assert first["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT", first
    return op


def _assert_exactly_once_in_order(mutator: Mutator, received: Received) -> None:
    assert received.titles == mutator.titles == [f"flow {i}" for i in range(MUTATIONS)]
    assert received.cursors == sorted(set(received.cursors))


async def test_updates_keep_arriving_through_a_redis_restart(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    if REDIS_SERVER is None:
        pytest.skip("redis-server binary not found on PATH; this test runs a private Redis")
    redis = RedisServer(REDIS_SERVER, tmp_path)
    await redis.start()
    async with AsyncExitStack() as stack:
        stack.callback(redis.kill)
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path, {"REDIS_URL": redis.url}))
        jane_b = await signed_in_on(stack, server_b.url)
        session = await stack.enter_async_context(ws_session(server_a.url, jane_b.token))
        op = await _subscribed(session)

        mutator, received = Mutator(jane_b), Received()
        mutations = asyncio.create_task(mutator.run())
        reading = asyncio.create_task(received.read(session, op, MUTATIONS))
        await asyncio.sleep(1.5)
        redis.kill()
        killed_at = time.monotonic()
        await asyncio.sleep(OUTAGE)
        await redis.start()
        await mutations  # every mutation committed, Redis or not
        await reading

    _assert_exactly_once_in_order(mutator, received)
    delays = {t: received.arrived[t] - mutator.committed[t] for t in mutator.titles}
    late = {t: round(d, 2) for t, d in delays.items() if d > MAX_DELAY}
    assert not late, f"updates later than {MAX_DELAY} s after their commit: {late}"
    during = [t for t in mutator.titles if killed_at < mutator.committed[t] < killed_at + OUTAGE]
    assert during, "no mutation was committed while Redis was down"
    # delivered while Redis was still down: the hub's poll of the log, not the broker
    assert any(received.arrived[t] < killed_at + OUTAGE for t in during), {t: round(received.arrived[t] - killed_at, 2) for t in during}


async def test_a_dropped_socket_resumes_from_its_cursor_with_nothing_missing_or_twice(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path))
        jane_b = await signed_in_on(stack, server_b.url)
        mutator, received = Mutator(jane_b), Received()
        async with ws_session(server_a.url, jane_b.token) as session:
            op = await _subscribed(session)
            mutations = asyncio.create_task(mutator.run())
            await received.read(session, op, MUTATIONS // 3)
            session.socket.transport.abort()  # no close handshake: the connection just drops
        dropped = len(received.titles)
        await asyncio.sleep(0.5)  # a few mutations go by while the client is away
        session = await stack.enter_async_context(ws_session(server_a.url, jane_b.token))
        op = await _subscribed(session, after=received.last_cursor)
        await received.read(session, op, MUTATIONS)
        await mutations

    assert dropped == MUTATIONS // 3
    _assert_exactly_once_in_order(mutator, received)
