"""Cases and their actions (SPEC §2.2 rules 11–14).

A case follows its case type: the actions of step 1 start when it is submitted; when every action
of the current step is complete the next step starts, and after the last step the case completes
itself. A case without a case type is driven by hand: its owner starts actions and resolves it.
An action that cannot be completed puts its case back TO_DO with the problem flag, and the owner
is told; the owner may rework from an earlier step, start another copy of an action, pause, reset
the case to in progress, or abandon it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.enums import (
    ActionKind,
    NotificationKind,
    Priority,
    ResolutionMethod,
    ReviewOutcome,
    ReviewStage,
    Status,
    TimelineKind,
    WaitType,
    WorkItemType,
)
from models.org import Department, Queue
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, notifications, timeline, visibility, workflow
from server.domain.errors import FieldProblem, Forbidden, InvalidTransition, ValidationError
from server.domain.lifecycle import (
    Outcome,
    change_status,
    check_assignable,
    load_for_change,
    require_person,
    set_assignee,
    set_flags,
)
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer
from server.domain.work_items import event_base, next_reference, save_changes
from server.subscriptions.events import WorkItemCreated, WorkItemFieldsChanged

OPEN = workflow.OPEN
DATA_GROUPS = ("CONTACTS", "CUSTOM_DATA", "COMMUNICATIONS")


@dataclass(frozen=True)
class ReviewDecision:
    """How a peer review action is resolved: the reviewer chosen by the doer, or the reviewer's
    outcome and comment."""

    reviewer_id: int | None = None
    outcome: ReviewOutcome | None = None
    comment: str | None = None


# ---------------------------------------------------------------------------------------- helpers


async def _case_of(action: WorkItem) -> WorkItem:
    return await WorkItem.get(id=action.parent_id)


async def check_case_manager(viewer: Viewer, case: WorkItem) -> None:
    """The owner manages a case (with team leaders of its team and admins)."""
    if viewer.is_admin or (viewer.is_user and case.owner_id == viewer.id):
        return
    if viewer.is_user and case.team_id is not None and case.team_id in viewer.led_team_ids:
        return
    raise Forbidden(f"Only the owner of {case.ref} (or a leader of its team) may do this.", field="ref")


def _require_case(item: WorkItem, field: str = "ref") -> None:
    if item.type is not WorkItemType.CASE:
        raise ValidationError.single(field, f"{item.ref} is not a case")


async def running_sub_cases(case: WorkItem) -> int:
    return await WorkItem.filter(parent_id=case.id, type=WorkItemType.CASE, status__in=list(OPEN)).count()


async def _started_sub_cases(case: WorkItem) -> int:
    return await WorkItem.filter(parent_id=case.id, type=WorkItemType.CASE).exclude(status=Status.DRAFT).count()


async def _queue_for(case: WorkItem, queue_id: int | None) -> Queue:
    if queue_id is not None:
        queue = await Queue.get_or_none(id=queue_id, department_id=case.department_id)
        if queue is None:
            raise ValidationError.single("queueId", f"queue {queue_id} is not a queue of {case.ref}'s department")
        return queue
    if case.queue_id is not None:
        return await Queue.get(id=case.queue_id)
    queue = await Queue.filter(department_id=case.department_id).order_by("id").first()
    if queue is None:
        raise ValidationError.single("queueId", "the case's department has no queue for its actions")
    return queue


# ----------------------------------------------------------------------------------------- the flow


async def on_submitted(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> list[WorkItem]:
    """A submitted case gets its owner (who submitted it, unless set) and starts its first step."""
    if case.owner_id is None and actor is not None and actor.is_user:
        await save_changes(case, {"owner_id": actor.id})
    if case.case_type_id is None:
        return []
    first = await CaseStep.filter(case_type_id=case.case_type_id).order_by("position").first()
    if first is None:
        return []
    return await start_step(uow, case, first.position, actor)


async def start_step(uow: UnitOfWork, case: WorkItem, position: int, actor: Viewer | None) -> list[WorkItem]:
    """Start the actions of a step. All of them exist before any is set going, so one that closes
    at once (a START_CASE action) cannot finish the step while its other actions are missing."""
    step = await CaseStep.get(case_type_id=case.case_type_id, position=position)
    await save_changes(case, {"current_step": position})
    templates = await ActionTemplate.filter(step_id=step.id).order_by("position", "id")
    started = [
        await create_action(
            uow, case, actor, title=template.title, kind=template.kind, queue_id=template.queue_id,
            step=position, template=template, set_going=False,
        )
        for template in templates
    ]
    for action, template in zip(started, templates):
        await action.refresh_from_db()  # a sub-case started by an earlier action may have set it waiting
        if action.status is Status.TO_DO:
            await _set_going(uow, case, action, template)
    for action in started:
        await action.refresh_from_db()  # as they are now, for the caller
    return started


async def create_action(
    uow: UnitOfWork,
    case: WorkItem,
    actor: Viewer | None,
    *,
    title: str,
    kind: ActionKind,
    queue_id: int | None,
    step: int | None,
    template: ActionTemplate | None = None,
    copy_of: WorkItem | None = None,
    set_going: bool = True,
) -> WorkItem:
    """A new action of `case`, TO_DO in its queue, then (unless `set_going` is False) set going
    according to its kind."""
    queue = await _queue_for(case, queue_id)
    department = await Department.get(id=case.department_id)
    now = clock.now()
    action = await WorkItem.create(
        ref=await next_reference(WorkItemType.ACTION),
        type=WorkItemType.ACTION,
        status=Status.TO_DO,
        title=title,
        department_id=case.department_id,
        team_id=queue.team_id,
        queue_id=queue.id,
        company_id=case.company_id,
        primary_contact_id=case.primary_contact_id,
        requester_id=case.requester_id,
        category_id=case.category_id,
        priority=case.priority or Priority.NORMAL,
        submitted_at=now,
        due_at=now + timedelta(hours=department.sla_hours),
        parent_id=case.id,
        origin_id=copy_of.id if copy_of else None,
        action_kind=kind,
        step=step,
        action_template_id=template.id if template else None,
        review_stage=ReviewStage.DOING if kind is ActionKind.PEER_REVIEW else None,
        created_by_id=actor.id if actor is not None and actor.is_user else None,
        test_mode=case.test_mode,
    )
    uow.emit(WorkItemCreated(**event_base(action, actor), item_type=WorkItemType.ACTION.value, status=action.status.value))
    await timeline.created(uow, action, actor)
    await timeline.action_started(uow, case, action, actor)
    if set_going:
        await _set_going(uow, case, action, template)
    return action


async def _set_going(uow: UnitOfWork, case: WorkItem, action: WorkItem, template: ActionTemplate | None) -> None:
    """Wait-for-sub-cases actions wait, or close when their sub-cases are all finished; START_CASE
    actions start their sub-case and close. An action closing here may move the case on, so `case`
    is then reloaded."""
    if action.action_kind is ActionKind.WAIT_FOR_SUB_CASES:
        if await running_sub_cases(case):
            await change_status(uow, action, None, Status.WAITING, fields={"wait_type": WaitType.SUB_CASES})
        elif await _started_sub_cases(case):
            await change_status(
                uow, action, None, Status.CLOSED, reason="Every sub-case is already finished.",
                fields={"resolution_method": ResolutionMethod.COMPLETE},
            )
            await case.refresh_from_db()
        # no sub-case started yet: it waits TO_DO in its queue for a person to decide
    elif action.action_kind is ActionKind.START_CASE:
        case_type_id = template.sub_case_type_id if template else None
        sub_case = await _new_sub_case(uow, case, None, title=action.title or "Sub-case", case_type_id=case_type_id)
        await change_status(
            uow, action, None, Status.CLOSED, reason=f"Started sub-case {sub_case.ref}.",
            fields={"resolution_method": ResolutionMethod.COMPLETE},
        )
        await case.refresh_from_db()


async def action_closed(uow: UnitOfWork, action: WorkItem, actor: Viewer | None) -> None:
    """An action closed: a case problem when it could not be completed; otherwise the case's step
    may be finished. Actions closed by the system without a method (rework, abandon) change nothing.

    The case is locked first, so two of its actions finishing at once see each other closed and
    the second one moves the case on."""
    case = await WorkItem.select_for_update().get(id=action.parent_id)
    if action.resolution_method is ResolutionMethod.UNABLE_TO_COMPLETE:
        await raise_problem(uow, case, action, action_problem_reason(action))
    elif action.resolution_method is ResolutionMethod.COMPLETE:
        await _advance(uow, case, actor)


def action_problem_reason(action: WorkItem) -> str:
    return f"{action.ref} ({action.title}) could not be completed"


async def raise_problem(uow: UnitOfWork, case: WorkItem, action: WorkItem, reason: str) -> None:
    """Rule 11/14: the case goes TO_DO with the problem flag and its owner is told."""
    if case.status not in OPEN:
        return
    await set_flags(uow, case, None, needs_attention=True, problem=reason)
    if case.status is not Status.TO_DO:
        await change_status(uow, case, None, Status.TO_DO, reason=reason)
    entry_reason = await TimelineEntry.filter(work_item_id=action.id, kind=TimelineKind.STATUS_CHANGED).order_by("-id").first()
    await timeline.case_problem(uow, case, action, entry_reason.body if entry_reason else reason)
    await notifications.notify(
        uow, case.owner_id, NotificationKind.CASE_NEEDS_ATTENTION, case, f"{case.ref} needs attention: {reason}"
    )


async def _advance(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    """When every action of the current step is complete, start the next step or complete the case."""
    if case.case_type_id is None or case.status not in OPEN or case.needs_attention:
        return
    step_actions = WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, step=case.current_step)
    if await step_actions.filter(status__in=list(OPEN)).exists():
        return
    following = await CaseStep.filter(case_type_id=case.case_type_id, position__gt=case.current_step or 0).order_by("position").first()
    if following is not None:
        await start_step(uow, case, following.position, actor)
        return
    await complete_case(uow, case, None)


async def complete_case(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    department = await Department.get(id=case.department_id)
    fields: dict[str, Any] = {"resolution_method": ResolutionMethod.COMPLETE}
    target = Status.CLOSED
    if department.feedback_window_hours:
        target = Status.RESOLVED
        fields["feedback_until"] = clock.now() + timedelta(hours=department.feedback_window_hours)
    await change_status(uow, case, actor, target, reason="Every step is complete.", fields=fields)


async def case_done(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    """A case resolved or closed: an abandoned one closes its open actions; a sub-case may let its
    parent's wait-for-sub-cases actions close; a case started from a ticket resolves the ticket."""
    if case.resolution_method is ResolutionMethod.ABANDONED:
        for action in await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, status__in=list(OPEN)):
            await change_status(uow, action, None, Status.CLOSED, reason=f"{case.ref} was abandoned.")
    if case.parent_id is not None:
        parent = await WorkItem.get(id=case.parent_id)
        # the waiting actions are locked before the running sub-cases are counted, so two
        # sub-cases finishing at once see each other finished
        waiting = await WorkItem.select_for_update().filter(
            parent_id=parent.id, action_kind=ActionKind.WAIT_FOR_SUB_CASES, status=Status.WAITING, wait_type=WaitType.SUB_CASES
        )
        if parent.type is WorkItemType.CASE and waiting and not await running_sub_cases(parent):
            for action in waiting:
                await change_status(
                    uow, action, None, Status.CLOSED, reason="Every sub-case is finished.",
                    fields={"resolution_method": ResolutionMethod.COMPLETE},
                )
    if case.origin_id is not None:
        from server.domain import tickets

        await tickets.started_case_done(uow, case)


