"""A work item's timeline (SPEC §4, §2.2 rule 8): newest first, kind filter and counts, related
items, merged tickets, system-generated entries, what a portal contact may read, keyset paging,
and a fixed number of SQL statements per page."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from models.contact import Contact
from models.enums import TimelineKind
from models.org import User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock
from tests.support.client import HttpClient
from tests.support.queries import recorded_queries

TIMELINE = """query($ref: String!, $kinds: [TimelineKind!], $related: Boolean, $system: Boolean! = false,
                   $first: Int! = 50, $after: String) {
  workItem(ref: $ref) {
    timeline(kinds: $kinds, includeRelated: $related, showSystemGenerated: $system, first: $first, after: $after) {
      kindsShown kindsTotal kindCounts { kind count }
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind body workItemRef isPublic systemGenerated createdAt actor { kind id name } } }
    }
  }
}"""
ADD_NOTE = """mutation($ref: String!, $body: String!, $public: Boolean! = false) {
  addNote(ref: $ref, input: {body: $body, isPublic: $public}) { entry { id } }
}"""
MERGE = """mutation($ref: String!, $into: String!) { mergeTicket(ref: $ref, into: $into) { workItem { status } } }"""
START_ACTION = """mutation($ref: String!, $title: String!) {
  startAction(ref: $ref, input: {title: $title}) { created { ref } }
}"""
START_SUB_CASE = """mutation($ref: String!, $title: String!) {
  startCase(ref: $ref, input: {title: $title}) { created { ref } }
}"""

COMMUNICATIONS = {"NOTE", "EMAIL_IN", "EMAIL_OUT", "INITIAL_DESCRIPTION", "PORTAL_MESSAGE", "PHONE_CALL", "LETTER"}


async def _timeline(client: HttpClient, ref: str, **variables: Any) -> dict[str, Any]:
    return (await client.data(TIMELINE, {"ref": ref, **variables}))["workItem"]["timeline"]


def _nodes(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in timeline["edges"]]


def _refs(timeline: dict[str, Any]) -> set[str]:
    return {node["workItemRef"] for node in _nodes(timeline)}


def _key(node: dict[str, Any]) -> tuple[datetime, int]:
    return datetime.fromisoformat(node["createdAt"]), int(node["id"])


async def _note(client: HttpClient, ref: str, body: str, public: bool = False) -> str:
    return (await client.data(ADD_NOTE, {"ref": ref, "body": body, "public": public}))["addNote"]["entry"]["id"]


async def test_entries_come_newest_first(signed_in):
    jane = await signed_in("jane@example.com")
    first = await _note(jane, "T-1002", "Asked accounts for a copy")
    second = await _note(jane, "T-1002", "Copy received")
    nodes = _nodes(await _timeline(jane, "T-1002"))
    assert [n["id"] for n in nodes[:2]] == [second, first]
    assert [_key(n) for n in nodes] == sorted((_key(n) for n in nodes), reverse=True)
    assert nodes[0]["actor"] == {"kind": "USER", "id": nodes[0]["actor"]["id"], "name": "Jane Cooper"}
    assert nodes[-1]["kind"] == "CREATED"
    assert _refs(await _timeline(jane, "T-1002")) == {"T-1002"}


async def test_kinds_filter_says_how_many_kinds_it_shows_of_how_many(signed_in):
    jane = await signed_in("jane@example.com")
    await _note(jane, "T-1003", "Checked with HMRC")
    everything = await _timeline(jane, "T-1003")
    kinds = {n["kind"] for n in _nodes(everything)}
    assert {"CREATED", "SUBMITTED", "INITIAL_DESCRIPTION", "ASSIGNED", "STATUS_CHANGED", "NOTE"} <= kinds
    assert everything["kindsShown"] == everything["kindsTotal"] == len(kinds)
    counts = {c["kind"]: c["count"] for c in everything["kindCounts"]}
    assert set(counts) == kinds and sum(counts.values()) == len(everything["edges"])
    # the counts come in the vocabulary's order, for filter chips
    order = [k.value for k in TimelineKind]
    assert [c["kind"] for c in everything["kindCounts"]] == sorted(counts, key=order.index)

    comms = await _timeline(jane, "T-1003", kinds=["NOTE", "INITIAL_DESCRIPTION"])
    assert {n["kind"] for n in _nodes(comms)} == {"NOTE", "INITIAL_DESCRIPTION"}
    assert (comms["kindsShown"], comms["kindsTotal"]) == (2, len(kinds))
    assert comms["kindCounts"] == everything["kindCounts"]

    # a kind that has no entries is not "shown"
    notes = await _timeline(jane, "T-1003", kinds=["NOTE", "EMAIL_IN"])
    assert [n["body"] for n in _nodes(notes)] == ["Checked with HMRC"]
    assert (notes["kindsShown"], notes["kindsTotal"]) == (1, len(kinds))


async def test_a_case_includes_its_actions_and_sub_cases_by_default(signed_in):
    lena = await signed_in("lena@example.com")
    action = (await lena.data(START_ACTION, {"ref": "C-1001", "title": "Collect bank details"}))["startAction"]["created"][0]["ref"]
    sub_case = (await lena.data(START_SUB_CASE, {"ref": "C-1001", "title": "Globex pensions"}))["startCase"]["created"][0]["ref"]
    await _note(lena, action, "Bank form sent to Globex")

    family = (await lena.data('{ workItem(ref: "C-1001") { actions { ref } subCases { ref } } }'))["workItem"]
    assert sub_case in {c["ref"] for c in family["subCases"]} and action in {a["ref"] for a in family["actions"]}

    case = await _timeline(lena, "C-1001")
    assert _refs(case) == {"C-1001", *(i["ref"] for i in family["actions"] + family["subCases"])}
    from_action = [n for n in _nodes(case) if n["workItemRef"] == action]
    assert {n["kind"] for n in from_action} >= {"CREATED", "NOTE"}
    assert "Bank form sent to Globex" in [n["body"] for n in from_action]
    assert [_key(n) for n in _nodes(case)] == sorted((_key(n) for n in _nodes(case)), reverse=True)

    own = await _timeline(lena, "C-1001", related=False)
    assert _refs(own) == {"C-1001"}
    assert "ACTION_STARTED" in {n["kind"] for n in _nodes(own)}
    assert sum(c["count"] for c in own["kindCounts"]) == len(own["edges"]) < len(case["edges"])

    # an action (and a ticket) shows only its own entries by default
    assert _refs(await _timeline(lena, action)) == {action}
    assert _refs(await _timeline(lena, "T-1003")) == {"T-1003"}


async def test_a_merged_ticket_shows_its_targets_entries_and_the_target_its_communications(signed_in):
    jane = await signed_in("jane@example.com")
    await _note(jane, "T-1003", "Employee sent a P45")
    await jane.data(MERGE, {"ref": "T-1003", "into": "T-1002"})

    source = await _timeline(jane, "T-1003")
    assert _refs(source) == {"T-1003", "T-1002"}
    target_description = [n for n in _nodes(source) if n["workItemRef"] == "T-1002" and n["kind"] == "INITIAL_DESCRIPTION"]
    assert [n["body"] for n in target_description] == ["We have not received invoice INV-2231 for February."]
    assert _refs(await _timeline(jane, "T-1003", related=False)) == {"T-1003"}

    # the target shows the source's emails and notes, not its activity ...
    target = await _timeline(jane, "T-1002")
    from_source = [n for n in _nodes(target) if n["workItemRef"] == "T-1003"]
    assert {n["kind"] for n in from_source} == {"NOTE", "INITIAL_DESCRIPTION"}
    assert "Employee sent a P45" in [n["body"] for n in from_source]
    assert "MERGED" in {n["kind"] for n in _nodes(target) if n["workItemRef"] == "T-1002"}
    # ... whether or not related items are asked for; asking for them brings the rest
    assert [n for n in _nodes(await _timeline(jane, "T-1002", related=False)) if n["workItemRef"] == "T-1003"] == from_source
    everything = [n for n in _nodes(await _timeline(jane, "T-1002", related=True)) if n["workItemRef"] == "T-1003"]
    assert {"NOTE", "INITIAL_DESCRIPTION", "STATUS_CHANGED", "MERGED"} <= {n["kind"] for n in everything}


async def test_system_generated_entries_are_hidden_unless_asked_for(signed_in):
    jane = await signed_in("jane@example.com")
    await jane.data(MERGE, {"ref": "T-1003", "into": "T-1002"})

    hidden = await _timeline(jane, "T-1003", related=False)
    assert not any(n["systemGenerated"] for n in _nodes(hidden))
    assert "EMAIL_OUT" not in {c["kind"] for c in hidden["kindCounts"]}

    shown = await _timeline(jane, "T-1003", related=False, system=True)
    notices = [n for n in _nodes(shown) if n["systemGenerated"]]
    assert [(n["kind"], n["actor"]["kind"], n["workItemRef"]) for n in notices] == [("EMAIL_OUT", "SYSTEM", "T-1003")]
    assert "Your request continues as T-1002" in notices[0]["body"]
    assert {c["kind"]: c["count"] for c in shown["kindCounts"]}["EMAIL_OUT"] == 1
    assert shown["kindsTotal"] == hidden["kindsTotal"] + 1
    # the notice is one of the source's emails: the target shows it too, under the same setting
    assert not any(n["systemGenerated"] for n in _nodes(await _timeline(jane, "T-1002")))
    on_target = [n for n in _nodes(await _timeline(jane, "T-1002", system=True)) if n["systemGenerated"]]
    assert [(n["id"], n["workItemRef"]) for n in on_target] == [(notices[0]["id"], "T-1003")]


async def test_a_portal_contact_reads_only_public_entries(signed_in):
    jane = await signed_in("jane@example.com")
    await _note(jane, "T-1002", "Internal: accounts blame the supplier")
    await _note(jane, "T-1002", "We are chasing the invoice for you", public=True)
    bob = await signed_in("bob@client.example")

    # the employees' timeline answers a contact like a missing item; the portal shows the public entries
    assert (await bob.error(TIMELINE_OF, {"ref": "T-1002"}))["extensions"]["code"] == "NOT_FOUND"
    portal = (await bob.data(PORTAL_TIMELINE, {"ref": "T-1002"}))["portalTicket"]["timeline"]
    assert [(e["kind"], e["body"]) for e in portal] == [
        ("INITIAL_DESCRIPTION", (await WorkItem.get(ref="T-1002")).description), ("NOTE", "We are chasing the invoice for you")]
    staff = await _timeline(jane, "T-1002")
    assert len([n for n in _nodes(staff) if n["kind"] == "NOTE"]) == 2


TIMELINE_OF = "query($ref: String!) { workItem(ref: $ref) { timeline { edges { node { kind } } } } }"
PORTAL_TIMELINE = "query($ref: String!) { portalTicket(ref: $ref) { timeline { kind body } } }"


async def test_entries_of_items_the_viewer_may_not_see_never_show(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    await _note(jane, "T-1002", "UK-only context")
    # a UK ticket merged into a PL ticket: UK staff may not see the target, PL staff not the source
    await admin.data(MERGE, {"ref": "T-1002", "into": "T-1007"})

    assert _refs(await _timeline(admin, "T-1002")) == {"T-1002", "T-1007"}
    assert _refs(await _timeline(admin, "T-1007")) == {"T-1007", "T-1002"}
    assert _refs(await _timeline(jane, "T-1002", related=True)) == {"T-1002"}
    pl_view = await _timeline(karina, "T-1007", related=True)
    assert _refs(pl_view) == {"T-1007"}
    assert "UK-only context" not in [n["body"] for n in _nodes(pl_view)]
    assert sum(c["count"] for c in pl_view["kindCounts"]) == len(pl_view["edges"])


async def test_pages_follow_each_other_and_return_every_entry_once(signed_in):
    lena = await signed_in("lena@example.com")
    action = (await lena.data(START_ACTION, {"ref": "C-1001", "title": "Collect bank details"}))["startAction"]["created"][0]["ref"]
    for i in range(8):
        await _note(lena, "C-1001" if i % 2 else action, f"note {i}")
    # entries written in the same instant still page by id
    case_ids = [i.id for i in await WorkItem.filter(ref__in=["C-1001", action])]
    same = await TimelineEntry.filter(work_item_id__in=case_ids).order_by("id").limit(7).values_list("id", flat=True)
    await TimelineEntry.filter(id__in=list(same)).update(created_at=clock.now() - timedelta(hours=1))

    whole = await _timeline(lena, "C-1001", first=100)
    assert not whole["pageInfo"]["hasNextPage"]
    expected = [n["id"] for n in _nodes(whole)]
    assert len(expected) == len(set(expected)) >= 15

    seen: list[str] = []
    after = None
    while True:
        page = await _timeline(lena, "C-1001", first=4, after=after)
        seen += [n["id"] for n in _nodes(page)]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    # paging with a kind filter
    notes = await _timeline(lena, "C-1001", kinds=["NOTE"], first=5)
    rest = await _timeline(lena, "C-1001", kinds=["NOTE"], first=5, after=notes["pageInfo"]["endCursor"])
    assert [n["body"] for n in _nodes(notes) + _nodes(rest)] == [f"note {i}" for i in reversed(range(8))]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_page_size_and_cursor_are_validated(signed_in):
    jane = await signed_in("jane@example.com")
    for first in (0, -1, 101):
        error = await jane.error(TIMELINE, {"ref": "T-1002", "first": first})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "first")
    assert not (await _timeline(jane, "T-1002", first=100))["pageInfo"]["hasNextPage"]
    work_item_cursor = base64.urlsafe_b64encode(b"WorkItem:5").decode()
    for after in ("garbage", "", work_item_cursor, base64.urlsafe_b64encode(b"TimelineEntry:2026-01-01T00:00:00|x").decode()):
        error = await jane.error(TIMELINE, {"ref": "T-1002", "after": after})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "after")


async def test_a_page_of_fifty_entries_costs_a_fixed_number_of_queries(signed_in):
    lena = await signed_in("lena@example.com")
    actions = [
        (await lena.data(START_ACTION, {"ref": "C-1001", "title": title}))["startAction"]["created"][0]["ref"]
        for title in ("Collect bank details", "Set up pay calendar")
    ]
    items = await WorkItem.filter(ref__in=["C-1001", *actions])
    users = await User.filter(email__in=["jane@example.com", "lena@example.com", "admin@example.com"])
    contacts = await Contact.all()
    start = clock.now()
    for i in range(60):
        actor: dict[str, Any] = {}
        if i % 4 == 0:
            actor = {"actor_user_id": users[i % len(users)].id}
        elif i % 4 == 1:
            actor = {"actor_contact_id": contacts[i % len(contacts)].id}
        await TimelineEntry.create(
            work_item_id=items[i % len(items)].id, kind=TimelineKind.NOTE, body=f"entry {i}", data={},
            created_at=start + timedelta(seconds=i), **actor,
        )

    with recorded_queries() as statements:
        timeline = await _timeline(lena, "C-1001", first=50)
    assert len(timeline["edges"]) == 50 and timeline["pageInfo"]["hasNextPage"]
    assert {n["actor"]["kind"] for n in _nodes(timeline)} == {"USER", "CONTACT", "SYSTEM"}
    assert len(_refs(timeline)) == 3
    # viewer (user + scope), the item, its related items (the linked group: its actions, then
    # nothing below them), the page, the kind counts, then one batch per kind of actor (users, contacts);
    # opening the item records it among the recently accessed ones (the upsert, the trim to 50)
    assert len(statements) == 2 + 1 + 2 + 1 + 1 + 2 + 2, "\n".join(statements)
