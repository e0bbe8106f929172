"""Resolvers of work item queries and mutations."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from server.domain import lists, visibility, work_items
from server.domain.errors import ValidationError
from server.domain.search import recent, saved_views
from server.resolvers.context import require_viewer
from server.resolvers.inputs import page_size, provided, to_id, to_ids
from server.schema.work_items import (
    CreateWorkItemInput,
    PageInfo,
    WorkItem,
    WorkItemConnection,
    WorkItemEdge,
    WorkItemFieldsInput,
    WorkItemFilter,
    prefetch_rows,
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
    fields.pop("link_to", None)
    for name, api_name in _ID_FIELDS.items():
        if fields.get(name) is not None:
            fields[name] = to_id(fields[name], api_name)
    if fields.get("contact_ids") is not None:
        fields["contact_ids"] = to_ids(fields["contact_ids"], "contactIds")
    return fields


async def work_item(info: strawberry.Info, ref: str) -> WorkItem:
    viewer = await require_viewer(info)
    item = await visibility.get_work_item(viewer, ref)
    await recent.record(viewer, item)  # recently accessed items (SPEC §8)
    return WorkItem.from_model(item)


async def work_items_page(
    info: strawberry.Info,
    filter: Optional[WorkItemFilter],
    first: int,
    after: Optional[str],
    order_by: Optional[list[Any]] = None,
    view_id: Optional[strawberry.ID] = None,
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    saved = _view_alone(view_id, filter is not None, bool(order_by))
    if saved is not None:
        view = await saved_views.get(viewer, saved)
        return await _connection(info, await saved_views.items(viewer, view, page_size(first, info), after))
    page = await lists.work_items(viewer, _criteria(filter), _order(order_by), page_size(first, info), after)
    return await _connection(info, page)


async def inbox(
    info: strawberry.Info, filter: Optional[WorkItemFilter], order_by: Optional[list[Any]], first: int, after: Optional[str]
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    return await _connection(info, await lists.inbox(viewer, _criteria(filter), _order(order_by), page_size(first, info), after))


async def owned_work(
    info: strawberry.Info, filter: Optional[WorkItemFilter], order_by: Optional[list[Any]], first: int, after: Optional[str]
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    return await _connection(info, await lists.owned_work(viewer, _criteria(filter), _order(order_by), page_size(first, info), after))


async def queue_items(
    info: strawberry.Info,
    queue_id: strawberry.ID,
    filter: Optional[WorkItemFilter],
    order_by: Optional[list[Any]],
    first: int,
    after: Optional[str],
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    queue = to_id(queue_id, "queueId")
    return await _connection(info, await lists.queue_items(viewer, queue, _criteria(filter), _order(order_by), page_size(first, info), after))


async def team_items(
    info: strawberry.Info,
    team_id: strawberry.ID,
    filter: Optional[WorkItemFilter],
    order_by: Optional[list[Any]],
    first: int,
    after: Optional[str],
) -> WorkItemConnection:
    viewer = await require_viewer(info)
    team = to_id(team_id, "teamId")
    return await _connection(info, await lists.team_items(viewer, team, _criteria(filter), _order(order_by), page_size(first, info), after))


def _view_alone(view_id: Optional[strawberry.ID], has_filter: bool, has_order: bool) -> Optional[int]:
    """workItems(viewId:) lists the saved view as saved: a filter or order beside it is refused."""
    if view_id is None:
        return None
    if has_filter or has_order:
        raise ValidationError.single("viewId", "viewId lists a saved view as saved: pass no filter or orderBy with it")
    return to_id(view_id, "viewId")


def _criteria(filter: Optional[WorkItemFilter]) -> lists.Criteria:
    if filter is None:
        return lists.Criteria()

    def ids(values: Optional[list[strawberry.ID]], field: str) -> Optional[list[int]]:
        return to_ids(values, field) if values else None

    return lists.Criteria(
        types=filter.types,
        statuses=filter.statuses,
        department_ids=ids(filter.department_ids, "departmentIds"),
        team_ids=ids(filter.team_ids, "teamIds"),
        queue_ids=ids(filter.queue_ids, "queueIds"),
        assignee_ids=ids(filter.assignee_ids, "assigneeIds"),
        refs=filter.refs,
        my_teams=filter.my_teams,
        assigned_to_me=filter.assigned_to_me,
        custom_data=[(c.key, c.value) for c in filter.custom_data] if filter.custom_data else None,
        due_before=filter.due_before,
        due_after=filter.due_after,
        overdue=filter.overdue,
        priorities=filter.priorities,
        wait_types=filter.wait_types,
        has_new_info=filter.has_new_info,
        needs_attention=filter.needs_attention,
        text=filter.text,
        owner_ids=ids(filter.owner_ids, "ownerIds"),
        requester_ids=ids(filter.requester_ids, "requesterIds"),
        primary_contact_ids=ids(filter.primary_contact_ids, "primaryContactIds"),
        contact_ids=ids(filter.contact_ids, "contactIds"),
        company_ids=ids(filter.company_ids, "companyIds"),
        category_ids=ids(filter.category_ids, "categoryIds"),
        case_type_ids=ids(filter.case_type_ids, "caseTypeIds"),
        created_by_ids=ids(filter.created_by_ids, "createdByIds"),
        resolution_methods=filter.resolution_methods,
        action_kinds=filter.action_kinds,
        created_after=filter.created_after,
        created_before=filter.created_before,
        updated_after=filter.updated_after,
        updated_before=filter.updated_before,
        resolved_after=filter.resolved_after,
        resolved_before=filter.resolved_before,
        closed_after=filter.closed_after,
        closed_before=filter.closed_before,
        test_mode=filter.test_mode,
        human_only=filter.human_only,
        custom_data_contains=[(c.key, c.text) for c in filter.custom_data_contains] if filter.custom_data_contains else None,
    )


def _order(order_by: Optional[list[Any]]) -> list[lists.SortKey]:
    """WorkItemOrder inputs as sort keys; a null direction is ascending."""
    return [lists.SortKey(o.field, o.direction or lists.Direction.ASC) for o in order_by or ()]


async def _connection(info: strawberry.Info, page: lists.Page) -> WorkItemConnection:
    await prefetch_rows(info, page.items, ("edges", "node"))
    edges = [WorkItemEdge(cursor=cursor, node=WorkItem.from_model(row)) for row, cursor in zip(page.items, page.cursors)]
    return WorkItemConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
    )


async def create_work_item(info: strawberry.Info, input: CreateWorkItemInput) -> WorkItem:
    viewer = await require_viewer(info)
    department_id = to_id(input.department_id, "departmentId") if input.department_id is not None else None
    case_type_id = to_id(input.case_type_id, "caseTypeId") if input.case_type_id is not None else None
    item = await work_items.create_draft(
        viewer, input.type, department_id, _domain_fields(input), case_type_id=case_type_id, link_to=input.link_to
    )
    return WorkItem.from_model(item)


async def update_work_item(info: strawberry.Info, ref: str, input: WorkItemFieldsInput, version: Optional[int]) -> WorkItem:
    viewer = await require_viewer(info)
    return WorkItem.from_model(await work_items.update_fields(viewer, ref, _domain_fields(input), version))


async def submit_work_item(info: strawberry.Info, ref: str, version: Optional[int]) -> WorkItem:
    viewer = await require_viewer(info)
    return WorkItem.from_model(await work_items.submit(viewer, ref, version))