# ------------------------------------------------------------------------------------ acting on actions


async def resolve_action(
    uow: UnitOfWork,
    action: WorkItem,
    viewer: Viewer,
    method: ResolutionMethod,
    *,
    reason: str | None,
    note: str | None,
    review: ReviewDecision | None,
) -> Outcome:
    """Rule 14 (and 13 for peer review): COMPLETE or UNABLE_TO_COMPLETE, from TO_DO or IN_PROGRESS."""
    target = workflow.user_resolution_target(action, method)
    workflow.check(action, target)
    review = review or ReviewDecision()
    if action.action_kind is ActionKind.PEER_REVIEW:
        outcome = await _peer_review_step(uow, action, viewer, method, reason=reason, review=review)
        if outcome is not None:
            return outcome
    if method is ResolutionMethod.UNABLE_TO_COMPLETE and not (reason and reason.strip()):
        raise ValidationError.single("reason", "say why the action cannot be completed")
    notices = []
    if action.action_kind is ActionKind.WAIT_FOR_SUB_CASES and await running_sub_cases(await _case_of(action)):
        notices.append("The case will no longer wait for its sub-cases before it finishes.")
    if note and note.strip():
        await timeline.note(uow, action, viewer, note.strip(), is_public=False, is_resolution=True)
    holder = viewer.id if action.assignee_id is None or action.status is Status.TO_DO else action.assignee_id
    await change_status(uow, action, viewer, Status.CLOSED, assignee=holder, reason=reason, fields={"resolution_method": method})
    return Outcome(action, notices=notices)


