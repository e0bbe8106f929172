"""What the portal shows a requester: their tickets and each one's public timeline (SPEC §7).

The public timeline holds the initial submission, portal messages (with their files), public
notes, feedback, and the emails between the ticket and its requester — received from them, or
sent with them among the To/Cc recipients (never a draft, never a Bcc-only copy, never mail shared
from another team's item, never an automatic message). Staff appear by display name only. Internal
notes, assignments, queues and every other entry are not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses

from tortoise.expressions import Q

from models.contact import Contact
from models.email import Email
from models.enums import EmailDirection, EmailStatus, Status, TimelineKind
from models.org import User
from models.portal import PortalAttachment
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import visibility
from server.domain.errors import NotFound
from server.domain.viewer import Viewer

PUBLIC_KINDS = (TimelineKind.INITIAL_DESCRIPTION, TimelineKind.PORTAL_MESSAGE, TimelineKind.NOTE, TimelineKind.FEEDBACK,
                TimelineKind.EMAIL_IN, TimelineKind.EMAIL_OUT)
HIDDEN_EMAIL_STATES = (EmailStatus.DRAFT, EmailStatus.CANCELLED)


@dataclass(frozen=True)
class FileInfo:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class PublicEntry:
    id: int
    kind: str
    at: datetime
    author_name: str | None  # a display name; None for the system
    from_requester: bool
    subject: str | None
    body: str | None
    rating: int | None = None
    files: list[FileInfo] = field(default_factory=list)


async def tickets(viewer: Viewer, statuses: list[Status] | None, first: int, after_id: int | None) -> tuple[list[WorkItem], bool]:
    """The viewer's portal tickets, newest first, `first` a page after the ticket `after_id`."""
    query = visibility.portal_tickets(viewer)
    if statuses:
        query = query.filter(status__in=statuses)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first


def _addresses(values: list[str]) -> set[str]:
    return {address.lower() for _, address in getaddresses(values or []) if address}


async def public_timelines(items: list[WorkItem]) -> dict[int, list[PublicEntry]]:
    """Each item's public timeline, oldest first, in a fixed number of queries for them all."""
    found: dict[int, list[PublicEntry]] = {i.id: [] for i in items}
    if not items:
        return found
    entries = await TimelineEntry.filter(work_item_id__in=list(found), kind__in=PUBLIC_KINDS, is_public=True,
                                         system_generated=False).order_by("created_at", "id")
    email_ids = {e.email_id for e in entries if e.email_id}
    emails = {e.id: e for e in await Email.filter(id__in=email_ids)} if email_ids else {}
    requesters = {c.id: c for c in await Contact.filter(id__in={i.requester_id for i in items if i.requester_id})}
    users = dict(await User.filter(id__in={e.actor_user_id for e in entries if e.actor_user_id}).values_list("id", "name"))
    contacts = {c.id: c.name or c.email for c in await Contact.filter(id__in={e.actor_contact_id for e in entries if e.actor_contact_id})}
    files: dict[int, list[FileInfo]] = {}
    for row in await PortalAttachment.filter(timeline_entry_id__in=[e.id for e in entries]).order_by("id").values(
        "id", "timeline_entry_id", "filename", "content_type", "size"
    ):
        files.setdefault(row["timeline_entry_id"], []).append(FileInfo(row["id"], row["filename"], row["content_type"], row["size"]))
    by_id = {i.id: i for i in items}
    for entry in entries:
        item = by_id[entry.work_item_id]
        requester = requesters.get(item.requester_id)
        subject = body = None
        from_requester = entry.actor_contact_id is not None and entry.actor_contact_id == item.requester_id
        if entry.email_id is not None:
            email = emails.get(entry.email_id)
            if email is None or email.work_item_id != item.id or email.status in HIDDEN_EMAIL_STATES or email.is_auto_reply:
                continue
            address = requester.email.lower() if requester else None
            if email.direction is EmailDirection.INBOUND:
                if address is None or not (email.contact_id == item.requester_id or (email.from_address or "").lower() == address):
                    continue
                from_requester = True
            elif address is None or address not in _addresses(list(email.to_addresses) + list(email.cc_addresses)):
                continue
            subject, body = email.subject, email.text_body
        else:
            body = entry.body
        if entry.actor_user_id is not None:
            author = users.get(entry.actor_user_id)
        elif entry.actor_contact_id is not None:
            author = contacts.get(entry.actor_contact_id)
        elif entry.email_id is not None and from_requester and requester is not None:
            author = requester.name or requester.email
        else:
            author = None
        found[item.id].append(PublicEntry(
            id=entry.id, kind=entry.kind.value, at=entry.created_at, author_name=author, from_requester=from_requester,
            subject=subject, body=body, rating=entry.data.get("rating") if entry.kind is TimelineKind.FEEDBACK else None,
            files=files.get(entry.id, []),
        ))
    return found


async def public_timeline(item: WorkItem) -> list[PublicEntry]:
    return (await public_timelines([item]))[item.id]


async def attachment(viewer: Viewer, attachment_id: int) -> PortalAttachment:
    """A file on one of the viewer's portal tickets (staff: on an item they may see)."""
    found = await PortalAttachment.get_or_none(id=attachment_id)
    if found is not None:
        if viewer.is_contact:
            visible = await visibility.portal_tickets(viewer).filter(id=found.work_item_id).exists()
        else:
            visible = await visibility.visible_work_items(viewer).filter(Q(id=found.work_item_id)).exists()
        if visible:
            return found
    raise NotFound(f"No attachment {attachment_id} that you may see.", field="attachmentId")
