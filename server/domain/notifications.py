"""Notifications for a user (SPEC §6): written with the change that causes them, pushed after commit.

A notification carries its item's reference and often its title: it is given only to a recipient
who may see the item as it stands after the change (an active user, checked by the visibility
layer), never to one who may not — whatever the kind, mentions and team leaders included.
"""

from __future__ import annotations

from models.enums import NotificationKind
from models.notification import Notification
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, visibility
from server.domain.uow import UnitOfWork
from server.domain.viewer import user_viewer
from server.subscriptions.events import NotificationCreated


async def notify(uow: UnitOfWork, user_id: int | None, kind: NotificationKind, item: WorkItem | None, text: str) -> None:
    if user_id is None or not await may_read(user_id, item):
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


async def may_read(user_id: int, item: WorkItem | None) -> bool:
    """The user is active and may see `item` (as it is now)."""
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None:
        return False
    return item is None or visibility.can_see(await user_viewer(user), item)


async def mark_read(user_id: int, notification_ids: list[int] | None) -> int:
    """Mark the user's notifications read (all of them when no ids are given); how many changed."""
    query = Notification.filter(user_id=user_id, read_at=None)
    if notification_ids is not None:
        query = query.filter(id__in=notification_ids)
    return await query.update(read_at=clock.now())