async def _peer_review_step(
    uow: UnitOfWork, action: WorkItem, viewer: Viewer, method: ResolutionMethod, *, reason: str | None, review: ReviewDecision
) -> Outcome | None:
    """The doer's resolve sends the action to review; the reviewer's resolve passes, fails it back
    or closes it unreviewed. None when the ordinary resolve applies (the doer cannot complete it)."""
    if action.review_stage is ReviewStage.REVIEWING:
        if viewer.id != action.reviewer_id:
            raise Forbidden(f"{action.ref} is in peer review: only its reviewer resolves it now.", field="ref")
        if review.outcome is None:
            raise ValidationError.single("reviewOutcome", "the reviewer resolves with PASS, FAIL or UNABLE")
        comment = (review.comment or "").strip() or None
        if review.outcome is ReviewOutcome.FAIL:
            if comment is None:
                raise ValidationError.single("comment", "a failed peer review needs a comment for the doer")
            await save_changes(action, {"review_outcome": ReviewOutcome.FAIL, "review_stage": ReviewStage.DOING})
            await timeline.peer_review(uow, action, viewer, stage="FAILED", comment=comment)
            if action.status is Status.TO_DO:
                await set_assignee(uow, action, viewer, action.doer_id)
            else:
                await change_status(uow, action, viewer, Status.TO_DO, assignee=action.doer_id, reason=comment)
            await notifications.notify(
                uow, action.doer_id, NotificationKind.PEER_REVIEW_FAILED, action, f"Peer review of {action.ref} failed: {comment}"
            )
            return Outcome(action)
        stage = "PASSED" if review.outcome is ReviewOutcome.PASS else "UNABLE_TO_REVIEW"
        await save_changes(action, {"review_outcome": review.outcome})
        await timeline.peer_review(uow, action, viewer, stage=stage, comment=comment)
        await change_status(
            uow, action, viewer, Status.CLOSED, reason=comment, fields={"resolution_method": ResolutionMethod.COMPLETE}
        )
        return Outcome(action)
    if method is not ResolutionMethod.COMPLETE:
        return None
    reviewer_id = review.reviewer_id or action.reviewer_id
    if reviewer_id is None:
        raise ValidationError.single("reviewerId", f"{action.ref} is a peer review action: name its reviewer")
    if reviewer_id == viewer.id:
        raise ValidationError.single("reviewerId", "the reviewer must be someone other than the doer")
    try:
        await check_assignable(action, reviewer_id)
    except ValidationError as error:
        raise ValidationError.single("reviewerId", error.message) from None
    await save_changes(action, {"doer_id": viewer.id, "reviewer_id": reviewer_id, "review_stage": ReviewStage.REVIEWING,
                                "review_outcome": None})
    await timeline.peer_review(uow, action, viewer, stage="IN_PEER_REVIEW", comment=reason)
    if action.status is Status.TO_DO:
        await set_assignee(uow, action, viewer, reviewer_id)
    else:
        await change_status(uow, action, viewer, Status.TO_DO, assignee=reviewer_id, reason="In peer review")
    await notifications.notify(
        uow, reviewer_id, NotificationKind.PEER_REVIEW_REQUESTED, action, f"Please review {action.ref}: {action.title}"
    )
    return Outcome(action, notices=[f"{action.ref} is now in peer review."])


