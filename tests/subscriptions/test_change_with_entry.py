"""workItemUpdated pushes a change and the timeline entry that records it (logged right after it, by
the same transaction) as ONE message: the change's kind and details, the entry's
`timelineEntryId`, the entry's cursor. Live, through a replay from `after` and through a cohort
that overflowed and read from the log, the messages are the same. A note stays a push of its own,
and each part is shown to a viewer only as far as they may be told of it."""

from __future__ import annotations

import pytest

from models.contact import Contact
from models.org import User
from models.work_item import WorkItem
from server.domain import visibility
from server.domain.errors import NotFound
from server.domain.events import Envelope, ItemHeader, TimelineEntryAdded, WorkItemAssigned, WorkItemFieldsChanged
from server.domain.viewer import contact_viewer, user_viewer
from server.schema.live import cursor_of
from server.schema.live.portal import source as portal_source
from server.schema.live.work_item import source
from server.subscriptions import bus
from tests.support.client import WsSession, ws_session

REF = "T-1003"  # bob's ticket, IN_PROGRESS with jane: her edits take nothing
SUBSCRIBE = """subscription($ref: String!, $after: String) {
  workItemUpdated(ref: $ref, after: $after) {
    kind cursor occurredAt actorName changedFields values timelineEntryId workItem { ref title version }
  }
}"""
UPDATE = 'mutation($ref: String!, $title: String) { updateWorkItem(ref: $ref, input: {title: $title}) { version } }'
NOTE = 'mutation($ref: String!, $public: Boolean!) { addNote(ref: $ref, input: {body: "a note", isPublic: $public}) { entry { id } } }'
NEWEST_ENTRY = 'query($ref: String!) { workItem(ref: $ref) { timeline(first: 1) { edges { node { id kind } } } } }'


async def _pushed(session: WsSession, op: str) -> dict:
    """The next message of `op` that is not about who has the item open (jane's own subscriptions
    opening and closing are such changes)."""
    while True:
        message = await session.next_for(op)
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        update = message["payload"]["data"]["workItemUpdated"]
        if update["kind"] != "VIEWERS_CHANGED":
            return update


async def _newest_entry(client) -> dict:
    return (await client.data(NEWEST_ENTRY, {"ref": REF}))["workItem"]["timeline"]["edges"][0]["node"]


async def _edit_note_edit(jane) -> dict[str, str]:
    """A title change, an internal note, another title change: the entry id of each."""
    await jane.data(UPDATE, {"ref": REF, "title": "Tax code 1257L"})
    first = await _newest_entry(jane)
    assert first["kind"] == "FIELDS_CHANGED"
    note = (await jane.data(NOTE, {"ref": REF, "public": False}))["addNote"]["entry"]["id"]
    await jane.data(UPDATE, {"ref": REF, "title": "Tax code fixed"})
    second = await _newest_entry(jane)
    assert second["kind"] == "FIELDS_CHANGED"
    return {"first": first["id"], "note": note, "second": second["id"]}


def _expected(entries: dict[str, str], version: int) -> list[dict]:
    """What jane's subscription shows of `_edit_note_edit` on the item at `version` (cursors and
    times aside)."""
    return [
        {"kind": "UPDATED", "actorName": "Jane Cooper", "changedFields": ["title"], "values": {"title": "Tax code 1257L"},
         "timelineEntryId": entries["first"], "workItem": {"ref": REF, "title": "Tax code 1257L", "version": version + 1}},
        {"kind": "TIMELINE_ENTRY_ADDED", "actorName": "Jane Cooper", "changedFields": [], "values": None,
         "timelineEntryId": entries["note"], "workItem": {"ref": REF, "title": "Tax code 1257L", "version": version + 1}},
        {"kind": "UPDATED", "actorName": "Jane Cooper", "changedFields": ["title"], "values": {"title": "Tax code fixed"},
         "timelineEntryId": entries["second"], "workItem": {"ref": REF, "title": "Tax code fixed", "version": version + 2}},
    ]


def _without_position(update: dict) -> dict:
    return {k: v for k, v in update.items() if k not in ("cursor", "occurredAt")}


