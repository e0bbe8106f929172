"""Inbound mail (SPEC §5.2, §2.2): every message that arrives is stored and acted on in one
transaction — never lost, never imported twice.

`receive(arrival)` does, in order:

1. A message from a mailbox's collection moves that mailbox's cursor (UIDVALIDITY, last UID) in
   the same transaction, and only forward: a UID the cursor is already past was imported before,
   and nothing happens.
2. Bytes that are no message at all, or a message over the collector's size limit, are kept (raw,
   when there is anything to keep) on the unhandled list with the error.
3. A second copy of a message (a Message-ID already received) is not stored again; a copy of mail
   Switchboard sent itself is ignored.
4. Mail from a blocked address is stored as deleted (BLOCKED): listable and restorable.
5. A message no recipient address routes (server/domain/mail_routing.py) is UNHANDLED.
6. A message that continues a work item is added to its timeline and, unless it is automatic mail
   (out of office, bounces: they are only recorded, never answered and never reopen anything),
   sets the new-information flag, brings a waiting item back to its assignee, reopens a resolved
   one within its feedback window, and after CLOSED opens a new item linked to the old one.
7. Any other message opens a new ticket (or a case of the route's case type) in the route's
   queue, its requester the contact with the sender's address (made when there is none), with a
   submission confirmation to the requester — except for automatic mail and the first collection
   of a mailbox, which send no automatic mail at all — and, where the department asks for it,
   a notice to its staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from models.contact import Contact
from models.email import Email, EmailAttachment, Mailbox
from models.enums import EmailDirection, EmailStatus, NotificationKind, Status, WorkItemType
from models.org import Department, Queue, User
from models.work_item import WorkItem
from server.domain import cases, clock, limits, links, mail_routing, mail_settings, notifications, outbox, refs, timeline
from server.domain.lifecycle import reopen_with_new_information
from server.domain.transitions import change_status, set_flags
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer, contact_viewer
from server.domain.work_items import create_submitted
from server.mail.addresses import plus_tag
from server.mail.parsing import ParsedMessage, UnparseableMessage, parse

NO_SUBJECT = "(no subject)"
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
TITLE = limits.TEXT_MAXIMA["title"]
SUBJECT = limits.TEXT_MAXIMA["subject"]


@dataclass(frozen=True)
class Arrival:
    raw: bytes | None  # None: the message was over the collector's size limit
    size: int
    mailbox_id: int | None = None
    uid_validity: int | None = None
    uid: int | None = None
    first_collection: bool = False  # the newest messages of a new mailbox: no automatic mail


async def receive(arrival: Arrival) -> Email | None:
    """Store and act on one message; the stored email, or None when it was a second copy."""
    async with unit_of_work() as uow:
        if not await _advance_cursor(arrival):
            return None
        if arrival.raw is None:
            return await _unparsed(arrival, f"The message ({arrival.size} bytes) is over the size limit; it stays on the mail server.")
        try:
            parsed = parse(arrival.raw, max_attachment_bytes=MAX_ATTACHMENT_BYTES)
        except UnparseableMessage as unparseable:
            return await _unparsed(arrival, f"The message cannot be read: {unparseable.reason}")
        if parsed.message_id and await Email.filter(message_id=parsed.message_id).exists():
            return None  # a second copy, or one of our own messages coming back
        return await process(uow, await _store(arrival, parsed), parsed, first_collection=arrival.first_collection)


async def _advance_cursor(arrival: Arrival) -> bool:
    """Move the mailbox's cursor to this message; False when it is already past it."""
    if arrival.mailbox_id is None or arrival.uid is None:
        return True
    moved = await Mailbox.filter(
        Q(uid_validity__not=arrival.uid_validity) | Q(uid_validity__isnull=True) | Q(last_uid__isnull=True) | Q(last_uid__lt=arrival.uid),
        id=arrival.mailbox_id,
    ).update(uid_validity=arrival.uid_validity, last_uid=arrival.uid, last_connected_at=clock.now())
    return bool(moved)


async def _unparsed(arrival: Arrival, error: str) -> Email:
    return await Email.create(
        direction=EmailDirection.INBOUND, status=EmailStatus.UNHANDLED, raw_message=arrival.raw, parse_error=error,
        mailbox_id=arrival.mailbox_id, imap_uid_validity=arrival.uid_validity, imap_uid=arrival.uid, received_at=clock.now(),
    )


