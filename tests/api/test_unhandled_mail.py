"""Unhandled and blocked messages over GraphQL, for admins: listed, routed, opened as work,
rejected as misaddressed (a CLOSED ticket with REJECTED_UNKNOWN_ADDRESS), processed again,
restored; and a received message's source for whoever may see it."""

from __future__ import annotations

import base64

from models.email import BlockedAddress, Email, MailRoute
from models.enums import EmailStatus
from models.org import Department, DepartmentAlias, Queue
from models.work_item import WorkItem
from server.domain import inbound
from tests.mail.test_inbound import _message
from tests.support.client import GraphQLError

HELD = """query($kind: HeldMailKind) { heldEmails(kind: $kind) { edges { node { id subject fromAddress to error automatic size } } } }"""


async def _arrive(**options) -> Email:
    raw = _message(**options)
    return await inbound.receive(inbound.Arrival(raw=raw, size=len(raw)))


async def _refused(client, query: str, variables: dict) -> list[str]:
    try:
        await client.data(query, variables)
    except GraphQLError as refused:
        return refused.codes
    raise AssertionError("expected a refusal")


async def test_admins_list_route_open_reject_and_reprocess_held_mail(signed_in):
    admin, jane = await signed_in("admin@example.com"), await signed_in("jane@example.com")
    uk = await Department.get(name="UK Operations")
    queue = await Queue.filter(department_id=uk.id).first()
    routed = await _arrive(to="payroll@acme.example", subject="Routed later")
    opened = await _arrive(to="nobody@acme.example", subject="Opened by hand")
    rejected = await _arrive(to="typo@acme.example", subject="Misaddressed")
    aliased = await _arrive(to="hr@acme.example", subject="Alias added later")

    held = (await admin.data(HELD, {"kind": "UNHANDLED"}))["heldEmails"]["edges"]
    assert [e["node"]["subject"] for e in held] == ["Alias added later", "Misaddressed", "Opened by hand", "Routed later"]
    assert held[0]["node"]["to"] == ["hr@acme.example"] and held[0]["node"]["size"] > 0
    assert await _refused(jane, HELD, {"kind": "UNHANDLED"}) == ["FORBIDDEN"]

    route = 'mutation($id: ID!, $d: ID!, $q: ID) { routeHeldEmail(emailId: $id, departmentId: $d, queueId: $q) { ref title status } }'
    item = (await admin.data(route, {"id": str(routed.id), "d": str(uk.id), "q": str(queue.id)}))["routeHeldEmail"]
    assert (item["title"], item["status"]) == ("Routed later", "TO_DO")
    assert await MailRoute.exists(address="payroll@acme.example", department_id=uk.id)
    assert (await _arrive(to="payroll@acme.example", subject="Routed from now on")).work_item_id is not None

    open_item = 'mutation($id: ID!, $d: ID!) { openWorkItemFromEmail(emailId: $id, departmentId: $d) { ref title type } }'
    made = (await admin.data(open_item, {"id": str(opened.id), "d": str(uk.id)}))["openWorkItemFromEmail"]
    assert (made["title"], made["type"]) == ("Opened by hand", "TICKET")

    reject = 'mutation($id: ID!, $d: ID!) { rejectHeldEmail(emailId: $id, departmentId: $d) { ref status resolutionMethod } }'
    closed = (await admin.data(reject, {"id": str(rejected.id), "d": str(uk.id)}))["rejectHeldEmail"]
    assert (closed["status"], closed["resolutionMethod"]) == ("CLOSED", "REJECTED_UNKNOWN_ADDRESS")
    assert not await Email.filter(work_item__ref=closed["ref"], direction="OUTBOUND").exists()  # no confirmation

    await DepartmentAlias.create(address="hr@acme.example", department_id=uk.id)
    again = 'mutation($id: ID!) { reprocessHeldEmail(emailId: $id) { title } }'
    assert (await admin.data(again, {"id": str(aliased.id)}))["reprocessHeldEmail"] == {"title": "Alias added later"}
    assert (await admin.data(HELD, {"kind": "UNHANDLED"}))["heldEmails"]["edges"] == []
    assert await _refused(admin, again, {"id": str(aliased.id)}) == ["NOT_FOUND"]  # placed now


async def test_blocked_mail_is_listed_and_restorable(signed_in):
    admin = await signed_in("admin@example.com")
    await BlockedAddress.create(address="promo@offers.example")
    email = await _arrive(sender="promo@offers.example", subject="Big sale")
    held = (await admin.data(HELD, {"kind": "BLOCKED"}))["heldEmails"]["edges"]
    assert [e["node"]["subject"] for e in held] == ["Big sale"]
    restore = 'mutation($id: ID!) { restoreBlockedEmail(emailId: $id) { title } }'
    assert (await admin.data(restore, {"id": str(email.id)}))["restoreBlockedEmail"] == {"title": "Big sale"}
    assert (await Email.get(id=email.id)).status is EmailStatus.RECEIVED


