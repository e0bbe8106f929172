"""Following (SPEC §8): an employee's watch list of work items, and what its followers are told.

Only an employee follows, and only an item they may see; an item they lose access to leaves their
list (the list starts from what they see) and following it again answers NOT_FOUND.

Whoever changes an item they follow — a person through the API, inbound mail, the scheduler — its
followers get one FOLLOWED_ITEM_CHANGED notification per unit of work saying what happened
(`notify_followers`, a hook of every unit of work): not for what they did themselves (the events'
actor), not when the same unit of work already notified them of that item (ASSIGNED, MENTION...),
and only while they may see it as it now stands. One statement finds the followers of every item
the unit of work changed; an item nobody follows costs nothing more.
"""

from __future__ import annotations

from typing import Sequence

from tortoise.expressions import Subquery

from models.enums import NotificationKind, Status, TimelineKind
from models.finding import WorkItemFollower
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, lists, notifications, visibility
from server.domain.errors import Forbidden
from server.domain.events import (
    DomainEvent,
    EmailShared,
    EmailUnshared,
    NotificationCreated,
    TimelineEntryAdded,
    WorkItemAssigned,
    WorkItemCreated,
    WorkItemDueMissed,
    WorkItemEvent,
    WorkItemFieldsChanged,
    WorkItemStatusChanged,
    WorkItemSubmitted,
)
from server.domain.uow import UnitOfWork, before_commit, unit_of_work
from server.domain.viewer import Viewer, ViewerKind


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


STATUS_SAID = {
    Status.DRAFT: "is a draft again",
    Status.TO_DO: "is to do",
    Status.IN_PROGRESS: "is in progress",
    Status.WAITING: "is waiting",
    Status.RESOLVED: "was resolved",
    Status.CLOSED: "was closed",
}

# timeline entries that are news of their own; the others repeat an event said otherwise
# (STATUS_CHANGED beside WorkItemStatusChanged, ASSIGNED beside WorkItemAssigned, ...)
ENTRY_SAID = {
    TimelineKind.NOTE: "New note on {ref}",
    TimelineKind.EMAIL_IN: "New email on {ref}",
    TimelineKind.EMAIL_OUT: "Email sent from {ref}",
    TimelineKind.EMAIL_SCHEDULED: "Email scheduled on {ref}",
    TimelineKind.PHONE_CALL: "Phone call logged on {ref}",
    TimelineKind.LETTER: "Letter logged on {ref}",
    TimelineKind.PORTAL_MESSAGE: "New portal message on {ref}",
    TimelineKind.FEEDBACK: "New feedback on {ref}",
    TimelineKind.MERGED: "{ref} took part in a merge",
    TimelineKind.SPLIT: "{ref} took part in a split",
    TimelineKind.CASE_STARTED: "A case was started with {ref}",
    TimelineKind.ACTION_STARTED: "An action was started on {ref}",
    TimelineKind.CASE_REWORKED: "{ref} was sent back for rework",
    TimelineKind.PEER_REVIEW: "Peer review on {ref}",
    TimelineKind.CASE_PROBLEM: "An action of {ref} has a problem",
}

# fields whose change is nobody else's news: the assignee read the item, or marked it new
UNSAID_FIELDS = frozenset({"hasNewInfo"})


def _said(event: WorkItemEvent, names: dict[int, str]) -> tuple[int, str] | None:
    """What `event` tells a follower, most telling first (its rank), or None."""
    ref = event.ref
    if isinstance(event, WorkItemStatusChanged):
        return 0, f"{ref} {STATUS_SAID[Status(event.to_status)]}"
    if isinstance(event, WorkItemSubmitted):
        return 0, f"{ref} was submitted"
    if isinstance(event, WorkItemAssigned):
        if event.to_user_id is None:
            return 1, f"{ref} was unassigned"
        return 1, f"{ref} was assigned to {names.get(event.to_user_id, 'someone')}"
    if isinstance(event, WorkItemDueMissed):
        return 1, f"{ref} missed its due date"
    if isinstance(event, TimelineEntryAdded):
        said = ENTRY_SAID.get(TimelineKind(event.kind))
        return (2, said.format(ref=ref)) if said else None
    if isinstance(event, EmailShared):
        return 2, f"An email was shared to {ref}"
    if isinstance(event, EmailUnshared):
        return 2, f"A shared email was taken off {ref}"
    if isinstance(event, WorkItemFieldsChanged):
        fields = [f for f in event.fields if f not in UNSAID_FIELDS]
        if not fields:
            return None
        if "departmentId" in fields:
            return 1, f"{ref} moved to another department"
        return 3, f"{ref} was edited: {', '.join(fields)}"
    return None


def summary(events: Sequence[WorkItemEvent], names: dict[int, str]) -> str | None:
    """One short line for what `events` did to one item: the most telling change, and how many
    others there were."""
    said: dict[str, int] = {}
    for event in events:
        found = _said(event, names)
        if found is not None:
            rank, text = found
            said[text] = min(rank, said.get(text, rank))
    if not said:
        return None
    first, *others = sorted(said, key=said.__getitem__)  # stable: in order of the events within a rank
    if not others:
        return first
    return f"{first} (and {len(others)} more change{'s' if len(others) > 1 else ''})"


def _by(event: WorkItemEvent, user_id: int) -> bool:
    return event.actor_kind == ViewerKind.USER.value and event.actor_id == user_id


def _changed_items(events: list[DomainEvent]) -> dict[int, list[WorkItemEvent]]:
    """The events of each item the unit of work changed (one it created has nobody following it yet)."""
    created = {e.work_item_id for e in events if isinstance(e, WorkItemCreated)}
    changed: dict[int, list[WorkItemEvent]] = {}
    for event in events:
        if isinstance(event, WorkItemEvent) and event.work_item_id not in created:
            changed.setdefault(event.work_item_id, []).append(event)
    return changed


@before_commit
async def notify_followers(uow: UnitOfWork) -> None:
    """Tell the followers of the items this unit of work changed what happened to them."""
    changed = _changed_items(uow.events)
    if not changed:
        return
    follows = await WorkItemFollower.filter(work_item_id__in=sorted(changed)).order_by("work_item_id", "user_id").values_list(
        "work_item_id", "user_id"
    )
    if not follows:
        return
    items = {i.id: i for i in await WorkItem.filter(id__in={item_id for item_id, _ in follows})}
    assignees = {e.to_user_id for item_id, _ in follows for e in changed[item_id] if isinstance(e, WorkItemAssigned) and e.to_user_id}
    names = dict(await User.filter(id__in=assignees).values_list("id", "name")) if assignees else {}
    told = {(e.user_id, e.work_item_id) for e in uow.events if isinstance(e, NotificationCreated)}
    texts: dict[int, dict[int, str]] = {}  # item → follower → what they are told
    for item_id, user_id in follows:
        if item_id not in items or (user_id, item_id) in told:
            continue
        text = summary([e for e in changed[item_id] if not _by(e, user_id)], names)
        if text is not None:
            texts.setdefault(item_id, {})[user_id] = text
    for item_id, told_of_item in texts.items():  # per item: its readers in two statements, a row each
        await notifications.notify_all(uow, told_of_item, NotificationKind.FOLLOWED_ITEM_CHANGED, items[item_id])