async def update_checklist(viewer: Viewer, ref: str, version: int | None, items: list[dict[str, Any]]) -> Outcome:
    """Only the assigned reviewer edits the checklist, while the action waits TO_DO in review."""
    async with unit_of_work() as uow:
        action = await load_for_change(viewer, ref, version, lifecycle=False)
        if action.action_kind is not ActionKind.PEER_REVIEW:
            raise ValidationError.single("ref", f"{action.ref} is not a peer review action")
        if action.review_stage is not ReviewStage.REVIEWING or action.status is not Status.TO_DO:
            raise InvalidTransition(
                f"{action.ref}'s checklist is open only while it waits TO_DO in peer review.", field="ref",
                **{"from": action.status.value, "to": action.status.value},
            )
        if not viewer.is_user or viewer.id != action.reviewer_id:
            raise Forbidden(f"Only the reviewer of {action.ref} edits its checklist.", field="ref")
        problems = [
            FieldProblem("items", f"item {i + 1} needs a label")
            for i, entry in enumerate(items) if not str(entry.get("label") or "").strip()
        ]
        if problems:
            raise ValidationError("; ".join(p.message for p in problems), problems)
        checklist = [
            {"label": str(e["label"]).strip(), "passed": e.get("passed"), "note": (e.get("note") or None)} for e in items
        ]
        await save_changes(action, {"checklist": checklist})
        uow.emit(WorkItemFieldsChanged(**event_base(action, viewer), fields=("checklist",)))
    return Outcome(action)


