"""What people do with items: start work, hand back, assign, a robot's rejection, wait, resolve,
reopen, notes, read marks — and get next work."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.expressions import Case, When

from models.enums import (
    NotificationKind,
    ResolutionMethod,
    Role,
    Status,
    TimelineKind,
    WaitType,
    WorkItemType,
)
from models.org import Queue, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import cases, clock, limits, notifications, outbox, text, timeline, visibility, workflow
from server.domain.errors import Conflict, Forbidden, InvalidTransition, ValidationError
from server.domain.outbox import ResolutionEmail
from server.domain.transitions import (
    Outcome,
    change_status,
    check_assignable,
    check_may_take_from_holder,
    department_of,
    departments_closed_to,
    load_for_change,
    pick_up_on_update,
    require_person,
    set_assignee,
    set_flags,
    unassign,
)
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer, user_viewer

COMMUNICATION_KINDS = (TimelineKind.NOTE, TimelineKind.EMAIL_OUT)


# ------------------------------------------------------------------------- what people do with items


async def start_work(viewer: Viewer, ref: str, version: int | None) -> Outcome:
    """Set IN_PROGRESS explicitly: the item is assigned to whoever does it (rule 2); someone else's
    work in progress only by whoever may take it from them."""
    require_person(viewer, "start work")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if item.status is Status.IN_PROGRESS and item.assignee_id == viewer.id:
            return Outcome(item)
        if item.status is Status.DRAFT:
            raise InvalidTransition(f"{item.ref} is a draft: submit it first.", field="ref", **{"from": "DRAFT", "to": "IN_PROGRESS"})
        check_may_take_from_holder(viewer, item)
        await check_assignable(item, viewer.id)
        await _take(uow, item, viewer)
        await set_flags(uow, item, viewer, has_new_info=False)
    return Outcome(item)


async def _take(uow: UnitOfWork, item: WorkItem, viewer: Viewer) -> None:
    """The viewer holds the item and works it: IN_PROGRESS (taken over, when it already was)."""
    if item.status is Status.IN_PROGRESS:
        await set_assignee(uow, item, viewer, viewer.id)
    else:
        await change_status(uow, item, viewer, Status.IN_PROGRESS, assignee=viewer.id)


async def return_to_queue(viewer: Viewer, ref: str, version: int | None) -> Outcome:
    """Undo a pick-up: my IN_PROGRESS item goes back TO_DO in its queue (rules 2 and 3). A leader
    of its team (or an admin) may hand back someone else's."""
    require_person(viewer, "hand work back")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        await unassign(uow, item, viewer)
    return Outcome(item)


async def assign(viewer: Viewer, ref: str, version: int | None, user_id: int | None) -> Outcome:
    """Assign to myself (I start work), to someone else (TO_DO, rule 3) or to nobody (back to the
    queue, as returnToQueue). Someone else's work in progress is handed on only by whoever may hand
    it back."""
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if item.status not in workflow.OPEN:
            raise InvalidTransition(
                f"{item.ref} is {item.status.value}; only work that is open can be assigned.",
                field="ref", **{"from": item.status.value, "to": Status.TO_DO.value},
            )
        if user_id is None:
            await unassign(uow, item, viewer)
            return Outcome(item)
        check_may_take_from_holder(viewer, item)
        await check_assignable(item, user_id)
        if viewer.is_user and user_id == viewer.id:
            await _take(uow, item, viewer)
        elif item.status is Status.TO_DO:
            await set_assignee(uow, item, viewer, user_id)
        else:
            await change_status(uow, item, viewer, Status.TO_DO, assignee=user_id)
    return Outcome(item)


