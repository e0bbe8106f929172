"""Portal isolation (SPEC §7): a requester reaches another requester's ticket, internal notes
and staff details through no query shape — the employees' API (workItem, workItems, lists,
timelines, emails and their sources and attachments, notifications, workItemUpdated), the
portal's own fields (portalTicket(s), portalAttachment, portalTicketUpdated) — each answering
exactly like something missing; and their own ticket's public timeline holds only public
communications with them: no internal note, no staff address, no draft, no mail to others."""

from __future__ import annotations

from models.contact import Contact
from models.email import Email, EmailAttachment
from models.enums import EmailDirection, EmailStatus
from models.org import User
from models.portal import PortalAttachment
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import outbox, timeline
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from tests.api.test_compose_uploads import upload
from tests.support.client import ws_session

MISSING = "T-9999"
ITEM = "query($ref: String!) { workItem(ref: $ref) { ref title timeline { edges { node { kind body } } } emails { subject } assignee { email } } }"
PORTAL = ("query($ref: String!) { portalTicket(ref: $ref) { ref title status requesterName "
          "timeline { kind authorName subject body attachments { id filename } } } }")
SUBMIT = "mutation($input: SubmitPortalTicketInput!) { submitPortalTicket(input: $input) { ref timeline { attachments { id } } } }"


def _like_missing(result: dict, ref: str, missing: str = MISSING) -> dict:
    """The answer with `ref` written as `missing` in its data and messages (locations left alone)."""
    def swap(value):
        if isinstance(value, str):
            return value.replace(ref, missing)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k == "locations" else swap(v)) for k, v in value.items()}
        return value
    return swap(result)


async def _category(client) -> str:
    return (await client.data("{ categories(first: 1) { edges { node { id } } } }"))["categories"]["edges"][0]["node"]["id"]


async def _a_world(signed_in):
    """bob's ticket with staff activity on it: notes, mail to him, to someone else, a draft."""
    bob = await signed_in("bob@client.example")
    jane_user = await User.get(email="jane@example.com")
    jane = await user_viewer(jane_user)
    ticket = (await bob.data(SUBMIT, {"input": {"title": "Mine", "description": "My question", "categoryId": await _category(bob)}}))["submitPortalTicket"]
    mine = await WorkItem.get(ref=ticket["ref"])
    async with unit_of_work() as uow:
        await timeline.note(uow, mine, jane, "INTERNAL: the requester is difficult", is_public=False)
        await timeline.note(uow, mine, jane, "We are on it", is_public=True)
        to_bob = await outbox.queue_email(uow, mine, jane, to=["bob@client.example"], subject="Answer for you", body="Here it is")
        await outbox.queue_email(uow, mine, jane, to=["auditor@elsewhere.example"], subject="SECRET to a third party", body="x")
    await Email.create(work_item_id=mine.id, direction=EmailDirection.OUTBOUND, status=EmailStatus.DRAFT, subject="DRAFT by jane",
                       to_addresses=["bob@client.example"], created_by_id=jane_user.id)
    await EmailAttachment.create(email_id=to_bob.id, filename="a.txt", size=1, content=b"x")
    return bob, mine, to_bob


