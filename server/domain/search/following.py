"""Following (SPEC §8): an employee's watch list of work items.

Only an employee follows, and only an item they may see; an item they lose access to leaves their
list (the list starts from what they see) and following it again answers NOT_FOUND.
"""

from __future__ import annotations

from tortoise.expressions import Subquery

from models.finding import WorkItemFollower
from models.work_item import WorkItem
from server.domain import clock, lists, visibility
from server.domain.errors import Forbidden
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer


def _user(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Forbidden("Only employees follow work items.")
    return viewer.user_id


async def follow(viewer: Viewer, ref: str) -> WorkItem:
    async with unit_of_work():
        item = await visibility.get_work_item(viewer, ref)
        user_id = _user(viewer)
        await WorkItemFollower.get_or_create(user_id=user_id, work_item_id=item.id, defaults={"created_at": clock.now()})
    return item


async def unfollow(viewer: Viewer, ref: str) -> WorkItem:
    async with unit_of_work():
        item = await visibility.get_work_item(viewer, ref)
        await WorkItemFollower.filter(user_id=_user(viewer), work_item_id=item.id).delete()
    return item


async def followed(viewer: Viewer, first: int, after: str | None) -> lists.Page:
    """The items I follow and may still see, newest first."""
    mine = Subquery(WorkItemFollower.filter(user_id=_user(viewer)).values("work_item_id"))
    query = visibility.visible_work_items(viewer).filter(id__in=mine)
    return await lists._page("followedWorkItems", query, viewer, lists.Criteria(), lists.NEWEST_FIRST, first, after)
