"""Drafts, field changes and submit (SPEC §2.2 rule 1), versions, references and lists."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from models.enums import TimelineKind
from models.event import EventRecord
from models.contact import Contact
from models.org import Category, Company, Department, Queue, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from tests.support.client import HttpClient
from tests.support.footprint import footprint

CREATE = """mutation($input: CreateWorkItemInput!) {
  createWorkItem(input: $input) { ref type status version department { name } company { name } team { name } queue { name } }
}"""
UPDATE = """mutation($ref: String!, $input: WorkItemFieldsInput!, $version: Int) {
  updateWorkItem(ref: $ref, input: $input, version: $version) { ref title version customData priority primaryContact { email } }
}"""
SUBMIT = """mutation($ref: String!, $version: Int) {
  submitWorkItem(ref: $ref, version: $version) { ref status version submittedAt dueAt team { name } queue { name } }
}"""


async def _ids() -> dict[str, str]:
    return {
        "payroll": str((await Category.get(name="Payroll")).id),
        "bob": str((await Contact.get(email="bob@client.example")).id),
        "alice": str((await Contact.get(email="alice@globex.example")).id),
        "piotr": str((await Contact.get(email="piotr@client.example")).id),
        "uk": str((await Department.get(name="UK Operations")).id),
        "pl": str((await Department.get(name="PL Operations")).id),
        "queue_b": str((await Queue.get(name="Team B queue")).id),
    }


async def test_submit_with_nothing_filled_names_every_missing_field_and_changes_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    ref = (await jane.data(CREATE, {"input": {}}))["createWorkItem"]["ref"]
    before = await footprint()
    error = await jane.error(SUBMIT, {"ref": ref})
    assert error["extensions"]["code"] == "VALIDATION"
    assert [f["field"] for f in error["extensions"]["fields"]] == [
        "title", "description", "category", "primaryContact", "requester"
    ]
    for words in ("title", "description", "category", "primary contact", "requester"):
        assert words in error["message"]
    assert await footprint() == before
    assert (await WorkItem.get(ref=ref)).status.value == "DRAFT"


async def test_submit_names_only_what_is_missing(signed_in):
    jane = await signed_in("jane@example.com")
    ids = await _ids()
    ref = (await jane.data(CREATE, {"input": {"title": "Payslip", "categoryId": ids["payroll"], "requesterId": ids["bob"]}}))["createWorkItem"]["ref"]
    error = await jane.error(SUBMIT, {"ref": ref})
    assert [f["field"] for f in error["extensions"]["fields"]] == ["description", "primaryContact"]


async def test_a_case_needs_a_short_description(signed_in):
    lena = await signed_in("lena@example.com")
    ref = (await lena.data(CREATE, {"input": {"type": "CASE"}}))["createWorkItem"]["ref"]
    assert ref.startswith("C-")
    error = await lena.error(SUBMIT, {"ref": ref})
    assert [f["field"] for f in error["extensions"]["fields"]] == ["title"]
    await lena.data(UPDATE, {"ref": ref, "input": {"title": "Onboard a client"}})
    assert (await lena.data(SUBMIT, {"ref": ref}))["submitWorkItem"]["status"] == "TO_DO"


async def test_submit_puts_a_ticket_in_its_queue_with_the_sla_due_date(signed_in):
    jane = await signed_in("jane@example.com")
    ids = await _ids()
    draft = (await jane.data(CREATE, {"input": {
        "title": "  New starter  ", "description": "Please add Tom to payroll.", "categoryId": ids["payroll"],
        "primaryContactId": ids["bob"], "requesterId": ids["bob"], "customData": {"employeeId": "E-77", "hours": 37.5},
    }}))["createWorkItem"]
    assert draft["status"] == "DRAFT" and draft["version"] == 1
    assert draft["department"]["name"] == "UK Operations"  # jane's group default
    assert draft["company"]["name"] == "Acme Corp"  # from the contacts
    submitted = (await jane.data(SUBMIT, {"ref": draft["ref"], "version": 1}))["submitWorkItem"]
    assert submitted["status"] == "TO_DO"
    assert submitted["version"] == 2
    assert submitted["queue"] == {"name": "Team A queue"} and submitted["team"] == {"name": "Team A"}
    due = datetime.fromisoformat(submitted["dueAt"]) - datetime.fromisoformat(submitted["submittedAt"])
    assert due == timedelta(hours=24)

    item = await WorkItem.get(ref=draft["ref"])
    assert item.title == "New starter"
    entries = await TimelineEntry.filter(work_item_id=item.id).order_by("id")
    assert [e.kind for e in entries] == [TimelineKind.CREATED, TimelineKind.INITIAL_DESCRIPTION, TimelineKind.SUBMITTED]
    assert entries[1].body == "Please add Tom to payroll." and entries[1].is_public
    assert entries[2].data["from"] == "DRAFT" and entries[2].data["to"] == "TO_DO"
    assert all(e.actor_user_id == item.created_by_id for e in entries)
    events = await EventRecord.filter(work_item_id=item.id).order_by("id").values_list("type", flat=True)
    assert events == [
        "work_item.created", "work_item.timeline_entry_added", "work_item.submitted",
        "work_item.timeline_entry_added", "work_item.timeline_entry_added",
    ]


async def test_sla_override_and_explicit_queue(signed_in):
    karina = await signed_in("karina@example.com")
    ids = await _ids()
    ref = (await karina.data(CREATE, {"input": {
        "type": "CASE", "title": "Quarter close", "slaHours": 4, "queueId": ids["queue_b"],
    }}))["createWorkItem"]["ref"]
    submitted = (await karina.data(SUBMIT, {"ref": ref}))["submitWorkItem"]
    due = datetime.fromisoformat(submitted["dueAt"]) - datetime.fromisoformat(submitted["submittedAt"])
    assert due == timedelta(hours=4)
    assert submitted["queue"] == {"name": "Team B queue"}


async def test_only_a_draft_can_be_submitted(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    error = await jane.error(SUBMIT, {"ref": "T-1002"})
    assert error["extensions"] == {"code": "INVALID_TRANSITION", "field": "ref", "from": "TO_DO", "to": "TO_DO"}
    assert await footprint() == before


async def test_a_submitted_item_keeps_what_submit_required(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    before = await footprint()
    cases = [
        ("T-1002", {"title": ""}, "title"),
        ("T-1002", {"title": "   "}, "title"),
        ("T-1002", {"title": None}, "title"),
        ("T-1002", {"description": ""}, "description"),
        ("T-1002", {"categoryId": None}, "categoryId"),
        ("T-1002", {"primaryContactId": None}, "primaryContactId"),
        ("T-1002", {"requesterId": None}, "requesterId"),
        ("C-1001", {"title": ""}, "title"),
    ]
    for ref, input_value, field in cases:
        error = await (lena if ref.startswith("C") else jane).error(UPDATE, {"ref": ref, "input": input_value})
        assert error["extensions"]["code"] == "VALIDATION", (ref, input_value, error)
        assert [f["field"] for f in error["extensions"]["fields"]] == [field], (ref, input_value, error)
        assert field.removesuffix("Id").lower() in error["message"].replace(" ", "").lower(), error
    assert await footprint() == before
    assert (await WorkItem.get(ref="T-1002")).title == "Missing invoice INV-2231"
    # a draft may still be emptied, and a submitted item may change what it keeps
    assert (await jane.data(UPDATE, {"ref": "T-1001", "input": {"title": ""}}))["updateWorkItem"]["title"] is None
    assert (await jane.data(UPDATE, {"ref": "T-1002", "input": {"title": "INV-2231"}}))["updateWorkItem"]["title"] == "INV-2231"
    # a case needs only its short description: clearing a case's category is fine
    assert (await lena.data(UPDATE, {"ref": "C-1001", "input": {"description": None}}))["updateWorkItem"]["ref"] == "C-1001"


FIELDS_CHANGED = """query($ref: String!) { workItem(ref: $ref) {
  timeline(kinds: [FIELDS_CHANGED], showSystemGenerated: true) { edges { node { kind data actor { kind name } } } }
} }"""


async def _fields_changed(client: HttpClient, ref: str) -> list[dict]:
    return [e["node"] for e in (await client.data(FIELDS_CHANGED, {"ref": ref}))["workItem"]["timeline"]["edges"]]


async def test_field_edits_are_one_timeline_entry_with_who_what_from_and_to(signed_in):
    jane = await signed_in("jane@example.com")
    ids = await _ids()
    invoices = (await Category.get(name="Invoices")).id
    assert await _fields_changed(jane, "T-1002") == []
    await jane.data(UPDATE, {"ref": "T-1002", "input": {
        "title": "Missing invoice INV-2231 (February)", "priority": "HIGH", "categoryId": ids["payroll"],
        "contactIds": [ids["piotr"]], "customData": {"po": "4471"}, "slaHours": 8,
        "description": "We have not received invoice INV-2231 for February.",  # unchanged: not recorded
    }})
    [entry] = await _fields_changed(jane, "T-1002")
    assert entry["actor"] == {"kind": "USER", "name": "Jane Cooper"}
    assert entry["data"] == {"changes": [
        {"field": "title", "from": "Missing invoice INV-2231", "to": "Missing invoice INV-2231 (February)"},
        {"field": "categoryId", "from": str(invoices), "to": ids["payroll"], "fromName": "Invoices", "toName": "Payroll"},
        {"field": "contactIds", "from": [], "to": [ids["piotr"]], "fromNames": [], "toNames": ["Piotr Zieliński"]},
        {"field": "priority", "from": "NORMAL", "to": "HIGH"},
        {"field": "customData", "from": {}, "to": {"po": "4471"}},
        {"field": "slaHours", "from": None, "to": 8},
    ]}
    # the people involved are named next to their ids; a mutation that changes nothing adds nothing
    await jane.data(UPDATE, {"ref": "T-1002", "input": {"primaryContactId": ids["piotr"], "requesterId": ids["piotr"]}})
    await jane.data(UPDATE, {"ref": "T-1002", "input": {"priority": "HIGH"}})
    entries = await _fields_changed(jane, "T-1002")
    assert len(entries) == 2
    bob = ids["bob"]  # ids are strings, as everywhere in the timeline
    assert entries[0]["data"] == {"changes": [
        {"field": "primaryContactId", "from": bob, "to": ids["piotr"], "fromName": "Bob Smith", "toName": "Piotr Zieliński"},
        {"field": "requesterId", "from": bob, "to": ids["piotr"], "fromName": "Bob Smith", "toName": "Piotr Zieliński"},
    ]}
    # the company follows the contacts, and is named by its id as a string too
    await jane.data(UPDATE, {"ref": "T-1002", "input": {"primaryContactId": ids["alice"], "requesterId": ids["alice"], "contactIds": []}})
    acme, globex = [str((await Company.get(name=n)).id) for n in ("Acme Corp", "Globex")]
    [company] = [c for c in (await _fields_changed(jane, "T-1002"))[0]["data"]["changes"] if c["field"] == "companyId"]
    assert company == {"field": "companyId", "from": acme, "to": globex, "fromName": "Acme Corp", "toName": "Globex"}


async def test_a_submitted_item_keeps_its_owner_and_visible_text(signed_in):
    """Submit gives a case its owner, and required text must show something: text of only
    invisible characters (zero-width, format, control, any kind of space) is blank."""
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    before = await footprint()
    error = await lena.error(UPDATE, {"ref": "C-1001", "input": {"ownerId": None}})
    assert error["extensions"]["code"] == "VALIDATION" and [f["field"] for f in error["extensions"]["fields"]] == ["ownerId"]
    assert "owner" in error["message"]
    for blank in ("\u200b", "\u200b \u2060", "\ufeff", "\u00a0\u3000", "\t\x00\x1f", "\u202e\u200d"):
        for ref, client, field in (("T-1002", jane, "title"), ("T-1002", jane, "description"), ("C-1001", lena, "title")):
            error = await client.error(UPDATE, {"ref": ref, "input": {field: blank}})
            assert error["extensions"]["code"] == "VALIDATION", (ref, field, repr(blank), error)
            assert [f["field"] for f in error["extensions"]["fields"]] == [field], (ref, field, repr(blank), error)
    assert await footprint() == before
    assert (await WorkItem.get(ref="C-1001")).owner_id == (await User.get(email="lena@example.com")).id
    # visible text with invisible characters around it is text; on a draft, blank text clears the field
    assert (await jane.data(UPDATE, {"ref": "T-1002", "input": {"title": "\u200bINV-2231"}}))["updateWorkItem"]["title"] == "\u200bINV-2231"
    assert (await jane.data(UPDATE, {"ref": "T-1001", "input": {"title": "\u200b"}}))["updateWorkItem"]["title"] is None
    error = await jane.error(SUBMIT, {"ref": "T-1001"})
    assert error["extensions"]["code"] == "VALIDATION" and "title" in [f["field"] for f in error["extensions"]["fields"]]
    # a note needs visible text too
    note = "mutation($ref: String!, $input: NoteInput!) { addNote(ref: $ref, input: $input) { entry { id } } }"
    error = await jane.error(note, {"ref": "T-1002", "input": {"body": "\u200b\u200b"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "body"
    # and so does every part of a split
    split = 'mutation { splitTicket(ref: "T-1003", parts: [{title: "Tax code"}, {title: "\\u200b"}]) { workItem { ref } } }'
    error = await jane.error(split)
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "parts"
    assert await WorkItem.filter(title="Tax code").count() == 0


async def test_stale_version_is_a_conflict_that_changes_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    first = (await jane.data(UPDATE, {"ref": "T-1001", "input": {"title": "v2"}, "version": 1}))["updateWorkItem"]
    assert first["version"] == 2
    before = await footprint()
    error = await jane.error(UPDATE, {"ref": "T-1001", "input": {"title": "v3"}, "version": 1})
    assert error["extensions"] == {"code": "CONFLICT", "field": "version", "currentVersion": 2}
    error = await jane.error(SUBMIT, {"ref": "T-1001", "version": 1})
    assert error["extensions"]["code"] == "CONFLICT"
    assert await footprint() == before
    assert (await WorkItem.get(ref="T-1001")).title == "v2"


async def test_concurrent_updates_with_the_same_version_let_exactly_one_through(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    results = await asyncio.gather(
        *(c.post(UPDATE, {"ref": "T-1001", "input": {"title": f"by {i}"}, "version": 1}) for i, c in enumerate([jane, lena] * 3))
    )
    succeeded = [r for r in results if not r.get("errors")]
    conflicts = [r for r in results if r.get("errors")]
    assert len(succeeded) == 1
    assert {r["errors"][0]["extensions"]["code"] for r in conflicts} == {"CONFLICT"}
    assert (await WorkItem.get(ref="T-1001")).version == 2


async def test_contacts_of_another_company_are_rejected(signed_in):
    jane = await signed_in("jane@example.com")
    ids = await _ids()
    before = await footprint()
    error = await jane.error(CREATE, {"input": {"primaryContactId": ids["bob"], "requesterId": ids["alice"]}})
    assert error["extensions"]["code"] == "VALIDATION"
    assert [f["field"] for f in error["extensions"]["fields"]] == ["requesterId"]
    error = await jane.error(UPDATE, {"ref": "T-1002", "input": {"contactIds": [ids["alice"]]}})
    assert [f["field"] for f in error["extensions"]["fields"]] == ["contactIds"]
    assert await footprint() == before
    # a contact of the same company is fine
    updated = (await jane.data(UPDATE, {"ref": "T-1002", "input": {"contactIds": [ids["piotr"]], "primaryContactId": ids["piotr"]}}))
    assert updated["updateWorkItem"]["primaryContact"] == {"email": "piotr@client.example"}


async def test_bad_input_names_the_field(signed_in):
    jane = await signed_in("jane@example.com")
    ids = await _ids()
    cases = [
        ({"categoryId": "abc"}, "categoryId"),
        ({"categoryId": "999"}, "categoryId"),
        ({"queueId": ids["queue_b"]}, "queueId"),
        ({"customData": {"nested": {"a": 1}}}, "customData"),
        ({"customData": [1, 2]}, "customData"),
        ({"slaHours": 0}, "slaHours"),
        ({"title": "x" * 501}, "title"),
        ({"type": "ACTION"}, "type"),
        ({"departmentId": "0"}, "departmentId"),
        ({"departmentId": "424242"}, "departmentId"),
    ]
    before = await footprint()
    for input_value, field in cases:
        error = await jane.error(CREATE, {"input": input_value})
        assert error["extensions"]["code"] == "VALIDATION", input_value
        assert error["extensions"]["field"] == field, (input_value, error)
    wrong_type = await jane.error(CREATE, {"input": {"priority": "SOMETIMES"}})
    assert wrong_type["extensions"]["code"] == "VALIDATION"
    assert "priority" in wrong_type["message"]
    assert await footprint() == before


async def test_admin_must_name_the_department(signed_in):
    admin = await signed_in("admin@example.com")
    error = await admin.error(CREATE, {"input": {"title": "x"}})
    assert error["extensions"]["field"] == "departmentId"
    ids = await _ids()
    created = await admin.data(CREATE, {"input": {"title": "x", "departmentId": ids["pl"]}})
    assert created["createWorkItem"]["department"]["name"] == "PL Operations"


async def test_references_are_unique_under_concurrent_creation(signed_in):
    jane = await signed_in("jane@example.com")
    results = await asyncio.gather(*(jane.data(CREATE, {"input": {"title": f"t{i}"}}) for i in range(20)))
    refs = [r["createWorkItem"]["ref"] for r in results]
    assert len(set(refs)) == 20
    assert sorted(int(r.split("-")[1]) for r in refs) == list(range(1012, 1032))


async def test_pages_of_at_most_100_with_cursors(signed_in):
    admin = await signed_in("admin@example.com")
    query = "query($first: Int!, $after: String) { workItems(first: $first, after: $after) { edges { cursor node { ref } } pageInfo { hasNextPage endCursor } } }"
    seen, after = [], None
    while True:
        page = (await admin.data(query, {"first": 5, "after": after}))["workItems"]
        seen += [e["node"]["ref"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 15
    assert seen[0] == "T-1011"  # newest first
    for first in (0, 101):
        error = await admin.error(query, {"first": first})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "first"
    error = await admin.error(query, {"first": 5, "after": "bm90IGEgY3Vyc29y"})
    assert error["extensions"]["field"] == "after"


async def test_filters(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    query = "query($f: WorkItemFilter) { workItems(filter: $f, first: 100) { edges { node { ref } } } }"

    async def refs(client: HttpClient, f: dict) -> set[str]:
        return {e["node"]["ref"] for e in (await client.data(query, {"f": f}))["workItems"]["edges"]}

    ids = await _ids()
    assert await refs(admin, {"types": ["CASE"]}) == {"C-1001", "C-1002"}
    assert await refs(admin, {"statuses": ["WAITING"]}) == {"T-1004", "T-1009"}
    assert await refs(admin, {"departmentIds": [ids["pl"]], "statuses": ["TO_DO", "DRAFT"]}) == {"T-1007", "C-1002"}
    assert await refs(jane, {"assignedToMe": True}) == {"T-1003", "T-1004", "T-1005", "T-1006"}
    assert await refs(jane, {"refs": ["t-1002", "T-1007"]}) == {"T-1002"}
    assert await refs(jane, {"myTeams": True, "statuses": ["IN_PROGRESS"]}) == {"T-1003", "C-1001"}


async def test_queries_over_http_get_and_mutations_only_over_post(signed_in):
    jane = await signed_in("jane@example.com")
    result = await jane.get('query($r: String!) { workItem(ref: $r) { ref } }', {"r": "T-1002"})
    assert result == {"data": {"workItem": {"ref": "T-1002"}}}
    response = await jane._http.get(
        "/graphql", params={"query": 'mutation { submitWorkItem(ref: "T-1001") { ref } }'},
        headers={"Authorization": f"Bearer {jane.token}", "Accept": "application/json"},
    )
    assert response.status_code in (400, 405)
    assert (await WorkItem.get(ref="T-1001")).status.value == "DRAFT"
