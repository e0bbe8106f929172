"""What finishing one item means for the items around it (SPEC §2.2 rules 9–14), as a registry.

`change_status` calls `item_done` whenever an item becomes RESOLVED or CLOSED. The modules that
know the structure register their reactions here when they are imported — cases: an action's case
moves on or gets a problem, a sub-case's parent stops waiting; tickets: the last part of a split
ticket resolves the source, a case started from a ticket resolves (or returns) the ticket — so the
status machine needs to import none of them. server.domain.lifecycle imports both, so whoever
changes status through it has every reaction.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from models.enums import WorkItemType
from models.work_item import WorkItem
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer

Reaction = Callable[[UnitOfWork, WorkItem, "Viewer | None"], Awaitable[None]]

_ON_DONE: dict[WorkItemType, list[Reaction]] = {}


def on_done(*item_types: WorkItemType) -> Callable[[Reaction], Reaction]:
    """Register the decorated function to run when an item of one of `item_types` is done."""

    def register(reaction: Reaction) -> Reaction:
        for item_type in item_types:
            reactions = _ON_DONE.setdefault(item_type, [])
            if reaction not in reactions:
                reactions.append(reaction)
        return reaction

    return register


def registered() -> dict[WorkItemType, tuple[Reaction, ...]]:
    return {item_type: tuple(reactions) for item_type, reactions in _ON_DONE.items()}


async def item_done(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> None:
    """Run the reactions to `item` becoming RESOLVED or CLOSED, in the order they registered."""
    for reaction in _ON_DONE.get(item.type, ()):
        await reaction(uow, item, actor)
