"""Composing email on a work item (SPEC §5.1): send at once, or keep a draft to edit, discard or
send later.

Who: an employee who may write to the item (server.domain.visibility); an item they may not see is
NOT_FOUND, a portal contact or an API key FORBIDDEN. Not on a CLOSED item.

What: recipients (to / cc / bcc) as contact ids or free addresses — a contact must be one the item
may have (of its company, or of none), any other answers like a missing one; a subject; a text
and/or HTML body (the HTML sanitised before it is stored, the text taken from it when none is
given); importance; a scheduled time; attachments; a template whose rendered text fills what the
email leaves empty. Sizes are bounded (below); every problem is a VALIDATION error naming its
field, found before anything is written.

Drafts (status DRAFT) are not in the outbox, never sent by the worker, not on the timeline, and
belong to their author: anyone else's draft answers NOT_FOUND. Editing a draft replaces its
content with the one given (attachments are added, and removed by id); sending it turns that
same row into the queued email (server.domain.outbox.queue_email), attachments and all. Sending —
a draft or at once — is a person's update of the item: a TO_DO item becomes theirs (rule 2), and
an empty DRAFT ticket gets its title and description from the email (rule 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Subquery

from models.contact import Contact
from models.email import Email, EmailAttachment
from models.enums import EmailDirection, EmailStatus, Importance, Status
from models.work_item import WorkItem
from server.domain import email_templates, limits, outbox, team_mail, text, visibility
from server.domain.contacts import scope
from server.domain.errors import FieldProblem, Forbidden, InvalidTransition, NotFound, ValidationError
from server.domain.team_mail import TeamDecision
from server.domain.transitions import pick_up_on_update
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import addresses
from server.mail.sanitize import html_to_text, sanitize_html

MAX_SUBJECT = limits.TEXT_MAXIMA["subject"]  # characters
MAX_TEXT_BODY = limits.TEXT_MAXIMA["textBody"]  # characters
MAX_HTML_BODY = limits.TEXT_MAXIMA["htmlBody"]  # characters, before sanitising
MAX_ADDRESS = limits.TEXT_MAXIMA["address"]
MAX_RECIPIENTS = 100  # to, cc and bcc together
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # one file
MAX_TOTAL_ATTACHMENT_BYTES = 20 * 1024 * 1024  # all the files of one email
MAX_FILENAME = 255
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")
_CONTENT_ID = re.compile(r"^[^\s<>\"]{1,%d}$" % limits.TEXT_MAXIMA["contentId"])
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Recipient:
    """One recipient: a contact (by id) or a free address — exactly one of them."""

    contact_id: int | None = None
    address: str | None = None


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str | None = None  # an inline image, referred to as cid:<content_id> in the HTML


@dataclass(frozen=True)
class Composition:
    to: list[Recipient] = field(default_factory=list)
    cc: list[Recipient] = field(default_factory=list)
    bcc: list[Recipient] = field(default_factory=list)
    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None
    importance: Importance = Importance.NORMAL
    scheduled_for: datetime | None = None
    template_id: int | None = None
    attachments: list[NewAttachment] = field(default_factory=list)
    # what to do for each recipient that is another team's mailbox (SPEC §5.3; team_mail.plan)
    team_recipients: list[TeamDecision] = field(default_factory=list)


@dataclass
class Composed:
    """The email as it now is, and its work item (whose fields sending may have filled)."""

    email: Email
    item: WorkItem


@dataclass(frozen=True)
class _Content:
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    text_body: str
    html_body: str | None
    importance: Importance
    scheduled_for: datetime | None
    template_id: int | None


# ------------------------------------------------------------------------------------ the checks


def _size_problems(composition: Composition, kept: tuple[int, int] = (0, 0)) -> list[FieldProblem]:
    """Every bound `composition` passes; `kept`: (count, bytes) of a draft's attachments it keeps."""
    found = []
    for name, value, maximum in (("subject", composition.subject, MAX_SUBJECT), ("textBody", composition.text_body, MAX_TEXT_BODY),
                                 ("htmlBody", composition.html_body, MAX_HTML_BODY)):
        if value is not None and len(value) > maximum:
            found.append(FieldProblem(name, f"{name} must be at most {maximum} characters, got {len(value)}"))
    count = len(composition.to) + len(composition.cc) + len(composition.bcc)
    if count > MAX_RECIPIENTS:
        found.append(FieldProblem("to", f"an email has at most {MAX_RECIPIENTS} recipients (to, cc and bcc together), got {count}"))
    files = len(composition.attachments) + kept[0]
    if files > MAX_ATTACHMENTS:
        found.append(FieldProblem("attachments", f"an email has at most {MAX_ATTACHMENTS} attachments, got {files}"))
    for attachment in composition.attachments:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            found.append(FieldProblem(
                "attachments", f"{attachment.filename!r} is {len(attachment.content)} bytes: a file may have at most {MAX_ATTACHMENT_BYTES}"
            ))
        if attachment.content_id is not None and not _CONTENT_ID.match(attachment.content_id.strip().strip("<>")):
            found.append(FieldProblem("attachments", f"{attachment.filename!r}: contentId must be 1 to 250 characters without spaces"))
    total = sum(len(a.content) for a in composition.attachments) + kept[1]
    if total > MAX_TOTAL_ATTACHMENT_BYTES:
        found.append(FieldProblem("attachments", f"the attachments come to {total} bytes: an email may carry at most {MAX_TOTAL_ATTACHMENT_BYTES}"))
    return found


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationError("; ".join(p.message for p in problems), problems)