async def reject_work(viewer: Viewer, ref: str, version: int | None, reason: str | None) -> Outcome:
    """A robot rejects work: back TO_DO in the queue, left for a person from now on (rule 3)."""
    limits.check({"reason": reason})
    if viewer.role is not Role.ROBOT:
        raise Forbidden("Only robots reject work; people hand it back to the queue.")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if item.assignee_id != viewer.id or item.status is not Status.IN_PROGRESS:
            raise InvalidTransition(
                f"{item.ref} is not work in progress of this robot.", field="ref",
                **{"from": item.status.value, "to": Status.TO_DO.value},
            )
        await change_status(uow, item, viewer, Status.TO_DO, assignee=None, reason=reason, fields={"human_only": True})
    return Outcome(item)


def _validate_wait(item: WorkItem, wait_type: WaitType, until: datetime | None, days_to_wait: int | None,
                   close_if_no_response: bool, now: datetime) -> dict[str, Any]:
    if until is not None:
        until = clock.as_utc(until)
    if wait_type is WaitType.FOLLOW_UP:
        if until is None:
            raise ValidationError.single("until", "a follow-up wait needs the date and time to follow up")
        if until <= now:
            raise ValidationError.single("until", "the follow-up time must be in the future")
        if days_to_wait is not None or close_if_no_response:
            raise ValidationError.single("daysToWait", "days to wait and close if no response belong to MORE_INFO waits")
        return {"wait_until": until}
    if until is not None:
        raise ValidationError.single("until", "only a FOLLOW_UP wait has a follow-up time")
    if item.type is not WorkItemType.TICKET or wait_type is not WaitType.MORE_INFO:
        if days_to_wait is not None or close_if_no_response:
            raise ValidationError.single(
                "daysToWait", "only a ticket waiting for more information has days to wait and close if no response"
            )
        return {}
    if close_if_no_response and days_to_wait is None:
        raise ValidationError.single("daysToWait", "close if no response needs the days to wait")
    if days_to_wait is None:
        return {}
    if not 1 <= days_to_wait <= 365:
        raise ValidationError.single("daysToWait", "daysToWait must be between 1 and 365")
    return {"days_to_wait": days_to_wait, "close_if_no_response": close_if_no_response,
            "wait_until": now + timedelta(days=days_to_wait)}


async def wait(
    viewer: Viewer,
    ref: str,
    version: int | None,
    wait_type: WaitType,
    *,
    until: datetime | None = None,
    days_to_wait: int | None = None,
    close_if_no_response: bool = False,
    reason: str | None = None,
) -> Outcome:
    """Put an item on WAITING (rule 4); choosing the wait it is already on ends it."""
    limits.check({"reason": reason})
    require_person(viewer, "put work on wait")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if wait_type is WaitType.SUB_CASES:
            return await cases.wait_for_sub_cases(uow, item, viewer)
        workflow.check_user_wait_type(item, wait_type)
        if wait_type is WaitType.PAUSE:
            await cases.check_case_manager(viewer, item)  # pausing is the case owner's call (rule 11)
        if item.status is Status.WAITING and item.wait_type is wait_type:
            await change_status(uow, item, viewer, Status.IN_PROGRESS, assignee=item.assignee_id or viewer.id, reason=reason)
            return Outcome(item, notices=[f"{item.ref} no longer waits."])
        workflow.check(item, Status.WAITING)
        fields = _validate_wait(item, wait_type, until, days_to_wait, close_if_no_response, clock.now())
        holder = item.assignee_id if item.status is not Status.TO_DO and item.assignee_id else viewer.id
        await change_status(
            uow, item, viewer, Status.WAITING, assignee=holder, reason=reason, fields={"wait_type": wait_type, **fields}
        )
    return Outcome(item)


