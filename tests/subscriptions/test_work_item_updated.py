"""`workItemUpdated(ref)` over graphql-transport-ws: snapshot, then every committed change, each
push authorised for the viewer as they stand at that moment."""

from __future__ import annotations

from models.org import Department, User, UserGroup
from server.domain import api_keys
from tests.support.client import HttpClient, ws_session

SUBSCRIBE = """subscription($ref: String!) {
  workItemUpdated(ref: $ref) { kind cursor actorName changedFields workItem { ref status title version } }
}"""
UPDATE = 'mutation($ref: String!, $title: String) { updateWorkItem(ref: $ref, input: {title: $title}) { version } }'


async def _next_update(session, op: str) -> dict:
    """The next update that is not a timeline entry of its own."""
    return (await session.next_change(op))[0]


async def test_snapshot_then_every_change_in_order(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1001"})
        snapshot = (await session.next_for(op))["payload"]["data"]["workItemUpdated"]
        assert snapshot["kind"] == "SNAPSHOT"
        assert snapshot["workItem"] == {"ref": "T-1001", "status": "DRAFT", "title": "Update bank details for March payroll", "version": 1}

        # a rejected mutation publishes nothing: the next update is the one after it
        assert (await jane.error('mutation { submitWorkItem(ref: "T-1001") { ref } }'))["extensions"]["code"] == "VALIDATION"
        await jane.data(UPDATE, {"ref": "T-1001", "title": "Bank details"})
        updated = await _next_update(session, op)
        assert updated["kind"] == "UPDATED"
        assert updated["changedFields"] == ["title"]
        assert updated["actorName"] == "Jane Cooper"
        assert updated["workItem"]["title"] == "Bank details" and updated["workItem"]["version"] == 2
        assert updated["cursor"] and updated["cursor"] != snapshot["cursor"]

        await jane.data('mutation { updateWorkItem(ref: "T-1001", input: {description: "New IBAN attached"}) { version } }')
        assert (await _next_update(session, op))["changedFields"] == ["description"]
        await jane.data('mutation { submitWorkItem(ref: "T-1001") { version } }')
        submitted = await _next_update(session, op)
        assert submitted["kind"] == "SUBMITTED"
        assert submitted["workItem"]["status"] == "TO_DO" and submitted["workItem"]["version"] == 4


async def test_timeline_entries_are_pushed_with_their_item(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    query = 'subscription { workItemUpdated(ref: "T-1001") { kind timelineEntryId } }'
    timeline = '{ workItem(ref: "T-1001") { timeline(first: 10) { edges { node { id kind } } } } }'
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(query)
        await session.next_for(op)
        await jane.data('mutation { updateWorkItem(ref: "T-1001", input: {description: "d"}) { version } }')
        await jane.data('mutation { submitWorkItem(ref: "T-1001") { version } }')
        await jane.data('mutation { addNote(ref: "T-1001", input: {body: "last"}) { entry { id } } }')
        pushed = [(await session.next_for(op))["payload"]["data"]["workItemUpdated"] for _ in range(6)]
    entries = {e["node"]["kind"]: e["node"]["id"] for e in (await jane.data(timeline))["workItem"]["timeline"]["edges"]}
    # the edit with its FIELDS_CHANGED entry; the submit with the entry logged right after it (the
    # initial description), then its SUBMITTED entry on its own; the note on TO_DO work: jane takes
    # it (each change with its entry), then the note on its own
    assert pushed == [
        {"kind": "UPDATED", "timelineEntryId": entries["FIELDS_CHANGED"]},
        {"kind": "SUBMITTED", "timelineEntryId": entries["INITIAL_DESCRIPTION"]},
        {"kind": "TIMELINE_ENTRY_ADDED", "timelineEntryId": entries["SUBMITTED"]},
        {"kind": "ASSIGNED", "timelineEntryId": entries["ASSIGNED"]},
        {"kind": "STATUS_CHANGED", "timelineEntryId": entries["STATUS_CHANGED"]},
        {"kind": "TIMELINE_ENTRY_ADDED", "timelineEntryId": entries["NOTE"]},
    ]


async def test_subscribing_to_an_item_out_of_scope_is_not_found(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        messages = []
        for ref in ("T-1007", "T-9999"):
            op = await session.subscribe(SUBSCRIBE, {"ref": ref})
            messages.append(await session.next_for(op))
            if messages[-1]["type"] == "next":
                assert (await session.next_for(op))["type"] == "complete"
    hidden, missing = messages
    for message in (hidden, missing):
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "ref"}
    assert hidden["type"] == missing["type"]


async def test_a_viewer_who_loses_access_stops_receiving(live_server, signed_in):
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    async with ws_session(live_server.url, karina.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1007"})
        assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
        await admin.data(UPDATE, {"ref": "T-1007", "title": "still visible"})
        assert (await _next_update(session, op))["workItem"]["title"] == "still visible"

        # through the admin's mutation, which emits the access change every connection of the
        # group's members applies before the next event
        pl_staff = await UserGroup.get(name="PL staff")
        kept = [str(d.id) for d in await pl_staff.departments.all() if d.name != "PL Operations"]
        await admin.data('mutation($id: ID!, $ids: [ID!]) { updateUserGroup(id: $id, input: {departmentIds: $ids}) { id } }', {"id": str(pl_staff.id), "ids": kept})
        await admin.data(UPDATE, {"ref": "T-1007", "title": "secret"})
        # updates pushed before the access was lost may still be in flight; then the push ends
        for _ in range(20):
            message = await session.next_for(op)
            assert "secret" not in str(message)
            errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
            if errors:
                assert errors[0]["extensions"]["code"] == "NOT_FOUND"
                break
        else:
            raise AssertionError("the subscription kept pushing after access was lost")


async def test_portal_contact_and_api_key_subscribe_within_their_scope(live_server, client: HttpClient, demo):
    bob = await client.login("bob@client.example")
    async with ws_session(live_server.url, bob) as session:
        # a contact follows their tickets on the portal; the employees' stream finds nothing
        own = await session.next_for(await session.subscribe(PORTAL_SUBSCRIBE, {"ref": "T-1002"}))
        assert own["payload"]["data"]["portalTicketUpdated"]["ticket"]["ref"] == "T-1002"
        for query in (SUBSCRIBE, PORTAL_SUBSCRIBE):
            op = await session.subscribe(query, {"ref": "C-1001" if query is PORTAL_SUBSCRIBE else "T-1002"})
            assert "NOT_FOUND" in str(await session.next_for(op))
            assert (await session.next_for(op))["type"] == "complete"

    pl = await Department.get(name="PL Operations")
    key = (await api_keys.create_api_key("ERP", [pl.id], can_write=False, created_by=None)).token
    async with ws_session(live_server.url, key) as session:
        assert session.ack_payload["viewer"]["kind"] == "API_KEY"
        inside = await session.next_for(await session.subscribe(SUBSCRIBE, {"ref": "T-1007"}))
        assert inside["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
        outside = await session.next_for(await session.subscribe(SUBSCRIBE, {"ref": "T-1002"}))
        assert "NOT_FOUND" in str(outside)


async def test_only_graphql_transport_ws_is_spoken(live_server, signed_in):
    await signed_in("jane@example.com")
    async with ws_session(live_server.url, init=False, subprotocol="graphql-ws") as session:
        assert session.socket.subprotocol is None
        assert await session.closed() == (4406, "Subprotocol not acceptable")


async def test_lifecycle_events_are_pushed(live_server, signed_in):
    from datetime import timedelta

    from server.domain import clock, scheduler

    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1002"})
        await session.next_for(op)
        await jane.data('mutation { startWork(ref: "T-1002") { notices } }')
        # each change with the entry that records it
        updates = [(await session.next_for(op))["payload"]["data"]["workItemUpdated"] for _ in range(2)]
        assert [u["kind"] for u in updates] == ["ASSIGNED", "STATUS_CHANGED"]
        status = updates[1]
        assert status["workItem"]["status"] == "IN_PROGRESS" and status["actorName"] == "Jane Cooper"

        # timed transitions are pushed too (the scheduler's changes go through the same bus)
        with clock.frozen() as frozen:
            frozen.advance(timedelta(days=3))
            await scheduler.run_due()
        due = await _next_update(session, op)
        assert due["kind"] == "DUE_MISSED" and due["actorName"] is None


PORTAL_SUBSCRIBE = """subscription($ref: String!) { portalTicketUpdated(ref: $ref) {
  kind fromStatus toStatus changedFields timelineEntryId ticket { ref status title timeline { kind body } } } }"""


async def test_a_requester_is_pushed_only_what_the_portal_shows(live_server, signed_in):
    """bob follows his ticket (portalTicketUpdated): an internal note, an assignment and internal
    flags push nothing; a status change and a title change (without who made them) and a public
    note do. Each withheld event is proved absent by the next message being the public change
    that followed it."""
    jane = await signed_in("jane@example.com")
    bob = await signed_in("bob@client.example")
    note = 'mutation($public: Boolean!, $body: String!) { addNote(ref: "T-1003", input: {body: $body, isPublic: $public}) { entry { id } } }'
    lena_id = str((await User.get(email="lena@example.com")).id)
    async with ws_session(live_server.url, bob.token) as session:
        op = await session.subscribe(PORTAL_SUBSCRIBE, {"ref": "T-1003"})
        assert (await session.next_for(op))["payload"]["data"]["portalTicketUpdated"]["kind"] == "SNAPSHOT"

        await jane.data(note, {"public": False, "body": "internal"})
        await jane.data('mutation { markWorkItemNew(ref: "T-1003") { workItem { ref } } }')
        # handed to lena: the assignment is withheld, the status change (back TO_DO) is not
        await jane.data('mutation($u: ID) { assignWorkItem(ref: "T-1003", userId: $u) { workItem { ref } } }', {"u": lena_id})
        message = await session.next_for(op)
        status = message["payload"]["data"]["portalTicketUpdated"]
        assert (status["kind"], status["toStatus"], status["ticket"]["status"]) == ("STATUS_CHANGED", "TO_DO", "TO_DO"), message
        assert "actorName" not in status and "internal" not in str(status)

        await jane.data(UPDATE, {"ref": "T-1003", "title": "Tax code BR"})
        message = await session.next_for(op)
        update = message["payload"]["data"]["portalTicketUpdated"]
        assert update["kind"] == "UPDATED" and update["changedFields"] == ["title"], message
        assert update["ticket"]["title"] == "Tax code BR"

        # a note on TO_DO work: jane takes it (a status change bob sees), then the public note
        await jane.data(note, {"public": True, "body": "public"})
        taken = (await session.next_for(op))["payload"]["data"]["portalTicketUpdated"]
        assert taken["kind"] == "STATUS_CHANGED" and taken["ticket"]["status"] == "IN_PROGRESS", taken
        public = (await session.next_for(op))["payload"]["data"]["portalTicketUpdated"]
        assert public["kind"] == "MESSAGE_ADDED" and public["timelineEntryId"]
        assert public["ticket"]["timeline"][-1] == {"kind": "NOTE", "body": "public"}
        assert "internal" not in str(public)


async def test_an_agent_is_pushed_every_entry(live_server, signed_in):
    """The same internal note reaches an agent of the department (nothing is withheld from them)."""
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    async with ws_session(live_server.url, lena.token) as session:
        op = await session.subscribe(SUBSCRIBE, {"ref": "T-1003"})
        await session.next_for(op)
        await jane.data('mutation { addNote(ref: "T-1003", input: {body: "internal"}) { entry { id } } }')
        update = (await session.next_for(op))["payload"]["data"]["workItemUpdated"]
        assert update["kind"] == "TIMELINE_ENTRY_ADDED" and update["actorName"] == "Jane Cooper"
