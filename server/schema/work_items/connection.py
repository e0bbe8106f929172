"""Pages of work items and the filter of the lists."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from server.schema.work_items.enums import Priority, Status, WaitType, WorkItemType
from server.schema.work_items.item import WorkItem


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
    custom_data: Optional[list[strawberry.LazyType("CustomDataCondition", "server.schema.lists")]] = strawberry.field(  # noqa: F821
        default=None, description="customData[key] equals value (with its JSON type) for every condition."
    )
    due_before: Optional[datetime] = strawberry.field(default=None, description="Due strictly before this time.")
    due_after: Optional[datetime] = strawberry.field(default=None, description="Due strictly after this time.")
    overdue: Optional[bool] = strawberry.field(
        default=None, description="true: open and past its due date while its SLA clock runs; false: all others."
    )
    priorities: Optional[list[Priority]] = None
    wait_types: Optional[list[WaitType]] = None
    has_new_info: Optional[bool] = strawberry.field(default=None, description="true: flagged; false: not flagged.")
    needs_attention: Optional[bool] = strawberry.field(default=None, description="true: with a problem; false: without.")
    text: Optional[str] = strawberry.field(default=None, description="The title contains this text, ignoring case.")
