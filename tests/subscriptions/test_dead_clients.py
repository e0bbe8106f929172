"""The server pings every WebSocket client; one that stops answering is dropped (1011), and its
identity's connection slot is given back."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import struct

from tests.conftest import LiveServer
from tests.support.client import ws_session


def _frame(text: str) -> bytes:
    """A masked text frame, as a client must send it."""
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _silent_client(url: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket client that signs in and then never answers anything (no pongs)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode()
    )
    assert b"101" in await reader.readuntil(b"\r\n\r\n")
    writer.write(_frame(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})))
    await writer.drain()
    return reader, writer


async def test_a_client_that_stops_answering_pings_is_dropped(settings, signed_in):
    jane = await signed_in("jane@example.com")
    quick = dataclasses.replace(settings, ws_ping_interval=0.2, ws_ping_timeout=0.3, max_connections_per_principal=1)
    async with LiveServer(quick) as server:
        reader, writer = await _silent_client(server.url, jane.token)
        try:
            received = b""
            while True:  # pings arrive and go unanswered, then the close frame and the end
                chunk = await asyncio.wait_for(reader.read(4096), 5)
                if not chunk:
                    break
                received += chunk
        finally:
            writer.close()
        assert b"\x88" in received and struct.pack("!H", 1011) in received  # close frame, 1011
        # its slot is back: jane (at most one connection here) may connect again
        async with ws_session(server.url, jane.token) as session:
            assert session.ack_payload["viewer"]["name"] == "Jane Cooper"
