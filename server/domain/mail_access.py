"""Who may read an email's bytes — the message as received, an attachment's content — by the
visibility layer's rule for work items: an admin, or whoever sees the email's work item or an
item it was shared to (a portal requester: their own item's mail only, never mail shared between
teams). A draft is its author's alone. Anything else is NOT_FOUND, as for a missing email."""

from __future__ import annotations

from models.email import Email, EmailAttachment, EmailShare
from models.enums import EmailDirection, EmailStatus
from models.work_item import WorkItem
from server.domain import visibility
from server.domain.errors import NotFound
from server.domain.viewer import Viewer


async def visible_email(viewer: Viewer, email_id: int) -> Email:
    email = await Email.get_or_none(id=email_id)
    if email is not None and await _may_read(viewer, email):
        return email
    raise NotFound(f"No email {email_id} that you may see.", field="emailId")


async def _may_read(viewer: Viewer, email: Email) -> bool:
    if email.status is EmailStatus.DRAFT:
        return viewer.is_user and email.created_by_id == viewer.id
    if viewer.is_admin:
        return True
    item_ids = [email.work_item_id] if email.work_item_id else []
    if viewer.is_user or viewer.is_api_key:
        item_ids += await EmailShare.filter(email_id=email.id).values_list("work_item_id", flat=True)
    return any(visibility.can_see(viewer, item) for item in await WorkItem.filter(id__in=item_ids))


async def source(viewer: Viewer, email_id: int) -> bytes:
    """A received message exactly as it arrived."""
    email = await visible_email(viewer, email_id)
    if email.direction is not EmailDirection.INBOUND or not email.raw_message:
        raise NotFound(f"No received message {email_id} that you may see.", field="emailId")
    return bytes(email.raw_message)


async def attachment(viewer: Viewer, attachment_id: int) -> EmailAttachment:
    """An attachment with its content, of an email the viewer may read."""
    found = await EmailAttachment.get_or_none(id=attachment_id)
    if found is None:
        raise NotFound(f"No attachment {attachment_id} that you may see.", field="attachmentId")
    try:
        await visible_email(viewer, found.email_id)
    except NotFound:
        raise NotFound(f"No attachment {attachment_id} that you may see.", field="attachmentId") from None
    return found
