"""Recently accessed items (SPEC §8): the items an employee opened last, newest first.

Opening an item (`workItem(ref)`) records it with one upsert and drops the employee's rows past
the last `KEPT`: two statements, whatever the history. The list starts from what the employee
sees, so an item they lost access to disappears from it.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.finding import RecentWorkItem
from models.work_item import WorkItem
from server.domain import clock, visibility
from server.domain.errors import Forbidden
from server.domain.viewer import Viewer

KEPT = 50

_UPSERT = (
    "INSERT INTO recent_work_item (user_id, work_item_id, opened_at) VALUES ({0}, {1}, {2}) "
    "ON CONFLICT (user_id, work_item_id) DO UPDATE SET opened_at = excluded.opened_at"
)
_TRIM = (
    "DELETE FROM recent_work_item WHERE user_id = {0} AND id NOT IN "
    "(SELECT id FROM recent_work_item WHERE user_id = {1} ORDER BY opened_at DESC, id DESC LIMIT {2})"
)


async def record(viewer: Viewer, item: WorkItem) -> None:
    """The employee opened the item now (contacts and API keys keep no history)."""
    if viewer.user_id is None:
        return
    connection = RecentWorkItem._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    marks = ("$1", "$2", "$3") if postgres else ("?", "?", "?")
    await connection.execute_query(_UPSERT.format(*marks), [viewer.user_id, item.id, clock.now()])
    await connection.execute_query(_TRIM.format(marks[0], marks[1], int(KEPT)), [viewer.user_id, viewer.user_id])


async def recent(viewer: Viewer, first: int) -> list[WorkItem]:
    """The items I opened last that I may still see, the latest first (at most `KEPT`)."""
    if viewer.user_id is None:
        raise Forbidden("Only employees have recently accessed items.")
    rows = await RecentWorkItem.filter(user_id=viewer.user_id).order_by("-opened_at", "-id").limit(KEPT).values_list(
        "work_item_id", flat=True
    )
    if not rows:
        return []
    items = {i.id: i for i in await visibility.visible_work_items(viewer).filter(Q(id__in=list(rows)))}
    return [items[i] for i in rows if i in items][:first]