async def test_another_requesters_ticket_answers_like_a_missing_one_everywhere(signed_in, client):
    bob, mine, to_bob = await _a_world(signed_in)
    piotr = await Contact.get(email="piotr@client.example")
    other = await WorkItem.filter(type="TICKET").exclude(requester_id=(await Contact.get(email="bob@client.example")).id).exclude(status="DRAFT").first()
    await WorkItem.filter(id=other.id).update(requester_id=piotr.id, company_id=piotr.company_id)
    async with unit_of_work() as uow:
        entry = await timeline.note(uow, other, await user_viewer(await User.get(email="jane@example.com")), "theirs", is_public=True)
    theirs_file = await PortalAttachment.create(work_item_id=other.id, timeline_entry_id=entry.id, filename="theirs.pdf", size=3, content=b"abc")

    for ref in (other.ref, mine.ref):  # the employees' API: nothing, not even bob's own ticket
        assert _like_missing(await bob.post(ITEM, {"ref": ref}), ref) == await bob.post(ITEM, {"ref": MISSING})
    missing = await bob.post(PORTAL, {"ref": MISSING})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert _like_missing(await bob.post(PORTAL, {"ref": other.ref}), other.ref) == missing
    lists = await bob.data("""{ workItems(first: 100) { edges { node { ref } } }
        portalTickets(first: 100) { edges { node { ref } } } }""")
    assert lists["workItems"]["edges"] == []
    assert other.ref not in str(lists["portalTickets"]) and mine.ref in str(lists["portalTickets"])
    for document in ("{ inbox(first: 10) { edges { node { ref } } } }", "{ ownedWork(first: 10) { edges { node { ref } } } }",
                     "{ notifications { text } }", "{ unreadNotificationCount }", "{ outbox { edges { node { subject } } } }"):
        result = await bob.post(document)
        if result.get("errors"):
            assert {e["extensions"]["code"] for e in result["errors"]} <= {"FORBIDDEN", "NOT_FOUND"}, (document, result)
        else:  # a contact has no notifications
            assert result["data"] in ({"notifications": []}, {"unreadNotificationCount": 0}), (document, result)
        assert "SECRET" not in str(result) and "INTERNAL" not in str(result)
    # emails and their sources and attachments: like ids that do not exist
    attachment = await EmailAttachment.get(email_id=to_bob.id)
    for document, known, unknown in (
        ("query($id: ID!) { emailAttachment(attachmentId: $id) { base64 } }", str(attachment.id), "999999"),
        ("query($id: ID!) { emailSource(emailId: $id) { base64 } }", str(to_bob.id), "999999"),
        ("query($id: ID!) { portalAttachment(attachmentId: $id) { base64 } }", str(theirs_file.id), "999999"),
    ):
        result, absent = await bob.post(document, {"id": known}), await bob.post(document, {"id": unknown})
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND" and _like_missing(result, known, unknown) == absent, document
    # live: workItemUpdated finds nothing; portalTicketUpdated only bob's own tickets
    async with ws_session(client.base_url, bob.token) as ws:
        async def first(query: str, variables: dict) -> dict:
            op = await ws.subscribe(query, variables)
            message = await ws.next_for(op)
            if message["type"] == "next" and message["payload"].get("errors"):
                assert (await ws.next_for(op))["type"] == "complete"
            return message

        for query, field in (("subscription($ref: String!) { workItemUpdated(ref: $ref) { kind } }", "workItemUpdated"),
                             ("subscription($ref: String!) { portalTicketUpdated(ref: $ref) { kind } }", "portalTicketUpdated")):
            absent = await first(query, {"ref": MISSING})
            for ref in (other.ref,) + ((mine.ref,) if field == "workItemUpdated" else ()):
                message = await first(query, {"ref": ref})
                assert message["payload"].get("errors") and _like_missing(message["payload"], ref) == absent["payload"], (field, ref)


async def test_the_public_timeline_holds_no_internal_note_staff_address_draft_or_others_mail(signed_in):
    bob, mine, _ = await _a_world(signed_in)
    ticket = (await bob.data(PORTAL, {"ref": mine.ref}))["portalTicket"]
    text = str(ticket)
    for secret in ("INTERNAL", "SECRET", "DRAFT by jane", "jane@example.com", "auditor@", "example.com"):
        assert secret not in text, secret
    assert [(e["kind"], e["subject"], e["body"]) for e in ticket["timeline"]] == [
        ("INITIAL_DESCRIPTION", None, "My question"), ("NOTE", None, "We are on it"), ("EMAIL_OUT", "Answer for you", "Here it is")]
    jane_name = (await User.get(email="jane@example.com")).name
    assert [e["authorName"] for e in ticket["timeline"]] == ["Bob Smith", jane_name, jane_name]
    # staff see all of it
    assert await TimelineEntry.filter(work_item_id=mine.id, body__contains="INTERNAL").exists()


async def test_a_requester_cannot_attach_to_or_read_files_of_tickets_they_do_not_follow(signed_in):
    bob = await signed_in("bob@client.example")
    variables = {"input": {"title": "With a file", "description": "d", "categoryId": await _category(bob), "attachments": [{"file": None}]}}
    response = await upload(bob, SUBMIT, variables, {"input.attachments.0.file": ("f.txt", b"hello", "text/plain")})
    file_id = response.json()["data"]["submitPortalTicket"]["timeline"][0]["attachments"][0]["id"]
    karina = await signed_in("karina@example.com")  # PL staff: bob's ticket is in UK Operations
    result = await karina.post("query($id: ID!) { portalAttachment(attachmentId: $id) { base64 } }", {"id": file_id})
    absent = await karina.post("query($id: ID!) { portalAttachment(attachmentId: $id) { base64 } }", {"id": "999999"})
    assert _like_missing(result, file_id, "999999") == absent and absent["errors"][0]["extensions"]["code"] == "NOT_FOUND"
