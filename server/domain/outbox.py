"""Queueing outgoing mail from work items into the outbox (SPEC §5.1).

An email queued here is stored as QUEUED with its connector, its envelope recipients and when it
is due, and shows on the item's timeline as outgoing; delivery (SMTP, retries, exactly once) is
server/domain/sending.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.contact import Contact
from models.email import Email, EmailRecipient, Mailbox, SmtpConnector
from models.enums import EmailDirection, EmailStatus, Importance, RecipientKind, Status, WorkItemType
from models.org import Department, User
from models.work_item import WorkItem
from server.domain import clock, limits, mail_settings, text, timeline
from server.domain.errors import FieldProblem, ValidationError
from server.domain.events import OutboxEmailChanged, WorkItemFieldsChanged
from server.domain.item_store import event_base, save_changes
from server.domain.work_item_fields import field_changes
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer
from server.mail import addresses
from server.mail.composing import new_message_id, plus_address

MAX_REFERENCES = 20  # the newest Message-IDs of a thread an email carries in References


@dataclass(frozen=True)
class ResolutionEmail:
    """The email a person resolves an item with (rule 6)."""

    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)


def _addresses(values: list[str], field: str) -> list[str]:
    normalised, problems = [], []
    for value in values:
        address = addresses.normalise(value)
        if address is None:
            problems.append(FieldProblem(field, f"{value!r} is not an email address"))
        else:
            normalised.append(address)
    if problems:
        raise ValidationError("; ".join(p.message for p in problems), problems)
    return normalised


async def queue_email(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    html_body: str | None = None,
    importance: Importance = Importance.NORMAL,
    scheduled_for: datetime | None = None,
    system_generated: bool = False,
    is_resolution: bool = False,
    draft: Email | None = None,
    template_id: int | None = None,
) -> Email:
    """Queue an email from `item`: due at once, after the sender's undo-send delay, or at
    `scheduled_for`; with its Message-ID, its place in the item's thread (In-Reply-To,
    References) and the item's reply address, so that answers come back to it.

    With `draft`, that DRAFT email (of `item`) becomes the queued one — its row, and so its
    attachments, are kept — instead of a new row. Mail a person sends from an empty DRAFT ticket
    fills its title and description first (SPEC §2.2 rule 1)."""
    if not to:
        raise ValidationError.single("to", "an email needs at least one recipient")
    if text.is_blank(subject):
        raise ValidationError.single("subject", "an email needs a subject")
    now = clock.now()
    if scheduled_for is not None and clock.as_utc(scheduled_for) <= now:
        raise ValidationError.single("scheduledFor", "a scheduled send must be in the future")
    recipients = _recipients(to, cc or [], bcc or [])
    department = await Department.get(id=item.department_id)
    connector = await SmtpConnector.get_or_none(id=department.smtp_connector_id) if department.smtp_connector_id else None
    undo = 0
    if actor is not None and actor.is_user and not system_generated:
        undo = (await User.get(id=actor.id)).undo_send_seconds
    due = max(clock.as_utc(scheduled_for) if scheduled_for is not None else now, now + timedelta(seconds=undo))
    if not system_generated:
        await fill_empty_draft_ticket(uow, item, actor, subject, body)
    in_reply_to, references = await _thread(item)
    queued = dict(
        work_item_id=item.id,
        direction=EmailDirection.OUTBOUND,
        status=EmailStatus.QUEUED,
        subject=subject.strip(),
        to_addresses=[a for a, kind in recipients if kind == RecipientKind.TO],
        cc_addresses=[a for a, kind in recipients if kind == RecipientKind.CC],
        bcc_addresses=[a for a, kind in recipients if kind == RecipientKind.BCC],
        text_body=body,
        html_body=html_body,
        importance=importance,
        system_generated=system_generated,
        created_by_id=actor.id if actor is not None and actor.is_user else None,
        connector_id=department.smtp_connector_id,
        from_name=department.sender_name,
        message_id=new_message_id(_domain(connector.from_address if connector else None)),
        in_reply_to=in_reply_to,
        references=" ".join(references) or None,
        reply_to=await reply_address(item),
        scheduled_for=clock.as_utc(scheduled_for) if scheduled_for is not None else None,
        scheduled_by_id=actor.id if scheduled_for is not None and actor is not None and actor.is_user else None,
        next_attempt_at=due,
        template_id=template_id if template_id is not None else (draft.template_id if draft is not None else None),
    )
    if draft is None:
        email = await Email.create(**queued)
    else:
        email = draft
        for name, value in queued.items():
            setattr(email, name, value)
        await email.save(update_fields=list(queued))
        await EmailRecipient.filter(email_id=email.id).delete()
    await EmailRecipient.bulk_create([EmailRecipient(email_id=email.id, address=a, kind=kind) for a, kind in recipients])
    await timeline.outgoing_email(
        uow, item, actor, email.id, email.subject, is_resolution=is_resolution, system_generated=system_generated
    )
    emit_changed(uow, email, item)
    return email


async def fill_empty_draft_ticket(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, subject: str, body: str | None) -> None:
    """SPEC §2.2 rule 1: an email sent from a DRAFT ticket with no title or description yet fills
    them — the title from its subject, the description from its text body — as one change of the
    item (its event and FIELDS_CHANGED entry), before the email's own entry."""
    if item.type is not WorkItemType.TICKET or item.status is not Status.DRAFT:
        return
    changes: dict[str, str] = {}
    if text.is_blank(item.title) and not text.is_blank(subject):
        changes["title"] = subject.strip()[: limits.text_max("title")].strip()
    if text.is_blank(item.description) and not text.is_blank(body):
        changes["description"] = body.strip()[: limits.text_max("description")]
    if not changes:
        return
    before = {name: getattr(item, name) for name in changes}
    await save_changes(item, changes)
    uow.emit(WorkItemFieldsChanged(**event_base(item, actor), fields=tuple(sorted(changes)), values=dict(changes)))
    await timeline.fields_changed(uow, item, actor, await field_changes(before, changes))