async def _resolution_entry(uow: UnitOfWork, item: WorkItem, viewer: Viewer, note: str | None,
                            email: ResolutionEmail | None) -> bool:
    """Record or find the resolution note / email (rule 6); whether there is one."""
    if not text.is_blank(note):
        await timeline.note(uow, item, viewer, note.strip(), is_public=False, is_resolution=True)
        return True
    if email is not None:
        await outbox.queue_resolution_email(uow, item, viewer, email)
        return True
    # one the same person has just added — since the item's last status change — counts
    last_change = await TimelineEntry.filter(work_item_id=item.id, kind=TimelineKind.STATUS_CHANGED).order_by("-id").first()
    recent = TimelineEntry.filter(work_item_id=item.id, kind__in=COMMUNICATION_KINDS, actor_user_id=viewer.id)
    if last_change is not None:
        recent = recent.filter(id__gt=last_change.id)
    entry = await recent.order_by("-id").first()
    if entry is None:
        return False
    await TimelineEntry.filter(id=entry.id).update(is_resolution=True)
    return True


async def resolve(
    viewer: Viewer,
    ref: str,
    version: int | None,
    method: ResolutionMethod,
    *,
    reason: str | None = None,
    note: str | None = None,
    email: ResolutionEmail | None = None,
    review: "Any" = None,
) -> Outcome:
    """Resolve a ticket or case with a method (rules 6 and 7); actions close at once (rule 14)."""
    limits.check({"reason": reason, "note": note, "email": email, "review": review})
    require_person(viewer, "resolve work")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if item.type is WorkItemType.ACTION:
            return await cases.resolve_action(uow, item, viewer, method, reason=reason, note=note, review=review)
        target = workflow.user_resolution_target(item, method)
        workflow.check(item, target)
        if item.type is WorkItemType.CASE:
            if method is ResolutionMethod.ABANDONED:
                await cases.check_case_manager(viewer, item)  # abandoning is the case owner's call (rule 11)
            await cases.check_can_resolve(item, method)
        department = await department_of(item)
        has_resolution = await _resolution_entry(uow, item, viewer, note, email)
        if (
            item.type is WorkItemType.TICKET
            and target is Status.RESOLVED
            and department.resolution_note_required
            and not has_resolution
        ):
            raise ValidationError.single(
                "note", f"resolving {item.ref} needs a resolution email or an internal resolution note"
            )
        fields: dict[str, Any] = {"resolution_method": method}
        if target is Status.RESOLVED:
            target, window = workflow.resolved(department, clock.now())
            fields.update(window)
        holder = viewer.id if item.status is Status.TO_DO or item.assignee_id is None else item.assignee_id
        await change_status(uow, item, viewer, target, assignee=holder, reason=reason, fields=fields)
        notices = []
        if target is Status.RESOLVED:
            notices.append(f"{item.ref} stays RESOLVED until {item.feedback_until.isoformat()} (feedback window).")
    return Outcome(item, notices=notices)


async def reopen(viewer: Viewer, ref: str, version: int | None, reason: str | None = None) -> Outcome:
    """Reopen a resolved item by hand while its feedback window is open (rule 7)."""
    limits.check({"reason": reason})
    require_person(viewer, "reopen work")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version)
        if item.status is not Status.RESOLVED:
            workflow.check(item, Status.IN_PROGRESS)
            raise InvalidTransition(
                f"{item.ref} is {item.status.value}; only resolved work reopens.", field="ref",
                **{"from": item.status.value, "to": Status.IN_PROGRESS.value},
            )
        if item.feedback_until is None or item.feedback_until <= clock.now():
            raise InvalidTransition(
                f"{item.ref}'s feedback window has ended; it can no longer be reopened.", field="ref",
                **{"from": Status.RESOLVED.value, "to": Status.IN_PROGRESS.value},
            )
        await change_status(uow, item, viewer, Status.IN_PROGRESS, assignee=item.last_assignee_id or viewer.id, reason=reason)
    return Outcome(item)


async def reopen_with_new_information(uow: UnitOfWork, item: WorkItem, reason: str) -> bool:
    """New information (an inbound email, portal feedback) on a RESOLVED item in its feedback
    window reopens it for its last assignee, highlighted; False when the window has passed."""
    if item.status is not Status.RESOLVED or item.feedback_until is None or item.feedback_until <= clock.now():
        return False
    await change_status(uow, item, None, Status.IN_PROGRESS, assignee=item.last_assignee_id, reason=reason)
    await set_flags(uow, item, None, has_new_info=True)
    await notifications.notify(uow, item.assignee_id, NotificationKind.NEW_INFORMATION, item, f"{item.ref} reopened: {reason}")
    return True


