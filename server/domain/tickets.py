"""Ticket-only moves: merge, split, convert to a case (SPEC §2.2 rules 8–10)."""

from __future__ import annotations

from dataclasses import dataclass
from models.enums import NotificationKind, ResolutionMethod, Status, WaitType, WorkItemType
from models.org import Department
from models.work_item import WorkItem
from server.domain import cases, clock, limits, notifications, outbox, reactions, sla, text, timeline, visibility, workflow
from server.domain.errors import InvalidTransition, ValidationError
from server.domain.transitions import Outcome, change_status, load_for_change, require_person, set_flags
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer
from server.domain.item_store import event_base, next_reference
from server.domain.events import WorkItemCreated

MAX_PARTS = 20


def _require_open_ticket(item: WorkItem, what: str) -> None:
    if item.type is not WorkItemType.TICKET:
        raise ValidationError.single("ref", f"only tickets are {what}; {item.ref} is a {item.type.value.lower()}")
    if item.status not in workflow.OPEN and item.status is not Status.DRAFT:
        raise InvalidTransition(
            f"{item.ref} is {item.status.value}; only open tickets are {what}.", field="ref",
            **{"from": item.status.value, "to": Status.CLOSED.value},
        )


async def merge(viewer: Viewer, ref: str, version: int | None, into_ref: str) -> Outcome:
    """Merge a ticket into a ticket, case or action (rule 8): the source is closed with method
    MERGED, its communications show on the target, and its requester gets a system notice."""
    require_person(viewer, "merge tickets")
    async with unit_of_work() as uow:
        source = await load_for_change(viewer, ref, version)
        _require_open_ticket(source, "merged")
        target_ref = visibility.normalise_ref(into_ref)
        if target_ref == source.ref:
            raise ValidationError.single("into", "a ticket cannot be merged into itself")
        target = await visibility.visible_work_items(viewer).get_or_none(ref=target_ref)
        if target is None:
            raise ValidationError.single("into", f"no work item {target_ref} exists")
        if target.status is Status.CLOSED:
            raise ValidationError.single("into", f"{target.ref} is closed; merge into open work")
        if target.merged_into_id is not None:
            raise ValidationError.single("into", f"{target.ref} was itself merged; merge into what it was merged into")
        await change_status(
            uow, source, viewer, Status.CLOSED, reason=f"Merged into {target.ref}.",
            fields={"resolution_method": ResolutionMethod.MERGED, "merged_into_id": target.id},
        )
        await timeline.merged(uow, source, target, viewer)
        await set_flags(uow, target, viewer, has_new_info=True)
        if target.assignee_id is not None and target.assignee_id != viewer.id:
            await notifications.notify(uow, target.assignee_id, NotificationKind.NEW_INFORMATION, target,
                                       f"{source.ref} was merged into {target.ref}")
        await outbox.queue_system_notice(
            uow, source, f"[{source.ref}] Your request continues as {target.ref}",
            f"Your request {source.ref} ({source.title or ''}) has been merged into {target.ref}; "
            f"please quote {target.ref} in replies.",
        )
    return Outcome(source)


@dataclass(frozen=True)
class Part:
    title: str
    description: str | None = None


async def split(viewer: Viewer, ref: str, version: int | None, parts: list[Part]) -> Outcome:
    """Split a ticket into several (rule 9): each part is a new ticket TO_DO in the same queue;
    the source waits (SPLIT) until every part is resolved, then resolves itself."""
    limits.check({"parts": parts})
    require_person(viewer, "split tickets")
    if not 2 <= len(parts) <= MAX_PARTS:
        raise ValidationError.single("parts", f"a ticket splits into 2 to {MAX_PARTS} parts")
    if any(text.is_blank(p.title) for p in parts):
        raise ValidationError.single("parts", "every part needs a title")
    async with unit_of_work() as uow:
        source = await load_for_change(viewer, ref, version)
        _require_open_ticket(source, "split")
        if source.status is Status.DRAFT:
            raise InvalidTransition(f"{source.ref} is a draft: submit it first.", field="ref",
                                    **{"from": "DRAFT", "to": "WAITING"})
        department = await Department.get(id=source.department_id)
        contacts = await source.contacts.all()
        now = clock.now()
        created = []
        for part in parts:
            item = await WorkItem.create(
                ref=await next_reference(WorkItemType.TICKET), type=WorkItemType.TICKET, status=Status.TO_DO,
                title=part.title.strip(), description=(part.description or source.description),
                department_id=source.department_id, team_id=source.team_id, queue_id=source.queue_id,
                company_id=source.company_id, primary_contact_id=source.primary_contact_id,
                requester_id=source.requester_id, category_id=source.category_id, priority=source.priority,
                custom_data=dict(source.custom_data), origin_id=source.id, submitted_at=now,
                due_at=sla.due_date(department, now, source.sla_hours),
                created_by_id=viewer.id, test_mode=source.test_mode,
            )
            if contacts:
                await item.contacts.add(*contacts)
            uow.emit(WorkItemCreated(**event_base(item, viewer), item_type=WorkItemType.TICKET.value, status=item.status.value))
            await timeline.created(uow, item, viewer)
            created.append(item)
        await change_status(uow, source, viewer, Status.WAITING, assignee=source.assignee_id or viewer.id,
                            reason=f"Split into {', '.join(p.ref for p in created)}.", fields={"wait_type": WaitType.SPLIT})
        await timeline.split(uow, source, created, viewer)
        await outbox.queue_system_notice(
            uow, source, f"[{source.ref}] Your request has been split",
            f"Your request {source.ref} is being handled as: " + "; ".join(f"{p.ref} {p.title}" for p in created) + ".",
        )
    return Outcome(source, created=created)


