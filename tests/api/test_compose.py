"""Composing email on a work item over GraphQL (SPEC §5.1, §2.2 rule 1): send at once to contacts
and free addresses, drafts (save, edit, discard, send — their author's only), who may compose,
sanitised HTML, the bounds, an empty draft ticket filled from the email, and an outgoing email's
state on the timeline (scheduled by whom, for when; send now / cancel from there)."""

from __future__ import annotations

from datetime import timedelta

from models.contact import Contact
from models.email import Email, EmailRecipient
from models.enums import EmailStatus, RecipientKind
from models.org import Department, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import api_keys, clock, compose
from server.domain.viewer import user_viewer
from tests.support.client import HttpClient
from tests.support.footprint import footprint
from tests.support.queries import recorded_queries

EMAIL = "id status workItemRef to cc bcc subject textBody htmlBody importance scheduledFor nextAttemptAt templateId attachments { id filename }"
SEND = f"""mutation($ref: String!, $input: ComposeEmailInput!) {{ sendEmail(ref: $ref, input: $input) {{
  email {{ {EMAIL} }} workItem {{ ref title description status assignee {{ name }} }} }} }}"""
SAVE = f"mutation($ref: String!, $input: ComposeEmailInput!) {{ saveEmailDraft(ref: $ref, input: $input) {{ {EMAIL} }} }}"
UPDATE = f"""mutation($id: ID!, $input: ComposeEmailInput!, $remove: [ID!]) {{
  updateEmailDraft(id: $id, input: $input, removeAttachmentIds: $remove) {{ {EMAIL} }} }}"""
DISCARD = "mutation($id: ID!) { discardEmailDraft(id: $id) }"
SEND_DRAFT = f"mutation($id: ID!) {{ sendEmailDraft(id: $id) {{ email {{ {EMAIL} }} workItem {{ ref title description }} }} }}"
DRAFTS = "query($ref: String) { emailDrafts(ref: $ref) { id subject workItemRef } }"
OUTBOX = "{ outbox(view: ALL) { edges { node { id subject status } } } }"
TIMELINE = """query($ref: String!) { workItem(ref: $ref) { timeline(first: 100, kinds: [EMAIL_OUT, FIELDS_CHANGED]) { edges { node {
  kind body data actor { name }
  outgoingEmail { emailId status scheduledFor scheduledById scheduledByName nextAttemptAt sentAt cancelledAt cancelledByName
                  attempts error canSendNow canCancel }
} } } } }"""
EMAILS = "query($ref: String!) { workItem(ref: $ref) { emails { id status subject } } }"


def _code(error: dict) -> tuple[str, str | None]:
    return error["extensions"]["code"], error["extensions"].get("field")


async def _bob() -> Contact:
    return await Contact.get(email="bob@client.example")


async def test_send_to_a_contact_and_a_free_address(signed_in):
    jane = await signed_in("jane@example.com")
    bob = await _bob()
    data = await jane.data(SEND, {"ref": "T-1002", "input": {
        "to": [{"contactId": str(bob.id)}, {"address": "Carol Jones <Carol@Partner.example>"}],
        "cc": [{"address": "cc@partner.example"}], "bcc": [{"address": "audit@acme.example"}, {"contactId": str(bob.id)}],
        "subject": "  Your invoice  ", "textBody": "We found it.", "importance": "HIGH",
    }})
    email = data["sendEmail"]["email"]
    assert email == {**email, "status": "QUEUED", "workItemRef": "T-1002", "to": ["bob@client.example", "carol@partner.example"],
                     "cc": ["cc@partner.example"], "bcc": ["audit@acme.example"], "subject": "Your invoice",
                     "textBody": "We found it.", "htmlBody": None, "importance": "HIGH", "attachments": []}
    # every envelope recipient once, under the first field that names it
    recipients = {r.address: r.kind for r in await EmailRecipient.filter(email_id=int(email["id"]))}
    assert recipients == {"bob@client.example": RecipientKind.TO, "carol@partner.example": RecipientKind.TO,
                          "cc@partner.example": RecipientKind.CC, "audit@acme.example": RecipientKind.BCC}
    stored = await Email.get(id=int(email["id"]))
    assert stored.message_id and stored.reply_to == "uk-ops@acme.example" and stored.from_name == "UK Operations"
    # a person writing on a TO_DO item takes it (rule 2); the email is in the outbox and on the timeline
    assert data["sendEmail"]["workItem"] == {**data["sendEmail"]["workItem"], "status": "IN_PROGRESS", "assignee": {"name": "Jane Cooper"}}
    assert email["id"] in [e["node"]["id"] for e in (await jane.data(OUTBOX))["outbox"]["edges"]]
    entries = (await jane.data(TIMELINE, {"ref": "T-1002"}))["workItem"]["timeline"]["edges"]
    assert [(e["node"]["kind"], e["node"]["body"], e["node"]["actor"]["name"]) for e in entries] == [("EMAIL_OUT", "Your invoice", "Jane Cooper")]


