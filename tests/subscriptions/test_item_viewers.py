"""Who else has a work item open (SPEC §6 collision warning), on `workItemUpdated`: the SNAPSHOT
lists the employees with the item open, each change of that set is pushed as VIEWERS_CHANGED,
editing is said with setWorkItemEditing, a portal requester is never told of staff, and the rows
of a process that stopped vouching for them are swept."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.item_viewer import ItemViewer
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, item_viewers
from server.subscriptions.process import PROCESS_ID
from tests.support.client import ws_session

SUBSCRIBE = """subscription($ref: String!, $after: String) {
  workItemUpdated(ref: $ref, after: $after) { kind cursor workItem { ref title } viewers { user { name email } editing } }
}"""
EDITING = "mutation($ref: String!, $editing: Boolean!) { setWorkItemEditing(ref: $ref, editing: $editing) }"
UPDATE = 'mutation($title: String) { updateWorkItem(ref: "T-1002", input: {title: $title}) { version } }'
REF = {"ref": "T-1002"}


async def _next(session, op: str) -> dict:
    """The next push that is not a timeline entry; those list nobody."""
    update, entries = await session.next_change(op)
    assert all(entry["viewers"] == [] for entry in entries)
    return update


async def _until(session, op: str, kind: str) -> dict:
    """The next push of `kind`; every push before it (an edit's assignment, status change,
    timeline entry) lists nobody."""
    while True:
        update = await _next(session, op)
        if update["kind"] == kind:
            return update
        assert update["kind"] != "VIEWERS_CHANGED" and update["viewers"] == [], update


def _who(update: dict) -> list[tuple[str, bool]]:
    return [(v["user"]["name"], v["editing"]) for v in update["viewers"]]


async def _rows_of(email: str, count: int) -> None:
    """Wait until the server has written or removed the user's rows (a `complete` is not answered)."""
    for _ in range(200):
        if await ItemViewer.filter(user__email=email).count() == count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{email} still has {await ItemViewer.filter(user__email=email).count()} open rows")


