"""Notifications for a user (SPEC §6): written with the change that causes them, pushed after commit.

A notification carries its item's reference and often its title: it is given only to a recipient
who may see the item as it stands after the change (an active user, checked by the visibility
layer), never to one who may not — whatever the kind, mentions and team leaders included.

Read later, a notification shows only while its recipient may still see its item: one about an
item they can no longer see (handed on to someone else, moved to another department) is left out
of their notifications, their unread count and marking all read — until they may see it again.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models.enums import NotificationKind
from models.notification import Notification
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, visibility
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer, user_viewers
from server.domain.events import NotificationCreated, NotificationsRead


async def notify(uow: UnitOfWork, user_id: int | None, kind: NotificationKind, item: WorkItem | None, text: str) -> None:
    if user_id is not None:
        await notify_all(uow, {user_id: text}, kind, item)


async def notify_all(uow: UnitOfWork, texts: dict[int, str], kind: NotificationKind, item: WorkItem | None) -> None:
    """Notify each user of `texts` (user id → their text) who may read it now: two statements for
    all of them (who is active, and their access), then one row each."""
    readers = await _readers(sorted(texts), item)
    for user_id in sorted(readers):
        text = texts[user_id]
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
                created_at=notification.created_at.isoformat(),
            )
        )


async def _readers(user_ids: list[int], item: WorkItem | None) -> set[int]:
    """Those of `user_ids` who are active and may see `item` (as it is now)."""
    if not user_ids:
        return set()
    users = list(await User.filter(id__in=user_ids, is_active=True))
    if item is None:
        return {u.id for u in users}
    return {user_id for user_id, viewer in (await user_viewers(users)).items() if visibility.can_see(viewer, item)}


MAX_LISTED = 200


def readable(viewer: Viewer) -> QuerySet[Notification]:
    """The viewer's notifications they may read now: those about no item, or about an item they
    may see as it stands (one statement: the visibility scope as a subquery)."""
    query = Notification.filter(user_id=viewer.id)
    scope = visibility.work_item_scope(viewer)
    if scope is None:
        return query
    visible_ids = Subquery(WorkItem.filter(scope).values("id"))
    return query.filter(Q(work_item_id__isnull=True) | Q(work_item_id__in=visible_ids))


async def listed(viewer: Viewer, *, unread_only: bool, first: int) -> list[Notification]:
    """The viewer's readable notifications, newest first, with their items loaded (two statements)."""
    if not viewer.is_user:
        return []
    query = readable(viewer)
    if unread_only:
        query = query.filter(read_at=None)
    return await query.order_by("-id").limit(max(1, min(first, MAX_LISTED))).prefetch_related("work_item")


async def unread_count(viewer: Viewer) -> int:
    return await readable(viewer).filter(read_at=None).count() if viewer.is_user else 0


async def mark_read(viewer: Viewer, notification_ids: list[int] | None) -> int:
    """Mark the viewer's readable notifications read (all of them when no ids are given); how many
    changed."""
    query = readable(viewer).filter(read_at=None)
    if notification_ids is not None:
        query = query.filter(id__in=notification_ids)
    async with unit_of_work() as uow:
        ids = await query.values_list("id", flat=True)
        if not ids:
            return 0
        now = clock.now()
        changed = await Notification.filter(id__in=ids, read_at=None).update(read_at=now)
        uow.emit(NotificationsRead(user_id=viewer.id, notification_ids=tuple(sorted(ids)), all=notification_ids is None, read_at=now.isoformat()))
    return changed