async def wait_for_sub_cases(uow: UnitOfWork, action: WorkItem, viewer: Viewer) -> Outcome:
    """A person sets a wait-for-sub-cases action to wait: it waits while sub-cases run, and closes
    at once when none does (rule 12)."""
    if action.action_kind is not ActionKind.WAIT_FOR_SUB_CASES:
        raise ValidationError.single("waitType", "only a wait-for-sub-cases action waits for SUB_CASES")
    case = await _case_of(action)
    if await running_sub_cases(case):
        workflow.check(action, Status.WAITING)
        await change_status(uow, action, viewer, Status.WAITING, assignee=action.assignee_id or viewer.id,
                            fields={"wait_type": WaitType.SUB_CASES})
        return Outcome(action)
    await change_status(
        uow, action, viewer, Status.CLOSED, assignee=action.assignee_id or viewer.id,
        reason="No sub-case has been started.", fields={"resolution_method": ResolutionMethod.COMPLETE},
    )
    return Outcome(action, notices=[f"{action.ref} closed at once: {case.ref} has no sub-case to wait for."])


async def check_can_resolve(case: WorkItem, method: ResolutionMethod) -> None:
    if method is ResolutionMethod.COMPLETE:
        open_actions = await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, status__in=list(OPEN)).values_list("ref", flat=True)
        if open_actions:
            raise ValidationError.single(
                "method", f"{case.ref} still has open actions ({', '.join(sorted(open_actions))}): finish them or abandon the case"
            )


# ----------------------------------------------------------------------------- what the owner does


async def start_action(
    viewer: Viewer,
    ref: str,
    version: int | None,
    *,
    title: str | None,
    kind: ActionKind,
    queue_id: int | None,
    copy_of_ref: str | None,
) -> Outcome:
    """Start an action on a case by hand — a new one, or another copy of an earlier one."""
    require_person(viewer, "start actions")
    async with unit_of_work() as uow:
        case = await load_for_change(viewer, ref, version)
        _require_case(case)
        await check_case_manager(viewer, case)
        if case.status not in OPEN:
            raise InvalidTransition(f"{case.ref} is {case.status.value}; actions start on open cases.", field="ref",
                                    **{"from": case.status.value, "to": case.status.value})
        copy_of = None
        template = None
        step = case.current_step
        if copy_of_ref is not None:
            copy_of = await visibility.visible_work_items(viewer).get_or_none(ref=visibility.normalise_ref(copy_of_ref), parent_id=case.id)
            if copy_of is None or copy_of.type is not WorkItemType.ACTION:
                raise ValidationError.single("copyOf", f"{copy_of_ref} is not an action of {case.ref}")
            title, kind, step = copy_of.title, copy_of.action_kind or ActionKind.MANUAL, copy_of.step
            queue_id = queue_id or copy_of.queue_id
            template = await ActionTemplate.get_or_none(id=copy_of.action_template_id) if copy_of.action_template_id else None
        if not (title and title.strip()):
            raise ValidationError.single("title", "an action needs a title")
        action = await create_action(uow, case, viewer, title=title.strip(), kind=kind, queue_id=queue_id, step=step,
                                     template=template, copy_of=copy_of)
        await set_flags(uow, case, viewer, needs_attention=False, problem=None)
    return Outcome(case, created=[action])


