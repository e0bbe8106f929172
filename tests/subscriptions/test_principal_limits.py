"""One identity's WebSocket connections and running operations are capped over all its
connections: over the connection cap connection_init is refused with 4429, over the operation
cap a subscribe gets an `error` with LIMIT_EXCEEDED; every slot comes back when its connection or
operation ends, abrupt disconnects included. (A server of its own, with small caps.)"""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import AsyncExitStack
from typing import AsyncIterator, Callable

import pytest

from server.settings import ConfigError, Settings, load_settings
from server.subscriptions.limits import PrincipalLimits
from tests.conftest import LiveServer
from tests.support.client import WsSession, ws_session

MAX_CONNECTIONS = 3
MAX_OPERATIONS = 4
SUBSCRIBE = 'subscription { workItemUpdated(ref: "T-1002") { kind workItem { ref } } }'


@pytest.fixture
async def capped_server(settings: Settings) -> AsyncIterator[LiveServer]:
    capped = dataclasses.replace(
        settings, max_connections_per_principal=MAX_CONNECTIONS, max_subscriptions_per_principal=MAX_OPERATIONS,
    )
    async with LiveServer(capped) as server:
        yield server


def _limits(server: LiveServer) -> PrincipalLimits:
    return server.server.config.app.state.principal_limits


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def _subscribed(session: WsSession) -> str:
    op = await session.subscribe(SUBSCRIBE)
    message = await session.next_for(op)
    assert message["type"] == "next" and message["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT", message
    return op


async def _refused(session: WsSession) -> dict:
    op = await session.subscribe(SUBSCRIBE)
    message = await session.next_for(op)
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == ["LIMIT_EXCEEDED"], message
    return message["payload"][0]


def _principal(session: WsSession) -> tuple[str, int]:
    viewer = session.ack_payload["viewer"]
    return (viewer["kind"], int(viewer["id"]))


async def test_connections_per_identity_are_capped(capped_server: LiveServer, signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    limits = _limits(capped_server)
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(ws_session(capped_server.url, jane.token)) for _ in range(MAX_CONNECTIONS)]
        jane_id = _principal(sessions[0])
        assert limits.connections(jane_id) == MAX_CONNECTIONS

        async with ws_session(capped_server.url, init=False) as over:
            await over.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {jane.token}"}})
            assert await over.closed() == (4429, "Too many connections")
        # another identity is not affected
        async with ws_session(capped_server.url, lena.token) as other:
            assert (await other.execute("{ viewer { name } }"))["data"]["viewer"]["name"] == "Lena Fischer"

        # closing one lets a new one in
        await sessions.pop().socket.close()
        await _until(lambda: limits.connections(jane_id) == MAX_CONNECTIONS - 1)
        sessions.append(await stack.enter_async_context(ws_session(capped_server.url, jane.token)))

        # so does one that drops without a close frame
        sessions.pop(0).socket.transport.abort()
        await _until(lambda: limits.connections(jane_id) == MAX_CONNECTIONS - 1)
        async with ws_session(capped_server.url, jane.token) as again:
            assert (await again.execute("{ __typename }"))["data"] == {"__typename": "Query"}
    await _until(lambda: limits.connections(jane_id) == 0)


async def test_operations_per_identity_are_capped_over_all_its_connections(capped_server: LiveServer, signed_in):
    jane = await signed_in("jane@example.com")
    limits = _limits(capped_server)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(ws_session(capped_server.url, jane.token))
        second = await stack.enter_async_context(ws_session(capped_server.url, jane.token))
        jane_id = _principal(first)
        kept = [await _subscribed(first), await _subscribed(first), await _subscribed(second), await _subscribed(second)]
        assert limits.operations(jane_id) == MAX_OPERATIONS

        error = await _refused(second)
        assert str(MAX_OPERATIONS) in error["message"]
        await _refused(first)
        # a query is an operation too while it runs; the connections stay usable
        result = await second.execute("{ __typename }")
        assert [e["extensions"]["code"] for e in result["errors"]] == ["LIMIT_EXCEEDED"]

        # a subscription the client completes gives its slot back
        await first.send({"id": kept.pop(0), "type": "complete"})
        await _until(lambda: limits.operations(jane_id) == MAX_OPERATIONS - 1)
        kept.append(await _subscribed(second))
        await _refused(first)

        await second.send({"id": kept.pop(), "type": "complete"})
        await _until(lambda: limits.operations(jane_id) == MAX_OPERATIONS - 1)
        # operations that complete on their own give theirs back, each time
        for _ in range(MAX_OPERATIONS + 2):
            assert (await first.execute("{ __typename }"))["data"] == {"__typename": "Query"}
        assert limits.operations(jane_id) == MAX_OPERATIONS - 1

        # a connection that drops without a close frame gives back every slot it held (one left)
        first.socket.transport.abort()
        await _until(lambda: limits.operations(jane_id) == 2)
        await _subscribed(second)
        await _subscribed(second)
        await _refused(second)
    await _until(lambda: limits.operations(jane_id) == 0 and limits.connections(jane_id) == 0)


def test_the_caps_are_configured_from_the_environment(tmp_path):
    defaults = load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path)})
    assert (defaults.max_connections_per_principal, defaults.max_subscriptions_per_principal) == (10, 100)
    chosen = load_settings({
        "SWITCHBOARD_VAR_DIR": str(tmp_path),
        "SWITCHBOARD_MAX_CONNECTIONS_PER_PRINCIPAL": "2",
        "SWITCHBOARD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL": "7",
    })
    assert (chosen.max_connections_per_principal, chosen.max_subscriptions_per_principal) == (2, 7)
    for name in ("SWITCHBOARD_MAX_CONNECTIONS_PER_PRINCIPAL", "SWITCHBOARD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL"):
        for wrong in ("0", "many", "-1"):
            with pytest.raises(ConfigError) as raised:
                load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path), name: wrong})
            assert str(raised.value).startswith(f"{name}:")