async def _store(arrival: Arrival, parsed: ParsedMessage) -> Email:
    # mail arrives in normal mode: a contact created in test mode is never its sender
    contact = await Contact.get_or_none(email=parsed.from_address, test_mode=False) if parsed.from_address else None
    email = await Email.create(
        direction=EmailDirection.INBOUND,
        status=EmailStatus.RECEIVED,
        message_id=_cut(parsed.message_id, 998),
        in_reply_to=_cut(parsed.in_reply_to[0], 998) if parsed.in_reply_to else None,
        references=" ".join(parsed.references) or None,
        subject=_cut(parsed.subject, SUBJECT) or "",
        from_address=parsed.from_address,
        from_name=_cut(parsed.from_name, 320),
        to_addresses=parsed.to,
        cc_addresses=parsed.cc,
        reply_to=parsed.reply_to,
        text_body=parsed.text_body,
        html_body=parsed.html_body,
        is_auto_reply=parsed.auto_reply is not None,
        auto_reply_reason=parsed.auto_reply,
        contact_id=contact.id if contact else None,
        mailbox_id=arrival.mailbox_id,
        imap_uid_validity=arrival.uid_validity,
        imap_uid=arrival.uid,
        received_at=clock.now(),
        raw_message=arrival.raw,
        parse_error="; ".join(parsed.defects)[:4000] or None,
    )
    await EmailAttachment.bulk_create([
        EmailAttachment(email_id=email.id, filename=a.filename[:500], content_type=a.content_type[:200], content_id=a.content_id,
                        size=a.size if a.size is not None else len(a.content), content=a.content)
        for a in parsed.attachments
    ])
    return email


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None


async def process(uow: UnitOfWork, email: Email, parsed: ParsedMessage, *, first_collection: bool, blocked_too: bool = False) -> Email:
    """Steps 4–7 for a stored message (`blocked_too`: also when its sender is blocked — a
    message a person restored from the blocked list)."""
    if not blocked_too and await mail_routing.is_blocked(parsed.from_address):
        return await _save(email, status=EmailStatus.BLOCKED, deleted_at=clock.now())
    routed = await mail_routing.route(parsed)
    if routed is None:
        return await _save(email, status=EmailStatus.UNHANDLED)
    email.routed_by = routed.address
    plus_addressing = (await mail_settings.current()).plus_addressing
    item = await mail_routing.continued_item(parsed, routed, plus_addressing)
    continued = item
    if item is not None and item.status is Status.RESOLVED and not email.is_auto_reply:
        if not await reopen_with_new_information(uow, item, "A reply arrived by email."):
            item = await _reopened_as_new(uow, item, email, parsed, routed, first_collection)
    elif item is not None and item.status is Status.CLOSED and not email.is_auto_reply:
        item = await _reopened_as_new(uow, item, email, parsed, routed, first_collection)
    elif item is not None and not email.is_auto_reply:
        await _new_information(uow, item, quiet=first_collection)
    if item is None:
        if email.is_auto_reply:  # automatic mail about nothing we know: recorded, nothing opened
            return await _save(email, status=EmailStatus.UNHANDLED)
        item = await _open(uow, email, parsed, routed, first_collection)
        if item is None:
            return await _save(email, status=EmailStatus.UNHANDLED)
    await _save(email, work_item_id=item.id)
    await timeline.incoming_email(uow, item, await _sender(email), email)
    if continued is not None and plus_addressing:
        await _share_to_linked(uow, email, parsed, item)
    return email


async def _share_to_linked(uow: UnitOfWork, email: Email, parsed: ParsedMessage, item: WorkItem) -> None:
    """A reply addressed to the plus addresses of several linked items (mail between teams,
    SPEC §5.3) reaches every one of them: it is shared to the others."""
    tags = {refs.normalise(tag) for _, tag in (plus_tag(a) for a in mail_routing.recipients(parsed)) if tag}
    tags.discard(item.ref)
    if not tags:
        return
    linked = (await links.linked_ids([item.id])).get(item.id, [])
    for other in await WorkItem.filter(ref__in=sorted(tags), id__in=sorted(linked)):
        await links.share_to(uow, email, item, other, None)


async def _save(email: Email, **changes: object) -> Email:
    for name, value in changes.items():
        setattr(email, name, value)
    await email.save()
    return email


async def _sender(email: Email) -> Viewer | None:
    contact = await Contact.get_or_none(id=email.contact_id) if email.contact_id else None
    return await contact_viewer(contact) if contact is not None else None


async def _new_information(uow: UnitOfWork, item: WorkItem, *, quiet: bool) -> None:
    """A customer's message on an open item: flagged; a waiting item comes back to its assignee
    — except a case action waiting for this reply, which closes (its case moves on). The
    assignee is notified, unless `quiet` (a mailbox's first collection: old mail, no
    notifications)."""
    if await cases.reply_arrived(uow, item):
        return
    if item.status is Status.WAITING:
        await change_status(uow, item, None, Status.IN_PROGRESS, assignee=item.assignee_id or item.last_assignee_id,
                            reason="A reply arrived by email.")
        if not quiet:
            await notifications.notify(uow, item.assignee_id, NotificationKind.BACK_FROM_WAITING, item, f"{item.ref} is back: a reply arrived by email")
    elif item.assignee_id is not None and not quiet:
        await notifications.notify(uow, item.assignee_id, NotificationKind.NEW_INFORMATION, item, f"New email on {item.ref}")
    if item.status is not Status.DRAFT:
        await set_flags(uow, item, None, has_new_info=True)


