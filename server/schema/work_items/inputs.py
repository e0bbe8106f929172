"""Inputs that create and change work items."""

from __future__ import annotations

from typing import Optional

import strawberry

from models.enums import WorkItemType as WorkItemTypeEnum
from server.schema.scalars import JSON
from server.schema.work_items.enums import Priority, WorkItemType


@strawberry.input
class WorkItemFieldsInput:
    title: Optional[str] = strawberry.UNSET
    description: Optional[str] = strawberry.UNSET
    category_id: Optional[strawberry.ID] = strawberry.UNSET
    primary_contact_id: Optional[strawberry.ID] = strawberry.UNSET
    requester_id: Optional[strawberry.ID] = strawberry.UNSET
    contact_ids: Optional[list[strawberry.ID]] = strawberry.UNSET
    priority: Optional[Priority] = strawberry.UNSET
    custom_data: Optional[JSON] = strawberry.UNSET
    queue_id: Optional[strawberry.ID] = strawberry.UNSET
    sla_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description="Overrides the department SLA.")
    owner_id: Optional[strawberry.ID] = strawberry.field(default=strawberry.UNSET, description="Cases: the responsible person.")


@strawberry.input
class CreateWorkItemInput(WorkItemFieldsInput):
    type: WorkItemType = WorkItemTypeEnum.TICKET
    department_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="Defaults to your group's default department."
    )
    case_type_id: Optional[strawberry.ID] = strawberry.field(default=None, description="Cases: the flow to follow.")
    link_to: Optional[str] = strawberry.field(default=None, description="Create it already linked to this item.")
