"""Inbound mail through its rules (server/domain/inbound.py) on the demo organisation: routing,
threading (and forged references), the effects on the item, automatic mail, blocked senders,
unhandled and unreadable messages, and never importing one twice. Messages are built here, plus
the whole corpus."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from models.contact import Contact
from models.email import BlockedAddress, Email, Mailbox, MailRoute
from models.enums import EmailDirection, EmailStatus, Status, TimelineKind, WorkItemType
from models.case_flow import CaseType
from models.timeline import TimelineEntry
from models.work_item import WorkItem, WorkItemLink
from server.domain import clock, inbound, mail_settings
from server.domain.inbound import Arrival

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "mail-corpus"
UK = "uk-ops@acme.example"


def _message(*, sender="Bob Smith <bob@client.example>", to=UK, subject="Hello", body="Some text.", **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="client.example"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


async def _receive(raw: bytes, **options) -> Email | None:
    return await inbound.receive(Arrival(raw=raw, size=len(raw), **options))


async def _outbound_message_id(ref: str) -> str:
    """A Message-ID of mail the item sent (the reply-to-this case), made for the test."""
    item = await WorkItem.get(ref=ref)
    message_id = make_msgid(domain="acme.example")
    await Email.create(work_item_id=item.id, direction=EmailDirection.OUTBOUND, status=EmailStatus.SENT, subject="Re",
                       message_id=message_id, to_addresses=["bob@client.example"], from_address="no-reply@acme.example")
    return message_id


async def _entries(ref: str, kind: TimelineKind) -> list[TimelineEntry]:
    return await TimelineEntry.filter(work_item__ref=ref, kind=kind).order_by("id")


async def test_a_new_message_opens_a_ticket_in_the_mailboxs_queue_and_confirms_it(demo):
    email = await _receive(_message(sender="Nina Novak <nina@new.example>", subject="Where is my P60?", body="I need it for my mortgage."))
    item = await WorkItem.get(id=email.work_item_id)
    mailbox = await Mailbox.get(address=UK)
    assert (item.type, item.status, item.department_id, item.queue_id) == (WorkItemType.TICKET, Status.TO_DO, mailbox.department_id, mailbox.queue_id)
    assert (item.title, item.description) == ("Where is my P60?", "I need it for my mortgage.\n")
    requester = await Contact.get(id=item.requester_id)
    assert (requester.email, requester.name, email.contact_id) == ("nina@new.example", "Nina Novak", requester.id)
    assert (email.status, email.routed_by, email.direction) == (EmailStatus.RECEIVED, UK, EmailDirection.INBOUND)
    assert [e.email_id for e in await _entries(item.ref, TimelineKind.EMAIL_IN)] == [email.id]
    confirmation = await Email.get(work_item_id=item.id, direction=EmailDirection.OUTBOUND)
    assert confirmation.system_generated and confirmation.to_addresses == ["nina@new.example"] and item.ref in confirmation.subject


async def test_mail_never_links_to_a_contact_created_in_test_mode(demo):
    """Contacts created in test mode exist only in test mode (seed 004): mail, in normal mode,
    from such a contact's address opens an item without a requester and makes no second contact."""
    tess = await Contact.create(email="tess@new.example", name="Tess", test_mode=True)
    email = await _receive(_message(sender="Tess <tess@new.example>", subject="A real question"))
    item = await WorkItem.get(id=email.work_item_id)
    assert (email.contact_id, item.requester_id, item.primary_contact_id, item.test_mode) == (None, None, None, False)
    assert await Contact.filter(email="tess@new.example").values_list("id", flat=True) == [tess.id]
    assert not await WorkItem.filter(contacts__id=tess.id).exists()


async def test_the_first_collection_and_automatic_mail_send_no_automatic_mail(demo):
    first = await _receive(_message(sender="old@new.example", subject="An old message"), first_collection=True)
    assert first.work_item_id is not None
    assert not await Email.filter(work_item_id=first.work_item_id, direction=EmailDirection.OUTBOUND).exists()
    automatic = await _receive(_message(sender="away@new.example", subject="Out of office", Auto_Submitted="auto-replied"))
    assert (automatic.status, automatic.work_item_id, automatic.auto_reply_reason) == (EmailStatus.UNHANDLED, None, "Auto-Submitted: auto-replied")