async def _live_edit_note_edit(live_server, jane) -> tuple[dict, list[dict]]:
    """jane's subscription's snapshot and the three messages `_edit_note_edit` pushes to it, each
    the next one expected: the edit's entry never comes as a message of its own (it would be the
    second message), nor the note twice (it would be the third)."""
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": REF})
        snapshot = await _pushed(session, op)
        assert snapshot["kind"] == "SNAPSHOT"
        entries = await _edit_note_edit(jane)
        pushed = [await _pushed(session, op) for _ in range(3)]
    assert [_without_position(p) for p in pushed] == _expected(entries, snapshot["workItem"]["version"])
    return snapshot, pushed


async def test_an_edit_is_one_push_with_its_entry_and_a_note_one_push(live_server, signed_in):
    snapshot, pushed = await _live_edit_note_edit(live_server, await signed_in("jane@example.com"))
    cursors = [snapshot["cursor"], *(p["cursor"] for p in pushed)]
    assert len(set(cursors)) == 4


async def test_a_replay_from_after_gives_the_live_messages(live_server, signed_in):
    """The same messages through the log as live (each with the item as it is when replayed);
    resuming from an edit's cursor skips the change and its entry both; after the replay the
    subscription carries on live."""
    jane = await signed_in("jane@example.com")
    snapshot, live = await _live_edit_note_edit(live_server, jane)
    start = snapshot["cursor"]

    async with ws_session(live_server.url, jane.token) as one, ws_session(live_server.url, jane.token) as other:
        op = await one.subscribe(SUBSCRIBE, {"ref": REF, "after": start})
        replayed = [await _pushed(one, op) for _ in range(3)]
        resumed = await other.subscribe(SUBSCRIBE, {"ref": REF, "after": live[0]["cursor"]})
        replayed_from_edit = [await _pushed(other, resumed) for _ in range(2)]

        await jane.data(UPDATE, {"ref": REF, "title": "Tax code checked"})
        entry = await _newest_entry(jane)
        after_replay = [await _pushed(one, op), await _pushed(other, resumed)]
    now = live[-1]["workItem"]
    assert replayed == [{**update, "workItem": now} for update in live]
    assert replayed_from_edit == replayed[1:]
    assert after_replay[0] == after_replay[1]
    assert after_replay[0]["kind"] == "UPDATED" and after_replay[0]["timelineEntryId"] == entry["id"]


async def test_a_cohort_that_overflowed_reads_the_log_in_the_same_messages(live_server, signed_in, monkeypatch):
    """A listener that holds one event overflows on each edit (two events): the cohort reads them
    from the log, and still pushes them as one message."""
    monkeypatch.setattr(bus.current(), "listener_queue", 1)
    await _live_edit_note_edit(live_server, await signed_in("jane@example.com"))


PORTAL_SUBSCRIBE = """subscription($ref: String!) { portalTicketUpdated(ref: $ref) {
  kind cursor changedFields timelineEntryId ticket { ref title } } }"""


async def test_a_requester_is_pushed_each_part_they_may_be_told_of(live_server, signed_in):
    """bob (portalTicketUpdated) sees the title change without its internal entry and his public
    note's entry; lena, an agent of the department, gets the same change with its entry (on
    workItemUpdated), at the same cursors."""
    jane = await signed_in("jane@example.com")
    bob = await signed_in("bob@client.example")
    lena = await signed_in("lena@example.com")
    async with ws_session(live_server.url, bob.token) as bobs, ws_session(live_server.url, lena.token) as lenas:
        bob_op = await bobs.subscribe(PORTAL_SUBSCRIBE, {"ref": REF})
        lena_op = await lenas.subscribe(SUBSCRIBE, {"ref": REF})
        assert (await bobs.next_for(bob_op))["payload"]["data"]["portalTicketUpdated"]["kind"] == "SNAPSHOT"
        assert (await _pushed(lenas, lena_op))["kind"] == "SNAPSHOT"
        await jane.data(UPDATE, {"ref": REF, "title": "Tax code BR"})
        entry = await _newest_entry(jane)
        public = (await jane.data(NOTE, {"ref": REF, "public": True}))["addNote"]["entry"]["id"]

        told = [(await bobs.next_for(bob_op))["payload"]["data"]["portalTicketUpdated"] for _ in range(2)]
        agent = [await _pushed(lenas, lena_op) for _ in range(2)]
    assert [{k: v for k, v in u.items() if k != "cursor"} for u in told] == [
        {"kind": "UPDATED", "changedFields": ["title"], "timelineEntryId": None, "ticket": {"ref": REF, "title": "Tax code BR"}},
        {"kind": "MESSAGE_ADDED", "changedFields": [], "timelineEntryId": public, "ticket": {"ref": REF, "title": "Tax code BR"}},
    ]
    assert [(u["kind"], u["timelineEntryId"]) for u in agent] == [("UPDATED", entry["id"]), ("TIMELINE_ENTRY_ADDED", public)]


