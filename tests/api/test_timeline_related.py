"""A timeline's "include related items" (SPEC §4, seed 004 "Inclure les activités connexes"): for
every type of item, the entries of its linked group (SPEC §3) — a case's actions and sub-cases,
an action's case and sibling actions, the ticket a case came from, split parts, merged tickets —
never those of person-made links, never those of items the viewer may not see."""

from __future__ import annotations

from typing import Any

from models.org import Department
from models.work_item import WorkItem
from tests.support.client import HttpClient
from tests.support.queries import recorded_queries

TIMELINE = """query($ref: String!, $related: Boolean) {
  workItem(ref: $ref) {
    timeline(includeRelated: $related, first: 100) {
      kindCounts { kind count }
      edges { node { kind body workItemRef isPublic } }
    }
  }
}"""
ADD_NOTE = """mutation($ref: String!, $body: String!, $public: Boolean! = false) {
  addNote(ref: $ref, input: {body: $body, isPublic: $public}) { entry { id } }
}"""
START_ACTION = 'mutation($ref: String!) { startAction(ref: $ref, input: {title: "Collect bank details"}) { created { ref } } }'
START_SUB_CASE = 'mutation($ref: String!) { startCase(ref: $ref, input: {title: "Globex pensions"}) { created { ref } } }'
CONVERT = 'mutation($ref: String!) { convertTicketToCase(ref: $ref) { created { ref } } }'
SPLIT = """mutation($ref: String!) {
  splitTicket(ref: $ref, parts: [{title: "February invoice"}, {title: "March invoice"}]) { created { ref } }
}"""
LINK = 'mutation($r: String!, $o: String!) { linkWorkItems(ref: $r, otherRef: $o) { notices } }'


async def _timeline(client: HttpClient, ref: str, related: bool | None = None) -> dict[str, Any]:
    return (await client.data(TIMELINE, {"ref": ref, "related": related}))["workItem"]["timeline"]


def _nodes(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in timeline["edges"]]


def _refs(timeline: dict[str, Any]) -> set[str]:
    return {node["workItemRef"] for node in _nodes(timeline)}


def _bodies(timeline: dict[str, Any], ref: str) -> list[str]:
    return [n["body"] for n in _nodes(timeline) if n["workItemRef"] == ref]


async def _note(client: HttpClient, ref: str, body: str, public: bool = False) -> None:
    await client.data(ADD_NOTE, {"ref": ref, "body": body, "public": public})


async def _created(client: HttpClient, mutation: str, ref: str) -> list[str]:
    data = await client.data(mutation, {"ref": ref})
    return [c["ref"] for c in next(iter(data.values()))["created"]]


async def test_an_action_shows_its_case_and_sibling_actions_when_asked(signed_in):
    lena = await signed_in("lena@example.com")
    await _note(lena, "C-1001", "Globex signed the contract")
    await _note(lena, "A-1002", "Payroll calendar drafted")
    await _note(lena, "A-1001", "Kick-off call held")

    own = await _timeline(lena, "A-1001")
    assert _refs(own) == {"A-1001"} and _refs(await _timeline(lena, "A-1001", related=False)) == {"A-1001"}
    related = await _timeline(lena, "A-1001", related=True)
    assert _refs(related) == {"A-1001", "C-1001", "A-1002"}
    assert "Globex signed the contract" in _bodies(related, "C-1001")
    assert "Payroll calendar drafted" in _bodies(related, "A-1002")
    assert "Kick-off call held" in _bodies(related, "A-1001")
    # the counts are those of the entries in scope
    assert sum(c["count"] for c in related["kindCounts"]) == len(related["edges"]) > len(own["edges"])


async def test_a_case_shows_its_sub_cases_and_a_sub_case_its_parent(signed_in):
    lena = await signed_in("lena@example.com")
    [sub_case] = await _created(lena, START_SUB_CASE, "C-1001")
    await _note(lena, sub_case, "Pension scheme chosen")
    await _note(lena, "C-1001", "Parent case note")

    case = await _timeline(lena, "C-1001")  # on by default for cases
    assert _refs(case) == {"C-1001", "A-1001", "A-1002", sub_case}
    assert "Pension scheme chosen" in _bodies(case, sub_case)
    # a sub-case is a case: its parent and the parent's actions are its related items
    sub = await _timeline(lena, sub_case)
    assert _refs(sub) == {sub_case, "C-1001", "A-1001", "A-1002"}
    assert "Parent case note" in _bodies(sub, "C-1001")
    assert _refs(await _timeline(lena, sub_case, related=False)) == {sub_case}


