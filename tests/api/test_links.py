"""Links, header-only visibility of linked items, the linked group, shared emails (SPEC §3)."""

from __future__ import annotations

import pytest

from models.email import Email
from models.enums import TimelineKind
from models.timeline import TimelineEntry
from models.work_item import WorkItem, WorkItemLink
from tests.support.client import HttpClient, ws_session
from tests.support.footprint import footprint

LINK = "mutation($r: String!, $o: String!) { linkWorkItems(ref: $r, otherRef: $o) { notices workItem { ref } } }"
UNLINK = "mutation($r: String!, $o: String!) { unlinkWorkItems(ref: $r, otherRef: $o) { notices } }"
LINKED = """query($r: String!) { workItem(ref: $r) {
  linkedItems { ref type status title restricted team { name } workItem { ref description } }
} }"""
GROUP = "query($r: String!) { workItem(ref: $r) { linkedGroup { ref type restricted } } }"
SHARE = "mutation($e: ID!, $to: String!) { shareEmail(emailId: $e, toRef: $to) { notices } }"
UNSHARE = "mutation($e: ID!, $from: String!) { unshareEmail(emailId: $e, fromRef: $from) { notices } }"


@pytest.fixture
async def admin(signed_in) -> HttpClient:
    return await signed_in("admin@example.com")


async def _linked(client: HttpClient, ref: str) -> list[dict]:
    return (await client.data(LINKED, {"r": ref}))["workItem"]["linkedItems"]


async def test_links_hold_both_ways_once_and_are_on_both_timelines(admin):
    assert (await admin.data(LINK, {"r": "T-1002", "o": "T-1003"}))["linkWorkItems"]["notices"] == []
    again = (await admin.data(LINK, {"r": "T-1003", "o": "t-1002"}))["linkWorkItems"]["notices"]
    assert again == ["T-1003 and T-1002 were already linked."]
    assert await WorkItemLink.all().count() == 1
    assert [i["ref"] for i in await _linked(admin, "T-1002")] == ["T-1003"]
    assert [i["ref"] for i in await _linked(admin, "T-1003")] == ["T-1002"]
    for ref, other in (("T-1002", "T-1003"), ("T-1003", "T-1002")):
        entry = await TimelineEntry.get(work_item__ref=ref, kind=TimelineKind.LINKED)
        assert entry.data["other"] == other
    await admin.data(UNLINK, {"r": "T-1003", "o": "T-1002"})
    assert await _linked(admin, "T-1002") == []
    assert await TimelineEntry.filter(kind=TimelineKind.UNLINKED).count() == 2
    assert (await admin.data(UNLINK, {"r": "T-1003", "o": "T-1002"}))["unlinkWorkItems"]["notices"] == [
        "T-1003 and T-1002 were not linked."
    ]


async def test_bad_links_are_refused_and_change_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    self_link = await jane.error(LINK, {"r": "T-1002", "o": "T-1002"})
    assert self_link["extensions"] == {"code": "VALIDATION", "field": "otherRef", "fields": [{"field": "otherRef", "message": "an item cannot be linked to itself"}]}
    # an item of a department jane may not see cannot be linked by her: it answers like a missing one
    hidden = await jane.error(LINK, {"r": "T-1002", "o": "T-1007"})
    missing = await jane.error(LINK, {"r": "T-1002", "o": "T-9999"})
    assert hidden["extensions"] == missing["extensions"] == {"code": "NOT_FOUND", "field": "otherRef"}
    assert await footprint() == before


async def test_linked_items_outside_my_scope_show_their_header_only(admin, signed_in):
    await admin.data(LINK, {"r": "T-1002", "o": "T-1007"})
    jane = await signed_in("jane@example.com")
    [header] = await _linked(jane, "T-1002")
    assert header == {"ref": "T-1007", "type": "TICKET", "status": "TO_DO", "title": "Zaległa faktura od dostawcy",
                      "restricted": True, "team": {"name": "Team B"}, "workItem": None}
    karina = await signed_in("karina@example.com")
    [other] = await _linked(karina, "T-1007")
    assert other["ref"] == "T-1002" and other["restricted"] is True and other["workItem"] is None
    [full] = await _linked(admin, "T-1002")
    assert full["restricted"] is False and full["workItem"]["description"] == "Faktura FV/2026/11/031 nie została opłacona."


async def test_no_query_shape_reaches_behind_a_header(admin, signed_in):
    await admin.data(LINK, {"r": "T-1002", "o": "T-1007"})
    await admin.data(LINK, {"r": "T-1007", "o": "T-1008"})
    jane = await signed_in("jane@example.com")
    query = """
      fragment Body on WorkItem { description customData requester { email } emails { subject } contacts { email }
                                  timeline { edges { node { body } } } linkedItems { ref workItem { description } } }
      query { a: workItem(ref: "T-1002") { linkedItems { ...Deep } }
              b: workItem(ref: "T-1002") { linkedItems { workItem { ...Body } } linkedGroup { workItem { ...Body } } } }
      fragment Deep on LinkedWorkItem { ref restricted workItem { ...Body linkedItems { workItem { ...Body } } } }
    """
    data = await jane.data(query)
    text = str(data)
    for secret in ("Faktura", "piotr@client.example", "I cannot sign in", "T-1008"):
        assert secret not in text, secret
    assert data["a"]["linkedItems"][0]["restricted"] is True


