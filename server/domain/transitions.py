"""The steps every lifecycle action is built of: loading an item for a change, `change_status`
(status machine, SLA clock, holder, timeline, events, and the reactions of the items around it),
assigning, flags, who may hold an item.

Cases, tickets, moves and links build on these; server.domain.lifecycle re-exports them with the
actions people take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


from models.enums import (
    NotificationKind,
    ReviewStage,
    Status,
)
from models.org import Department, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, notifications, reactions, sla, timeline, visibility, workflow
from server.domain.errors import Forbidden, InvalidTransition, ValidationError
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer, user_viewer
from server.domain.item_store import check_version, event_base, save_changes
from server.domain.events import WorkItemAssigned, WorkItemFieldsChanged, WorkItemStatusChanged, plain


UNCHANGED: Any = object()



@dataclass
class Outcome:
    """What a lifecycle action did: the item as it is now, and anything the person should know."""

    item: WorkItem
    notices: list[str] = field(default_factory=list)
    created: list[WorkItem] = field(default_factory=list)
    entry: TimelineEntry | None = None



# ----------------------------------------------------------------------------------- shared steps


async def department_of(item: WorkItem) -> Department:
    return await Department.get(id=item.department_id)


async def check_lifecycle_allowed(viewer: Viewer, item: WorkItem) -> None:
    """"Client view in public department": reaching an item only through a public-department
    grant allows replying and editing fields, never status, assignment or queue changes."""
    if visibility.reaches_only_through_public(viewer, item) and (await department_of(item)).client_view_in_public:
        raise Forbidden(
            f"{item.ref} is in a public department you work in with the client view: you may reply and edit fields only.",
            field="ref",
        )


async def load_for_change(viewer: Viewer, ref: str, version: int | None, *, lifecycle: bool = True) -> WorkItem:
    """The item, locked for this transaction, after every check a change needs."""
    item = await visibility.get_work_item(viewer, ref, for_update=True)
    visibility.check_can_write(viewer, item)
    check_version(item, version)
    if lifecycle:
        await check_lifecycle_allowed(viewer, item)
    return item


def require_person(viewer: Viewer, what: str) -> None:
    if not viewer.is_user:
        raise Forbidden(f"Only employees {what}.")


async def change_status(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    to: Status,
    *,
    assignee: Any = UNCHANGED,
    reason: str | None = None,
    fields: dict[str, Any] | None = None,
) -> None:
    """Move `item` to `to` (checked against the status machine), with its consequences."""
    workflow.check(item, to)
    from_status = item.status
    changes = await status_fields(item, to, fields)

    previous_assignee = item.assignee_id
    if assignee is not UNCHANGED and assignee != previous_assignee:
        changes["assignee_id"] = assignee
        if assignee is not None:
            changes["last_assignee_id"] = assignee
    await save_changes(item, changes)

    base = event_base(item, actor)
    if assignee is not UNCHANGED and assignee != previous_assignee:
        await _record_assignment(uow, item, actor, previous_assignee)
    uow.emit(
        WorkItemStatusChanged(
            **base,
            from_status=from_status.value,
            to_status=to.value,
            wait_type=item.wait_type.value if item.wait_type else None,
            resolution_method=item.resolution_method.value if item.resolution_method else None,
        )
    )
    await timeline.status_changed(uow, item, actor, from_status=from_status.value, reason=reason)
    if to in workflow.DONE and from_status not in workflow.DONE:
        await reactions.item_done(uow, item, actor)


async def status_fields(item: WorkItem, to: Status, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """What is written with a move of `item` to `to` (already checked against the status
    machine): the status, the SLA clock (started on submit, moved on after a wait), the wait and
    resolution fields — on top of `fields`."""
    now = clock.now()
    from_status = item.status
    changes: dict[str, Any] = dict(fields or {})
    if from_status is Status.WAITING and to is not Status.WAITING:
        department = await department_of(item)
        changes.setdefault("due_at", sla.resumed_due_date(item, department, now))
        changes.update(wait_type=None, wait_started_at=None, wait_until=None, days_to_wait=None, close_if_no_response=False)
    if to is Status.WAITING:
        changes.setdefault("wait_started_at", now)
    if to is Status.RESOLVED:
        changes.setdefault("resolved_at", now)
    if to is Status.CLOSED:
        changes.setdefault("closed_at", now)
        changes.setdefault("feedback_until", None)
        if item.resolved_at is None:
            changes.setdefault("resolved_at", now)
    if from_status is Status.RESOLVED and to is not Status.CLOSED:
        changes.update(resolved_at=None, feedback_until=None, resolution_method=None)
    if from_status is Status.DRAFT and item.submitted_at is None and to is not Status.CLOSED:
        department = await department_of(item)
        changes.setdefault("submitted_at", now)
        changes.setdefault("due_at", sla.due_date(department, now, item.sla_hours))
    changes["status"] = to
    return changes


async def set_assignee(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, user_id: int | None) -> None:
    """Change who holds the item without changing its status."""
    previous = item.assignee_id
    if user_id == previous:
        return
    changes: dict[str, Any] = {"assignee_id": user_id}
    if user_id is not None:
        changes["last_assignee_id"] = user_id
    await save_changes(item, changes)
    await _record_assignment(uow, item, actor, previous)


async def _record_assignment(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, previous: int | None) -> None:
    uow.emit(WorkItemAssigned(**event_base(item, actor), from_user_id=previous, to_user_id=item.assignee_id))
    await timeline.assigned(uow, item, actor, from_user_id=previous)
    if item.assignee_id is not None and (actor is None or not actor.is_user or actor.id != item.assignee_id):
        await notifications.notify(
            uow, item.assignee_id, NotificationKind.ASSIGNED, item, f"{item.ref} was assigned to you: {item.title or ''}".strip()
        )


async def set_flags(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, **flags: Any) -> None:
    changed = {k: v for k, v in flags.items() if getattr(item, k) != v}
    if not changed:
        return
    await save_changes(item, changed)
    names = {"has_new_info": "hasNewInfo", "needs_attention": "needsAttention", "problem": "problem"}
    uow.emit(
        WorkItemFieldsChanged(
            **event_base(item, actor),
            fields=tuple(sorted(names.get(k, k) for k in changed)),
            values={names.get(k, k): plain(v) for k, v in changed.items()},
        )
    )


async def pick_up_on_update(uow: UnitOfWork, item: WorkItem, viewer: Viewer) -> None:
    """Rule 2: a person updating a TO_DO item takes it — it is theirs and IN_PROGRESS.

    Not during peer review, where the reviewer may edit a TO_DO action's data, and not for someone
    who may not change its status (client view)."""
    if item.status is not Status.TO_DO or not viewer.is_user or item.review_stage is ReviewStage.REVIEWING:
        return
    if visibility.reaches_only_through_public(viewer, item) and (await department_of(item)).client_view_in_public:
        return
    await change_status(uow, item, viewer, Status.IN_PROGRESS, assignee=viewer.id)


def check_may_take_from_holder(viewer: Viewer, item: WorkItem) -> None:
    """Someone else's work in progress (or waiting) is theirs: only a leader of the item's team or an
    admin hands it back, hands it on or takes it. Queued work, and one's own, is anyone's to assign."""
    if item.status not in (Status.IN_PROGRESS, Status.WAITING) or item.assignee_id is None:
        return
    if viewer.is_user and item.assignee_id == viewer.id:
        return
    if viewer.is_admin or (item.team_id is not None and item.team_id in viewer.led_team_ids):
        return
    raise Forbidden(
        f"{item.ref} is someone else's work in progress: only they, a leader of its team or an admin hand it back or on.",
        field="ref",
    )


async def unassign(uow: UnitOfWork, item: WorkItem, viewer: Viewer) -> None:
    """Rule 3, back to the queue (returnToQueue, or assigning to nobody): work in progress goes
    TO_DO with nobody holding it, and a queued item someone was handed is released. A waiting item
    is not sent to the queue, and neither is one nobody holds."""
    if not (item.status is Status.IN_PROGRESS or (item.status is Status.TO_DO and item.assignee_id is not None)):
        raise InvalidTransition(
            f"{item.ref} is {item.status.value}; only work in progress goes back to the queue.", field="ref",
            **{"from": item.status.value, "to": Status.TO_DO.value},
        )
    check_may_take_from_holder(viewer, item)
    if item.status is Status.TO_DO:
        await set_assignee(uow, item, viewer, None)
    else:
        await change_status(uow, item, viewer, Status.TO_DO, assignee=None)


async def check_assignable(item: WorkItem, user_id: int) -> User:
    """The user may hold the item: an active employee, and department staff where the department
    takes assignees only from its staff."""
    return await check_may_hold(await department_of(item), user_id, "userId")


async def check_may_hold(department: Department, user_id: int, field: str, *, as_what: str = "assignees") -> User:
    """The user may hold work of `department` — as its assignee, or as a case's owner (`field`
    names the input): an active employee, and its staff where it takes assignees only from them."""
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None:
        raise ValidationError.single(field, f"no active user {user_id}")
    if department.assignees_only_from_staff and not may_hold_work_of(await user_viewer(user), department):
        raise ValidationError.single(
            field, f"{department.name} takes {as_what} only from its staff; {user.name} is not on it"
        )
    return user


def may_hold_work_of(holder: Viewer, department: Department) -> bool:
    """"Assignees only from department staff" (seed 003): such a department's work is held only
    by its staff (and admins); any other department's by anyone who may be assigned."""
    return holder.is_admin or not department.assignees_only_from_staff or department.id in holder.department_ids


async def departments_closed_to(holder: Viewer) -> set[int]:
    """The departments whose work `holder` may not hold (see `may_hold_work_of`)."""
    if holder.is_admin:
        return set()
    return {d.id for d in await Department.filter(assignees_only_from_staff=True) if not may_hold_work_of(holder, d)}
