"""Acting on a case's actions (resolving them, peer review, waiting for sub-cases) and what the
case's owner does (start another action, rework from an earlier step, reset)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.case_flow import ActionTemplate
from models.enums import (
    ActionKind,
    NotificationKind,
    ResolutionMethod,
    ReviewOutcome,
    ReviewStage,
    Status,
    WaitType,
    WorkItemType,
)
from models.work_item import WorkItem
from server.domain import notifications, text, timeline, visibility, workflow
from server.domain import limits
from server.domain.cases import email_actions
from server.domain.cases.flow import (
    advance,
    case_of,
    check_case_manager,
    create_action,
    require_case,
    running_sub_cases,
    start_step,
)
from server.domain.errors import FieldProblem, Forbidden, InvalidTransition, ValidationError
from server.domain.transitions import (
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
from server.domain.item_store import event_base, save_changes
from server.domain.events import WorkItemFieldsChanged

@dataclass(frozen=True)
class ReviewDecision:
    """How a peer review action is resolved: the reviewer chosen by the doer, or the reviewer's
    outcome and comment."""

    reviewer_id: int | None = None
    outcome: ReviewOutcome | None = None
    comment: str | None = None


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
    if method is ResolutionMethod.UNABLE_TO_COMPLETE and text.is_blank(reason):
        raise ValidationError.single("reason", "say why the action cannot be completed")
    notices = []
    if action.action_kind is ActionKind.WAIT_FOR_SUB_CASES and await running_sub_cases(await case_of(action)):
        notices.append("The case will no longer wait for its sub-cases before it finishes.")
    if not text.is_blank(note):
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
        comment = text.visible(review.comment)
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
    limits.check({"items": items})
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
    case = await case_of(action)
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
        open_actions = await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, status__in=list(workflow.OPEN)).values_list("ref", flat=True)
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
    limits.check({"title": title, "copyOf": copy_of_ref})
    require_person(viewer, "start actions")
    async with unit_of_work() as uow:
        case = await load_for_change(viewer, ref, version)
        require_case(case)
        await check_case_manager(viewer, case)
        if case.status not in workflow.OPEN:
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
        if text.is_blank(title):
            raise ValidationError.single("title", "an action needs a title")
        if kind in email_actions.EMAIL_KINDS and template is None:
            raise ValidationError.single(
                "kind", "an action that sends email sends its case type's template: start a copy of one (copyOf) instead"
            )
        # the problem is dealt with before the action starts: one that cannot start raises it again
        await set_flags(uow, case, viewer, needs_attention=False, problem=None)
        action = await create_action(uow, case, viewer, title=title.strip(), kind=kind, queue_id=queue_id, step=step,
                                     template=template, copy_of=copy_of)
    return Outcome(case, created=[action])


async def rework(viewer: Viewer, ref: str, version: int | None, step: int) -> Outcome:
    """Rework a case from an earlier step: the open actions of that step and later ones are
    closed, and the step's actions start afresh."""
    require_person(viewer, "rework cases")
    async with unit_of_work() as uow:
        case = await load_for_change(viewer, ref, version)
        require_case(case)
        await check_case_manager(viewer, case)
        if case.status not in workflow.OPEN:
            raise InvalidTransition(f"{case.ref} is {case.status.value}; only an open case is reworked.", field="ref",
                                    **{"from": case.status.value, "to": case.status.value})
        if case.current_step is None or not 1 <= step <= case.current_step:
            raise ValidationError.single("step", f"step must be between 1 and {case.ref}'s current step ({case.current_step or 0})")
        for action in await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, step__gte=step, status__in=list(workflow.OPEN)):
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
        require_case(case)
        await check_case_manager(viewer, case)
        workflow.check(case, Status.IN_PROGRESS)
        await set_flags(uow, case, viewer, needs_attention=False, problem=None)
        if case.status is not Status.IN_PROGRESS:
            await change_status(uow, case, viewer, Status.IN_PROGRESS, assignee=case.assignee_id or viewer.id,
                                reason="Reset to in progress.")
        await advance(uow, case, viewer)
    return Outcome(case)