async def test_a_bad_recipient_or_an_oversize_field_is_named_and_nothing_is_stored(signed_in):
    jane = await signed_in("jane@example.com")
    alice = await Contact.get(email="alice@globex.example")  # Globex: not a contact T-1002 (Acme) may have
    before = await footprint()
    cases = [
        ({"to": [{"address": "client@example.org"}], "cc": [{"address": "not an address"}], "subject": "Hi"}, "cc", "'not an address'"),
        ({"to": [{"contactId": str(alice.id)}], "subject": "Hi"}, "to", f"contact {alice.id} does not exist"),
        ({"to": [{"contactId": "999999"}], "subject": "Hi"}, "to", "contact 999999 does not exist"),
        ({"to": [{"address": "a@b.example", "contactId": str(alice.id)}], "subject": "Hi"}, "to", "either a contactId or an address"),
        ({"to": [], "subject": "Hi"}, "to", "at least one recipient"),
        ({"to": [{"address": "a@b.example"}], "subject": "  "}, "subject", "needs a subject"),
        ({"to": [{"address": "a@b.example"}], "subject": "x" * 1001}, "subject", "at most 1000 characters"),
        ({"to": [{"address": "a@b.example"}], "subject": "Hi", "textBody": "x" * 100_001}, "textBody", "at most 100000"),
        ({"to": [{"address": f"r{n}@b.example"} for n in range(101)], "subject": "Hi"}, "to", "at most 100 recipients"),
        ({"to": [{"address": "a@b.example"}], "subject": "Hi", "scheduledFor": (clock.now() - timedelta(minutes=1)).isoformat()},
         "scheduledFor", "in the future"),
    ]
    for composed, field, said in cases:
        error = await jane.error(SEND, {"ref": "T-1002", "input": composed})
        assert _code(error) == ("VALIDATION", field) and said in error["message"], (composed, error)
    error = await jane.error(SAVE, {"ref": "T-1002", "input": {"to": [{"address": "nope"}]}})
    assert _code(error) == ("VALIDATION", "to")  # a draft is checked as any email
    assert await footprint() == before


