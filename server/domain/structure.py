"""What finishing one item means for the items around it (SPEC §2.2 rules 9–14).

Called by `lifecycle.change_status` whenever an item becomes RESOLVED or CLOSED: an action's case
moves on or gets a problem; a sub-case's parent stops waiting; a case started from a ticket
resolves that ticket; the last part of a split ticket resolves the source.
"""

from __future__ import annotations

from models.enums import WorkItemType
from models.work_item import WorkItem
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer


async def item_done(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> None:
    from server.domain import cases, tickets

    if item.type is WorkItemType.ACTION:
        await cases.action_closed(uow, item, actor)
    elif item.type is WorkItemType.CASE:
        await cases.case_done(uow, item, actor)
    elif item.type is WorkItemType.TICKET:
        await tickets.part_done(uow, item, actor)