async def convert_to_case(viewer: Viewer, ref: str, version: int | None, *, title: str | None, case_type_id: int | None) -> Outcome:
    """Convert a ticket to a case (rule 10): the case starts TO_DO with the ticket's data and the
    ticket waits (CASE_STARTED) until the case completes."""
    limits.check({"title": title})
    require_person(viewer, "start cases")
    await cases.check_case_type(case_type_id)
    async with unit_of_work() as uow:
        ticket = await load_for_change(viewer, ref, version)
        _require_open_ticket(ticket, "converted to cases")
        if ticket.status is Status.DRAFT:
            raise InvalidTransition(f"{ticket.ref} is a draft: submit it first.", field="ref",
                                    **{"from": "DRAFT", "to": "WAITING"})
        case = await cases.copy_case(
            ticket, viewer, title=(title or ticket.title or ticket.ref).strip(), case_type_id=case_type_id,
            status=Status.TO_DO, parent_id=None, origin_id=ticket.id, groups=("CONTACTS", "CUSTOM_DATA"),
        )
        uow.emit(WorkItemCreated(**event_base(case, viewer), item_type=WorkItemType.CASE.value, status=case.status.value))
        await timeline.created(uow, case, viewer)
        await timeline.case_started(uow, ticket, case, viewer, relation="CONVERTED")
        await change_status(uow, ticket, viewer, Status.WAITING, assignee=ticket.assignee_id or viewer.id,
                            reason=f"Case {case.ref} started.", fields={"wait_type": WaitType.CASE_STARTED})
        await cases.on_submitted(uow, case, viewer)
    return Outcome(ticket, created=[case])


async def _finish_waiting_source(uow: UnitOfWork, source: WorkItem, reason: str) -> None:
    """The source ticket's wait is over because its parts or its case are done: it resolves."""
    target, fields = workflow.resolved(await Department.get(id=source.department_id), clock.now())
    fields["resolution_method"] = None
    await change_status(uow, source, None, target, reason=reason, fields=fields)


@reactions.on_done(WorkItemType.TICKET)
async def part_done(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> None:
    """A split part resolved: when every part is, the split source resolves itself."""
    if item.origin_id is None:
        return
    source = await WorkItem.get(id=item.origin_id)
    if source.status is not Status.WAITING or source.wait_type is not WaitType.SPLIT:
        return
    if await WorkItem.filter(origin_id=source.id, type=WorkItemType.TICKET).exclude(status__in=list(workflow.DONE)).exists():
        return
    await _finish_waiting_source(uow, source, "Every part of the split is resolved.")


@reactions.on_done(WorkItemType.CASE)
async def started_case_done(uow: UnitOfWork, case: WorkItem, actor: Viewer | None) -> None:
    """A case started from a ticket is done: completed, the ticket resolves; abandoned, the ticket
    returns to its assignee's inbox, highlighted."""
    if case.origin_id is None:
        return
    ticket = await WorkItem.get(id=case.origin_id)
    if ticket.type is not WorkItemType.TICKET or ticket.status is not Status.WAITING or ticket.wait_type is not WaitType.CASE_STARTED:
        return
    if case.resolution_method is ResolutionMethod.ABANDONED:
        await change_status(uow, ticket, None, Status.IN_PROGRESS, assignee=ticket.assignee_id, reason=f"{case.ref} was abandoned.")
        await set_flags(uow, ticket, None, has_new_info=True)
        await notifications.notify(uow, ticket.assignee_id, NotificationKind.BACK_FROM_WAITING, ticket,
                                   f"{ticket.ref} is back: {case.ref} was abandoned")
    else:
        await _finish_waiting_source(uow, ticket, f"{case.ref} is complete.")
