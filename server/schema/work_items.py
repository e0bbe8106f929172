"""GraphQL types of work items: the item, its connection, filters, inputs and live events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON

from models import contact as contact_models
from models import org as org_models
from models.enums import Priority as PriorityEnum
from models.enums import ResolutionMethod as ResolutionMethodEnum
from models.enums import Status as StatusEnum
from models.enums import WaitType as WaitTypeEnum
from models.enums import WorkItemType as WorkItemTypeEnum
from models.work_item import WorkItem as WorkItemModel
from server.domain import visibility
from server.resolvers.context import loaders, require_viewer
from server.schema.org import Category, Company, Contact, Department, Queue, Team, User

WorkItemType = strawberry.enum(WorkItemTypeEnum, name="WorkItemType")
Status = strawberry.enum(StatusEnum, name="Status")
WaitType = strawberry.enum(WaitTypeEnum, name="WaitType")
ResolutionMethod = strawberry.enum(ResolutionMethodEnum, name="ResolutionMethod")
Priority = strawberry.enum(PriorityEnum, name="Priority")


async def _related(info: strawberry.Info, model: Any, pk: int | None, gql_type: Any) -> Any:
    row = await loaders(info).get(model, pk)
    return None if row is None else gql_type.from_model(row)


@strawberry.type(description="A ticket, case or action.")
class WorkItem:
    ref: str = strawberry.field(description="Human reference, e.g. T-1042; unique and stable.")
    type: WorkItemType
    title: Optional[str]
    description: Optional[str]
    status: Status
    wait_type: Optional[WaitType]
    resolution_method: Optional[ResolutionMethod]
    priority: Priority
    due_at: Optional[datetime]
    submitted_at: Optional[datetime]
    resolved_at: Optional[datetime]
    closed_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    custom_data: JSON
    has_new_info: bool
    test_mode: bool
    version: int = strawberry.field(description="Changes with every update; send it back to detect conflicts.")
    model: strawberry.Private[WorkItemModel]

    @classmethod
    def from_model(cls, row: WorkItemModel) -> "WorkItem":
        return cls(
            ref=row.ref,
            type=row.type,
            title=row.title,
            description=row.description,
            status=row.status,
            wait_type=row.wait_type,
            resolution_method=row.resolution_method,
            priority=row.priority,
            due_at=row.due_at,
            submitted_at=row.submitted_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            custom_data=row.custom_data,
            has_new_info=row.has_new_info,
            test_mode=row.test_mode,
            version=row.version,
            model=row,
        )

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department:
        return await _related(info, org_models.Department, self.model.department_id, Department)

    @strawberry.field
    async def team(self, info: strawberry.Info) -> Optional[Team]:
        return await _related(info, org_models.Team, self.model.team_id, Team)

    @strawberry.field
    async def queue(self, info: strawberry.Info) -> Optional[Queue]:
        return await _related(info, org_models.Queue, self.model.queue_id, Queue)

    @strawberry.field
    async def assignee(self, info: strawberry.Info) -> Optional[User]:
        return await _related(info, org_models.User, self.model.assignee_id, User)

    @strawberry.field(description="The responsible person for a case.")
    async def owner(self, info: strawberry.Info) -> Optional[User]:
        return await _related(info, org_models.User, self.model.owner_id, User)

    @strawberry.field
    async def company(self, info: strawberry.Info) -> Optional[Company]:
        return await _related(info, org_models.Company, self.model.company_id, Company)

    @strawberry.field
    async def primary_contact(self, info: strawberry.Info) -> Optional[Contact]:
        return await _related(info, contact_models.Contact, self.model.primary_contact_id, Contact)

    @strawberry.field
    async def requester(self, info: strawberry.Info) -> Optional[Contact]:
        return await _related(info, contact_models.Contact, self.model.requester_id, Contact)

    @strawberry.field
    async def category(self, info: strawberry.Info) -> Optional[Category]:
        return await _related(info, org_models.Category, self.model.category_id, Category)

    @strawberry.field(description="An action's case, or a sub-case's parent case; null when you may not see it.")
    async def parent(self, info: strawberry.Info) -> Optional["WorkItem"]:
        parent = await loaders(info).get(WorkItemModel, self.model.parent_id)
        if parent is None or not visibility.can_see(await require_viewer(info), parent):
            return None
        return WorkItem.from_model(parent)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


@strawberry.type
class WorkItemEdge:
    cursor: str
    node: WorkItem


@strawberry.type
class WorkItemConnection:
    edges: list[WorkItemEdge]
    page_info: PageInfo


@strawberry.input(description="Every condition given must hold; a list matches any of its values.")
class WorkItemFilter:
    types: Optional[list[WorkItemType]] = None
    statuses: Optional[list[Status]] = None
    department_ids: Optional[list[strawberry.ID]] = None
    team_ids: Optional[list[strawberry.ID]] = None
    queue_ids: Optional[list[strawberry.ID]] = None
    assignee_ids: Optional[list[strawberry.ID]] = None
    refs: Optional[list[str]] = None
    my_teams: Optional[bool] = strawberry.field(default=None, description="Only items of the teams I belong to.")
    assigned_to_me: Optional[bool] = None


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


@strawberry.input
class CreateWorkItemInput(WorkItemFieldsInput):
    type: WorkItemType = WorkItemTypeEnum.TICKET
    department_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="Defaults to your group's default department."
    )


class WorkItemEventKindEnum(str, Enum):
    SNAPSHOT = "SNAPSHOT"
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SUBMITTED = "SUBMITTED"
    TIMELINE_ENTRY_ADDED = "TIMELINE_ENTRY_ADDED"


WorkItemEventKind = strawberry.enum(
    WorkItemEventKindEnum,
    name="WorkItemEventKind",
    description="What happened to a work item; SNAPSHOT is its state when the subscription starts.",
)


@strawberry.type
class WorkItemUpdate:
    kind: WorkItemEventKind
    cursor: Optional[str] = strawberry.field(description="Position in the item's event log; null before any event.")
    occurred_at: datetime
    actor_name: Optional[str]
    changed_fields: list[str]
    work_item: WorkItem