async def test_a_change_hidden_from_a_requester_leaves_them_its_public_entry(settings, demo):
    """The rule on its own, for a pair no action of the demo data makes: an assignment (withheld
    from a requester) with a public entry after it is, for bob on the portal, the entry alone;
    for jane, the assignment with the entry."""
    item = await WorkItem.get(ref=REF)
    header = ItemHeader.of(item)
    base = {"work_item_id": item.id, "ref": item.ref, "department_id": item.department_id, "version": item.version, "item": header,
            "actor_kind": "USER", "actor_id": item.assignee_id, "actor_name": "Jane Cooper"}
    at = "2026-03-02T10:00:00+00:00"
    assigned = Envelope(40, at, WorkItemAssigned(**base, from_user_id=None, to_user_id=item.assignee_id))
    entry = Envelope(41, at, TimelineEntryAdded(**base, entry_id=9001, kind="NOTE", public=True))
    assert source.folds(assigned, entry)
    assert not source.folds(entry, assigned)  # an entry folds into the change before it, never the reverse
    assert not source.folds(assigned, Envelope(42, at, entry.event))  # only the very next event
    assert not source.folds(assigned, Envelope(41, "2026-03-02T10:00:01+00:00", entry.event))  # another transaction
    assert not source.folds(entry, Envelope(42, at, entry.event))  # a second entry is its own push

    bob = await contact_viewer(await Contact.get(email="bob@client.example"))
    jane = await user_viewer(await User.get(email="jane@example.com"))
    opened = await source.open(jane, {"ref": REF})
    for_jane = await source.on_events(jane, opened, [assigned, entry])
    assert (for_jane.kind.value, for_jane.timeline_entry_id, for_jane.cursor) == ("ASSIGNED", "9001", cursor_of(41))
    # bob follows the ticket on the portal: the assignment tells him nothing, the entry is his
    with pytest.raises(NotFound):  # the employees' stream: the item is not there for him
        await source.on_events(bob, opened, [assigned, entry])
    bob_opened = await portal_source.open(bob, {"ref": REF})
    assert await portal_source.on_event(bob, bob_opened, assigned) is None
    for_bob = await portal_source.on_event(bob, bob_opened, entry)
    assert (for_bob.kind.value, for_bob.timeline_entry_id, for_bob.cursor) == ("MESSAGE_ADDED", "9001", cursor_of(41))

    # a title change bob is told of (without who), and an internal entry he is not
    changed = Envelope(40, at, WorkItemFieldsChanged(**base, fields=("title",), values={"title": item.title}))
    internal = Envelope(41, at, TimelineEntryAdded(**base, entry_id=9002, kind="FIELDS_CHANGED"))
    for_bob = await portal_source.on_event(bob, bob_opened, changed)
    assert (for_bob.kind.value, for_bob.changed_fields, for_bob.cursor) == ("UPDATED", ["title"], cursor_of(40))
    assert await portal_source.on_event(bob, bob_opened, internal) is None
    assert visibility.portal_event(bob, internal.event) is None
    assert visibility.visible_event(bob, changed.event) is None  # nothing through the employees' stream