async def test_the_snapshot_and_every_change_list_who_has_the_item_open(live_server, signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    async with ws_session(live_server.url, jane.token) as jane_ws, ws_session(live_server.url, lena.token) as lena_ws:
        jane_op = await jane_ws.subscribe(SUBSCRIBE, REF)
        snapshot = await _next(jane_ws, jane_op)
        assert snapshot["kind"] == "SNAPSHOT" and _who(snapshot) == [("Jane Cooper", False)]
        assert snapshot["viewers"][0]["user"]["email"] == "jane@example.com"

        lena_op = await lena_ws.subscribe(SUBSCRIBE, REF)
        lena_snapshot = await _next(lena_ws, lena_op)
        assert lena_snapshot["kind"] == "SNAPSHOT"
        assert _who(lena_snapshot) == [("Jane Cooper", False), ("Lena Fischer", False)]
        changed = await _next(jane_ws, jane_op)
        assert changed["kind"] == "VIEWERS_CHANGED" and changed["workItem"]["ref"] == "T-1002"
        assert _who(changed) == [("Jane Cooper", False), ("Lena Fischer", False)]

        assert (await lena.data(EDITING, {**REF, "editing": True}))["setWorkItemEditing"] is True
        for session, op in ((jane_ws, jane_op), (lena_ws, lena_op)):
            editing = await _next(session, op)
            assert editing["kind"] == "VIEWERS_CHANGED"
            assert _who(editing) == [("Jane Cooper", False), ("Lena Fischer", True)]
        # the same again changes nothing (else the next VIEWERS_CHANGED would list lena); other
        # kinds list nobody
        assert (await lena.data(EDITING, {**REF, "editing": True}))["setWorkItemEditing"] is True
        await jane.data(UPDATE, {"title": "Invoice INV-2231"})
        assert (await _until(jane_ws, jane_op, "UPDATED"))["viewers"] == []

        await lena_ws.send({"id": lena_op, "type": "complete"})
        left = await _until(jane_ws, jane_op, "VIEWERS_CHANGED")
        assert left["kind"] == "VIEWERS_CHANGED" and _who(left) == [("Jane Cooper", False)]
        await _rows_of("lena@example.com", 0)
        # open nowhere now: nothing to mark
        assert (await lena.data(EDITING, {**REF, "editing": False}))["setWorkItemEditing"] is False


async def test_the_same_user_in_two_tabs_counts_once(live_server, signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    async with ws_session(live_server.url, lena.token) as lena_ws:
        lena_op = await lena_ws.subscribe(SUBSCRIBE, REF)
        assert _who(await _next(lena_ws, lena_op)) == [("Lena Fischer", False)]
        async with ws_session(live_server.url, jane.token) as tab_a, ws_session(live_server.url, jane.token) as tab_b:
            a_op = await tab_a.subscribe(SUBSCRIBE, REF)
            assert _who(await _next(tab_a, a_op)) == [("Jane Cooper", False), ("Lena Fischer", False)]
            assert _who(await _next(lena_ws, lena_op)) == [("Jane Cooper", False), ("Lena Fischer", False)]

            b_op = await tab_b.subscribe(SUBSCRIBE, REF)
            assert _who(await _next(tab_b, b_op)) == [("Jane Cooper", False), ("Lena Fischer", False)]
            await _rows_of("jane@example.com", 2)
            # editing in one tab marks both; lena is told once
            assert (await jane.data(EDITING, {**REF, "editing": True}))["setWorkItemEditing"] is True
            assert _who(await _next(lena_ws, lena_op)) == [("Jane Cooper", True), ("Lena Fischer", False)]

            await tab_b.send({"id": b_op, "type": "complete"})  # jane still has it open in tab A
            await _rows_of("jane@example.com", 1)
            await tab_a.send({"id": a_op, "type": "complete"})
            # the first push lena gets since the editing one is jane leaving for good
            gone = await _next(lena_ws, lena_op)
            assert gone["kind"] == "VIEWERS_CHANGED" and _who(gone) == [("Lena Fischer", False)]


PORTAL_SUBSCRIBE = """subscription($ref: String!, $after: String) {
  portalTicketUpdated(ref: $ref, after: $after) { kind cursor ticket { ref title } } }"""


async def test_a_requester_is_never_told_who_has_their_ticket_open(live_server, signed_in):
    """bob follows his ticket on the portal while jane and lena open it and lena edits: nothing
    about who has it open reaches him, live or replayed — his next push after his snapshot is the
    title change that followed, and so is the first he is replayed from his snapshot's cursor."""
    jane, lena, bob = await signed_in("jane@example.com"), await signed_in("lena@example.com"), await signed_in("bob@client.example")
    async with ws_session(live_server.url, jane.token) as jane_ws, ws_session(live_server.url, bob.token) as bob_ws:
        jane_op = await jane_ws.subscribe(SUBSCRIBE, REF)
        assert _who(await _next(jane_ws, jane_op)) == [("Jane Cooper", False)]
        bob_op = await bob_ws.subscribe(PORTAL_SUBSCRIBE, REF)
        bob_snapshot = (await bob_ws.next_for(bob_op))["payload"]["data"]["portalTicketUpdated"]
        assert bob_snapshot["kind"] == "SNAPSHOT"

        async with ws_session(live_server.url, lena.token) as lena_ws:
            lena_op = await lena_ws.subscribe(SUBSCRIBE, REF)
            await _next(lena_ws, lena_op)
            assert (await _next(jane_ws, jane_op))["kind"] == "VIEWERS_CHANGED"
            await lena.data(EDITING, {**REF, "editing": True})
            assert _who(await _next(jane_ws, jane_op)) == [("Jane Cooper", False), ("Lena Fischer", True)]
        assert _who(await _next(jane_ws, jane_op)) == [("Jane Cooper", False)]
        assert (await bob.error(EDITING, {**REF, "editing": True}))["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND")

        await jane.data(UPDATE, {"title": "Invoice INV-2231 still missing"})
        pushed = (await bob_ws.next_for(bob_op))["payload"]["data"]["portalTicketUpdated"]
        assert pushed["kind"] in ("UPDATED", "STATUS_CHANGED"), pushed
        while pushed["kind"] != "UPDATED":
            pushed = (await bob_ws.next_for(bob_op))["payload"]["data"]["portalTicketUpdated"]
        assert pushed["ticket"]["title"] == "Invoice INV-2231 still missing"

    async with ws_session(live_server.url, bob.token) as resumed_ws:
        resumed_op = await resumed_ws.subscribe(PORTAL_SUBSCRIBE, {**REF, "after": bob_snapshot["cursor"]})
        replayed = (await resumed_ws.next_for(resumed_op))["payload"]["data"]["portalTicketUpdated"]
        assert replayed["kind"] in ("UPDATED", "STATUS_CHANGED"), replayed


async def test_the_rows_of_a_process_that_stopped_vouching_for_them_are_swept(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    item = await WorkItem.get(ref="T-1002")
    lena = await User.get(email="lena@example.com")
    async with ws_session(live_server.url, jane.token) as jane_ws:
        jane_op = await jane_ws.subscribe(SUBSCRIBE, REF)
        assert _who(await _next(jane_ws, jane_op)) == [("Jane Cooper", False)]
        # lena has it open on another process, which then dies
        await item_viewers.opened(item.id, lena.id, "another-process", "another-connection:1")
        assert _who(await _next(jane_ws, jane_op)) == [("Jane Cooper", False), ("Lena Fischer", False)]

        with clock.frozen(clock.now() + item_viewers.STALE_AFTER + timedelta(seconds=1)):
            assert await item_viewers.heartbeat(PROCESS_ID) == 1  # this process vouches for jane's row
            assert await item_viewers.sweep() == 1
            assert await item_viewers.sweep() == 0
        swept = await _next(jane_ws, jane_op)
        assert swept["kind"] == "VIEWERS_CHANGED" and _who(swept) == [("Jane Cooper", False)]
    await _rows_of("jane@example.com", 0)
