"""The viewer's own streams: `notifications` and `outboxUpdated`.

Both are per user (a cohort is one user's subscriptions with the same document); each message is
the change and the state a client shows next to it (the unread count; the email as it is now).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Optional

import strawberry

from tortoise.expressions import Subquery

from models.email import Email
from models.enums import EmailStatus
from server.domain import notifications, visibility
from server.domain.events import Envelope, NotificationCreated, NotificationsRead, OutboxEmailChanged
from server.domain.viewer import Viewer
from server.schema.lifecycle import Notification
from server.schema.live import OwnStream, cursor_of
from server.subscriptions.cohorts import Opened

SNAPSHOT_NOTIFICATIONS = 20


@strawberry.enum(description="What a notifications message says: the state, a new notification, some marked read.")
class NotificationEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    CREATED = "CREATED"
    READ = "READ"


@strawberry.type(description="The viewer's notifications: a snapshot, then each change, with the unread count after it.")
class NotificationsUpdate:
    kind: NotificationEventKind
    cursor: Optional[str]
    unread_count: int
    notifications: list[Notification] = strawberry.field(description="SNAPSHOT: the newest ones; CREATED: the new one; READ: those marked read.")


@strawberry.type(description="An outgoing email as the outbox shows it.")
class OutboxEmail:
    id: strawberry.ID
    status: str
    subject: str
    to: list[str]
    work_item_ref: Optional[str]
    created_at: datetime
    sent_at: Optional[datetime]
    error: Optional[str]

    @classmethod
    def from_model(cls, row: Email, ref: Optional[str]) -> "OutboxEmail":
        return cls(
            id=strawberry.ID(str(row.id)), status=row.status.value, subject=row.subject, to=list(row.to_addresses or []),
            work_item_ref=ref, created_at=row.created_at, sent_at=row.sent_at, error=row.last_error,
        )


@strawberry.type(description="The viewer's outgoing emails: those in the outbox first, then every change of state.")
class OutboxUpdate:
    snapshot: bool
    cursor: Optional[str]
    emails: list[OutboxEmail]


class NotificationsSource(OwnStream):
    name = "notifications"

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> NotificationsUpdate:
        rows = await notifications.listed(viewer, unread_only=False, first=SNAPSHOT_NOTIFICATIONS)
        return NotificationsUpdate(
            kind=NotificationEventKind.SNAPSHOT, cursor=cursor_of(cursor),
            unread_count=await notifications.unread_count(viewer), notifications=[Notification.from_model(n) for n in rows],
        )

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> NotificationsUpdate | None:
        event = envelope.event
        if isinstance(event, NotificationCreated):
            kind, ids = NotificationEventKind.CREATED, [event.notification_id]
        elif isinstance(event, NotificationsRead):
            kind, ids = NotificationEventKind.READ, list(event.notification_ids)
        else:
            return None
        rows = await notifications.readable(viewer).filter(id__in=ids).prefetch_related("work_item")
        if not rows:
            return None  # about an item the viewer may no longer see
        return NotificationsUpdate(
            kind=kind, cursor=cursor_of(envelope.cursor), unread_count=await notifications.unread_count(viewer),
            notifications=[Notification.from_model(n) for n in sorted(rows, key=lambda n: -n.id)],
        )


# what is still in the outbox (a sent or cancelled email has left it)
OUTBOX_STATUSES = (EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.RETRY_PENDING, EmailStatus.FAILED, EmailStatus.CONNECTOR_DISABLED)


class OutboxSource(OwnStream):
    name = "outboxUpdated"

    async def _emails(self, viewer: Viewer, **filters: Any) -> list[OutboxEmail]:
        visible = visibility.visible_work_items(viewer).values("id")
        rows = await Email.filter(created_by_id=viewer.id, work_item_id__in=Subquery(visible), **filters).order_by("-id").limit(100).prefetch_related("work_item")
        return [OutboxEmail.from_model(row, row.work_item.ref if row.work_item else None) for row in rows]

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> OutboxUpdate:
        emails = await self._emails(viewer, status__in=list(OUTBOX_STATUSES))
        return OutboxUpdate(snapshot=True, cursor=cursor_of(cursor), emails=emails)

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> OutboxUpdate | None:
        event = envelope.event
        if not isinstance(event, OutboxEmailChanged) or event.created_by_id != viewer.id:
            return None
        emails = await self._emails(viewer, id=event.email_id)
        return OutboxUpdate(snapshot=False, cursor=cursor_of(envelope.cursor), emails=emails) if emails else None


notifications_source = NotificationsSource()
outbox_source = OutboxSource()
