"""Resolvers of work item queries and mutations."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from server.domain import visibility, work_items
from server.resolvers.context import require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, provided, to_id, to_ids
from server.schema.work_items import (
    CreateWorkItemInput,
    PageInfo,
    WorkItem,
    WorkItemConnection,
    WorkItemEdge,
    WorkItemFieldsInput,
    WorkItemFilter,
)

_ID_FIELDS = {
    "category_id": "categoryId",
    "primary_contact_id": "primaryContactId",
    "requester_id": "requesterId",
    "queue_id": "queueId",
    "owner_id": "ownerId",
}


def _domain_fields(data: WorkItemFieldsInput) -> dict[str, Any]:
    fields = provided(data)
    fields.pop("type", None)
    fields.pop("department_id", None)
    fields.pop("case_type_id", None)
    for name, api_name in _ID_FIELDS.items():
        if fields.get(name) is not None:
            fields[name] = to_id(fields[name], api_name)
    if fields.get("contact_ids") is not None:
        fields["contact_ids"] = to_ids(fields["contact_ids"], "contactIds")
    return fields


async def work_item(info: strawberry.Info, ref: str) -> WorkItem:
    viewer = await require_viewer(info)
    return WorkItem.from_model(await visibility.get_work_item(viewer, ref))


async def work_items_page(
    info: strawberry.Info, filter: Optional[WorkItemFilter], first: int, after: Optional[str]
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    size = page_size(first)
    query = visibility.visible_work_items(viewer)
    if filter is not None:
        if filter.types:
            query = query.filter(type__in=list(filter.types))
        if filter.statuses:
            query = query.filter(status__in=list(filter.statuses))
        if filter.department_ids:
            query = query.filter(department_id__in=to_ids(filter.department_ids, "departmentIds"))
        if filter.team_ids:
            query = query.filter(team_id__in=to_ids(filter.team_ids, "teamIds"))
        if filter.queue_ids:
            query = query.filter(queue_id__in=to_ids(filter.queue_ids, "queueIds"))
        if filter.assignee_ids:
            query = query.filter(assignee_id__in=to_ids(filter.assignee_ids, "assigneeIds"))
        if filter.refs:
            query = query.filter(ref__in=[visibility.normalise_ref(r) for r in filter.refs])
        if filter.my_teams:
            query = query.filter(team_id__in=sorted(viewer.team_ids))
        if filter.assigned_to_me:
            query = query.filter(assignee_id=viewer.user_id)
    if after is not None:
        query = query.filter(id__lt=decode_cursor(after, "WorkItem"))
    rows = await query.order_by("-id").limit(size + 1)
    edges = [WorkItemEdge(cursor=encode_cursor("WorkItem", row.id), node=WorkItem.from_model(row)) for row in rows[:size]]
    return WorkItemConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None),
    )


async def create_work_item(info: strawberry.Info, input: CreateWorkItemInput) -> WorkItem:
    viewer = await require_viewer(info)
    department_id = to_id(input.department_id, "departmentId") if input.department_id is not None else None
    case_type_id = to_id(input.case_type_id, "caseTypeId") if input.case_type_id is not None else None
    item = await work_items.create_draft(viewer, input.type, department_id, _domain_fields(input), case_type_id=case_type_id)
    return WorkItem.from_model(item)


async def update_work_item(info: strawberry.Info, ref: str, input: WorkItemFieldsInput, version: Optional[int]) -> WorkItem:
    viewer = await require_viewer(info)
    return WorkItem.from_model(await work_items.update_fields(viewer, ref, _domain_fields(input), version))


async def submit_work_item(info: strawberry.Info, ref: str, version: Optional[int]) -> WorkItem:
    viewer = await require_viewer(info)
    return WorkItem.from_model(await work_items.submit(viewer, ref, version))
