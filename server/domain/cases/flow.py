"""How a case moves through its case type: steps start their actions, complete actions advance
the case, a problem action puts it back to its owner, the last step completes it."""

from __future__ import annotations

from models.case_flow import ActionTemplate, CaseStep
from models.enums import (
    ActionKind,
    NotificationKind,
    Priority,
    ResolutionMethod,
    ReviewStage,
    Status,
    TimelineKind,
    WaitType,
    WorkItemType,
)
from models.org import Department, Queue
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, notifications, reactions, sla, timeline, workflow
from server.domain.cases import email_actions
from server.domain.departments import department_queue
from server.domain.errors import Forbidden, ValidationError
from server.domain.transitions import (
    change_status,
    set_flags,
)
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer
from server.domain.item_store import event_base, next_reference, save_changes
from server.domain.events import WorkItemCreated

# ---------------------------------------------------------------------------------------- helpers


async def case_of(action: WorkItem) -> WorkItem:
    return await WorkItem.get(id=action.parent_id)


async def check_case_manager(viewer: Viewer, case: WorkItem) -> None:
    """The owner manages a case (with team leaders of its team and admins)."""
    if viewer.is_admin or (viewer.is_user and case.owner_id == viewer.id):
        return
    if viewer.is_user and case.team_id is not None and case.team_id in viewer.led_team_ids:
        return
    raise Forbidden(f"Only the owner of {case.ref} (or a leader of its team) may do this.", field="ref")


async def check_owner_change(viewer: Viewer, case: WorkItem) -> None:
    """The owner manages a case, so naming another owner is a manager's call too; a draft nobody
    owns yet is its creator's to give."""
    if case.owner_id is None and viewer.is_user and case.created_by_id == viewer.id:
        return
    try:
        await check_case_manager(viewer, case)
    except Forbidden:
        raise Forbidden(
            f"Only the owner of {case.ref} (or a leader of its team) may change its owner.", field="ownerId"
        ) from None


def require_case(item: WorkItem, field: str = "ref") -> None:
    if item.type is not WorkItemType.CASE:
        raise ValidationError.single(field, f"{item.ref} is not a case")


async def running_sub_cases(case: WorkItem) -> int:
    return await WorkItem.filter(parent_id=case.id, type=WorkItemType.CASE, status__in=list(workflow.OPEN)).count()


async def _started_sub_cases(case: WorkItem) -> int:
    return await WorkItem.filter(parent_id=case.id, type=WorkItemType.CASE).exclude(status=Status.DRAFT).count()


async def _queue_for(case: WorkItem, queue_id: int | None) -> Queue:
    """Where a new action of the case waits: the queue asked for, else the case's own queue, else
    its department's first queue."""
    if queue_id is None and case.queue_id is not None:
        return await Queue.get(id=case.queue_id)
    return await department_queue(case.department_id, queue_id, where=f"{case.ref}'s department")


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
        due_at=sla.due_date(department, now),
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
    actions start their sub-case and close; actions that send mail send it, then close or wait
    for the reply (server/domain/cases/email_actions.py). An action closing here may move the
    case on, so `case` is then reloaded."""
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
        sub_case = await new_sub_case(uow, case, None, title=action.title or "Sub-case", case_type_id=case_type_id)
        await change_status(
            uow, action, None, Status.CLOSED, reason=f"Started sub-case {sub_case.ref}.",
            fields={"resolution_method": ResolutionMethod.COMPLETE},
        )
        await case.refresh_from_db()
    elif action.action_kind in email_actions.EMAIL_KINDS:
        await email_actions.send(uow, case, action, template)


async def new_sub_case(uow: UnitOfWork, parent: WorkItem, actor: Viewer | None, *, title: str, case_type_id: int | None) -> WorkItem:
    """A sub-case: TO_DO at once, sharing the parent's data; the parent's wait-for-sub-cases
    actions start waiting."""
    case = await copy_case(parent, actor, title=title, case_type_id=case_type_id, status=Status.TO_DO, parent_id=parent.id,
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


async def copy_case(source: WorkItem, actor: Viewer | None, *, title: str, case_type_id: int | None, status: Status,
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
        due_at=sla.due_date(department, now) if submitted else None,
        created_by_id=actor.id if actor is not None and actor.is_user else None,
        test_mode=source.test_mode,
    )
    if "CONTACTS" in groups:
        contacts = await source.contacts.all()
        if contacts:
            await case.contacts.add(*contacts)
    return case


@reactions.on_done(WorkItemType.ACTION)
async def action_closed(uow: UnitOfWork, action: WorkItem, actor: Viewer | None) -> None:
    """An action closed: a case problem when it could not be completed; otherwise the case's step
    may be finished. Actions closed by the system without a method (rework, abandon) change nothing.

    The case is locked first, so two of its actions finishing at once see each other closed and
    the second one moves the case on."""
    case = await WorkItem.select_for_update().get(id=action.parent_id)
    if action.resolution_method is ResolutionMethod.UNABLE_TO_COMPLETE:
        await raise_problem(uow, case, action, action_problem_reason(action))
    elif action.resolution_method is ResolutionMethod.COMPLETE:
        await advance(uow, case, actor)


def action_problem_reason(action: WorkItem) -> str:
    return f"{action.ref} ({action.title}) could not be completed"


async def raise_problem(uow: UnitOfWork, case: WorkItem, action: WorkItem, reason: str) -> None:
    """Rule 11/14: the case goes TO_DO with the problem flag and its owner is told."""
    if case.status not in workflow.OPEN:
        return
    await set_flags(uow, case, None, needs_attention=True, problem=reason)
    if case.status is not Status.TO_DO:
        await change_status(uow, case, None, Status.TO_DO, reason=reason)
    entry_reason = await TimelineEntry.filter(work_item_id=action.id, kind=TimelineKind.STATUS_CHANGED).order_by("-id").first()
    await timeline.case_problem(uow, case, action, entry_reason.body if entry_reason else reason)
    await notifications.notify(
        uow, case.owner_id, NotificationKind.CASE_NEEDS_ATTENTION, case, f"{case.ref} needs attention: {reason}"
    )


async def advance(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    """When every action of the current step is complete, start the next step or complete the case."""
    if case.case_type_id is None or case.status not in workflow.OPEN or case.needs_attention:
        return
    step_actions = WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, step=case.current_step)
    if await step_actions.filter(status__in=list(workflow.OPEN)).exists():
        return
    following = await CaseStep.filter(case_type_id=case.case_type_id, position__gt=case.current_step or 0).order_by("position").first()
    if following is not None:
        await start_step(uow, case, following.position, actor)
        return
    await complete_case(uow, case, None)


async def complete_case(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    target, fields = workflow.resolved(await Department.get(id=case.department_id), clock.now())
    fields["resolution_method"] = ResolutionMethod.COMPLETE
    await change_status(uow, case, actor, target, reason="Every step is complete.", fields=fields)


@reactions.on_done(WorkItemType.CASE)
async def case_done(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    """A case resolved or closed: an abandoned one closes its open actions; a sub-case may let its
    parent's wait-for-sub-cases actions close. (A case started from a ticket: tickets reacts.)"""
    if case.resolution_method is ResolutionMethod.ABANDONED:
        for action in await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION, status__in=list(workflow.OPEN)):
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