async def test_drafts_are_saved_edited_discarded_and_sent_by_their_author_only(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    bob = await _bob()
    draft = (await jane.data(SAVE, {"ref": "T-1002", "input": {"subject": "Half written"}}))["saveEmailDraft"]
    assert (draft["status"], draft["to"], draft["subject"], draft["nextAttemptAt"]) == ("DRAFT", [], "Half written", None)
    # not in the outbox, not on the timeline, not sent; its author's only
    assert draft["id"] not in [e["node"]["id"] for e in (await jane.data(OUTBOX))["outbox"]["edges"]]
    assert not (await jane.data(TIMELINE, {"ref": "T-1002"}))["workItem"]["timeline"]["edges"]
    assert (await WorkItem.get(ref="T-1002")).status.value == "TO_DO"  # saving a draft is not working the item
    assert [d["id"] for d in (await jane.data(DRAFTS, {"ref": "T-1002"}))["emailDrafts"]] == [draft["id"]]
    assert [d["workItemRef"] for d in (await jane.data(DRAFTS))["emailDrafts"]] == ["T-1002"]
    assert draft["id"] in [e["id"] for e in (await jane.data(EMAILS, {"ref": "T-1002"}))["workItem"]["emails"]]
    assert draft["id"] not in [e["id"] for e in (await lena.data(EMAILS, {"ref": "T-1002"}))["workItem"]["emails"]]
    assert (await lena.data(DRAFTS, {"ref": "T-1002"}))["emailDrafts"] == []

    # sending an incomplete draft is refused, and it stays a draft
    assert _code(await jane.error(SEND_DRAFT, {"id": draft["id"]})) == ("VALIDATION", "to")
    before = await footprint()
    for document, variables in ((UPDATE, {"id": draft["id"], "input": {"subject": "Lena's now"}}), (DISCARD, {"id": draft["id"]}),
                                (SEND_DRAFT, {"id": draft["id"]})):
        assert _code(await lena.error(document, variables)) == ("NOT_FOUND", "id")  # a colleague's draft: as if missing
    assert await footprint() == before

    edited = (await jane.data(UPDATE, {"id": draft["id"], "input": {
        "to": [{"contactId": str(bob.id)}], "subject": "Fully written", "textBody": "Here it is.", "importance": "LOW",
    }}))["updateEmailDraft"]
    assert edited == {**edited, "id": draft["id"], "status": "DRAFT", "to": ["bob@client.example"], "subject": "Fully written",
                      "textBody": "Here it is.", "importance": "LOW"}
    sent = (await jane.data(SEND_DRAFT, {"id": draft["id"]}))["sendEmailDraft"]["email"]
    assert (sent["id"], sent["status"], sent["to"], sent["subject"]) == (draft["id"], "QUEUED", ["bob@client.example"], "Fully written")
    assert [r.address for r in await EmailRecipient.filter(email_id=int(draft["id"]))] == ["bob@client.example"]
    assert _code(await jane.error(SEND_DRAFT, {"id": draft["id"]})) == ("NOT_FOUND", "id")  # no longer a draft
    assert (await jane.data(DRAFTS))["emailDrafts"] == []

    other = (await jane.data(SAVE, {"ref": "T-1002", "input": {"subject": "Never mind"}}))["saveEmailDraft"]
    assert (await jane.data(DISCARD, {"id": other["id"]}))["discardEmailDraft"] == other["id"]
    assert not await Email.exists(id=int(other["id"]))


async def test_an_agent_of_another_department_finds_nothing(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    draft = (await jane.data(SAVE, {"ref": "T-1002", "input": {"subject": "Mine"}}))["saveEmailDraft"]
    before = await footprint()
    composed = {"to": [{"address": "client@example.org"}], "subject": "Hi"}
    for document in (SEND, SAVE):
        assert _code(await karina.error(document, {"ref": "T-1002", "input": composed})) == ("NOT_FOUND", "ref")
    assert _code(await karina.error(UPDATE, {"id": draft["id"], "input": composed})) == ("NOT_FOUND", "id")
    assert _code(await karina.error(DRAFTS, {"ref": "T-1002"})) == ("NOT_FOUND", "ref")
    assert await footprint() == before


async def test_a_requester_or_an_api_key_cannot_compose(signed_in, client: HttpClient):
    uk = await Department.get(name="UK Operations")
    bob_token = await client.login("bob@client.example")  # the portal requester of T-1002
    composed = {"to": [{"address": "client@example.org"}], "subject": "Hi"}
    keys = [await api_keys.create_api_key(f"ERP {writes}", [uk.id], can_write=writes, created_by=None) for writes in (True, False)]
    before = await footprint()
    for token in (bob_token, *(key.token for key in keys)):
        for document in (SEND, SAVE):
            error = await client.error(document, {"ref": "T-1002", "input": composed}, token=token)
            # a contact finds no item in the employees' API at all (they reply on the portal)
            assert error["extensions"]["code"] == ("NOT_FOUND" if token == bob_token else "FORBIDDEN"), error
    assert await footprint() == before


async def test_html_is_sanitised_and_gives_the_text_body(signed_in):
    jane = await signed_in("jane@example.com")
    html = '<p onclick="steal()">Hello <b>Bob</b></p><script>alert(1)</script><a href="javascript:x()">link</a><img src="cid:logo">'
    email = (await jane.data(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "subject": "Hi", "htmlBody": html}}))["sendEmail"]["email"]
    stored = await Email.get(id=int(email["id"]))
    assert stored.html_body == email["htmlBody"]
    assert "<b>Bob</b>" in stored.html_body and 'src="cid:logo"' in stored.html_body
    for removed in ("onclick", "<script", "alert(1)", "javascript:"):
        assert removed not in stored.html_body
    assert stored.text_body.startswith("Hello Bob")


async def test_an_email_from_an_empty_draft_ticket_fills_its_title_and_description(signed_in):
    jane = await signed_in("jane@example.com")
    ref = (await jane.data("mutation { createWorkItem(input: {}) { ref } }"))["createWorkItem"]["ref"]
    payload = (await jane.data(SEND, {"ref": ref, "input": {
        "to": [{"address": "bob@client.example"}], "subject": "Printer on fire", "htmlBody": "<p>It is <i>really</i> on fire.</p>",
    }}))["sendEmail"]
    assert payload["workItem"] == {**payload["workItem"], "title": "Printer on fire", "description": "It is really on fire.", "status": "DRAFT"}
    entries = [e["node"] for e in (await jane.data(TIMELINE, {"ref": ref}))["workItem"]["timeline"]["edges"]]
    assert [e["kind"] for e in entries] == ["EMAIL_OUT", "FIELDS_CHANGED"]  # newest first: one change, then the email
    changes = entries[1]["data"]["changes"]
    assert [(c["field"], c["from"], c["to"]) for c in changes] == [("title", None, "Printer on fire"), ("description", None, "It is really on fire.")]

    # T-1001 has a title but no description: only the description is filled; a ticket with both keeps them
    payload = (await jane.data(SEND, {"ref": "T-1001", "input": {"to": [{"address": "bob@client.example"}], "subject": "New bank details", "textBody": "Sort code 00-00-00."}}))["sendEmail"]
    assert (payload["workItem"]["title"], payload["workItem"]["description"]) == ("Update bank details for March payroll", "Sort code 00-00-00.")
    again = (await jane.data(SEND, {"ref": "T-1001", "input": {"to": [{"address": "bob@client.example"}], "subject": "Other", "textBody": "Other"}}))["sendEmail"]
    assert again["workItem"]["description"] == "Sort code 00-00-00."
    assert await TimelineEntry.filter(work_item__ref="T-1001", kind="FIELDS_CHANGED").count() == 1