async def _addresses(item: WorkItem, composition: Composition, problems: list[FieldProblem]) -> dict[str, list[str]]:
    """The recipients as addresses, by field; a contact must be one this item may have."""
    ids = {r.contact_id for r in (*composition.to, *composition.cc, *composition.bcc) if r.contact_id is not None}
    contacts = {c.id: c for c in await Contact.filter(id__in=ids)} if ids else {}
    found: dict[str, list[str]] = {}
    for name, recipients in (("to", composition.to), ("cc", composition.cc), ("bcc", composition.bcc)):
        found[name] = []
        for recipient in recipients:
            if (recipient.contact_id is None) == (recipient.address is None):
                problems.append(FieldProblem(name, f"{name}: give each recipient either a contactId or an address"))
            elif recipient.contact_id is not None:
                contact = contacts.get(recipient.contact_id)
                if contact is None or contact.test_mode != item.test_mode or not scope.joined(item.company_id, contact.company_id)[0]:
                    problems.append(FieldProblem(
                        name, f"{name}: contact {recipient.contact_id} does not exist or belongs to another company than {item.ref}"
                    ))
                else:
                    found[name].append(contact.email.lower())
            else:
                address = addresses.normalise(recipient.address) if len(recipient.address) <= MAX_ADDRESS else None
                if address is None:
                    problems.append(FieldProblem(name, f"{name}: {recipient.address[:100]!r} is not an email address"))
                else:
                    found[name].append(address)
        found[name] = list(dict.fromkeys(found[name]))
    return found