async def _reopened_as_new(uow: UnitOfWork, old: WorkItem, email: Email, parsed: ParsedMessage, routed: mail_routing.Route,
                           first_collection: bool) -> WorkItem | None:
    """After CLOSED (or a feedback window that has passed), a new item in the old one's
    department and queue, linked to it."""
    same_place = mail_routing.Route(routed.address, routed.tag, old.department_id, old.queue_id or routed.queue_id,
                                    WorkItemType.TICKET if old.type is WorkItemType.ACTION else old.type, old.case_type_id)
    item = await _open(uow, email, parsed, same_place, first_collection)
    if item is not None:
        await links.add_link(uow, item, old, None)
    return item


async def _open(uow: UnitOfWork, email: Email, parsed: ParsedMessage, routed: mail_routing.Route, quiet: bool) -> WorkItem | None:
    """A new item for the message in `routed`'s queue (the department's first when it names
    none); `quiet`: no confirmation and no staff notice (a first collection)."""
    queue = await Queue.get_or_none(id=routed.queue_id) if routed.queue_id else None
    if queue is None or queue.department_id != routed.department_id:
        queue = await Queue.filter(department_id=routed.department_id).order_by("id").first()
    if queue is None:
        return None  # the department has nowhere to put work: left for a person
    requester = await _requester(email)
    fields = {
        "title": (parsed.subject.strip() or NO_SUBJECT)[:TITLE],
        "description": (parsed.text_body or "")[: limits.LONG_TEXT] or None,
        "requester_id": requester.id if requester else None,
        "primary_contact_id": requester.id if requester else None,
    }
    kind = WorkItemType.CASE if routed.creates is WorkItemType.CASE and routed.case_type_id else WorkItemType.TICKET
    item = await create_submitted(uow, kind, routed.department_id, queue, fields, case_type_id=routed.case_type_id if kind is WorkItemType.CASE else None,
                                  company_id=requester.company_id if requester else None)
    if not quiet and not email.is_auto_reply:
        await _confirm(uow, item)
        await _tell_staff(uow, item)
    return item


async def _requester(email: Email) -> Contact | None:
    if not email.from_address:
        return None
    contact = await Contact.get_or_none(email=email.from_address)
    if contact is not None and contact.test_mode:
        # a contact created in test mode exists only in test mode: mail in normal mode neither
        # links to it nor makes a second contact of the address (an email is one contact's)
        return None
    if contact is None:
        contact = await Contact.create(email=email.from_address, name=(email.from_name or "")[:200])
    if email.contact_id != contact.id:
        email.contact_id = contact.id
    return contact


async def _confirm(uow: UnitOfWork, item: WorkItem) -> None:
    await outbox.queue_system_notice(
        uow, item, f"[{item.ref}] {item.title}",
        f"We have received your message and opened {item.ref}. Reply to this email to add to it.",
    )


async def _tell_staff(uow: UnitOfWork, item: WorkItem) -> None:
    department = await Department.get(id=item.department_id)
    if not department.notify_staff_of_new_tickets:
        return
    staff = await User.filter(Q(departments__id=department.id) | Q(groups__departments__id=department.id), is_active=True).distinct()
    addresses = sorted({user.email for user in staff})
    if addresses:
        await outbox.queue_email(uow, item, None, to=addresses, subject=f"New {item.type.value.lower()} {item.ref}: {item.title}",
                                 body=f"{item.ref} arrived by email in {department.name}.", system_generated=True)


async def open_from(uow: UnitOfWork, email: Email, routed: mail_routing.Route, *, confirm: bool = True) -> WorkItem | None:
    """A new item from a stored message, placed by a person (`routed`), with its confirmation
    unless `confirm` is False; the message joins it."""
    parsed = parse(bytes(email.raw_message))
    email.routed_by = email.routed_by or routed.address or None
    item = await _open(uow, email, parsed, routed, quiet=not confirm)
    if item is not None:
        email.status = EmailStatus.RECEIVED
        await _save(email, work_item_id=item.id)
        await timeline.incoming_email(uow, item, await _sender(email), email)
    return item


async def restore(email_id: int) -> Email:
    """A message from a blocked sender, restored by a person: processed as if it had just
    arrived from a sender who is not blocked."""
    async with unit_of_work() as uow:
        email = await Email.get(id=email_id, status=EmailStatus.BLOCKED)
        parsed = parse(bytes(email.raw_message))
        email.status, email.deleted_at = EmailStatus.RECEIVED, None
        return await process(uow, email, parsed, first_collection=False, blocked_too=True)
