"""Linked work items, the linked group, and emails shared between linked items (SPEC §3).

- A link is made by a person (or a partner system) between any two items they may see and change;
  it holds both ways, is stored once, and linking twice changes nothing. Every link change is a
  timeline entry on both items.
- The linked group is structure, not links: a case with its actions and sub-cases, the ticket it
  came from, split parts, and the tickets merged into any of them.
- An email of one item can be shared to an item linked to it — also one in a department the sharer
  may not see (they see its header): it then shows on that item's timeline, marked shared, with
  its origin, and the item's assignee gets new information.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.email import Email, EmailShare
from models.enums import NotificationKind
from models.timeline import TimelineEntry
from models.work_item import WorkItem, WorkItemLink
from server.domain import clock, notifications, timeline, visibility
from server.domain.errors import NotFound, ValidationError
from server.domain.lifecycle import Outcome, load_for_change, set_flags
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer
from server.domain.item_store import event_base
from server.domain.events import EmailShared, EmailUnshared, WorkItemFieldsChanged

MAX_GROUP = 500


def _pair(a: WorkItem, b: WorkItem) -> tuple[int, int]:
    return (a.id, b.id) if a.id < b.id else (b.id, a.id)


async def linkable(viewer: Viewer, ref: str, field: str) -> WorkItem:
    """The second item of a link: one the viewer may see and change, reported on `field`."""
    other = await visibility.visible_work_items(viewer).get_or_none(ref=visibility.normalise_ref(ref))
    if other is None:
        raise NotFound(f"No work item {visibility.normalise_ref(ref)} exists.", field=field)
    visibility.check_can_write(viewer, other)
    return other


async def add_link(uow: UnitOfWork, item: WorkItem, other: WorkItem, actor: Viewer | None) -> bool:
    """Link two items (inside the caller's unit of work); False when they already were."""
    if item.id == other.id:
        raise ValidationError.single("otherRef", "an item cannot be linked to itself")
    low, high = _pair(item, other)
    if await WorkItemLink.exists(low_id=low, high_id=high):
        return False
    await WorkItemLink.create(low_id=low, high_id=high, created_by_id=actor.id if actor and actor.is_user else None)
    for this, that in ((item, other), (other, item)):
        uow.emit(WorkItemFieldsChanged(**event_base(this, actor), fields=("linkedItems",)))
        await timeline.linked(uow, this, that, actor, linked=True)
    return True


async def link(viewer: Viewer, ref: str, other_ref: str, version: int | None = None) -> Outcome:
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version, lifecycle=False)
        other = await linkable(viewer, other_ref, "otherRef")
        created = await add_link(uow, item, other, viewer)
    return Outcome(item, notices=[] if created else [f"{item.ref} and {other.ref} were already linked."])


async def unlink(viewer: Viewer, ref: str, other_ref: str, version: int | None = None) -> Outcome:
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version, lifecycle=False)
        other = await linkable(viewer, other_ref, "otherRef")
        low, high = _pair(item, other)
        removed = await WorkItemLink.filter(low_id=low, high_id=high).delete()
        if removed:
            for this, that in ((item, other), (other, item)):
                uow.emit(WorkItemFieldsChanged(**event_base(this, viewer), fields=("linkedItems",)))
                await timeline.linked(uow, this, that, viewer, linked=False)
    return Outcome(item, notices=[] if removed else [f"{item.ref} and {other.ref} were not linked."])


async def linked_ids(item_ids: list[int]) -> dict[int, list[int]]:
    """For each item, the ids of the items linked to it (oldest link first)."""
    result: dict[int, list[int]] = {i: [] for i in item_ids}
    rows = await WorkItemLink.filter(Q(low_id__in=item_ids) | Q(high_id__in=item_ids)).order_by("id")
    for row in rows:
        if row.low_id in result:
            result[row.low_id].append(row.high_id)
        if row.high_id in result:
            result[row.high_id].append(row.low_id)
    return result