def _attachment_row(email: Email, attachment: NewAttachment) -> EmailAttachment:
    name = _UNSAFE_NAME.sub("_", attachment.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip()[:MAX_FILENAME] or "attachment"
    content_type = attachment.content_type.partition(";")[0].strip().lower()
    content_id = attachment.content_id.strip().strip("<>") if attachment.content_id else None
    return EmailAttachment(
        email_id=email.id, filename=name, content_type=content_type if _CONTENT_TYPE.match(content_type) else "application/octet-stream",
        content_id=content_id, size=len(attachment.content), content=attachment.content,
    )


async def _content(viewer: Viewer, item: WorkItem, composition: Composition, kept: tuple[int, int] = (0, 0)) -> _Content:
    """The composition checked and completed: the template's text where it leaves the subject or
    the body empty, the HTML sanitised, the text body (from the HTML when none is given)."""
    problems = _size_problems(composition, kept)
    found = await _addresses(item, composition, problems)
    _raise(problems)
    subject, text_body, html_body = composition.subject, composition.text_body, composition.html_body
    if composition.template_id is not None:
        rendered = await email_templates.render(await email_templates.for_item(viewer, item, composition.template_id), item, viewer.name)
        subject = subject if not text.is_blank(subject) else rendered.subject
        if text.is_blank(text_body) and text.is_blank(html_body):
            text_body, html_body = rendered.text_body, rendered.html_body
    if html_body is not None and text.is_blank(html_body):
        html_body = None
    if html_body is not None:
        html_body = sanitize_html(html_body)
        if text.is_blank(text_body):
            text_body = html_to_text(html_body)
    return _Content(
        to=found["to"], cc=found["cc"], bcc=found["bcc"], subject=(subject or "").strip(), text_body=text_body or "",
        html_body=html_body, importance=composition.importance, scheduled_for=composition.scheduled_for,
        template_id=composition.template_id,
    )


async def _item_to_write(viewer: Viewer, ref: str) -> WorkItem:
    item = await visibility.get_work_item(viewer, ref, for_update=True)
    visibility.check_can_write(viewer, item)
    if not viewer.is_user:
        raise Forbidden("Only employees compose email.")
    if item.status is Status.CLOSED:
        raise InvalidTransition(f"{item.ref} is closed; no email can be written on it.", field="ref", **{"from": "CLOSED", "to": "CLOSED"})
    return item


async def _own_draft(viewer: Viewer, email_id: int) -> tuple[Email, WorkItem]:
    """The viewer's draft, locked, and its item (locked too, after the checks of writing to it)."""
    missing = NotFound(f"No draft {email_id} of yours exists.", field="id")
    if not viewer.is_user:
        raise missing
    draft = await Email.filter(id=email_id, status=EmailStatus.DRAFT, created_by_id=viewer.id).select_for_update().first()
    ref = await visibility.visible_work_items(viewer).filter(id=draft.work_item_id).values_list("ref", flat=True) if draft else []
    if not ref:
        raise missing
    return draft, await _item_to_write(viewer, ref[0])


# ----------------------------------------------------------------------------------- the actions


def _draft_fields(content: _Content) -> dict:
    return dict(
        subject=content.subject, to_addresses=content.to, cc_addresses=content.cc, bcc_addresses=content.bcc,
        text_body=content.text_body, html_body=content.html_body, importance=content.importance,
        scheduled_for=content.scheduled_for, template_id=content.template_id,
    )


async def save_draft(viewer: Viewer, ref: str, composition: Composition) -> Composed:
    """A new draft on the item: kept as written (it need not be complete yet), checked as any email."""
    async with unit_of_work():
        item = await _item_to_write(viewer, ref)
        content = await _content(viewer, item, composition)
        email = await Email.create(
            work_item_id=item.id, direction=EmailDirection.OUTBOUND, status=EmailStatus.DRAFT, created_by_id=viewer.id,
            **_draft_fields(content),
        )
        await EmailAttachment.bulk_create([_attachment_row(email, a) for a in composition.attachments])
    return Composed(email, item)


async def update_draft(viewer: Viewer, email_id: int, composition: Composition, remove_attachment_ids: list[int] | None = None) -> Composed:
    """The draft now holds `composition`: its fields replaced, its new attachments added to those
    it keeps (all but `remove_attachment_ids`, which must be its own)."""
    async with unit_of_work():
        draft, item = await _own_draft(viewer, email_id)
        removed = set(remove_attachment_ids or [])
        existing = dict(await EmailAttachment.filter(email_id=draft.id).values_list("id", "size"))
        if removed - set(existing):
            unknown = ", ".join(str(i) for i in sorted(removed - set(existing)))
            raise ValidationError.single("removeAttachmentIds", f"the draft has no attachment {unknown}")
        kept = [size for attachment_id, size in existing.items() if attachment_id not in removed]
        content = await _content(viewer, item, composition, (len(kept), sum(kept)))
        fields = _draft_fields(content)
        for name, value in fields.items():
            setattr(draft, name, value)
        await draft.save(update_fields=list(fields))
        if removed:
            await EmailAttachment.filter(email_id=draft.id, id__in=removed).delete()
        await EmailAttachment.bulk_create([_attachment_row(draft, a) for a in composition.attachments])
    return Composed(draft, item)


async def discard_draft(viewer: Viewer, email_id: int) -> int:
    """The draft is deleted, with its attachments; its id."""
    async with unit_of_work():
        draft, _item = await _own_draft(viewer, email_id)
        await draft.delete()
    return email_id


async def send_draft(viewer: Viewer, email_id: int, team_recipients: list[TeamDecision] | None = None) -> Composed:
    """The draft is queued as it stands (it must now be complete: recipients and a subject), with
    the answers for its recipients that are other teams' mailboxes."""
    async with unit_of_work() as uow:
        draft, item = await _own_draft(viewer, email_id)
        teams = await team_mail.prepare(uow, viewer, item, list(draft.to_addresses), list(draft.cc_addresses), team_recipients or [],
                                        body=draft.text_body or "")
        email = await outbox.queue_email(
            uow, item, viewer, to=teams.to, cc=teams.cc, bcc=list(draft.bcc_addresses),
            subject=draft.subject, body=draft.text_body or "", html_body=draft.html_body, importance=draft.importance,
            scheduled_for=draft.scheduled_for, draft=draft,
        )
        await team_mail.share(uow, viewer, item, email, teams)
        await pick_up_on_update(uow, item, viewer)
    return Composed(email, item)


async def send_email(viewer: Viewer, ref: str, composition: Composition) -> Composed:
    """Compose and queue in one step."""
    async with unit_of_work() as uow:
        item = await _item_to_write(viewer, ref)
        content = await _content(viewer, item, composition)
        teams = await team_mail.prepare(uow, viewer, item, content.to, content.cc, composition.team_recipients, body=content.text_body)
        email = await outbox.queue_email(
            uow, item, viewer, to=teams.to, cc=teams.cc, bcc=content.bcc, subject=content.subject, body=content.text_body,
            html_body=content.html_body, importance=content.importance, scheduled_for=content.scheduled_for,
            template_id=content.template_id,
        )
        await EmailAttachment.bulk_create([_attachment_row(email, a) for a in composition.attachments])
        await team_mail.share(uow, viewer, item, email, teams)
        await pick_up_on_update(uow, item, viewer)
    return Composed(email, item)


async def drafts(viewer: Viewer, ref: str | None = None) -> list[Email]:
    """The viewer's drafts, newest first: on the item `ref`, or on every item they may see."""
    if not viewer.is_user:
        return []
    query = Email.filter(status=EmailStatus.DRAFT, created_by_id=viewer.id, direction=EmailDirection.OUTBOUND)
    if ref is not None:
        item = await visibility.get_work_item(viewer, ref)
        query = query.filter(work_item_id=item.id)
    else:
        query = query.filter(work_item_id__in=Subquery(visibility.visible_work_items(viewer).values("id")))
    return await query.order_by("-id")
