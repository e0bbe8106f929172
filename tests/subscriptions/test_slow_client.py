"""A client that stops reading is closed with 1013 instead of the server buffering for it, and
resuming from its last cursor gives it everything it missed, once and in order.

The server under test has its own settings with a small outgoing queue (20 messages per
WebSocket). The client stops reading while jane pushes updates of about 180 KB each (a 90 KB
description of random characters, carried in `values` and in `workItem`: the connection's
permessage-deflate does not shrink it): far more than the client library's queue and
the loopback socket buffers hold, so the server's queue fills and the connection is closed.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import random
import socket
from typing import AsyncIterator

import pytest
from websockets.exceptions import ConnectionClosed

from server.settings import Settings
from server.subscriptions.transport import SLOW_CLIENT_CLOSE_CODE
from tests.conftest import LiveServer
from tests.support.client import HttpClient, ws_session

OUTGOING_QUEUE = 20
UPDATES = 120
DESCRIPTION = 90_000

SUBSCRIBE = """subscription($ref: String!, $after: String) {
  workItemUpdated(ref: $ref, after: $after) { kind cursor values workItem { ref title description } }
}"""
UPDATE = """mutation($title: String!, $d: String!) {
  updateWorkItem(ref: "T-1002", input: {title: $title, description: $d}) { version }
}"""


@pytest.fixture
async def small_queue_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async with LiveServer(dataclasses.replace(settings, ws_outgoing_queue=OUTGOING_QUEUE)) as server:
        yield server


def _small_buffer_socket(url: str) -> socket.socket:
    """A connected TCP socket whose receive buffer stays small (set before connecting, it is not
    grown by the kernel's autotuning, which would otherwise absorb tens of megabytes)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect((host, int(port)))
    sock.setblocking(False)
    return sock


def _update(message: dict) -> dict:
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    return message["payload"]["data"]["workItemUpdated"]


async def test_a_client_that_stops_reading_is_closed_with_1013_and_resumes_from_its_cursor(small_queue_server: LiveServer, demo: None):
    anonymous = HttpClient(small_queue_server.url)
    jane = await anonymous.as_user("jane@example.com")
    try:
        titles = [f"slow {i}" for i in range(UPDATES)]
        # the client library queues at most 2 messages before it stops reading the socket
        not_reading = {"max_queue": 2, "sock": _small_buffer_socket(small_queue_server.url)}
        async with ws_session(small_queue_server.url, jane.token, **not_reading) as session:
            op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002"})
            snapshot = _update(await session.next_for(op))
            assert snapshot["kind"] == "SNAPSHOT"
            cursor = snapshot["cursor"]

            # the client reads nothing while every update is committed and pushed
            rng = random.Random(0)
            for title in titles:
                await jane.data(UPDATE, {"title": title, "d": base64.b64encode(rng.randbytes(DESCRIPTION * 3 // 4)).decode()})
            await asyncio.sleep(1.0)

            # then it reads what reached it: some updates, then the server's close
            received: list[str] = []
            try:
                while True:
                    try:
                        update = _update(await session.receive())
                    except TimeoutError:
                        raise AssertionError(f"not closed after {len(received)} updates: {received[-3:]}") from None
                    assert update["cursor"] and update["cursor"] != cursor
                    cursor = update["cursor"]
                    if update["kind"] == "UPDATED":
                        received.append(update["values"]["title"])
            except ConnectionClosed:
                pass
            assert (session.socket.close_code, session.socket.close_reason) == (
                SLOW_CLIENT_CLOSE_CODE, "Too far behind; reconnect and resume from your cursor",
            )
        # what it got is the first updates in order; the rest was dropped, not buffered
        assert received == titles[: len(received)]
        assert len(received) < UPDATES // 2, "the server kept queueing for a client that read nothing"

        # resuming after the last cursor it saw: exactly the updates it missed, in order, then live
        async with ws_session(small_queue_server.url, jane.token) as session:
            op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002", "after": cursor})
            missed: list[str] = []
            while len(missed) < UPDATES - len(received):
                update = _update(await session.next_for(op))
                assert update["kind"] != "SNAPSHOT", update
                if update["kind"] == "UPDATED":
                    missed.append(update["values"]["title"])
            assert received + missed == titles
            await jane.data(UPDATE, {"title": "live", "d": "short"})
            while (update := _update(await session.next_for(op)))["kind"] != "UPDATED":
                pass
            assert update["values"]["title"] == "live"
    finally:
        await jane.aclose()
        await anonymous.aclose()