async def add_note(
    viewer: Viewer,
    ref: str,
    version: int | None,
    body: str,
    *,
    is_public: bool = False,
    mentions: list[int] | None = None,
) -> Outcome:
    """An internal (or public) note; a person adding one to a TO_DO item takes it (rule 2); the
    people mentioned who may see the item are notified."""
    limits.check({"body": body})
    if text.is_blank(body):
        raise ValidationError.single("body", "a note needs some text")
    body = body.strip()
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, version, lifecycle=False)
        if item.status is Status.CLOSED:
            raise InvalidTransition(f"{item.ref} is closed; nothing can be added.", field="ref",
                                    **{"from": "CLOSED", "to": "CLOSED"})
        if viewer.is_user:
            await pick_up_on_update(uow, item, viewer)
        mentioned = await _visible_users(item, mentions or [])
        entry = await timeline.note(uow, item, viewer, body, is_public=is_public, mentions=[u.id for u in mentioned])
        for user in mentioned:
            if user.id != viewer.id or not viewer.is_user:
                await notifications.notify(uow, user.id, NotificationKind.MENTION, item, f"{viewer.name} mentioned you on {item.ref}")
    return Outcome(item, entry=entry)


async def _visible_users(item: WorkItem, user_ids: list[int]) -> list[User]:
    users = await User.filter(id__in=set(user_ids), is_active=True)
    if len(users) != len(set(user_ids)):
        raise ValidationError.single("mentions", "mentions must name active users")
    visible = []
    for user in users:
        if visibility.can_see(await user_viewer(user), item):
            visible.append(user)
    return visible


async def mark_read(viewer: Viewer, ref: str, *, new: bool) -> Outcome:
    """Clear the new-information flag ("mark as read"), or set it again ("mark as new")."""
    require_person(viewer, "mark work read or new")
    async with unit_of_work() as uow:
        item = await load_for_change(viewer, ref, None, lifecycle=False)
        await set_flags(uow, item, viewer, has_new_info=new)
    return Outcome(item)


# ------------------------------------------------------------------------------------ get next work


async def get_next_work(viewer: Viewer) -> WorkItem | None:
    """The most urgent TO_DO item of the queues my teams work — earliest due, then highest
    priority, then oldest — assigned to me atomically (rule 15): two agents asking at once never
    get the same item."""
    require_person(viewer, "get next work")
    queue_ids = await Queue.filter(team_id__in=sorted(viewer.team_ids)).values_list("id", flat=True)
    if not queue_ids:
        return None
    candidates = visibility.visible_work_items(viewer).filter(
        status=Status.TO_DO, assignee_id=None, queue_id__in=list(queue_ids)
    )
    if viewer.role is Role.ROBOT:
        candidates = candidates.filter(human_only=False)
    if excluded := await departments_closed_to(viewer):
        candidates = candidates.exclude(department_id__in=sorted(excluded))
    ordered = candidates.annotate(
        no_due=Case(When(due_at__isnull=True, then="1"), default="0")
    ).order_by("no_due", "due_at", "-priority", "created_at", "id")
    postgres = Tortoise.get_connection("default").capabilities.dialect == "postgres"
    for _attempt in range(20):
        try:
            async with unit_of_work() as uow:
                query = ordered.select_for_update(skip_locked=True, of=("work_item",)) if postgres else ordered
                item = await query.first()
                if item is None:
                    return None
                await change_status(uow, item, viewer, Status.IN_PROGRESS, assignee=viewer.id)
                return item
        except Conflict:
            continue  # someone took it between our read and our write: try the next one
    return None