def _recipients(to: list[str], cc: list[str], bcc: list[str]) -> list[tuple[str, RecipientKind]]:
    """Every envelope recipient once, checked, with the first field that names it."""
    seen: dict[str, RecipientKind] = {}
    for values, kind, name in ((to, RecipientKind.TO, "to"), (cc, RecipientKind.CC, "cc"), (bcc, RecipientKind.BCC, "bcc")):
        for address in _addresses(values, name):
            seen.setdefault(address, kind)
    return list(seen.items())


def _domain(address: str | None) -> str:
    return address.rpartition("@")[2] if address and "@" in address else "switchboard.invalid"


async def _thread(item: WorkItem) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a new email of `item`: its newest email with a Message-ID
    (an inbound message first: the new one answers it)."""
    for direction in (EmailDirection.INBOUND, EmailDirection.OUTBOUND):
        last = await Email.filter(work_item_id=item.id, direction=direction, message_id__not_isnull=True).order_by("-id").first()
        if last is not None:
            references = [*(last.references or "").split(), last.message_id]
            return last.message_id, list(dict.fromkeys(references))[-MAX_REFERENCES:]
    return None, []


async def reply_address(item: WorkItem) -> str | None:
    """Where answers to `item`'s mail go: its department's mailbox, with the item's reference as
    the plus tag when plus addressing is on (SPEC §5.2)."""
    mailbox = await Mailbox.filter(department_id=item.department_id).order_by("id").first()
    if mailbox is None:
        return None
    if (await mail_settings.current()).plus_addressing:
        return plus_address(mailbox.address, item.ref)
    return mailbox.address


def emit_changed(uow: UnitOfWork, email: Email, item: WorkItem | None, error: str | None = None) -> None:
    """Every change of an outgoing email's state is an event (`outboxUpdated` pushes it)."""
    uow.emit(
        OutboxEmailChanged(
            email_id=email.id,
            work_item_id=item.id if item else None,
            ref=item.ref if item else None,
            department_id=item.department_id if item else None,
            status=email.status.value,
            created_by_id=email.created_by_id,
            error=error,
        )
    )


async def queue_resolution_email(uow: UnitOfWork, item: WorkItem, actor: Viewer, email: ResolutionEmail) -> Email:
    return await queue_email(
        uow, item, actor, to=email.to, cc=email.cc, subject=email.subject, body=email.body, is_resolution=True
    )


async def queue_system_notice(uow: UnitOfWork, item: WorkItem, subject: str, body: str) -> Email | None:
    """A system-generated notification to the item's requester (outbox view SYSTEM); none without one."""
    if item.requester_id is None:
        return None
    requester = await Contact.get(id=item.requester_id)
    return await queue_email(uow, item, None, to=[requester.email], subject=subject, body=body, system_generated=True)
