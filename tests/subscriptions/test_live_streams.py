"""The live layer through the public surface: catch-up from a cursor, RESYNC_REQUIRED, one
execution per cohort (the SQL one push costs is the same for 1 and for 100 subscribers), and the
personal and team streams."""

from __future__ import annotations

import asyncio
import base64
import contextlib

from server.subscriptions.cohorts import registry
from tests.support.client import ws_session
from tests.support.queries import recorded_queries

SUBSCRIBE = """subscription($ref: String!, $after: String) {
  workItemUpdated(ref: $ref, after: $after) { kind cursor changedFields values workItem { ref title version } }
}"""
UPDATE = 'mutation($ref: String!, $title: String) { updateWorkItem(ref: $ref, input: {title: $title}) { version } }'


def _update(message: dict) -> dict:
    assert message["type"] == "next", message
    return message["payload"]["data"]["workItemUpdated"]


async def _titles(session, op: str, count: int) -> list[tuple[str, str]]:
    """The next `count` UPDATED messages' (title, cursor), skipping other kinds."""
    found = []
    while len(found) < count:
        update = _update(await session.next_for(op))
        if update["kind"] == "UPDATED":
            found.append((update["values"]["title"], update["cursor"]))
    return found


async def test_a_reconnecting_client_gets_what_it_missed_in_order_then_live(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002"})
        cursor = _update(await session.next_for(op))["cursor"]
        assert cursor
    for title in ("one", "two", "three"):  # while the client is away
        await jane.data(UPDATE, {"ref": "T-1002", "title": title})
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002", "after": cursor})
        missed = await _titles(session, op, 3)
        assert [t for t, _ in missed] == ["one", "two", "three"]
        await jane.data(UPDATE, {"ref": "T-1002", "title": "four"})
        (live, live_cursor), = await _titles(session, op, 1)
        assert live == "four"
        cursors = [c for _, c in missed] + [live_cursor]
        numbers = [int(base64.urlsafe_b64decode(c).decode().split(":")[1]) for c in cursors]
        assert numbers == sorted(set(numbers))  # increasing, none twice
    # resuming from the last one gives nothing again: the next message is the next change
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002", "after": live_cursor})
        await jane.data(UPDATE, {"ref": "T-1002", "title": "five"})
        assert [t for t, _ in await _titles(session, op, 1)] == ["five"]


async def _refusal(session, variables: dict) -> dict:
    op = await session.subscribe(SUBSCRIBE, variables)
    message = await session.next_for(op)
    if message["type"] == "error":
        return message["payload"][0]
    assert (await session.next_for(op))["type"] == "complete"
    return message["payload"]["errors"][0]


async def test_a_cursor_the_log_cannot_serve_is_resync_required(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    future = base64.urlsafe_b64encode(b"Event:2000000000").decode()
    async with ws_session(live_server.url, jane.token) as session:
        refused = await _refusal(session, {"ref": "T-1002", "after": future})
        assert refused["extensions"] == {"code": "RESYNC_REQUIRED", "field": "after"}
        refused = await _refusal(session, {"ref": "T-1002", "after": "garbage"})
        assert refused["extensions"]["code"] == "VALIDATION" and refused["extensions"]["field"] == "after"


async def _updated_on_each(sessions: list, ops: list) -> set[str]:
    """Read from every session until each of its operations had the one message of one edit (its
    UPDATED, with its FIELDS_CHANGED timeline entry's id); the titles. A second message for the
    edit would be the first message read for the next one, and fail there."""
    titles = set()
    for session in sessions:
        waiting = {op for s, op in ops if s is session}
        while waiting:
            message = await session.receive()
            update = _update(message)
            if update["kind"] == "VIEWERS_CHANGED":  # jane's own subscriptions opening
                continue
            assert update["kind"] == "UPDATED" and message["id"] in waiting, message
            waiting.discard(message["id"])
            titles.add(update["values"]["title"])
    return titles


async def _push_cost(live_server, jane, subscribers: int) -> tuple[list[str], int]:
    """Statements run while one update reaches `subscribers` subscriptions of jane's (5 sockets)."""
    sessions, ops = [], []
    async with contextlib.AsyncExitStack() as stack:
        for index in range(min(subscribers, 5)):
            sessions.append(await stack.enter_async_context(ws_session(live_server.url, jane.token)))
        for index in range(subscribers):
            session = sessions[index % len(sessions)]
            op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002"})
            ops.append((session, op))
            assert _update(await session.next_for(op))["kind"] == "SNAPSHOT"

        cohort = next(c for c in registry.cohorts.values() if c.source.name == "workItemUpdated")
        assert len(cohort.members) == subscribers
        # the same change each time: the item is jane's and IN_PROGRESS already
        await jane.data(UPDATE, {"ref": "T-1002", "title": f"warm-up {subscribers}"})
        await _updated_on_each(sessions, ops)
        before = cohort.executions
        with recorded_queries() as statements:
            await jane.data(UPDATE, {"ref": "T-1002", "title": f"for {subscribers}"})
            assert await _updated_on_each(sessions, ops) == {f"for {subscribers}"}
        pushes = cohort.executions - before
        return statements, pushes


async def test_one_push_costs_the_same_sql_for_1_and_for_100_subscribers(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    await jane.data(UPDATE, {"ref": "T-1002", "title": "taken"})  # jane takes it: later edits are plain edits
    one, one_pushes = await _push_cost(live_server, jane, 1)
    hundred, hundred_pushes = await _push_cost(live_server, jane, 100)
    # the mutation's own statements, then per push the cohort reads the item once for the
    # selection: the same count however many subscribers share the cohort
    def pushing(statements: list[str]) -> list[str]:
        """What ran after the mutation committed (its last write is the event channel index)."""
        last_write = max(i for i, s in enumerate(statements) if s.startswith('INSERT INTO "event_channel"'))
        return statements[last_write + 1:]

    # one read of the item for the edit's one push (its change and its timeline entry together),
    # whatever the number of subscribers; no authentication, no per-subscriber reads
    assert len(pushing(one)) == len(pushing(hundred)) == 1, "\n".join(pushing(hundred))
    assert all(s.startswith("SELECT") and 'FROM "work_item"' in s for s in pushing(hundred))
    assert one_pushes == hundred_pushes == 1  # one execution for the edit


NOTIFICATIONS = "subscription { notifications { kind cursor unreadCount notifications { id kind read workItemRef } } }"


async def test_notifications_push_new_ones_and_reads_with_the_unread_count(live_server, signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(NOTIFICATIONS)
        snapshot = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert snapshot["kind"] == "SNAPSHOT"
        unread = snapshot["unreadCount"]
        jane_id = (await jane.data("{ viewer { id } }"))["viewer"]["id"]
        lena_id = (await lena.data("{ viewer { id } }"))["viewer"]["id"]
        assign = 'mutation($u: ID) { assignWorkItem(ref: "T-1003", userId: $u) { workItem { ref } } }'
        await lena.data(assign, {"u": lena_id})  # whoever held it before, it is jane's anew next
        await lena.data(assign, {"u": jane_id})
        created = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert created["kind"] == "CREATED" and created["unreadCount"] == unread + 1
        assert created["notifications"][0]["workItemRef"] == "T-1003" and not created["notifications"][0]["read"]
        await jane.data("mutation { markNotificationsRead }")
        read = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert read["kind"] == "READ" and read["unreadCount"] == 0
        assert all(n["read"] for n in read["notifications"])
        # lena is told nothing of jane's notifications
    async with ws_session(live_server.url, lena.token) as session:
        op = await session.subscribe(NOTIFICATIONS)
        first = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert all(n["workItemRef"] != "T-1003" or n["kind"] for n in first["notifications"])


FLAGS = "subscription { newInfoFlags { snapshot cursor flags { hasNewInfo workItem { ref } } } }"


async def test_new_info_flags_reach_the_assignee_and_their_team(live_server, signed_in):
    jane, lena, karina = await signed_in("jane@example.com"), await signed_in("lena@example.com"), await signed_in("karina@example.com")
    jane_id = (await jane.data("{ viewer { id } }"))["viewer"]["id"]
    await lena.data('mutation($u: ID) { assignWorkItem(ref: "T-1003", userId: $u) { workItem { ref } } }', {"u": jane_id})
    await jane.data('mutation { markWorkItemRead(ref: "T-1003") { workItem { ref } } }')
    async with ws_session(live_server.url, jane.token) as mine, ws_session(live_server.url, lena.token) as leader, ws_session(live_server.url, karina.token) as other:
        ops = [await s.subscribe(FLAGS) for s in (mine, leader, other)]
        for s, op in zip((mine, leader, other), ops):
            assert (await s.next_for(op))["payload"]["data"]["newInfoFlags"]["snapshot"] is True
        await jane.data('mutation { markWorkItemNew(ref: "T-1003") { workItem { ref } } }')
        for s, op in zip((mine, leader), ops):
            flags = (await s.next_for(op))["payload"]["data"]["newInfoFlags"]
            assert flags["flags"] == [{"hasNewInfo": True, "workItem": {"ref": "T-1003"}}]
        await jane.data('mutation { markWorkItemRead(ref: "T-1003") { workItem { ref } } }')
        flags = (await mine.next_for(ops[0]))["payload"]["data"]["newInfoFlags"]
        assert flags["flags"] == [{"hasNewInfo": False, "workItem": {"ref": "T-1003"}}]
        # karina (Team B, PL) sees neither the item nor its flag
        try:
            message = await other.next_for(ops[2], timeout=0.5)
        except (asyncio.TimeoutError, TimeoutError):
            message = None
        assert message is None


SHARED = "subscription($team: ID!) { sharedEmails(teamId: $team) { snapshot cursor emails { subject sharedFrom workItem { ref } } } }"


async def test_shared_emails_are_for_the_team_only(live_server, signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    team_a = (await jane.data('{ teams(search: "Team A") { edges { node { id } } } }'))["teams"]["edges"][0]["node"]["id"]
    async with ws_session(live_server.url, jane.token) as mine, ws_session(live_server.url, karina.token) as other:
        op = await mine.subscribe(SHARED, {"team": team_a})
        assert (await mine.next_for(op))["payload"]["data"]["sharedEmails"]["snapshot"] is True
        refused = await other.next_for(await other.subscribe(SHARED, {"team": team_a}))
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND" and errors[0]["extensions"]["field"] == "teamId"
