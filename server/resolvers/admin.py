"""Resolvers of department administration and of moving work between departments: parse input,
call server.domain.departments, map the result."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from models.org import Department as DepartmentModel
from server.domain import access, departments, moves
from server.resolvers.context import require_viewer
from server.resolvers.inputs import provided, to_id, to_ids
from server.resolvers.timeline import present_entry
from server.schema.admin import (
    DepartmentSettings,
    DepartmentSettingsInput,
    UserDepartmentAccess,
    UserGroup,
    UserGroupInput,
)
from server.schema.lifecycle import WorkItemChange
from server.schema.work_items import WorkItem

_DEPARTMENT_IDS = {"default_contact_group_id": "defaultContactGroupId", "smtp_connector_id": "smtpConnectorId"}


def _optional_id(value: Any, field: str) -> Optional[int]:
    return None if value is None else to_id(value, field)


def _department_fields(data: DepartmentSettingsInput) -> dict[str, Any]:
    fields = provided(data)
    for name, api_name in _DEPARTMENT_IDS.items():
        if name in fields:
            fields[name] = _optional_id(fields[name], api_name)
    return fields


def _group_fields(data: UserGroupInput) -> dict[str, Any]:
    fields = provided(data)
    if "default_department_id" in fields:
        fields["default_department_id"] = _optional_id(fields["default_department_id"], "defaultDepartmentId")
    for name, api_name in (("department_ids", "departmentIds"), ("public_department_ids", "publicDepartmentIds"), ("member_ids", "memberIds")):
        if name in fields:
            fields[name] = to_ids(fields[name] or [], api_name)
    return fields


async def department_settings(info: strawberry.Info) -> list[DepartmentSettings]:
    rows = await departments.department_settings(await require_viewer(info))
    return [DepartmentSettings.from_domain(r) for r in rows]


async def create_department(info: strawberry.Info, input: DepartmentSettingsInput) -> DepartmentSettings:
    viewer = await require_viewer(info)
    departments.require_admin(viewer)
    return DepartmentSettings.from_domain(await departments.create_department(viewer, _department_fields(input)))


async def update_department(info: strawberry.Info, id: strawberry.ID, input: DepartmentSettingsInput) -> DepartmentSettings:
    viewer = await require_viewer(info)
    departments.require_admin(viewer)
    settings = await departments.update_department(viewer, to_id(id, "id"), _department_fields(input))
    return DepartmentSettings.from_domain(settings)


async def set_user_departments(
    info: strawberry.Info, user_id: strawberry.ID, department_ids: list[strawberry.ID]
) -> UserDepartmentAccess:
    viewer = await require_viewer(info)
    departments.require_admin(viewer)
    granted = await access.set_user_departments(viewer, to_id(user_id, "userId"), to_ids(department_ids, "departmentIds"))
    return UserDepartmentAccess.from_domain(granted, list(await DepartmentModel.all()))


async def user_groups(info: strawberry.Info) -> list[UserGroup]:
    return [UserGroup.from_model(g) for g in await access.user_groups(await require_viewer(info))]


async def create_user_group(
    info: strawberry.Info, name: str, default_department_id: Optional[strawberry.ID] = None
) -> UserGroup:
    viewer = await require_viewer(info)
    departments.require_admin(viewer)
    group = await access.create_user_group(viewer, name, _optional_id(default_department_id, "defaultDepartmentId"))
    return UserGroup.from_model(group)


async def update_user_group(info: strawberry.Info, id: strawberry.ID, input: UserGroupInput) -> UserGroup:
    viewer = await require_viewer(info)
    departments.require_admin(viewer)
    return UserGroup.from_model(await access.update_user_group(viewer, to_id(id, "id"), _group_fields(input)))


async def move_work_item(
    info: strawberry.Info,
    ref: str,
    department_id: strawberry.ID,
    queue_id: Optional[strawberry.ID] = None,
    version: Optional[int] = None,
) -> WorkItemChange:
    outcome = await moves.move_work_item(
        await require_viewer(info), ref, to_id(department_id, "departmentId"), _optional_id(queue_id, "queueId"), version
    )
    return WorkItemChange(
        work_item=WorkItem.from_model(outcome.item),
        notices=outcome.notices,
        created=[],
        entry=await present_entry(info, outcome.entry, outcome.item.ref) if outcome.entry else None,
    )