async def test_a_converted_ticket_and_its_case_show_each_other(signed_in):
    jane = await signed_in("jane@example.com")
    await _note(jane, "T-1003", "Employee sent a P45")
    [case] = await _created(jane, CONVERT, "T-1003")
    await _note(jane, case, "HMRC contacted about the tax code")
    [action] = await _created(jane, START_ACTION, case)

    assert _refs(await _timeline(jane, "T-1003")) == {"T-1003"}  # off by default for tickets
    ticket = await _timeline(jane, "T-1003", related=True)
    assert _refs(ticket) == {"T-1003", case, action}
    assert "HMRC contacted about the tax code" in _bodies(ticket, case)
    assert {"CASE_STARTED", "ACTION_STARTED"} <= {n["kind"] for n in _nodes(ticket) if n["workItemRef"] == case}
    # the case shows the ticket it came from, the action the ticket and the case
    assert "Employee sent a P45" in _bodies(await _timeline(jane, case), "T-1003")
    assert _refs(await _timeline(jane, action, related=True)) == {action, case, "T-1003"}


async def test_a_split_ticket_and_its_parts_show_each_other(signed_in):
    jane = await signed_in("jane@example.com")
    parts = await _created(jane, SPLIT, "T-1002")
    await _note(jane, parts[0], "February copy requested")
    await _note(jane, "T-1002", "Split by month")

    source = await _timeline(jane, "T-1002", related=True)
    assert _refs(source) == {"T-1002", *parts}
    assert "February copy requested" in _bodies(source, parts[0])
    part = await _timeline(jane, parts[1], related=True)
    assert _refs(part) == {"T-1002", *parts}
    assert "Split by month" in _bodies(part, "T-1002")
    assert _refs(await _timeline(jane, parts[1])) == {parts[1]}


async def test_person_made_links_are_not_related_items(signed_in):
    jane = await signed_in("jane@example.com")
    await jane.data(LINK, {"r": "T-1002", "o": "T-1003"})
    await _note(jane, "T-1003", "Linked ticket's note")
    timeline = await _timeline(jane, "T-1002", related=True)
    assert _refs(timeline) == {"T-1002"}
    assert "LINKED" in {n["kind"] for n in _nodes(timeline)}


async def test_related_items_the_viewer_may_not_see_contribute_nothing(signed_in):
    lena = await signed_in("lena@example.com")
    karina = await signed_in("karina@example.com")
    await _note(lena, "A-1002", "Moved to the Polish team")
    await _note(lena, "C-1001", "UK-only case note")
    # an action of the UK case handled in the PL department, held by nobody of the UK (an
    # assignee from outside a department sees the item they hold)
    pl = await Department.get(name="PL Operations")
    await WorkItem.filter(ref="A-1002").update(department_id=pl.id, assignee_id=None)

    uk_view = await _timeline(lena, "A-1001", related=True)
    assert _refs(uk_view) == {"A-1001", "C-1001"}
    assert "Moved to the Polish team" not in [n["body"] for n in _nodes(uk_view)]
    pl_view = await _timeline(karina, "A-1002", related=True)
    assert _refs(pl_view) == {"A-1002"}
    assert "UK-only case note" not in [n["body"] for n in _nodes(pl_view)]
    assert sum(c["count"] for c in pl_view["kindCounts"]) == len(pl_view["edges"])


async def test_a_portal_contact_sees_no_related_case_and_only_public_entries(signed_in):
    jane = await signed_in("jane@example.com")
    await _note(jane, "T-1003", "We are looking into it", public=True)
    await _note(jane, "T-1003", "Internal: payroll software bug")
    [case] = await _created(jane, CONVERT, "T-1003")
    await _note(jane, case, "Case note for the customer", public=True)
    bob = await signed_in("bob@client.example")

    portal = (await bob.data("query($ref: String!) { portalTicket(ref: $ref) { timeline { kind body } } }", {"ref": "T-1003"}))["portalTicket"]
    bodies = [e["body"] for e in portal["timeline"]]
    assert "We are looking into it" in bodies
    assert "Internal: payroll software bug" not in bodies and "Case note for the customer" not in bodies
    assert case not in str(portal)


async def test_an_actions_related_timeline_costs_a_fixed_number_of_queries(signed_in):
    lena = await signed_in("lena@example.com")
    for ref in ("C-1001", "A-1001", "A-1002"):
        for i in range(5):
            await _note(lena, ref, f"{ref} note {i}")
    with recorded_queries() as few:
        small = await _timeline(lena, "A-1001", related=True)
    # more related items and more entries: the same statements
    for _ in range(3):
        [action] = await _created(lena, START_ACTION, "C-1001")
        await _note(lena, action, "another note")
    with recorded_queries() as statements:
        timeline = await _timeline(lena, "A-1001", related=True)
    assert len(_refs(timeline)) == 6 and len(timeline["edges"]) > len(small["edges"])
    # viewer (user + scope), the item, the linked group (one statement per level of structure:
    # the case; its actions; nothing below them), the page, the kind counts, the actors (users);
    # opening the item records it among the recently accessed ones (the upsert, the trim to 50)
    assert len(statements) == len(few) == 2 + 1 + 3 + 1 + 1 + 1 + 2, "\n".join(statements)