async def rework(viewer: Viewer, ref: str, version: int | None, step: int) -> Outcome:
    """Rework a case from an earlier step: the open actions of that step and later ones are
    closed, and the step's actions start afresh."""
    require_person(viewer, "rework cases")
    async with unit_of_work() as uow:
        case = await load_for_change(viewer, ref, version)
        _require_case(case)
        await check_case_manager(viewer, case)
        if case.status not in OPEN:
            raise InvalidTransition(f"{case.ref} is {case.status.value}; only an open case is reworked.", field="ref",
                                    **{"from": case.status.value, "to": case.status.value})
        if case.current_step is None or not 1 <= step <= case.current_step:
            raise ValidationError.single("step", f"step must be between 1 and {case.ref}'s current step ({case.current_step or 0})")
        for action in await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, step__gte=step, status__in=list(OPEN)):
            await change_status(uow, action, viewer, Status.CLOSED, reason=f"{case.ref} reworked from step {step}.")
        await timeline.case_reworked(uow, case, viewer, step=step)
        await set_flags(uow, case, viewer, needs_attention=False, problem=None)
        if case.case_type_id is not None:
            started = await start_step(uow, case, step, viewer)
        else:
            started = []
            earlier = await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, step=step).order_by("id")
            distinct = list(dict.fromkeys((a.title or "Action", a.action_kind or ActionKind.MANUAL, a.queue_id) for a in earlier))
            for title, kind, queue_id in distinct:
                started.append(await create_action(uow, case, viewer, title=title, kind=kind, queue_id=queue_id, step=step))
            await save_changes(case, {"current_step": step})
        if case.status is not Status.IN_PROGRESS:
            await change_status(uow, case, viewer, Status.IN_PROGRESS, assignee=case.assignee_id or viewer.id,
                                reason=f"Reworked from step {step}.")
    return Outcome(case, created=started)


async def reset(viewer: Viewer, ref: str, version: int | None) -> Outcome:
    """Reset a case to in progress: its problem is dealt with, and the owner moves on — when
    nothing of the current step is left open, the next step starts (or the case completes)."""
    require_person(viewer, "reset cases")
    async with unit_of_work() as uow:
        case = await load_for_change(viewer, ref, version)
        _require_case(case)
        await check_case_manager(viewer, case)
        workflow.check(case, Status.IN_PROGRESS)
        await set_flags(uow, case, viewer, needs_attention=False, problem=None)
        if case.status is not Status.IN_PROGRESS:
            await change_status(uow, case, viewer, Status.IN_PROGRESS, assignee=case.assignee_id or viewer.id,
                                reason="Reset to in progress.")
        await _advance(uow, case, viewer)
    return Outcome(case)


# -------------------------------------------------------------------------------- starting cases


async def _new_sub_case(uow: UnitOfWork, parent: WorkItem, actor: Viewer | None, *, title: str, case_type_id: int | None) -> WorkItem:
    """A sub-case: TO_DO at once, sharing the parent's data; the parent's wait-for-sub-cases
    actions start waiting."""
    case = await _copy_case(parent, actor, title=title, case_type_id=case_type_id, status=Status.TO_DO, parent_id=parent.id,
                            origin_id=None, groups=("CONTACTS", "CUSTOM_DATA"))
    uow.emit(WorkItemCreated(**event_base(case, actor), item_type=WorkItemType.CASE.value, status=case.status.value))
    await timeline.created(uow, case, actor)
    await timeline.case_started(uow, parent, case, actor, relation="SUB_CASE")
    await on_submitted(uow, case, actor)
    waiting_actions = WorkItem.filter(parent_id=parent.id, action_kind=ActionKind.WAIT_FOR_SUB_CASES,
                                      status__in=[Status.TO_DO, Status.IN_PROGRESS])
    for action in await waiting_actions:
        await change_status(uow, action, None, Status.WAITING, fields={"wait_type": WaitType.SUB_CASES},
                            reason=f"Sub-case {case.ref} started.")
    return case


async def _copy_case(source: WorkItem, actor: Viewer | None, *, title: str, case_type_id: int | None, status: Status,
                     parent_id: int | None, origin_id: int | None, groups: tuple[str, ...]) -> WorkItem:
    department = await Department.get(id=source.department_id)
    now = clock.now()
    submitted = status is not Status.DRAFT
    case = await WorkItem.create(
        ref=await next_reference(WorkItemType.CASE),
        type=WorkItemType.CASE,
        status=status,
        title=title,
        description=source.description,
        department_id=source.department_id,
        team_id=source.team_id if submitted else None,
        queue_id=source.queue_id if submitted else None,
        company_id=source.company_id if "CONTACTS" in groups else None,
        primary_contact_id=source.primary_contact_id if "CONTACTS" in groups else None,
        requester_id=source.requester_id if "CONTACTS" in groups else None,
        category_id=source.category_id,
        priority=source.priority,
        custom_data=dict(source.custom_data) if "CUSTOM_DATA" in groups else {},
        case_type_id=case_type_id,
        parent_id=parent_id,
        origin_id=origin_id,
        owner_id=actor.id if actor is not None and actor.is_user else source.owner_id,
        submitted_at=now if submitted else None,
        due_at=now + timedelta(hours=department.sla_hours) if submitted else None,
        created_by_id=actor.id if actor is not None and actor.is_user else None,
        test_mode=source.test_mode,
    )
    if "CONTACTS" in groups:
        contacts = await source.contacts.all()
        if contacts:
            await case.contacts.add(*contacts)
    return case


