"""Creating, editing and submitting work items (SPEC §2, rule 1).

Field changes arrive as a dict holding only the fields the caller set (domain names:
`title`, `description`, `category_id`, `primary_contact_id`, `requester_id`, `contact_ids`,
`priority`, `custom_data`, `queue_id`, `sla_hours`); a present key with None clears the field.
"""

from __future__ import annotations

from typing import Any

from models.contact import Contact
from models.enums import Priority, Status, WorkItemType
from models.case_flow import CaseType
from models.org import Department, Queue, UserGroup
from models.work_item import WorkItem
from server.domain import cases, limits, lifecycle, links, text, timeline, visibility, workflow
from server.domain.errors import FieldProblem, InvalidTransition, ValidationError
from server.domain.item_store import check_version, event_base, next_reference, save_changes  # noqa: F401 - re-exported
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer, ViewerKind
from server.domain.work_item_fields import (  # noqa: F401 - EDITABLE_FIELDS and API_NAMES re-exported
    API_NAMES,
    EDITABLE_FIELDS,
    check_custom_data,
    check_references,
    clean_text,
    field_changes,
)
from server.domain.events import WorkItemCreated, WorkItemFieldsChanged, WorkItemSubmitted, plain

async def _default_department(viewer: Viewer) -> int:
    if viewer.kind is ViewerKind.USER:
        groups = await UserGroup.filter(members__id=viewer.id, default_department_id__not_isnull=True).order_by("id")
        for group in groups:
            if viewer.is_admin or group.default_department_id in viewer.department_ids | viewer.public_department_ids:
                return group.default_department_id
    if len(viewer.department_ids) == 1:
        return next(iter(viewer.department_ids))
    raise ValidationError.single("departmentId", "departmentId is required: you work in several departments")


async def _set_contacts(item: WorkItem, contact_ids: list[int]) -> None:
    await item.contacts.clear()
    if contact_ids:
        await item.contacts.add(*await Contact.filter(id__in=contact_ids))