async def test_a_reply_continues_its_item_and_flags_it(demo):
    replied_to = await _outbound_message_id("T-1003")
    email = await _receive(_message(subject="Re: your payslip", In_Reply_To=replied_to))
    item = await WorkItem.get(ref="T-1003")
    assert email.work_item_id == item.id and item.has_new_info and item.status is Status.IN_PROGRESS
    assert await WorkItem.filter(title="Re: your payslip").count() == 0
    by_subject = await _receive(_message(subject="About [T-1003] again"))
    assert by_subject.work_item_id == item.id


async def test_a_forged_reference_from_a_stranger_opens_a_new_item(demo):
    replied_to = await _outbound_message_id("T-1007")  # PL Operations' item
    for headers in ({"In_Reply_To": replied_to}, {"subject": "Re: [T-1007] please"}):
        email = await _receive(_message(sender="mallory@evil.example", **{"subject": "Re: invoice", **headers}))
        assert email.work_item_id is not None
        assert (await WorkItem.get(id=email.work_item_id)).ref != "T-1007"
    assert not (await WorkItem.get(ref="T-1007")).has_new_info


async def test_plus_addressing_threads_by_the_items_address(demo):
    settings = await mail_settings.current()
    plus = "uk-ops+T-1003@acme.example"
    off = await _receive(_message(to=plus, subject="A plus-addressed message"))
    assert (await WorkItem.get(id=off.work_item_id)).ref != "T-1003"  # off by default: only routed
    settings.plus_addressing = True
    await settings.save()
    on = await _receive(_message(to=plus, subject="Another plus-addressed message"))
    assert (await WorkItem.get(id=on.work_item_id)).ref == "T-1003" and on.routed_by == UK


async def test_a_reply_brings_a_waiting_item_back_and_reopens_within_the_feedback_window(demo):
    waiting = await WorkItem.get(status=Status.WAITING, type=WorkItemType.TICKET, department__name="UK Operations")
    await _receive(_message(subject=f"Re: [{waiting.ref}] the hours"))
    back = await WorkItem.get(id=waiting.id)
    assert back.status is Status.IN_PROGRESS and back.assignee_id == waiting.assignee_id and back.has_new_info

    resolved = await WorkItem.filter(status=Status.RESOLVED, feedback_until__gt=clock.now(), type=WorkItemType.TICKET).first()
    await _receive(_message(subject=f"Re: [{resolved.ref}] not quite"))
    reopened = await WorkItem.get(id=resolved.id)
    assert reopened.status is Status.IN_PROGRESS and reopened.has_new_info


async def test_a_reply_after_closed_opens_a_new_item_linked_to_the_old_one(demo):
    old = await WorkItem.get(ref="T-1003")
    await WorkItem.filter(id=old.id).update(status=Status.CLOSED, closed_at=clock.now() - timedelta(days=1))
    email = await _receive(_message(subject="Re: [T-1003] it happened again"))
    new = await WorkItem.get(id=email.work_item_id)
    assert new.id != old.id and (new.department_id, new.queue_id) == (old.department_id, old.queue_id)
    assert await WorkItemLink.filter(low_id=min(old.id, new.id), high_id=max(old.id, new.id)).exists()
    assert (await WorkItem.get(id=old.id)).status is Status.CLOSED


async def test_automatic_mail_on_an_item_is_only_recorded(demo):
    item = await WorkItem.get(status=Status.WAITING, type=WorkItemType.TICKET, department__name="UK Operations")
    email = await _receive(_message(subject=f"Automatic reply: [{item.ref}]", Auto_Submitted="auto-replied"))
    after = await WorkItem.get(id=item.id)
    assert email.work_item_id == item.id and email.is_auto_reply
    assert (after.status, after.has_new_info) == (Status.WAITING, item.has_new_info)
    (entry,) = await _entries(item.ref, TimelineKind.EMAIL_IN)
    assert entry.system_generated
    assert not await Email.filter(work_item_id=item.id, direction=EmailDirection.OUTBOUND, created_at__gte=email.created_at).exists()


