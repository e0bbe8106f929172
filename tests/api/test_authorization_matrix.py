"""The authorisation matrix: every root field that can return work-item data, for every kind of
viewer, against items in and out of their scope.

The fields are found from the schema itself: a new query, mutation or subscription that can reach
work-item data fails `test_every_work_item_field_is_in_the_matrix` until it is given a probe here
(fail closed). What each viewer may see is written down as an oracle of its own (tests/support/matrix_world.py) — the rules of
SPEC §1 restated over the stored facts — not computed by the visibility layer under test.

For a target out of scope, every field must answer exactly like a reference that does not exist,
and write nothing; for a target in scope it must not answer "not found". Lists must hold nothing
out of scope (and `workItems` exactly what is in scope).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from graphql import GraphQLObjectType, get_named_type

from models.contact import Contact
from models.enums import WorkItemType
from models.org import Department, Queue, Team
from models.work_item import WorkItem
from server.domain import api_keys
from server.domain.imports import jobs
from server.schema import build_schema
from tests.api import test_work_item_import as work_item_import
from tests.support.client import HttpClient, ws_session
from tests.support.footprint import footprint
from tests.support.matrix_world import MISSING, TARGETS, VIEWERS, World
from tests.support.matrix_world import oracle as _oracle
from tests.support.matrix_world import portal_oracle
from tests.support.matrix_world import work_item_refs as _work_item_refs

WORK_ITEM_DATA = {"WorkItem", "LinkedWorkItem", "TimelineEntry", "EmailMessage", "Notification",
                  # the portal's requester-shaped views of the same data
                  "PortalTicket", "PortalTimelineEntry", "PortalFileContent"}


def _reaches_work_item_data(graphql_type: Any, seen: set[str] | None = None) -> bool:
    seen = seen if seen is not None else set()
    named = get_named_type(graphql_type)
    if named.name in WORK_ITEM_DATA:
        return True
    if not isinstance(named, GraphQLObjectType) or named.name in seen:
        return False
    seen.add(named.name)
    return any(_reaches_work_item_data(f.type, seen) for f in named.fields.values())


def work_item_fields() -> set[str]:
    schema = build_schema()._schema
    found = set()
    for root in ("Query", "Mutation", "Subscription"):
        for name, field in schema.get_type(root).fields.items():
            if _reaches_work_item_data(field.type):
                found.add(f"{root}.{name}")
    return found


# ------------------------------------------------------------------------------------- the probes


def _ref_mutation(field: str, arguments: str = "", selection: str = "workItem { ref }", extra_vars: str = "") -> str:
    return f"mutation($ref: String!{extra_vars}) {{ {field}(ref: $ref{arguments}) {{ {selection} }} }}"


# mutations that take a work item reference: (document, extra variables)
REF_MUTATIONS: dict[str, tuple[str, Callable[[World, str], dict[str, Any]]]] = {
    "updateWorkItem": (_ref_mutation("updateWorkItem", ", input: {}", "ref"), lambda w, r: {}),
    "submitWorkItem": (_ref_mutation("submitWorkItem", "", "ref"), lambda w, r: {}),
    "startWork": (_ref_mutation("startWork"), lambda w, r: {}),
    "returnToQueue": (_ref_mutation("returnToQueue"), lambda w, r: {}),
    "assignWorkItem": (_ref_mutation("assignWorkItem", ", userId: null"), lambda w, r: {}),
    "waitWorkItem": (_ref_mutation("waitWorkItem", ", input: {waitType: MORE_INFO}"), lambda w, r: {}),
    "resolveWorkItem": (_ref_mutation("resolveWorkItem", ", input: {method: REJECTED}"), lambda w, r: {}),
    "reopenWorkItem": (_ref_mutation("reopenWorkItem"), lambda w, r: {}),
    "rejectWork": (_ref_mutation("rejectWork"), lambda w, r: {}),
    "addNote": (_ref_mutation("addNote", ', input: {body: "probe"}'), lambda w, r: {}),
    "markWorkItemRead": (_ref_mutation("markWorkItemRead"), lambda w, r: {}),
    "markWorkItemNew": (_ref_mutation("markWorkItemNew"), lambda w, r: {}),
    "followWorkItem": (_ref_mutation("followWorkItem", "", "ref"), lambda w, r: {}),
    "unfollowWorkItem": (_ref_mutation("unfollowWorkItem", "", "ref"), lambda w, r: {}),
    "mergeTicket": (_ref_mutation("mergeTicket", ", into: $ref"), lambda w, r: {}),
    "splitTicket": (_ref_mutation("splitTicket", ', parts: [{title: "a"}, {title: "b"}]'), lambda w, r: {}),
    "convertTicketToCase": (_ref_mutation("convertTicketToCase"), lambda w, r: {}),
    "startCase": (_ref_mutation("startCase", ', input: {title: "probe"}'), lambda w, r: {}),
    "startAction": (_ref_mutation("startAction", ', input: {title: "probe"}'), lambda w, r: {}),
    "reworkCase": (_ref_mutation("reworkCase", ", step: 1"), lambda w, r: {}),
    "resetCase": (_ref_mutation("resetCase"), lambda w, r: {}),
    "updateChecklist": (_ref_mutation("updateChecklist", ", items: []"), lambda w, r: {}),
    "linkWorkItems": (_ref_mutation("linkWorkItems", ", otherRef: $ref"), lambda w, r: {}),
    "unlinkWorkItems": (_ref_mutation("unlinkWorkItems", ", otherRef: $ref"), lambda w, r: {}),
    "sendEmail": (
        _ref_mutation("sendEmail", ', input: {to: [{address: "probe@client.example"}], subject: "probe"}'), lambda w, r: {}
    ),
    # moved within its own department: in scope it passes the checks, out of scope it must not exist
    "moveWorkItem": (
        _ref_mutation("moveWorkItem", ", departmentId: $department", extra_vars=", $department: ID!"),
        lambda w, r: {"department": str(w.departments.get(r, 1))},
    ),
}
# mutations that reach a work item through one of its emails
EMAIL_MUTATIONS = {
    "shareEmail": "mutation($email: ID!, $ref: String!) { shareEmail(emailId: $email, toRef: $ref) { workItem { ref } } }",
    "unshareEmail": "mutation($email: ID!, $ref: String!) { unshareEmail(emailId: $email, fromRef: $ref) { workItem { ref } } }",
}
LIST_QUERIES = {
    "inbox": "{ inbox(first: 100) { edges { node { ref } } } }",
    "ownedWork": "{ ownedWork(first: 100) { edges { node { ref } } } }",
    "workItems": "{ workItems(first: 100) { edges { node { ref } } } }",
    "search": '{ search(text: "T", first: 100) { edges { node { ref } } } }',
    "followedWorkItems": "{ followedWorkItems(first: 100) { edges { node { ref } } } }",
    "recentWorkItems": "{ recentWorkItems(first: 100) { ref } }",
}
DEEP = """query($ref: String!) { workItem(ref: $ref) { ref
  parent { ref } origin { ref } mergedInto { ref } actions { ref } subCases { ref }
  linkedItems { ref restricted workItem { ref } } linkedGroup { ref restricted workItem { ref } }
  timeline(includeRelated: true, showSystemGenerated: true) { edges { node { workItemRef } } }
  emails { subject sharedFrom }
} }"""

# the portal (SPEC §7): a requester follows their own tickets; everyone else follows none
PORTAL_QUERIES = {
    "portalTicket": "query($ref: String!) { portalTicket(ref: $ref) { ref timeline { kind body } } }",
    "portalTickets": "{ portalTickets(first: 100) { edges { node { ref } } } }",
}
PORTAL_MUTATIONS = {
    "replyToPortalTicket": "mutation($ref: String!) { replyToPortalTicket(ref: $ref, body: \"probe\") { ticket { ref } } }",
    "givePortalFeedback": "mutation($ref: String!) { givePortalFeedback(ref: $ref, rating: 3) { ref } }",
}

# a contact's activity (Contact.activity: its work items) through every field that returns contacts
_ACTIVITY = "activity(first: 25) { edges { node { ref } } }"
CONTACT_FIELDS: dict[str, tuple[str, Callable[[str, str], dict[str, Any]]]] = {  # field → (document, variables of (contact id, a new email))
    "contact": (f"query($id: ID!) {{ contact(id: $id) {{ id {_ACTIVITY} }} }}", lambda c, e: {"id": c}),
    "contacts": (f"{{ contacts(first: 10) {{ edges {{ node {{ id {_ACTIVITY} }} }} }} }}", lambda c, e: {}),
    "updateContact": (f"mutation($id: ID!) {{ updateContact(id: $id, input: {{}}) {{ id {_ACTIVITY} }} }}", lambda c, e: {"id": c}),
    "bulkUpdateContacts": (f"mutation($id: ID!) {{ bulkUpdateContacts(ids: [$id], input: {{office: null}}) {{ id {_ACTIVITY} }} }}",
                           lambda c, e: {"id": c}),
    "addContactTags": (f'mutation($id: ID!) {{ addContactTags(ids: [$id], tags: ["probe"]) {{ id {_ACTIVITY} }} }}', lambda c, e: {"id": c}),
    "removeContactTags": (f'mutation($id: ID!) {{ removeContactTags(ids: [$id], tags: ["probe"]) {{ id {_ACTIVITY} }} }}',
                          lambda c, e: {"id": c}),
    # a new contact is on no work item yet
    "createContact": (f"mutation($email: String!) {{ createContact(input: {{email: $email}}) {{ id {_ACTIVITY} }} }}",
                      lambda c, e: {"email": e}),
}

COVERED = (
    {f"Mutation.{name}" for name in REF_MUTATIONS}
    | {f"Mutation.{name}" for name in EMAIL_MUTATIONS}
    | {f"Query.{name}" for name in LIST_QUERIES}
    | {"Query.workItem", "Query.queueItems", "Query.teamItems", "Query.notifications",
       "Mutation.createWorkItem", "Mutation.getNextWork", "Subscription.workItemUpdated",
       # snapshot, refusal and every push per viewer kind: tests/api/test_push_matrix.py (also
       # tests/subscriptions/test_live_streams.py: another team's flags and shared mail, another
       # user's notifications reach nobody else)
       "Subscription.notifications", "Subscription.newInfoFlags", "Subscription.sharedEmails",
       # a member's current item is hidden from a bar reader who may not see it:
       # tests/api/test_team_bar.py
       "Query.teamBar", "Query.myTeamBars",
       # live: snapshot and pushes per viewer, outsiders NOT_FOUND, contacts and API keys FORBIDDEN:
       # tests/subscriptions/test_team_bar_live.py
       "Subscription.teamBar",
       # admins only; every other viewer FORBIDDEN, nothing written: tests/api/test_unhandled_mail.py
       "Mutation.routeHeldEmail", "Mutation.openWorkItemFromEmail", "Mutation.rejectHeldEmail",
       "Mutation.reprocessHeldEmail", "Mutation.restoreBlockedEmail",
       # a draft is reached by its id, only by its author on an item they may still write to:
       # tests/api/test_compose.py (a colleague, another department: NOT_FOUND, nothing written)
       "Mutation.sendEmailDraft"}
    | {f"Query.{name}" for name in PORTAL_QUERIES}
    | {f"Mutation.{name}" for name in PORTAL_MUTATIONS}
    # the portal's files: tests/api/test_portal_isolation.py (another requester's, staff's: like missing)
    | {"Query.portalAttachment", "Mutation.submitPortalTicket", "Subscription.portalTicketUpdated"}
    | {f"{'Query' if name.startswith('contact') else 'Mutation'}.{name}" for name in CONTACT_FIELDS}
)


def test_every_work_item_field_is_in_the_matrix():
    discovered = work_item_fields()
    assert discovered - COVERED == set(), "fields that return work-item data without a probe in this matrix"
    assert COVERED - discovered == set(), "probes for fields the schema no longer has (or that no longer return work-item data)"


def _without(result: dict, ref: str, missing: str) -> dict:
    """A response with the target's reference replaced, to compare with the missing one's."""
    return eval(repr(result).replace(ref, missing))  # noqa: S307 - our own repr of JSON data


def _not_found_on(result: dict, field: str) -> bool:
    return any(e.get("extensions", {}).get("code") == "NOT_FOUND" and e["extensions"].get("field") == field
               for e in result.get("errors") or [])


# ----------------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_single_item_queries(world: World, viewer: str):
    client = world.clients[viewer]
    missing = await client.post(DEEP, {"ref": MISSING})
    assert _not_found_on(missing, "ref")
    for target in TARGETS + ["A-1001", "C-1002", "T-1011"]:
        ref = world.ref(target)
        result = await client.post(DEEP, {"ref": ref})
        if ref in world.visible[viewer]:
            assert not result.get("errors"), (viewer, ref, result)
            leaked = _work_item_refs(result["data"]) - world.visible[viewer]
            assert not leaked, f"{viewer} reached {leaked} through {ref}"
        else:
            assert _without(result, ref, MISSING) == missing, (viewer, ref)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_lists(world: World, viewer: str):
    client = world.clients[viewer]
    everything = await client.post(LIST_QUERIES["workItems"])
    assert {e["node"]["ref"] for e in everything["data"]["workItems"]["edges"]} == world.visible[viewer]
    for name, document in LIST_QUERIES.items():
        result = await client.post(document)
        if result.get("errors"):
            assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}, (viewer, name, result)
            continue
        assert _work_item_refs(result["data"]) <= world.visible[viewer], (viewer, name)
    for queue in await Queue.all():
        result = await client.post("query($q: ID!) { queueItems(queueId: $q, filter: {statuses: [DRAFT, TO_DO, IN_PROGRESS, WAITING, RESOLVED, CLOSED]}, first: 100) { edges { node { ref } } } }", {"q": str(queue.id)})
        if not result.get("errors"):
            assert _work_item_refs(result["data"]) <= world.visible[viewer], (viewer, queue.name)
    for team in await Team.all():
        result = await client.post("query($t: ID!) { teamItems(teamId: $t, first: 100) { edges { node { ref } } } }", {"t": str(team.id)})
        if result.get("errors"):
            assert {e["extensions"]["code"] for e in result["errors"]} <= {"FORBIDDEN", "NOT_FOUND"}, (viewer, result)
        else:
            assert _work_item_refs(result["data"]) <= world.visible[viewer], (viewer, team.name)
    notes = await client.post("{ notifications { workItemRef text } }")
    if not notes.get("errors"):
        own = {n["workItemRef"] for n in notes["data"]["notifications"]}
        assert viewer == "pl_agent" or "T-1007" not in own or "probe" not in str(notes), (viewer, notes)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_mutations_on_items_out_of_scope_find_nothing_and_write_nothing(world: World, viewer: str):
    """Every ref-taking mutation: out of scope, the same answer as a missing reference and no
    write; in scope, never "not found". (In-scope probes change no item's department, requester
    or creator, so one world serves every field.)"""
    client = world.clients[viewer]
    out_of_scope = [world.ref(t) for t in TARGETS if world.ref(t) not in world.visible[viewer]]
    in_scope = [world.ref(t) for t in TARGETS if world.ref(t) in world.visible[viewer]]
    before = await footprint()
    for field, (document, extra) in sorted(REF_MUTATIONS.items()):
        for ref in out_of_scope:
            # the same arguments, but a reference that does not exist: the answers must not differ
            missing = await client.post(document, {"ref": MISSING, **extra(world, ref)})
            assert _not_found_on(missing, "ref") or missing.get("errors"), (viewer, field, missing)
            result = await client.post(document, {"ref": ref, **extra(world, ref)})
            assert _without(result, ref, MISSING) == missing, (viewer, field, ref, result)
    assert await footprint() == before, f"{viewer} wrote something out of scope"
    for field, (document, extra) in sorted(REF_MUTATIONS.items()):
        for ref in in_scope:
            if viewer in ("outside_assignee", "outside_owner") and ref not in (await _oracle())[viewer]:
                continue  # a probe handed the item they held to someone else: it is no longer theirs
            result = await client.post(document, {"ref": ref, **extra(world, ref)})
            assert not _not_found_on(result, "ref"), (viewer, field, ref, result)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_email_mutations_reach_only_emails_in_scope(world: World, viewer: str):
    client = world.clients[viewer]
    before = await footprint()
    for field, document in sorted(EMAIL_MUTATIONS.items()):
        missing = await client.post(document, {"email": "999999", "ref": "T-1002"})
        assert _not_found_on(missing, "emailId")
        for target in TARGETS:
            ref = world.ref(target)
            email_id = world.emails[ref]
            result = await client.post(document, {"email": email_id, "ref": "T-1002"})
            if ref not in world.visible[viewer]:
                assert eval(repr(result).replace(f"email {email_id} ", "email 999999 ")) == missing, (viewer, field, ref, result)  # noqa: S307
    assert await footprint() == before or any(world.ref(t) in world.visible[viewer] for t in TARGETS)
    for field, document in sorted(EMAIL_MUTATIONS.items()):
        for target in TARGETS:
            ref = world.ref(target)
            if ref in world.visible[viewer]:
                result = await client.post(document, {"email": world.emails[ref], "ref": "T-1002"})
                assert not _not_found_on(result, "emailId"), (viewer, field, ref, result)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_creating_work_needs_access_to_the_department(world: World, viewer: str):
    client = world.clients[viewer]
    may_create = {
        "uk_agent": {"UK Operations"}, "pl_agent": {"PL Operations"}, "public_member": {"PL Operations"},
        "outside_assignee": {"PL Operations"}, "outside_owner": {"PL Operations"},
        "requester": set(), "partner_key": {"PL Operations"}, "admin": {"UK Operations", "PL Operations"},
    }[viewer]
    document = "mutation($d: ID!) { createWorkItem(input: {title: \"probe\", departmentId: $d}) { ref department { name } } }"
    missing = await client.post(document, {"d": "999999"})
    for department in await Department.all():
        before = await footprint()
        result = await client.post(document, {"d": str(department.id)})
        if department.name in may_create:
            assert result["data"]["createWorkItem"]["department"]["name"] == department.name, (viewer, result)
        else:
            if may_create:  # a department one may not see answers like one that does not exist
                assert eval(repr(result).replace(f"department {department.id}", "department 999999")) == missing  # noqa: S307
                assert result["errors"][0]["extensions"]["code"] == "VALIDATION", (viewer, department.name, result)
            else:  # who may create nowhere is told so, whatever the department
                assert result == missing and result["errors"][0]["extensions"]["code"] == "FORBIDDEN", (viewer, result)
            assert await footprint() == before


# what an import job writes of its own: the job, its failures, its progress events
_IMPORT_BOOKKEEPING = ("import_job", "import_failure", "event_log", "event_sequence", "event_channel")


async def _footprint_of_work() -> dict[str, object]:
    return {table: n for table, n in (await footprint()).items() if table not in _IMPORT_BOOKKEEPING}


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_importing_work_needs_access_to_the_department(world: World, viewer: str):
    """importWorkItems returns an ImportJob, not work-item data (so it is not in COVERED), but
    each of its rows creates work: the departments a row may name are those createWorkItem
    accepts, one the viewer may not see answers like one that does not exist, and a viewer who
    may create nowhere is FORBIDDEN before any job."""
    client = world.clients[viewer]
    may_create = {
        "uk_agent": {"UK Operations"}, "pl_agent": {"PL Operations"}, "public_member": {"PL Operations"},
        "outside_assignee": {"PL Operations"}, "outside_owner": {"PL Operations"},
        "requester": set(), "partner_key": {"PL Operations"}, "admin": {"UK Operations", "PL Operations"},
    }[viewer]
    names = [d.name for d in await Department.all().order_by("id")]
    rows = [{"Type": "CASE", "Title": f"probe import {name}", "Department": name} for name in [*names, "No Such Department"]]
    before = await _footprint_of_work()
    body = await work_item_import.send(client, work_item_import.workbook(rows))
    if not may_create:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (viewer, body)
        assert await _footprint_of_work() == before
        return
    await jobs.finished(int(body["data"]["importWorkItems"]["id"]))
    job = (await client.data(work_item_import.STATUS, {"id": body["data"]["importWorkItems"]["id"]}))["importJob"]
    reasons = {f["row"]: f["reason"] for f in job["failures"]}
    missing = reasons.pop(len(rows) + 1)
    for row, name in enumerate(names, start=2):
        created = await WorkItem.filter(title=f"probe import {name}").prefetch_related("department")
        if name in may_create:
            assert row not in reasons and [i.department.name for i in created] == [name], (viewer, name, reasons)
        else:
            assert reasons[row].replace(name, "No Such Department") == missing and created == [], (viewer, name, reasons)
    assert (job["imported"], job["failed"]) == (len(may_create), len(rows) - len(may_create))
    assert (await _footprint_of_work())["work_item"] == before["work_item"] + len(may_create)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_next_work_hands_out_only_work_in_scope(world: World, viewer: str):
    result = await world.clients[viewer].post("mutation { getNextWork { ref } }")
    if result.get("errors"):
        assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}, (viewer, result)
    elif result["data"]["getNextWork"] is not None:
        assert result["data"]["getNextWork"]["ref"] in world.visible[viewer]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_subscriptions(world: World, viewer: str, live_server):
    client = world.clients[viewer]
    query = 'subscription($ref: String!) { workItemUpdated(ref: $ref) { kind workItem { ref } } }'
    async with ws_session(live_server.url, client.token) as session:
        async def first(ref: str) -> dict:
            op = await session.subscribe(query, {"ref": ref})
            message = await session.next_for(op)
            if message["type"] == "next" and message["payload"].get("errors"):
                assert (await session.next_for(op))["type"] == "complete"
            elif message["type"] == "next":
                await session.send({"id": op, "type": "complete"})
            return message

        missing = await first(MISSING)
        for target in TARGETS:
            ref = world.ref(target)
            message = await first(ref)
            if ref in world.visible[viewer]:
                assert message["payload"]["data"]["workItemUpdated"]["workItem"]["ref"] == ref, (viewer, ref)
            else:
                assert _without(message, ref, MISSING) == {**missing, "id": message["id"]}, (viewer, ref)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_pushed_updates_reveal_nothing_the_viewers_query_would_not(world: World, viewer: str, live_server):
    """Not only the subscribe call: every pushed update. A partner system with access to every
    department adds an internal note, then changes the title (a change the portal shows): an
    employee or API key is pushed both; a portal requester only the title change, without who
    made it — the next message after the note is the title change."""
    everywhere = await api_keys.create_api_key("Probe", [d.id for d in await Department.all()], can_write=True, created_by=None)
    writer = HttpClient(world.clients[viewer].base_url, everywhere.token)
    note = 'mutation($ref: String!) { addNote(ref: $ref, input: {body: "internal probe"}) { entry { id } } }'
    retitle = 'mutation($ref: String!) { updateWorkItem(ref: $ref, input: {title: "public probe"}) { ref } }'
    query = "subscription($ref: String!) { workItemUpdated(ref: $ref) { kind actorName changedFields timelineEntryId workItem { ref title } } }"
    try:
        async with ws_session(live_server.url, world.clients[viewer].token) as session:
            for ref in [world.ref(t) for t in TARGETS if world.ref(t) in world.visible[viewer]]:
                op = await session.subscribe(query, {"ref": ref})
                assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
                await writer.data(note, {"ref": ref})
                await writer.data(retitle, {"ref": ref})
                pushed = []
                # the note's entry, then the title change (for staff, with its entry's id)
                expected = 1 if viewer == "requester" else 2
                while len(pushed) < expected:
                    message = await session.next_for(op)
                    pushed.append(message["payload"]["data"]["workItemUpdated"])
                    assert _work_item_refs(pushed[-1]) <= world.visible[viewer], (viewer, ref, pushed)
                if viewer == "requester":
                    assert pushed == [{"kind": "UPDATED", "actorName": None, "changedFields": ["title"], "timelineEntryId": None,
                                       "workItem": {"ref": ref, "title": "public probe"}}], (ref, pushed)
                else:
                    assert [p["kind"] for p in pushed] == ["TIMELINE_ENTRY_ADDED", "UPDATED"], (viewer, ref, pushed)
                    assert {p["actorName"] for p in pushed} == {"Probe"}
                    assert pushed[1]["timelineEntryId"] not in (None, pushed[0]["timelineEntryId"]), (viewer, ref, pushed)
                await session.send({"id": op, "type": "complete"})
    finally:
        await writer.aclose()


# --------------------------------------------------------------------------------- attack shapes


async def test_another_requesters_reference(world: World):
    bob = world.clients["requester"]
    piotrs = await WorkItem.filter(requester__email="piotr@client.example", type=WorkItemType.TICKET).values_list("ref", flat=True)
    assert piotrs  # a requester of the same company as bob
    for ref in piotrs:
        assert _not_found_on(await bob.post('query($r: String!) { workItem(ref: $r) { ref } }', {"r": ref}), "ref")


async def test_many_aliases_and_forged_types(world: World):
    jane = world.clients["uk_agent"]
    aliases = "{ " + " ".join(f'a{i}: workItem(ref: "{ref}") {{ title }}' for i, ref in enumerate(["T-1007", "T-1008", "T-1009", "C-1002", "T-1010"])) + " }"
    result = await jane.post(aliases)
    assert result["data"] is None and {e["extensions"]["code"] for e in result["errors"]} == {"NOT_FOUND"}
    too_many = "{ " + " ".join(f'a{i}: workItem(ref: "T-{1007 + i % 5}") {{ title }}' for i in range(30)) + " }"
    assert {e["extensions"]["code"] for e in (await jane.post(too_many))["errors"]} == {"LIMIT_EXCEEDED"}
    # T-1002 is jane's; the same number under another type, case or spacing is another (missing) item
    for forged in ("C-1002", "A-1002", "T1002", "T-01002", "T-1002 OR 1=1"):
        result = await jane.post('query($r: String!) { workItem(ref: $r) { ref } }', {"r": forged})
        assert _not_found_on(result, "ref") or result["data"]["workItem"]["ref"] in world.visible["uk_agent"], forged


async def test_linking_into_a_department_without_access_writes_nothing(world: World):
    before = await footprint()
    for viewer, ref, other in (("uk_agent", "T-1002", "T-1008"), ("public_member", world.ref("PUBLIC"), "T-1007"),
                               ("partner_key", "T-1007", "T-1002"), ("requester", "T-1002", "T-1003")):
        result = await world.clients[viewer].post(
            "mutation($r: String!, $o: String!) { linkWorkItems(ref: $r, otherRef: $o) { notices } }", {"r": ref, "o": other}
        )
        assert result["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN"), (viewer, result)
    assert await footprint() == before


# ------------------------------------------------------------------------------------ the portal


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_portal_fields(world: World, viewer: str, live_server):
    """portalTicket, portalTickets, the portal's writes and its subscription: a requester reaches
    their own tickets only, and every other reference (and every ticket, for anyone else) answers
    exactly like a missing one, writing nothing."""
    follows = (await portal_oracle())[viewer]
    client = world.clients[viewer]
    listed = await client.post(PORTAL_QUERIES["portalTickets"])
    assert {e["node"]["ref"] for e in listed["data"]["portalTickets"]["edges"]} == follows, (viewer, listed)
    targets = [world.ref(t) for t in TARGETS] + sorted(follows) + ["T-1003", "T-1011"]
    missing = await client.post(PORTAL_QUERIES["portalTicket"], {"ref": MISSING})
    assert _not_found_on(missing, "ref")
    for ref in targets:
        result = await client.post(PORTAL_QUERIES["portalTicket"], {"ref": ref})
        if ref in follows:
            assert result["data"]["portalTicket"]["ref"] == ref
        else:
            assert _without(result, ref, MISSING) == missing, (viewer, ref, result)
    before = await footprint()
    for field, document in sorted(PORTAL_MUTATIONS.items()):
        missing = await client.post(document, {"ref": MISSING})
        assert missing.get("errors"), (viewer, field)
        for ref in targets:
            if ref not in follows:
                result = await client.post(document, {"ref": ref})
                assert _without(result, ref, MISSING) == missing, (viewer, field, ref, result)
    assert await footprint() == before, f"{viewer} wrote through the portal"
    query = "subscription($ref: String!) { portalTicketUpdated(ref: $ref) { kind ticket { ref } } }"
    async with ws_session(live_server.url, client.token) as session:
        async def first(ref: str) -> dict:
            op = await session.subscribe(query, {"ref": ref})
            message = await session.next_for(op)
            if message["type"] == "next" and message["payload"].get("errors"):
                assert (await session.next_for(op))["type"] == "complete"
            elif message["type"] == "next":
                await session.send({"id": op, "type": "complete"})
            return message

        missing = await first(MISSING)
        for ref in targets:
            message = await first(ref)
            if ref in follows:
                assert message["payload"]["data"]["portalTicketUpdated"]["ticket"]["ref"] == ref
            else:
                assert _without(message, ref, MISSING) == {**missing, "id": message["id"]}, (viewer, ref)


# ---------------------------------------------------------------------------- contacts' activity


async def _activity_oracle(viewer: str, world: World) -> dict[str, list[str]]:
    """Each contact's work items the viewer may see, newest first: the stored links (requester,
    primary contact, other contacts) restricted to the matrix oracle's scope."""
    items = await WorkItem.all().prefetch_related("contacts").order_by("-id")
    return {str(c.id): [i.ref for i in items if i.ref in world.visible[viewer]
                        and c.id in (i.requester_id, i.primary_contact_id, *(o.id for o in i.contacts))]
            for c in await Contact.filter(test_mode=False)}


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_a_contacts_activity_holds_only_the_items_in_scope(world: World, viewer: str):
    """Contact.activity through every field that returns contacts: exactly the contact's items
    the viewer may see (a PL requester is also on a UK item and on the public department's item)."""
    piotr = await Contact.get(email="piotr@client.example")
    for ref in ("T-1002", world.ref("PUBLIC")):
        await (await WorkItem.get(ref=ref)).contacts.add(piotr)
    expected = await _activity_oracle(viewer, world)
    assert any(expected.values()) or viewer == "requester"
    client = world.clients[viewer]
    bob = str((await Contact.get(email="bob@client.example")).id)

    def refs(node: dict) -> list[str]:
        return [e["node"]["ref"] for e in node["activity"]["edges"]]

    for field, (document, variables) in sorted(CONTACT_FIELDS.items()):
        for contact_id in sorted(expected):
            result = await client.post(document, variables(contact_id, f"probe-{viewer}-{contact_id}@client.example"))
            if viewer == "requester" and (field != "contacts" and (field != "contact" or contact_id != bob)):
                # a portal contact reads only itself and changes no contact
                assert result["data"] is None and result["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND"), (field, result)
                continue
            assert not result.get("errors"), (viewer, field, result)
            data = result["data"][field]
            nodes = [e["node"] for e in data["edges"]] if field == "contacts" else data if isinstance(data, list) else [data]
            for node in nodes:
                want = [] if field == "createContact" else expected.get(node["id"], [])
                assert refs(node) == want, (viewer, field, node["id"])
