"""Pages of work items and the filter of the lists."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from server.schema.work_items.enums import ActionKind, Priority, ResolutionMethod, Status, WaitType, WorkItemType
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


# defined beside the lists' fields, which import this module
CustomDataCondition = strawberry.LazyType("CustomDataCondition", "server.schema.lists")
CustomDataTextCondition = strawberry.LazyType("CustomDataTextCondition", "server.schema.lists")


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
    custom_data: Optional[list[CustomDataCondition]] = strawberry.field(
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

    # advanced search (SPEC §8): the other standard columns; an id of nothing you may see finds nothing
    owner_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="The owner (the responsible person) is one of these users."
    )
    requester_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="The requester is one of these contacts."
    )
    primary_contact_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="The primary contact is one of these contacts."
    )
    contact_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None,
        description="One of these contacts is the requester, the primary contact or one of the item's other contacts.",
    )
    company_ids: Optional[list[strawberry.ID]] = strawberry.field(default=None, description="The company is one of these.")
    category_ids: Optional[list[strawberry.ID]] = strawberry.field(default=None, description="The category is one of these.")
    case_type_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="Cases of one of these case types."
    )
    created_by_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="Created by one of these users."
    )
    resolution_methods: Optional[list[ResolutionMethod]] = strawberry.field(
        default=None, description="Resolved (or closed) with one of these methods."
    )
    action_kinds: Optional[list[ActionKind]] = strawberry.field(default=None, description="Actions of one of these kinds.")
    created_after: Optional[datetime] = strawberry.field(default=None, description="Created strictly after this time.")
    created_before: Optional[datetime] = strawberry.field(default=None, description="Created strictly before this time.")
    updated_after: Optional[datetime] = strawberry.field(default=None, description="Last changed strictly after this time.")
    updated_before: Optional[datetime] = strawberry.field(default=None, description="Last changed strictly before this time.")
    resolved_after: Optional[datetime] = strawberry.field(
        default=None, description="Resolved strictly after this time (items never resolved do not match)."
    )
    resolved_before: Optional[datetime] = strawberry.field(default=None, description="Resolved strictly before this time.")
    closed_after: Optional[datetime] = strawberry.field(
        default=None, description="Closed strictly after this time (items not closed do not match)."
    )
    closed_before: Optional[datetime] = strawberry.field(default=None, description="Closed strictly before this time.")
    test_mode: Optional[bool] = strawberry.field(
        default=None, description="true: test mode items only; false: live items only."
    )
    human_only: Optional[bool] = strawberry.field(
        default=None, description="true: items a robot left for a person; false: all others."
    )
    custom_data_contains: Optional[list[CustomDataTextCondition]] = strawberry.field(
        default=None,
        description="customData[key], a text or a number, contains text ignoring case, for every condition "
        "(a blank text sets none; no character is a wildcard).",
    )