async def linked_group(item: WorkItem) -> list[WorkItem]:
    """The item's structural family, without the item itself, oldest first."""
    seen: dict[int, WorkItem] = {item.id: item}
    frontier = [item]
    while frontier and len(seen) < MAX_GROUP:
        ids = [i.id for i in frontier]
        up = {i.parent_id for i in frontier if i.parent_id} | {i.origin_id for i in frontier if i.origin_id}
        up |= {i.merged_into_id for i in frontier if i.merged_into_id}
        found = await WorkItem.filter(
            Q(id__in=sorted(up - seen.keys())) | Q(parent_id__in=ids) | Q(origin_id__in=ids) | Q(merged_into_id__in=ids)
        )
        frontier = [row for row in found if row.id not in seen]
        for row in frontier:
            seen[row.id] = row
    return sorted((row for row in seen.values() if row.id != item.id), key=lambda r: r.id)


# ---------------------------------------------------------------------------------- shared emails


async def _email_and_source(viewer: Viewer, email_id: int) -> tuple[Email, WorkItem]:
    email = await Email.get_or_none(id=email_id)
    source = await WorkItem.get_or_none(id=email.work_item_id) if email and email.work_item_id else None
    if email is None or source is None or not visibility.can_see(viewer, source):
        raise NotFound(f"No email {email_id} exists.", field="emailId")
    return email, source


async def _linked_target(source: WorkItem, ref: str) -> WorkItem:
    """An item linked to `source` (its header is visible to whoever sees `source`)."""
    target = await WorkItem.get_or_none(ref=visibility.normalise_ref(ref))
    if target is not None:
        low, high = _pair(source, target)
        if await WorkItemLink.exists(low_id=low, high_id=high):
            return target
    raise ValidationError.single("toRef", f"{visibility.normalise_ref(ref)} is not linked to {source.ref}")


async def share_to(uow: UnitOfWork, email: Email, source: WorkItem, target: WorkItem, actor: Viewer | None) -> bool:
    """Share inside the caller's unit of work; False when it was shared there already."""
    if await EmailShare.exists(email_id=email.id, work_item_id=target.id):
        return False
    await set_flags(uow, target, actor, has_new_info=True)
    uow.emit(EmailShared(**event_base(target, actor), email_id=email.id, team_id=target.team_id, shared_from=source.ref))
    entry = await timeline.email_shared(uow, target, source, email, actor)
    await EmailShare.create(
        email_id=email.id, work_item_id=target.id, timeline_entry_id=entry.id, created_at=clock.now(),
        shared_by_id=actor.id if actor and actor.is_user else None,
        shared_by_api_key_id=actor.id if actor and actor.is_api_key else None,
    )
    if target.assignee_id is not None and (actor is None or not actor.is_user or actor.id != target.assignee_id):
        await notifications.notify(uow, target.assignee_id, NotificationKind.NEW_INFORMATION, target,
                                   f"An email of {source.ref} was shared to {target.ref}: {email.subject}")
    return True


async def share_email(viewer: Viewer, email_id: int, to_ref: str) -> Outcome:
    async with unit_of_work() as uow:
        email, source = await _email_and_source(viewer, email_id)
        visibility.check_can_write(viewer, source)
        target = await _linked_target(source, to_ref)
        shared = await share_to(uow, email, source, target, viewer)
    return Outcome(source, notices=[] if shared else [f"The email was already shared to {target.ref}."])


async def unshare_email(viewer: Viewer, email_id: int, from_ref: str) -> Outcome:
    """Take a shared email off the item it was shared to (its own item keeps it)."""
    async with unit_of_work() as uow:
        email, source = await _email_and_source(viewer, email_id)
        visibility.check_can_write(viewer, source)
        target = await _linked_target(source, from_ref)
        share = await EmailShare.get_or_none(email_id=email.id, work_item_id=target.id)
        if share is not None:
            if share.timeline_entry_id is not None:
                await TimelineEntry.filter(id=share.timeline_entry_id).delete()
            await share.delete()
            uow.emit(EmailUnshared(**event_base(target, viewer), email_id=email.id, team_id=target.team_id,
                                   shared_from=source.ref, shared_at=share.created_at.isoformat()))
    return Outcome(source, notices=[] if share else [f"The email was not shared to {target.ref}."])

