"""What people do with the outbox (SPEC §5.1): cancel, retry by hand and send now — one email or
many at once — and the mail a disabled connector parked, queued again when it is enabled.

An email is the viewer's to act on when they may see it: it belongs to a work item they see (an
email of no item, only admins). A bulk action checks every email first and changes all or none:
an email that is not the viewer's is NOT_FOUND, one whose state does not allow the action (it is
being sent, or has been) a CONFLICT naming it. Each change is an `OutboxEmailChanged` event.
"""

from __future__ import annotations

from models.email import Email, EmailRecipient
from models.enums import EmailDirection, EmailStatus, RecipientStatus
from models.work_item import WorkItem
from server.domain import clock, visibility
from server.domain.errors import Conflict, NotFound, ValidationError
from server.domain.outbox import emit_changed
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

MAX_BULK = 500

CANCELLABLE = (EmailStatus.QUEUED, EmailStatus.RETRY_PENDING, EmailStatus.FAILED, EmailStatus.CONNECTOR_DISABLED)
RETRYABLE = (EmailStatus.RETRY_PENDING, EmailStatus.FAILED, EmailStatus.CONNECTOR_DISABLED)
SENDABLE_NOW = (EmailStatus.QUEUED, EmailStatus.RETRY_PENDING)


async def _own(viewer: Viewer, email_ids: list[int], allowed: tuple[EmailStatus, ...], action: str) -> list[tuple[Email, WorkItem | None]]:
    if not email_ids:
        raise ValidationError.single("emailIds", "name at least one email")
    if len(email_ids) > MAX_BULK:
        raise ValidationError.single("emailIds", f"at most {MAX_BULK} emails at once")
    wanted = list(dict.fromkeys(email_ids))
    emails = {e.id: e for e in await Email.filter(id__in=wanted).select_for_update()}
    items = {i.id: i for i in await WorkItem.filter(id__in={e.work_item_id for e in emails.values() if e.work_item_id})}
    found = []
    for email_id in wanted:
        email = emails.get(email_id)
        item = items.get(email.work_item_id) if email is not None and email.work_item_id else None
        if email is None or email.direction != EmailDirection.OUTBOUND or not _sees(viewer, email, item):
            raise NotFound(f"No outgoing email {email_id} that you may see.")
        if email.status not in allowed:
            raise Conflict(f"Email {email_id} is {email.status.value}: it cannot be {action}.")
        found.append((email, item))
    return found


def _sees(viewer: Viewer, email: Email, item: WorkItem | None) -> bool:
    if item is None:
        return viewer.is_admin
    return viewer.is_user and visibility.can_see(viewer, item)


async def cancel(viewer: Viewer, email_ids: list[int]) -> list[Email]:
    """Cancel emails not yet sent: they leave the outbox and no SMTP transaction is made."""
    async with unit_of_work() as uow:
        found = await _own(viewer, email_ids, CANCELLABLE, "cancelled")
        now = clock.now()
        for email, item in found:
            email.status, email.cancelled_at, email.cancelled_by_id, email.next_attempt_at = EmailStatus.CANCELLED, now, viewer.id, None
            await email.save(update_fields=["status", "cancelled_at", "cancelled_by_id", "next_attempt_at"])
            emit_changed(uow, email, item)
    return [email for email, _ in found]


async def retry(viewer: Viewer, email_ids: list[int]) -> list[Email]:
    """Try failed, parked or waiting emails again now, with a fresh count of automatic retries;
    recipients the server accepted before are not sent to again."""
    return await _due_now(viewer, email_ids, RETRYABLE, "retried", fresh_retries=True)


async def send_now(viewer: Viewer, email_ids: list[int]) -> list[Email]:
    """Send scheduled emails, or emails in their undo window, at once."""
    return await _due_now(viewer, email_ids, SENDABLE_NOW, "sent now", fresh_retries=False)


async def _due_now(viewer: Viewer, email_ids: list[int], allowed: tuple[EmailStatus, ...], action: str, *, fresh_retries: bool) -> list[Email]:
    async with unit_of_work() as uow:
        found = await _own(viewer, email_ids, allowed, action)
        now = clock.now()
        for email, item in found:
            email.status, email.next_attempt_at = EmailStatus.QUEUED, now
            fields = ["status", "next_attempt_at"]
            if fresh_retries:
                email.attempts = 0
                fields.append("attempts")
                await EmailRecipient.filter(email_id=email.id, status=RecipientStatus.REJECTED).update(status=RecipientStatus.PENDING)
            await email.save(update_fields=fields)
            emit_changed(uow, email, item)
    return [email for email, _ in found]


async def requeue_parked(connector_id: int) -> int:
    """The connector is enabled again: the mail it parked is due now. How many emails."""
    async with unit_of_work() as uow:
        parked = await Email.filter(connector_id=connector_id, status=EmailStatus.CONNECTOR_DISABLED).select_for_update()
        items = {i.id: i for i in await WorkItem.filter(id__in={e.work_item_id for e in parked if e.work_item_id})}
        now = clock.now()
        for email in parked:
            email.status, email.next_attempt_at = EmailStatus.QUEUED, now
            await email.save(update_fields=["status", "next_attempt_at"])
            emit_changed(uow, email, items.get(email.work_item_id))
    return len(parked)