async def test_blocked_senders_are_stored_as_deleted_and_restorable(demo):
    await BlockedAddress.create(address="@spam.example")
    email = await _receive(_message(sender="offers@spam.example", subject="Cheap watches"))
    assert email.status is EmailStatus.BLOCKED and email.deleted_at is not None and email.work_item_id is None
    assert not await WorkItem.filter(title="Cheap watches").exists()
    restored = await inbound.restore(email.id)
    assert restored.status is EmailStatus.RECEIVED and (await WorkItem.get(id=restored.work_item_id)).title == "Cheap watches"


async def test_unrouted_unreadable_and_oversized_messages_are_kept_unhandled(demo):
    nowhere = await _receive(_message(to="someone@elsewhere.example"))
    assert (nowhere.status, nowhere.work_item_id, nowhere.routed_by) == (EmailStatus.UNHANDLED, None, None)
    garbage = await _receive(b"")
    assert garbage.status is EmailStatus.UNHANDLED and "cannot be read" in garbage.parse_error
    huge = await inbound.receive(Arrival(raw=None, size=90_000_000))
    assert huge.status is EmailStatus.UNHANDLED and "90000000 bytes" in huge.parse_error


async def test_nothing_is_imported_twice(demo):
    mailbox = await Mailbox.get(address=UK)
    raw = _message(subject="Once only")
    first = await _receive(raw, mailbox_id=mailbox.id, uid_validity=7, uid=41)
    assert await _receive(raw, mailbox_id=mailbox.id, uid_validity=7, uid=41) is None  # the cursor is past it
    assert await _receive(raw, mailbox_id=mailbox.id, uid_validity=7, uid=42) is None  # the same Message-ID again
    assert await Email.filter(subject="Once only").count() == 1 and first.imap_uid == 41
    moved = await Mailbox.get(id=mailbox.id)
    assert (moved.uid_validity, moved.last_uid) == (7, 42)


async def test_a_route_can_open_cases_of_its_case_type(demo):
    mailbox = await Mailbox.get(address=UK)
    case_type = await CaseType.first()
    await MailRoute.create(address="onboarding@acme.example", department_id=mailbox.department_id, queue_id=mailbox.queue_id,
                           creates=WorkItemType.CASE, case_type=case_type)
    email = await _receive(_message(to="onboarding@acme.example", subject="New starter: Sam"))
    case = await WorkItem.get(id=email.work_item_id)
    assert (case.type, case.case_type_id, email.routed_by) == (WorkItemType.CASE, case_type.id, "onboarding@acme.example")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the mail corpus is not here")
async def test_every_corpus_message_is_stored_and_none_raises(demo):
    messages = sorted(CORPUS.glob("*.eml"))
    stored = [await _receive(path.read_bytes()) for path in messages]
    kept = [email for email in stored if email is not None]
    assert len(messages) == 79 and len(kept) >= 70  # the corpus repeats a few Message-IDs
    assert all(email.raw_message for email in kept)
    assert {email.status for email in kept} <= {EmailStatus.RECEIVED, EmailStatus.UNHANDLED}


async def test_old_mail_of_a_first_collection_flags_its_item_without_notifying(demo):
    from models.notification import Notification

    item = await WorkItem.get(ref="T-1003")
    before = await Notification.filter(work_item_id=item.id).count()
    await _receive(_message(subject="Re: [T-1003] from last month"), first_collection=True)
    assert (await WorkItem.get(id=item.id)).has_new_info
    assert await Notification.filter(work_item_id=item.id).count() == before
    await _receive(_message(subject="Re: [T-1003] today"))
    assert await Notification.filter(work_item_id=item.id).count() == before + 1
