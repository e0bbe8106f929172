"""What workItemUpdated pushes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from server.schema.org import User
from server.schema.scalars import JSON

from server.schema.work_items.item import WorkItem


class WorkItemEventKindEnum(str, Enum):
    SNAPSHOT = "SNAPSHOT"
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SUBMITTED = "SUBMITTED"
    TIMELINE_ENTRY_ADDED = "TIMELINE_ENTRY_ADDED"
    STATUS_CHANGED = "STATUS_CHANGED"
    ASSIGNED = "ASSIGNED"
    DUE_MISSED = "DUE_MISSED"
    EMAIL_SHARED = "EMAIL_SHARED"
    EMAIL_UNSHARED = "EMAIL_UNSHARED"
    VIEWERS_CHANGED = "VIEWERS_CHANGED"


WorkItemEventKind = strawberry.enum(
    WorkItemEventKindEnum,
    name="WorkItemEventKind",
    description="What happened to a work item; SNAPSHOT is its state when the subscription starts.",
)


@strawberry.type(description="An employee who has the work item open (SPEC §6 collision warning).")
class ItemViewer:
    user: User
    editing: bool = strawberry.field(description="They said they are editing it (setWorkItemEditing).")


@strawberry.type
class WorkItemUpdate:
    kind: WorkItemEventKind
    cursor: Optional[str] = strawberry.field(description="Position in the item's event log; null before any event.")
    occurred_at: datetime
    actor_name: Optional[str]
    changed_fields: list[str]
    values: Optional[JSON] = strawberry.field(description="UPDATED: the new values of the changed fields that are plain values, by field name.")
    from_status: Optional[str] = strawberry.field(description="STATUS_CHANGED: the status it left.")
    to_status: Optional[str] = strawberry.field(description="STATUS_CHANGED: the status it is in now.")
    timeline_entry_id: Optional[strawberry.ID] = strawberry.field(
        description=(
            "The timeline entry (read it on the item's timeline): on TIMELINE_ENTRY_ADDED, and on a change that "
            "recorded an entry — the change and its entry are one message (an edit is one UPDATED with its entry). "
            "Null when there is none you may see."
        )
    )
    work_item: WorkItem
    viewers: list[ItemViewer] = strawberry.field(
        default_factory=list,
        description=(
            "SNAPSHOT and VIEWERS_CHANGED: the employees who have the item open now, you included, each once "
            "however many tabs, by name. Empty for every other kind, and always empty for a portal requester."
        ),
    )
