"""An idle subscription is its cohort membership, not a suspended execution: once its first
messages are sent, strawberry's execution of it has returned (server/schema/live/__init__.py,
LiveOperation) and the connection's handler ends it — on the client's complete, or when the
server ends it, with its slot given back either way."""

from __future__ import annotations

import asyncio
from typing import Callable

from models.org import Department, UserGroup
from server.schema.live import work_item
from tests.support.client import ws_session

SUBSCRIBE = "subscription($ref: String!) { workItemUpdated(ref: $ref) { kind workItem { ref title } } }"
UPDATE = 'mutation($ref: String!, $title: String) { updateWorkItem(ref: $ref, input: {title: $title}) { version } }'
SUBSCRIPTIONS = 10


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def _until_each_shows(session, ops: set[str], title: str) -> list[dict]:
    """Read the socket until every one of `ops` has pushed `title`; every message read."""
    waiting, read = set(ops), []
    while waiting:
        message = await session.receive()
        read.append(message)
        assert message["type"] == "next", message
        if message["payload"]["data"]["workItemUpdated"]["workItem"]["title"] == title:
            waiting.discard(message["id"])
    return read


async def _snapshots(session, ops: set[str]) -> None:
    kinds = {}
    while len(kinds) < len(ops):
        message = await session.receive()
        kinds[message["id"]] = message["payload"]["data"]["workItemUpdated"]["kind"]
    assert set(kinds) == ops and set(kinds.values()) == {"SNAPSHOT"}, kinds


async def test_idle_subscriptions_hold_no_task_and_still_push_until_completed(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        first = await session.subscribe(SUBSCRIBE, {"ref": "T-1001"})
        await _snapshots(session, {first})
        await asyncio.sleep(0.1)  # the first one's cohort is running: the others join it
        before = len(asyncio.all_tasks())
        ops = {await session.subscribe(SUBSCRIBE, {"ref": "T-1001"}) for _ in range(SUBSCRIPTIONS)}
        await _snapshots(session, ops)
        await asyncio.sleep(0.1)
        # one task per subscription before the hand-off (its suspended execution); none now
        assert len(asyncio.all_tasks()) - before <= 1, len(asyncio.all_tasks()) - before

        await jane.data(UPDATE, {"ref": "T-1001", "title": "to every one"})
        await _until_each_shows(session, {first, *ops}, "to every one")

        completed = ops.pop()
        await session.send({"id": completed, "type": "complete"})
        await session.send({"type": "ping"})
        while (message := await session.receive())["type"] != "pong":  # then the complete has been handled
            assert message["type"] == "next", message  # the last change's timeline entry
        await jane.data(UPDATE, {"ref": "T-1001", "title": "to the rest"})
        read = await _until_each_shows(session, {first, *ops}, "to the rest")
        await jane.data(UPDATE, {"ref": "T-1001", "title": "once more"})
        read += await _until_each_shows(session, {first, *ops}, "once more")
        assert completed not in {m["id"] for m in read}


async def test_a_subscription_the_server_ends_sends_its_error_then_complete_and_frees_its_slot(live_server, signed_in):
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    limits = live_server.server.config.app.state.principal_limits
    pl_staff = await UserGroup.get(name="PL staff")
    departments = [str(d.id) for d in await pl_staff.departments.all()]
    group = 'mutation($id: ID!, $ids: [ID!]) { updateUserGroup(id: $id, input: {departmentIds: $ids}) { id } }'
    try:
        async with ws_session(live_server.url, karina.token) as session:
            karina_id = (session.ack_payload["viewer"]["kind"], int(session.ack_payload["viewer"]["id"]))
            op = await session.subscribe(SUBSCRIBE, {"ref": "T-1007"})
            assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
            assert limits.operations(karina_id) == 1

            kept = [d.id for d in await pl_staff.departments.all() if d.name != "PL Operations"]
            await admin.data(group, {"id": str(pl_staff.id), "ids": [str(i) for i in kept]})
            await admin.data(UPDATE, {"ref": "T-1007", "title": "not for karina"})
            ending = await session.next_for(op)
            assert ending["type"] == "next", ending
            assert ending["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in ending["payload"]["errors"]] == ["NOT_FOUND"], ending
            assert (await session.next_for(op))["type"] == "complete"
            await _until(lambda: limits.operations(karina_id) == 0)
            # the id is free again
            assert await session.subscribe("{ viewer { name } }", op_id=op) == op
            assert (await session.next_for(op))["payload"]["data"] == {"viewer": {"name": "Karina Nowak"}}
            assert (await session.next_for(op))["type"] == "complete"
    finally:
        await admin.data(group, {"id": str(pl_staff.id), "ids": departments})


async def test_a_subscription_completed_while_it_rejoins_after_a_scope_change_ends_there(live_server, signed_in, monkeypatch):
    """karina's scope changes (her group gains a department) while she is subscribed: the
    subscription rejoins in the cohort of her new scope. The client completes it while the rejoin
    is under way: the rejoin stops, the slot is given back, and nothing more is pushed to it."""
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    limits = live_server.server.config.app.state.principal_limits
    pl_staff = await UserGroup.get(name="PL staff")
    departments = [str(d.id) for d in await pl_staff.departments.all()]
    uk = await Department.get(name="UK Operations")
    group = 'mutation($id: ID!, $ids: [ID!]) { updateUserGroup(id: $id, input: {departmentIds: $ids}) { id } }'
    opened, released = asyncio.Event(), asyncio.Event()
    real_open = work_item.source.open

    async def held_open(viewer, args):
        if opened.is_set() or viewer.department_ids != frozenset({uk.id, *map(int, departments)}):
            return await real_open(viewer, args)
        opened.set()  # the rejoin, in the new scope
        await released.wait()
        return await real_open(viewer, args)

    try:
        async with ws_session(live_server.url, karina.token) as session:
            karina_id = (session.ack_payload["viewer"]["kind"], int(session.ack_payload["viewer"]["id"]))
            op = await session.subscribe(SUBSCRIBE, {"ref": "T-1007"})
            assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
            monkeypatch.setattr(work_item.source, "open", held_open)
            await admin.data(group, {"id": str(pl_staff.id), "ids": [*departments, str(uk.id)]})
            await asyncio.wait_for(opened.wait(), 5)

            await session.send({"id": op, "type": "complete"})
            await session.send({"type": "ping"})
            assert (await session.receive())["type"] == "pong"  # nothing for op came first
            await _until(lambda: limits.operations(karina_id) == 0)
            released.set()
            await admin.data(UPDATE, {"ref": "T-1007", "title": "after the complete"})
            await asyncio.sleep(0.3)
            await session.send({"type": "ping"})
            assert (await session.receive())["type"] == "pong"
    finally:
        released.set()
        await admin.data(group, {"id": str(pl_staff.id), "ids": departments})
