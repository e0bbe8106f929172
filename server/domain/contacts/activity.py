"""A contact's activity (SPEC §7, the contact activity page of seed 004): the work items the
contact is on — as requester, primary contact or one of the others — newest first, of those the
viewer may see (server/domain/visibility.py): nothing about the others, not even how many.

Pages of several contacts (a list of contacts each showing its activity) load together: one
query for every page's items, and one more telling which of them are on which contact."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from models.work_item import WorkItem
from server.domain import visibility
from server.domain.contacts.scope import on_items_of
from server.domain.viewer import Viewer


@dataclass(frozen=True)
class ActivityPage:
    items: list[WorkItem]
    has_next: bool


def _newest(viewer: Viewer, contact_id: int, first: int, before: int | None):
    query = visibility.visible_work_items(viewer).filter(on_items_of(contact_id))
    if before is not None:
        query = query.filter(id__lt=before)
    return query.distinct().order_by("-id").limit(first + 1)


async def pages(viewer: Viewer, contact_ids: list[int], first: int, before: int | None) -> dict[int, ActivityPage]:
    """Each contact's page of `first` items older than the item `before` (None: from the newest)."""
    wanted = sorted(set(contact_ids))
    if not wanted:
        return {}
    if len(wanted) == 1:
        rows = list(await _newest(viewer, wanted[0], first, before))
        return {wanted[0]: ActivityPage(rows[:first], len(rows) > first)}
    either = Q(*(Q(id__in=Subquery(_newest(viewer, c, first, before).values("id"))) for c in wanted), join_type="OR")
    rows = list(await WorkItem.filter(either).order_by("-id"))
    others: dict[int, set[int]] = {}
    if rows:
        for item_id, contact_id in await WorkItem.filter(id__in=[r.id for r in rows]).values_list("id", "contacts__id"):
            if contact_id is not None:
                others.setdefault(item_id, set()).add(contact_id)
    found = {}
    for contact_id in wanted:
        own = [r for r in rows if contact_id in (r.requester_id, r.primary_contact_id) or contact_id in others.get(r.id, ())]
        found[contact_id] = ActivityPage(own[:first], len(own) > first)
    return found