async def create_draft(
    viewer: Viewer,
    item_type: WorkItemType,
    department_id: int | None,
    fields: dict[str, Any],
    *,
    case_type_id: int | None = None,
    link_to: str | None = None,
    test_mode: bool = False,
) -> WorkItem:
    """A new ticket or case in DRAFT, optionally already linked to another item (SPEC §3).
    Actions are only ever started from a case. A test-mode item (an import in test mode) takes
    only test-mode contacts."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    limits.check(fields)
    if item_type is WorkItemType.ACTION:
        raise ValidationError.single("type", "actions are started from a case, not created on their own")
    if department_id is None:
        department_id = await _default_department(viewer)
    visibility.check_can_create_in(viewer, department_id)
    if not await Department.exists(id=department_id):
        raise visibility.no_such_department(department_id)
    if case_type_id is not None:
        if item_type is not WorkItemType.CASE:
            raise ValidationError.single("caseTypeId", "only cases have a case type")
        case_type = await CaseType.get_or_none(id=case_type_id)
        if case_type is None:
            raise ValidationError.single("caseTypeId", f"no case type {case_type_id}")
        if not case_type.active:
            raise ValidationError.single("caseTypeId", f"the case type {case_type.name} is inactive: it starts no new cases")
    if fields.get("owner_id") is not None and item_type is not WorkItemType.CASE:
        raise ValidationError.single("ownerId", "only cases have an owner")

    changes = dict(fields)
    problems: list[FieldProblem] = []
    clean_text(changes, problems)
    check_custom_data(changes, problems)
    company_id = await check_references(changes, department_id, None, problems, test_mode=test_mode)
    if problems:
        raise ValidationError("The work item has invalid fields: " + "; ".join(p.message for p in problems), problems)

    async with unit_of_work() as uow:
        item = await _create(uow, viewer, item_type, department_id, company_id, changes, case_type_id, test_mode=test_mode)
        if link_to is not None:
            await links.add_link(uow, item, await links.linkable(viewer, link_to, "linkTo"), viewer)
    return item


async def _create(uow: UnitOfWork, actor: Viewer | None, item_type: WorkItemType, department_id: int, company_id: int | None,
                  changes: dict[str, Any], case_type_id: int | None, *, test_mode: bool = False) -> WorkItem:
    """A new DRAFT item from checked fields, its event and its first timeline entry."""
    changes = dict(changes)
    contact_ids = changes.pop("contact_ids", None)
    item = await WorkItem.create(
        ref=await next_reference(item_type),
        type=item_type,
        status=Status.DRAFT,
        department_id=department_id,
        company_id=company_id,
        priority=changes.pop("priority", None) or Priority.NORMAL,
        custom_data=changes.pop("custom_data", None) or {},
        created_by_id=actor.id if actor is not None and actor.kind is ViewerKind.USER else None,
        created_by_api_key_id=actor.id if actor is not None and actor.kind is ViewerKind.API_KEY else None,
        case_type_id=case_type_id,
        test_mode=test_mode,
        **changes,
    )
    if contact_ids:
        await _set_contacts(item, contact_ids)
    uow.emit(WorkItemCreated(**event_base(item, actor), item_type=item_type.value, status=item.status.value))
    await timeline.created(uow, item, actor)
    return item


async def create_submitted(uow: UnitOfWork, item_type: WorkItemType, department_id: int, queue: Queue, fields: dict[str, Any], *,
                           case_type_id: int | None = None, company_id: int | None = None, actor: Viewer | None = None) -> WorkItem:
    """A work item opened and submitted to `queue` at once, through the same steps as
    `create_draft` and `submit`: by the system (an inbound email; no actor) or by its requester
    on the portal (`actor`: the contact)."""
    item = await _create(uow, actor, item_type, department_id, company_id, fields, case_type_id)
    await _submit(uow, item, actor, queue)
    return item


async def update_fields(viewer: Viewer, ref: str, fields: dict[str, Any], expected_version: int | None) -> WorkItem:
    """Change fields (rule 2: a person updating a TO_DO item takes it). Cases share custom data
    with their sub-cases; moving queues is a lifecycle change."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    limits.check(fields)
    async with unit_of_work() as uow:
        item = await visibility.get_work_item(viewer, ref, for_update=True)
        visibility.check_can_write(viewer, item)
        check_version(item, expected_version)
        if item.status is Status.CLOSED:
            raise InvalidTransition(f"{item.ref} is closed; nothing can change it.", field="ref")
        if fields.get("owner_id") is not None and item.type is not WorkItemType.CASE:
            raise ValidationError.single("ownerId", "only cases have an owner")
        if "owner_id" in fields and fields["owner_id"] != item.owner_id:
            await cases.check_owner_change(viewer, item)
        moves_queue = "queue_id" in fields and fields["queue_id"] != item.queue_id
        if moves_queue:
            await lifecycle.check_lifecycle_allowed(viewer, item)
            if fields["queue_id"] is None and item.status is not Status.DRAFT:
                raise ValidationError.single("queueId", "submitted work always waits in a queue")
        changes = dict(fields)
        problems: list[FieldProblem] = []
        clean_text(changes, problems)
        check_custom_data(changes, problems)
        problems += _cleared_requirements(item, changes)
        # the company follows the contacts: recompute it from the contacts the item keeps
        kept: dict[str, Any] = {n: getattr(item, n) for n in ("primary_contact_id", "requester_id") if n not in changes}
        if "contact_ids" not in changes:
            kept["contact_ids"] = list(await item.contacts.all().values_list("id", flat=True))
        company_id = await check_references({**kept, **changes}, item.department_id, None, problems, test_mode=item.test_mode)
        if problems:
            raise ValidationError("The work item has invalid fields: " + "; ".join(p.message for p in problems), problems)
        contact_ids = changes.pop("contact_ids", None)
        if company_id != item.company_id:
            changes["company_id"] = company_id
        if changes.get("priority") is None:
            changes.pop("priority", None)
        previous_queue = item.queue_id
        if moves_queue and changes["queue_id"] is not None:
            changes["team_id"] = (await Queue.get(id=changes["queue_id"])).team_id
        before = {name: getattr(item, name) for name in changes}
        await save_changes(item, changes)
        after = dict(changes)
        if contact_ids is not None:
            before["contact_ids"] = sorted(await item.contacts.all().values_list("id", flat=True))
            after["contact_ids"] = sorted(set(contact_ids))
            await _set_contacts(item, contact_ids)
        changed = tuple(sorted(API_NAMES.get(n, n) for n in [*changes, *(["contact_ids"] if contact_ids is not None else [])] if n != "team_id"))
        values = {API_NAMES.get(n, n): plain(v) for n, v in after.items() if n != "team_id"}
        uow.emit(WorkItemFieldsChanged(**event_base(item, viewer), fields=changed, values=values))
        if edits := await field_changes(before, after):
            await timeline.fields_changed(uow, item, viewer, edits)
        if moves_queue:
            await timeline.queue_changed(uow, item, viewer, from_queue_id=previous_queue)
        if "custom_data" in changes:
            await cases.share_custom_data(uow, item, viewer)
        await lifecycle.pick_up_on_update(uow, item, viewer)
    return item


