"""`teamBar(teamId, after)` live (SPEC §6): the whole bar first, then the whole bar again whenever
a member's counts, current item or presence change; members, leaders and admins only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from models.contact import Contact
from models.org import Department, Team, User
from server.domain import api_keys
from server.domain.organisation import sessions
from server.domain.tokens import TokenSigner
from tests.support.client import WsSession, ws_session

BAR = """subscription($team: ID!, $after: String) { teamBar(teamId: $team, after: $after) { cursor bar {
  team { name } members { user { name } currentItem { ref } inbox inProgress waiting presence } } } }"""
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref status } } }"
START = "mutation($ref: String!) { startWork(ref: $ref) { workItem { ref status } } }"
TIMEOUT = 10.0


async def team_id(name: str = "Team A") -> str:
    return str((await Team.get(name=name)).id)


def bar_of(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    return message["payload"]["data"]["teamBar"]


def members(update: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["user"]["name"]: m for m in update["bar"]["members"]}


async def until(session: WsSession, op: str, check, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The first pushed bar for which `check(members)` holds (earlier pushes are skipped)."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        try:
            update = bar_of(await session.next_for(op, timeout=max(remaining, 0.01)))
        except asyncio.TimeoutError:
            raise AssertionError(f"no matching bar within {timeout:.0f} s; pushed: {seen}") from None
        seen.append(members(update))
        if check(members(update)):
            return update


async def test_snapshot_then_a_push_when_a_member_is_assigned_and_starts_work(live_server, signed_in):
    lena, jane = await signed_in("lena@example.com"), await signed_in("jane@example.com")
    jane_id = str((await User.get(email="jane@example.com")).id)
    async with ws_session(live_server.url, lena.token) as session:
        op = await session.subscribe(BAR, {"team": await team_id()})
        first = bar_of(await session.next_for(op))
        assert first["bar"]["team"]["name"] == "Team A" and first["cursor"]
        bar = members(first)
        assert list(bar) == ["Jane Cooper", "Lena Fischer"]
        assert bar["Jane Cooper"]["currentItem"] == {"ref": "T-1003"} and bar["Jane Cooper"]["inbox"] == 0
        assert bar["Lena Fischer"]["presence"] == "ONLINE", "the subscriber's own connection counts"

        await lena.data(ASSIGN, {"ref": "T-1002", "user": jane_id})
        assigned = await until(session, op, lambda m: m["Jane Cooper"]["inbox"] == 1)
        assert members(assigned)["Jane Cooper"]["currentItem"] == {"ref": "T-1003"}

        await jane.data(START, {"ref": "T-1002"})
        started = await until(session, op, lambda m: m["Jane Cooper"]["currentItem"] == {"ref": "T-1002"})
        assert members(started)["Jane Cooper"]["inProgress"] == 2 and members(started)["Jane Cooper"]["inbox"] == 0
        assert started["cursor"] != first["cursor"]

        # with a valid cursor: the current bar again, not a replay
        async with ws_session(live_server.url, jane.token) as again:
            resumed_op = await again.subscribe(BAR, {"team": await team_id(), "after": first["cursor"]})
            resumed = members(bar_of(await again.next_for(resumed_op)))
            assert resumed["Jane Cooper"]["currentItem"] == {"ref": "T-1002"} and resumed["Jane Cooper"]["presence"] == "ONLINE"


async def test_a_push_when_a_members_presence_changes_and_none_when_nothing_changed(live_server, signed_in):
    lena, jane = await signed_in("lena@example.com"), await signed_in("jane@example.com")
    async with ws_session(live_server.url, lena.token) as session:
        op = await session.subscribe(BAR, {"team": await team_id()})
        assert members(bar_of(await session.next_for(op)))["Jane Cooper"]["presence"] == "OFFLINE"
        async with ws_session(live_server.url, jane.token) as janes:
            online = await until(session, op, lambda m: m["Jane Cooper"]["presence"] == "ONLINE")
            assert members(online)["Lena Fischer"]["presence"] == "ONLINE"
            await janes.send({"type": "ping", "payload": {"presence": "AWAY"}})
            assert (await janes.socket.recv()) == '{"type":"pong"}'
            await until(session, op, lambda m: m["Jane Cooper"]["presence"] == "AWAY")
            # AWAY again changes nothing: nothing is pushed
            await janes.send({"type": "ping", "payload": {"presence": "AWAY"}})
            await janes.socket.recv()
            try:
                extra = await session.next_for(op, timeout=1.5)
            except asyncio.TimeoutError:
                extra = None
            assert extra is None, extra
        await until(session, op, lambda m: m["Jane Cooper"]["presence"] == "OFFLINE")


async def test_outsiders_get_not_found_and_contacts_and_api_keys_forbidden(live_server, signed_in, settings):
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
    bob = await Contact.get(email="bob@client.example")
    key = await api_keys.create_api_key("Partner", [d.id for d in await Department.all()], can_write=True, created_by=None)
    team = await team_id()

    async def refusal(token: str, team_ref: str) -> dict[str, Any]:
        async with ws_session(live_server.url, token) as session:
            message = await session.next_for(await session.subscribe(BAR, {"team": team_ref}))
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert "Jane" not in str(message)
            return errors[0]

    outsider = await refusal(karina.token, team)
    assert outsider["extensions"]["code"] == "NOT_FOUND" and outsider["extensions"]["field"] == "teamId"
    for token in ((await sessions.start(signer, "contact", bob.id)).token, key.token):
        assert (await refusal(token, team))["extensions"]["code"] == "FORBIDDEN"
    assert (await refusal(admin.token, "999999"))["extensions"]["code"] == "NOT_FOUND"
    async with ws_session(live_server.url, admin.token) as session:
        snapshot = members(bar_of(await session.next_for(await session.subscribe(BAR, {"team": team}))))
        assert list(snapshot) == ["Jane Cooper", "Lena Fischer"]