async def _copy_communications(uow: UnitOfWork, source: WorkItem, target: WorkItem) -> None:
    kinds = [TimelineKind.NOTE, TimelineKind.EMAIL_IN, TimelineKind.EMAIL_OUT, TimelineKind.INITIAL_DESCRIPTION]
    for entry in await TimelineEntry.filter(work_item_id=source.id, kind__in=kinds).order_by("id"):
        await TimelineEntry.create(
            work_item_id=target.id, kind=entry.kind, actor_user_id=entry.actor_user_id, actor_contact_id=entry.actor_contact_id,
            actor_api_key_id=entry.actor_api_key_id, body=entry.body, data={**entry.data, "copied_from": source.ref},
            is_public=entry.is_public, system_generated=entry.system_generated, email_id=entry.email_id, created_at=entry.created_at,
        )


async def _check_case_type(case_type_id: int | None) -> None:
    if case_type_id is not None and not await CaseType.exists(id=case_type_id):
        raise ValidationError.single("caseTypeId", f"no case type {case_type_id}")


async def start_case(
    viewer: Viewer,
    ref: str,
    version: int | None,
    *,
    title: str,
    case_type_id: int | None,
    independent: bool,
    copy: list[str],
) -> Outcome:
    """Start a case from a case (rule 12): a sub-case (TO_DO at once, data shared both ways) or an
    independent case (a DRAFT with copies of the chosen data groups)."""
    require_person(viewer, "start cases")
    if not title.strip():
        raise ValidationError.single("title", "a case needs a short description")
    unknown = set(copy) - set(DATA_GROUPS)
    if unknown:
        raise ValidationError.single("copy", f"unknown data groups {sorted(unknown)}; choose from {', '.join(DATA_GROUPS)}")
    if copy and not independent:
        raise ValidationError.single("copy", "a sub-case shares all of its parent's data; choose data groups for independent cases")
    await _check_case_type(case_type_id)
    async with unit_of_work() as uow:
        source = await load_for_change(viewer, ref, version)
        _require_case(source)
        if source.status not in OPEN:
            raise InvalidTransition(f"{source.ref} is {source.status.value}; cases start from open cases.", field="ref",
                                    **{"from": source.status.value, "to": source.status.value})
        if independent:
            case = await _copy_case(source, viewer, title=title.strip(), case_type_id=case_type_id, status=Status.DRAFT,
                                    parent_id=None, origin_id=source.id, groups=tuple(copy))
            uow.emit(WorkItemCreated(**event_base(case, viewer), item_type=WorkItemType.CASE.value, status=case.status.value))
            await timeline.created(uow, case, viewer)
            await timeline.case_started(uow, source, case, viewer, relation="INDEPENDENT")
            if "COMMUNICATIONS" in copy:
                await _copy_communications(uow, source, case)
        else:
            case = await _new_sub_case(uow, source, viewer, title=title.strip(), case_type_id=case_type_id)
    return Outcome(source, created=[case])


async def share_custom_data(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> None:
    """A sub-case shares its data with its parent both ways: custom data written on one is written
    on every case of the family (the root case and all its sub-cases)."""
    if item.type is not WorkItemType.CASE:
        return
    root = item
    while root.parent_id is not None:
        parent = await WorkItem.get(id=root.parent_id)
        if parent.type is not WorkItemType.CASE:
            break
        root = parent
    family: list[WorkItem] = []
    frontier = [root]
    while frontier:
        family.extend(frontier)
        frontier = await WorkItem.filter(parent_id__in=[c.id for c in frontier], type=WorkItemType.CASE)
    for member in family:
        if member.id != item.id and member.custom_data != item.custom_data and member.status is not Status.CLOSED:
            await save_changes(member, {"custom_data": dict(item.custom_data)})
            uow.emit(WorkItemFieldsChanged(**event_base(member, actor), fields=("customData",)))

