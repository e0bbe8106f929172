"""Presence (SPEC §6): a user is ONLINE while any of their WebSocket connections is active, AWAY
while all of them are away (a `ping` with `{"presence": "AWAY"}`), OFFLINE with none — across
server processes; the rows of a process that died are swept within the timeout."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

from models.org import Team, User
from models.presence import PresenceConnection
from server.domain import clock, presence
from server.domain.team_bar import Presence
from server.settings import Settings
from server.subscriptions.presence import PROCESS_ID
from tests.support import backends
from tests.support.client import HttpClient, WsSession, ws_session
from tests.support.processes import two_servers
from tests.subscriptions.test_team_bar_live import BAR, bar_of, members, until

PRESENCE = "query($id: ID!) { teamBar(teamId: $id) { members { user { name } presence } } }"


async def presence_of(client: HttpClient, name: str = "Jane Cooper") -> str:
    team = str((await Team.get(name="Team A")).id)
    bar = (await client.data(PRESENCE, {"id": team}))["teamBar"]["members"]
    return next(m["presence"] for m in bar if m["user"]["name"] == name)


async def ping(session: WsSession, said: str | None) -> None:
    await session.send({"type": "ping", **({"payload": {"presence": said}} if said else {})})
    assert (await session.receive()) == {"type": "pong"}


async def eventually(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


async def test_online_on_connect_away_by_ping_offline_when_the_socket_closes(live_server, signed_in):
    lena, jane = await signed_in("lena@example.com"), await signed_in("jane@example.com")
    assert await presence_of(lena) == "OFFLINE"
    async with ws_session(live_server.url, jane.token) as session:
        assert await presence_of(lena) == "ONLINE"
        await ping(session, "AWAY")
        assert await presence_of(lena) == "AWAY"
        await ping(session, None)  # a bare ping (a client's keep-alive) changes nothing
        assert await presence_of(lena) == "AWAY"
        await ping(session, "ONLINE")
        assert await presence_of(lena) == "ONLINE"
    await eventually(lambda: _is(lena, "OFFLINE"))
    assert await PresenceConnection.all().count() == 0


async def _is(client: HttpClient, expected: str) -> bool:
    return await presence_of(client) == expected


async def test_two_tabs_online_until_both_close_and_away_only_when_both_are(live_server, signed_in):
    lena, jane = await signed_in("lena@example.com"), await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as first:
        async with ws_session(live_server.url, jane.token) as second:
            await ping(first, "AWAY")
            assert await presence_of(lena) == "ONLINE", "one tab is still active"
            await ping(second, "AWAY")
            assert await presence_of(lena) == "AWAY"
            await ping(second, "ONLINE")
            assert await presence_of(lena) == "ONLINE"
        await eventually(lambda: _is(lena, "AWAY"))  # only the away tab is left
    await eventually(lambda: _is(lena, "OFFLINE"))


async def test_the_rows_of_a_dead_process_are_swept_and_offline_is_pushed(live_server, signed_in):
    lena = await signed_in("lena@example.com")
    jane_id = (await User.get(email="jane@example.com")).id
    with clock.frozen(datetime.now(timezone.utc) - timedelta(minutes=5)):
        assert await presence.connected(jane_id, "dead-process", "tab-1") == Presence.ONLINE
        await presence.connected(jane_id, "dead-process", "tab-2", away=True)
        await presence.connected(jane_id, "beating-process", "tab-3", away=True)
    assert await presence.heartbeat("beating-process") == 1  # that process is alive
    async with ws_session(live_server.url, lena.token) as session:
        op = await session.subscribe(BAR, {"team": str((await Team.get(name="Team A")).id)})
        assert members(bar_of(await session.next_for(op)))["Jane Cooper"]["presence"] == "ONLINE"

        assert await presence.sweep(timedelta(seconds=60)) == 2
        assert (await presence.statuses([jane_id])) == {jane_id: Presence.AWAY}
        await until(session, op, lambda m: m["Jane Cooper"]["presence"] == "AWAY")

        await presence.disconnected(jane_id, "beating-process", "tab-3")
        await until(session, op, lambda m: m["Jane Cooper"]["presence"] == "OFFLINE")
        # the sweep leaves the rows this server process keeps beating
        assert await PresenceConnection.filter(process_id=PROCESS_ID).count() == 1
        assert await presence.sweep(timedelta(seconds=60)) == 0


async def test_statuses_of_many_users_in_one_query(signed_in):
    ids = [u.id for u in await User.all().order_by("id")]
    await presence.connected(ids[0], "p", "a")
    await presence.connected(ids[1], "p", "b", away=True)
    assert await presence.statuses(ids) == {ids[0]: Presence.ONLINE, ids[1]: Presence.AWAY, **{u: Presence.OFFLINE for u in ids[2:]}}
    assert await presence.statuses([]) == {}


async def test_presence_across_two_processes_and_a_killed_one_goes_offline(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    quick = {"SWITCHBOARD_PRESENCE_HEARTBEAT": "0.5", "SWITCHBOARD_PRESENCE_TIMEOUT": "3"}
    async with AsyncExitStack() as stack:
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path, quick))
        anonymous = HttpClient(server_a.url)
        stack.push_async_callback(anonymous.aclose)
        lena, jane = await anonymous.as_user("lena@example.com"), await anonymous.as_user("jane@example.com")
        stack.push_async_callback(lena.aclose)
        stack.push_async_callback(jane.aclose)

        watching = await stack.enter_async_context(ws_session(server_a.url, lena.token))
        op = await watching.subscribe(BAR, {"team": str((await Team.get(name="Team A")).id)})
        assert members(bar_of(await watching.next_for(op)))["Jane Cooper"]["presence"] == "OFFLINE"

        on_b = await stack.enter_async_context(ws_session(server_b.url, jane.token))
        await until(watching, op, lambda m: m["Jane Cooper"]["presence"] == "ONLINE")
        await ping(on_b, "AWAY")
        await until(watching, op, lambda m: m["Jane Cooper"]["presence"] == "AWAY")

        assert server_b.process is not None
        server_b.process.send_signal(signal.SIGKILL)
        await server_b.process.wait()
        killed = time.monotonic()
        await until(watching, op, lambda m: m["Jane Cooper"]["presence"] == "OFFLINE", timeout=10.0)
        assert time.monotonic() - killed < 3 + 0.5 + 2, "OFFLINE within the timeout and one heartbeat"