async def test_a_scheduled_email_shows_on_the_timeline_who_scheduled_it_and_for_when(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    at = clock.now() + timedelta(days=2)
    sent = (await jane.data(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "subject": "Later",
                                                             "scheduledFor": at.isoformat()}}))["sendEmail"]["email"]
    jane_id = str((await Email.get(id=int(sent["id"]))).scheduled_by_id)

    def state(data: dict) -> dict:
        return data["workItem"]["timeline"]["edges"][0]["node"]["outgoingEmail"]

    shown = state(await lena.data(TIMELINE, {"ref": "T-1002"}))  # a colleague sees it too
    assert shown == {**shown, "emailId": sent["id"], "status": "QUEUED", "scheduledById": jane_id, "scheduledByName": "Jane Cooper",
                     "sentAt": None, "cancelledAt": None, "error": None, "canSendNow": True, "canCancel": True}
    assert shown["scheduledFor"] == shown["nextAttemptAt"] and shown["scheduledFor"].startswith(at.date().isoformat())

    # send now from there: due at once
    await lena.data("mutation($ids: [ID!]!) { sendEmailsNow(emailIds: $ids) { id } }", {"ids": [shown["emailId"]]})
    assert state(await jane.data(TIMELINE, {"ref": "T-1002"}))["nextAttemptAt"] < (clock.now() + timedelta(minutes=1)).isoformat()
    # failed, with the reason
    await Email.filter(id=int(sent["id"])).update(status=EmailStatus.FAILED, last_error="550 mailbox unavailable", attempts=1)
    failed = state(await jane.data(TIMELINE, {"ref": "T-1002"}))
    assert (failed["status"], failed["error"], failed["attempts"], failed["canSendNow"], failed["canCancel"]) == ("FAILED", "550 mailbox unavailable", 1, False, True)
    # cancelled, by whom
    await jane.data("mutation($ids: [ID!]!) { cancelEmails(emailIds: $ids) { id } }", {"ids": [sent["id"]]})
    cancelled = state(await jane.data(TIMELINE, {"ref": "T-1002"}))
    assert (cancelled["status"], cancelled["cancelledByName"], cancelled["canCancel"]) == ("CANCELLED", "Jane Cooper", False)
    assert cancelled["cancelledAt"] is not None

    # a portal requester: a cancelled email is not part of the portal's timeline, and the
    # employees' timeline (with the delivery state) is not there for them
    bob = HttpClient(jane.base_url, await jane.login("bob@client.example"))
    try:
        portal = await bob.data("query($ref: String!) { portalTicket(ref: $ref) { timeline { kind subject } } }", {"ref": "T-1002"})
        staff_view = await bob.error("query($ref: String!) { workItem(ref: $ref) { timeline(first: 10) { edges { node { body } } } } }", {"ref": "T-1002"})
    finally:
        await bob.aclose()
    assert "Later" not in str(portal) and staff_view["extensions"]["code"] == "NOT_FOUND"


async def test_the_state_of_many_outgoing_emails_costs_a_fixed_number_of_queries(signed_in):
    jane = await signed_in("jane@example.com")
    viewer = await user_viewer(await User.get(email="jane@example.com"))
    for n in range(3):
        await compose.send_email(viewer, "T-1002", compose.Composition(to=[compose.Recipient(address="a@b.example")], subject=f"Few {n}",
                                                                      scheduled_for=clock.now() + timedelta(hours=1)))
    with recorded_queries() as few:
        await jane.data(TIMELINE, {"ref": "T-1002"})
    for n in range(20):
        await compose.send_email(viewer, "T-1002", compose.Composition(to=[compose.Recipient(address="a@b.example")], subject=f"Many {n}",
                                                                      scheduled_for=clock.now() + timedelta(hours=1)))
    with recorded_queries() as many:
        data = await jane.data(TIMELINE, {"ref": "T-1002"})
    assert len(data["workItem"]["timeline"]["edges"]) == 23
    assert all(e["node"]["outgoingEmail"]["scheduledByName"] == "Jane Cooper" for e in data["workItem"]["timeline"]["edges"])
    assert len(many) == len(few), "\n".join(many)