async def test_a_messages_source_is_for_those_who_see_it(signed_in):
    jane, karina, admin = [await signed_in(f"{n}@example.com") for n in ("jane", "karina", "admin")]
    email = await _arrive(subject="Re: [T-1003] the source")
    assert (await WorkItem.get(id=email.work_item_id)).ref == "T-1003"
    source = 'query($id: ID!) { emailSource(emailId: $id) { base64 size } }'
    got = (await jane.data(source, {"id": str(email.id)}))["emailSource"]
    assert base64.b64decode(got["base64"]) == bytes(email.raw_message) and got["size"] == len(email.raw_message)
    assert await _refused(karina, source, {"id": str(email.id)}) == ["NOT_FOUND"]
    held = await _arrive(to="nowhere@elsewhere.example")
    assert await _refused(jane, source, {"id": str(held.id)}) == ["NOT_FOUND"]
    assert (await admin.data(source, {"id": str(held.id)}))["emailSource"]["size"] > 0


HELD_MUTATIONS = {
    "routeHeldEmail": 'mutation($id: ID!, $d: ID!) { routeHeldEmail(emailId: $id, departmentId: $d) { ref } }',
    "openWorkItemFromEmail": 'mutation($id: ID!, $d: ID!) { openWorkItemFromEmail(emailId: $id, departmentId: $d) { ref } }',
    "rejectHeldEmail": 'mutation($id: ID!, $d: ID!) { rejectHeldEmail(emailId: $id, departmentId: $d) { ref } }',
    "reprocessHeldEmail": 'mutation($id: ID!) { reprocessHeldEmail(emailId: $id) { ref } }',
    "restoreBlockedEmail": 'mutation($id: ID!) { restoreBlockedEmail(emailId: $id) { ref } }',
}


async def test_only_admins_act_on_held_mail_and_a_refusal_changes_nothing(signed_in):
    """Every held-mail mutation returns work-item data: for anyone but an admin it is FORBIDDEN
    and writes nothing (tests/api/test_authorization_matrix.py counts on this)."""
    uk = await Department.get(name="UK Operations")
    await BlockedAddress.create(address="promo@offers.example")
    unhandled = await _arrive(to="nobody@acme.example", subject="Held")
    blocked = await _arrive(sender="promo@offers.example", subject="Held too")
    items = await WorkItem.all().count()
    for who in ("jane", "lena", "karina"):
        client = await signed_in(f"{who}@example.com")
        for name, mutation in HELD_MUTATIONS.items():
            email = blocked if name == "restoreBlockedEmail" else unhandled
            variables = {"id": str(email.id), **({"d": str(uk.id)} if "$d" in mutation else {})}
            assert await _refused(client, mutation, variables) == ["FORBIDDEN"], (who, name)
    assert await WorkItem.all().count() == items and not await MailRoute.exists()
    assert [e.status for e in await Email.filter(id__in=[unhandled.id, blocked.id]).order_by("id")] == [EmailStatus.UNHANDLED, EmailStatus.BLOCKED]


async def test_an_emails_html_and_attachments_are_for_those_who_see_it(signed_in):
    from email.message import EmailMessage

    jane, karina, bob = [await signed_in(e) for e in ("jane@example.com", "karina@example.com", "bob@client.example")]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Bob Smith <bob@client.example>", "uk-ops@acme.example", "Re: [T-1003] my P60"
    message.set_content("See attached.")
    message.add_alternative('<p onclick="steal()">See <b>attached</b>.<script>alert(1)</script></p>', subtype="html")
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="p60.pdf")
    raw = message.as_bytes()
    email = await inbound.receive(inbound.Arrival(raw=raw, size=len(raw)))
    emails = 'query { workItem(ref: "T-1003") { emails { id subject htmlBody fromName automatic attachments { id filename contentType size } } } }'
    (shown,) = [e for e in (await jane.data(emails))["workItem"]["emails"] if e["id"] == str(email.id)]
    assert "<b>attached</b>" in shown["htmlBody"] and "script" not in shown["htmlBody"] and "onclick" not in shown["htmlBody"]
    assert (shown["fromName"], shown["automatic"]) == ("Bob Smith", None)
    (attached,) = shown["attachments"]
    assert (attached["filename"], attached["contentType"], attached["size"]) == ("p60.pdf", "application/pdf", 13)
    content = 'query($id: ID!) { emailAttachment(attachmentId: $id) { filename base64 } }'
    got = (await jane.data(content, {"id": attached["id"]}))["emailAttachment"]
    assert base64.b64decode(got["base64"]) == b"%PDF-1.4 fake"
    # another department's agent, and the requester too: contacts read their tickets on the portal,
    # never through the employees' API (tests/api/test_portal_isolation.py)
    for reader in (karina, bob):
        assert await _refused(reader, content, {"id": attached["id"]}) == ["NOT_FOUND"]