async def test_creating_an_item_already_linked(signed_in):
    jane = await signed_in("jane@example.com")
    created = await jane.data('mutation { createWorkItem(input: {title: "Follow-up", linkTo: "T-1002"}) { ref } }')
    assert [i["ref"] for i in await _linked(jane, "T-1002")] == [created["createWorkItem"]["ref"]]
    before = await footprint()
    error = await jane.error('mutation { createWorkItem(input: {title: "x", linkTo: "T-1007"}) { ref } }')
    assert error["extensions"]["code"] == "NOT_FOUND" and error["extensions"]["field"] == "linkTo"
    assert await footprint() == before


async def test_the_linked_group_is_structure(admin, signed_in):
    assert [(i["ref"], i["type"]) for i in (await admin.data(GROUP, {"r": "C-1001"}))["workItem"]["linkedGroup"]] == [
        ("A-1001", "ACTION"), ("A-1002", "ACTION")
    ]
    assert [i["ref"] for i in (await admin.data(GROUP, {"r": "A-1001"}))["workItem"]["linkedGroup"]] == ["C-1001", "A-1002"]
    # the demo merged T-1011 into T-1008
    assert [i["ref"] for i in (await admin.data(GROUP, {"r": "T-1008"}))["workItem"]["linkedGroup"]] == ["T-1011"]
    jane = await signed_in("jane@example.com")
    converted = await jane.data('mutation { convertTicketToCase(ref: "T-1003") { created { ref } } }')
    case_ref = converted["convertTicketToCase"]["created"][0]["ref"]
    assert [i["ref"] for i in (await jane.data(GROUP, {"r": "T-1003"}))["workItem"]["linkedGroup"]] == [case_ref]
    # person-made links are not the group
    await admin.data(LINK, {"r": "T-1002", "o": "T-1003"})
    assert [i["ref"] for i in (await jane.data(GROUP, {"r": "T-1003"}))["workItem"]["linkedGroup"]] == [case_ref]


async def test_portal_contacts_see_no_linked_items(admin, signed_in):
    await admin.data(LINK, {"r": "T-1002", "o": "C-1001"})
    bob = await signed_in("bob@client.example")
    error = await bob.error('{ workItem(ref: "T-1002") { linkedItems { ref } linkedGroup { ref } } }')
    assert error["extensions"]["code"] == "NOT_FOUND"  # contacts use the portal, which shows no links
    assert "C-1001" not in str(await bob.data('{ portalTicket(ref: "T-1002") { ref timeline { body } } }'))


async def _resolution_email(jane: HttpClient) -> str:
    email = {"to": ["bob@client.example"], "subject": "Tax code fixed", "body": "It is 1257L."}
    await jane.data('mutation($e: ResolutionEmailInput!) { resolveWorkItem(ref: "T-1003", input: {method: WITH_CUSTOMER_RESPONSE, email: $e}) { notices } }', {"e": email})
    return str((await Email.get(work_item__ref="T-1003", subject="Tax code fixed")).id)


async def test_sharing_an_email_to_a_linked_item_of_another_team(admin, signed_in, live_server):
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    email_id = await _resolution_email(jane)
    await admin.data(LINK, {"r": "T-1003", "o": "T-1008"})
    async with ws_session(live_server.url, karina.token) as session:
        op = await session.subscribe('subscription { workItemUpdated(ref: "T-1008") { kind workItem { hasNewInfo } } }')
        await session.next_for(op)
        # jane sees only T-1008's header, and may still share to it
        assert (await jane.data(SHARE, {"e": email_id, "to": "T-1008"}))["shareEmail"]["notices"] == []
        kinds = set()
        while "EMAIL_SHARED" not in kinds:
            kinds.add((await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"])
    shared = (await karina.data('{ workItem(ref: "T-1008") { hasNewInfo emails { subject sharedFrom } timeline(kinds: [EMAIL_SHARED]) { edges { node { body data workItemRef } } } } }'))["workItem"]
    assert shared["hasNewInfo"] is True
    assert shared["emails"] == [{"subject": "Tax code fixed", "sharedFrom": "T-1003"}]
    [entry] = shared["timeline"]["edges"]
    assert entry["node"]["body"] == "Tax code fixed" and entry["node"]["data"]["sharedFrom"] == "T-1003"
    assert entry["node"]["workItemRef"] == "T-1008"
    assert (await jane.data(SHARE, {"e": email_id, "to": "T-1008"}))["shareEmail"]["notices"] == ["The email was already shared to T-1008."]
    # taking it back: T-1008's followers are told
    async with ws_session(live_server.url, karina.token) as session:
        op = await session.subscribe('subscription { workItemUpdated(ref: "T-1008") { kind } }')
        await session.next_for(op)
        await jane.data(UNSHARE, {"e": email_id, "from": "T-1008"})
        kinds = set()
        while "EMAIL_UNSHARED" not in kinds:
            kinds.add((await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"])
    assert (await karina.data('{ workItem(ref: "T-1008") { emails { subject } } }'))["workItem"]["emails"] == []
    assert await TimelineEntry.filter(work_item__ref="T-1008", kind=TimelineKind.EMAIL_SHARED).count() == 0


async def test_sharing_needs_a_link_and_an_email_one_may_see(admin, signed_in):
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    email_id = await _resolution_email(jane)
    before = await footprint()
    error = await jane.error(SHARE, {"e": email_id, "to": "T-1002"})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "toRef"
    hidden = await karina.error(SHARE, {"e": email_id, "to": "T-1008"})
    missing = await karina.error(SHARE, {"e": "999999", "to": "T-1008"})
    assert hidden["extensions"] == missing["extensions"] == {"code": "NOT_FOUND", "field": "emailId"}
    assert await footprint() == before
    assert await WorkItem.filter(ref="T-1002", has_new_info=True).count() == 0
