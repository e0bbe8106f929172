"""Notifications for a user (SPEC §6): written with the change that causes them, pushed after commit."""

from __future__ import annotations

from models.enums import NotificationKind
from models.notification import Notification
from models.work_item import WorkItem
from server.domain import clock
from server.domain.uow import UnitOfWork
from server.subscriptions.events import NotificationCreated


async def notify(uow: UnitOfWork, user_id: int | None, kind: NotificationKind, item: WorkItem | None, text: str) -> None:
    if user_id is None:
        return
    notification = await Notification.create(
        user_id=user_id, kind=kind, work_item_id=item.id if item else None, text=text, created_at=clock.now()
    )
    uow.emit(
        NotificationCreated(
            user_id=user_id,
            notification_id=notification.id,
            kind=kind.value,
            text=text,
            work_item_id=item.id if item else None,
            ref=item.ref if item else None,
        )
    )


async def mark_read(user_id: int, notification_ids: list[int] | None) -> int:
    """Mark the user's notifications read (all of them when no ids are given); how many changed."""
    query = Notification.filter(user_id=user_id, read_at=None)
    if notification_ids is not None:
        query = query.filter(id__in=notification_ids)
    return await query.update(read_at=clock.now())
