"""The viewer's own streams: `notifications` and `outboxUpdated`.

Both are per user (a cohort is one user's subscriptions with the same document); each message is
the change and the state a client shows next to it (the unread count; the email as it is now).
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

import strawberry

from models.enums import OutboxView
from server.domain import notifications, outbox_views
from server.domain.events import Envelope, NotificationCreated, NotificationsRead, OutboxEmailChanged
from server.domain.viewer import Viewer
from server.resolvers.outbox import present
from server.schema.lifecycle import Notification
from server.schema.live import OwnStream, cursor_of
from server.schema.outbox import OutboxEmail
from server.subscriptions.cohorts import Opened

SNAPSHOT_NOTIFICATIONS = 20
SNAPSHOT_OUTBOX = 100


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


class OutboxSource(OwnStream):
    name = "outboxUpdated"

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> OutboxUpdate:
        rows = await outbox_views.in_view(viewer, OutboxView.MINE).limit(SNAPSHOT_OUTBOX)
        return OutboxUpdate(snapshot=True, cursor=cursor_of(cursor), emails=await present(rows))

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> OutboxUpdate | None:
        event = envelope.event
        if not isinstance(event, OutboxEmailChanged) or event.created_by_id != viewer.id:
            return None
        rows = await outbox_views.visible_emails(viewer).filter(id=event.email_id, created_by_id=viewer.id)
        return OutboxUpdate(snapshot=False, cursor=cursor_of(envelope.cursor), emails=await present(rows)) if rows else None


notifications_source = NotificationsSource()
outbox_source = OutboxSource()