# what submit requires (field, name in messages about the item, label), and a submitted item keeps
REQUIRED_TO_SUBMIT: dict[WorkItemType, tuple[tuple[str, str, str], ...]] = {
    WorkItemType.TICKET: (
        ("title", "title", "title"),
        ("description", "description", "description"),
        ("category_id", "category", "category"),
        ("primary_contact_id", "primaryContact", "primary contact"),
        ("requester_id", "requester", "requester"),
    ),
    WorkItemType.CASE: (("title", "title", "short description (title)"),),
    WorkItemType.ACTION: (("title", "title", "title"),),
}
# what submit gives an item that has none (a case's owner: who submitted it), which it keeps too
SET_ON_SUBMIT: dict[WorkItemType, tuple[tuple[str, str, str], ...]] = {
    WorkItemType.CASE: (("owner_id", "owner", "owner"),),
}


def _missing(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and text.is_blank(value))


async def submission_problems(item: WorkItem) -> list[FieldProblem]:
    return [
        FieldProblem(field, f"{label} is required to submit")
        for name, field, label in REQUIRED_TO_SUBMIT[item.type]
        if _missing(getattr(item, name))
    ]


def _cleared_requirements(item: WorkItem, changes: dict[str, Any]) -> list[FieldProblem]:
    """A submitted item keeps what submit required of it: none of it may be cleared."""
    if item.status is Status.DRAFT:
        return []
    return [
        FieldProblem(API_NAMES[name], f"{item.ref} is submitted: its {label} cannot be cleared")
        for name, _field, label in (*REQUIRED_TO_SUBMIT[item.type], *SET_ON_SUBMIT.get(item.type, ()))
        if name in changes and _missing(changes[name]) and not _missing(getattr(item, name))
    ]


async def _default_queue(viewer: Viewer, department_id: int) -> Queue | None:
    queues = await Queue.filter(department_id=department_id).order_by("id")
    for queue in queues:
        if queue.team_id in viewer.team_ids:
            return queue
    return queues[0] if queues else None


async def submit(viewer: Viewer, ref: str, expected_version: int | None) -> WorkItem:
    """DRAFT → TO_DO in its queue, with its due date from the SLA (rule 1); a case starts its flow."""
    async with unit_of_work() as uow:
        item = await visibility.get_work_item(viewer, ref, for_update=True)
        visibility.check_can_write(viewer, item)
        check_version(item, expected_version)
        workflow.check_submit(item)
        missing = await submission_problems(item)
        if missing:
            labels = ", ".join(p.message.split(" is required")[0] for p in missing)
            raise ValidationError(f"Cannot submit {item.ref}: missing {labels}.", missing)
        queue = await Queue.get_or_none(id=item.queue_id) if item.queue_id else await _default_queue(viewer, item.department_id)
        if queue is None:
            raise ValidationError.single("queueId", "the department has no queue to submit to")
        await _submit(uow, item, viewer, queue)
    return item


async def _submit(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, queue: Queue) -> None:
    await save_changes(item, await lifecycle.status_fields(item, Status.TO_DO, {"queue_id": queue.id, "team_id": queue.team_id}))
    uow.emit(
        WorkItemSubmitted(
            **event_base(item, actor),
            status=item.status.value,
            queue_id=item.queue_id,
            due_at=item.due_at.isoformat(),
        )
    )
    if item.type is WorkItemType.TICKET:
        await timeline.initial_description(uow, item, actor)
    await timeline.submitted(uow, item, actor)
    if item.type is WorkItemType.CASE:
        await cases.on_submitted(uow, item, actor)

