"""Starting cases: a sub-case sharing data with its parent, or an independent copy."""

from __future__ import annotations

from models.case_flow import CaseType
from models.enums import Status, TimelineKind, WorkItemType
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import limits, text, timeline, workflow
from server.domain.cases.flow import copy_case, new_sub_case, require_case
from server.domain.errors import InvalidTransition, ValidationError
from server.domain.transitions import Outcome, load_for_change, require_person
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer
from server.domain.item_store import event_base, save_changes
from server.domain.events import WorkItemCreated, WorkItemFieldsChanged

DATA_GROUPS = ("CONTACTS", "CUSTOM_DATA", "COMMUNICATIONS")


# -------------------------------------------------------------------------------- starting cases


async def _copy_communications(uow: UnitOfWork, source: WorkItem, target: WorkItem) -> None:
    kinds = [TimelineKind.NOTE, TimelineKind.EMAIL_IN, TimelineKind.EMAIL_OUT, TimelineKind.INITIAL_DESCRIPTION]
    for entry in await TimelineEntry.filter(work_item_id=source.id, kind__in=kinds).order_by("id"):
        await TimelineEntry.create(
            work_item_id=target.id, kind=entry.kind, actor_user_id=entry.actor_user_id, actor_contact_id=entry.actor_contact_id,
            actor_api_key_id=entry.actor_api_key_id, body=entry.body, data={**entry.data, "copiedFrom": source.ref},
            is_public=entry.is_public, system_generated=entry.system_generated, email_id=entry.email_id, created_at=entry.created_at,
        )


async def check_case_type(case_type_id: int | None) -> None:
    """A new case may be of `case_type_id`: none, or an active case type (VALIDATION on caseTypeId)."""
    if case_type_id is None:
        return
    case_type = await CaseType.get_or_none(id=case_type_id)
    if case_type is None:
        raise ValidationError.single("caseTypeId", f"no case type {case_type_id}")
    if not case_type.active:
        raise ValidationError.single("caseTypeId", inactive(case_type))


def inactive(case_type: CaseType) -> str:
    return f"the case type {case_type.name} is inactive: it starts no new cases"


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
    limits.check({"title": title})
    require_person(viewer, "start cases")
    if text.is_blank(title):
        raise ValidationError.single("title", "a case needs a short description")
    unknown = set(copy) - set(DATA_GROUPS)
    if unknown:
        raise ValidationError.single("copy", f"unknown data groups {sorted(unknown)}; choose from {', '.join(DATA_GROUPS)}")
    if copy and not independent:
        raise ValidationError.single("copy", "a sub-case shares all of its parent's data; choose data groups for independent cases")
    await check_case_type(case_type_id)
    async with unit_of_work() as uow:
        source = await load_for_change(viewer, ref, version)
        require_case(source)
        if source.status not in workflow.OPEN:
            raise InvalidTransition(f"{source.ref} is {source.status.value}; cases start from open cases.", field="ref",
                                    **{"from": source.status.value, "to": source.status.value})
        if independent:
            case = await copy_case(source, viewer, title=title.strip(), case_type_id=case_type_id, status=Status.DRAFT,
                                    parent_id=None, origin_id=source.id, groups=tuple(copy))
            uow.emit(WorkItemCreated(**event_base(case, viewer), item_type=WorkItemType.CASE.value, status=case.status.value))
            await timeline.created(uow, case, viewer)
            await timeline.case_started(uow, source, case, viewer, relation="INDEPENDENT")
            if "COMMUNICATIONS" in copy:
                await _copy_communications(uow, source, case)
        else:
            case = await new_sub_case(uow, source, viewer, title=title.strip(), case_type_id=case_type_id)
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
