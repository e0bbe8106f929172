"""GraphQL types of timeline entries (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.scalars import JSON

from models.enums import TimelineKind as TimelineKindEnum
from models.timeline import TimelineEntry as TimelineEntryModel

TimelineKind = strawberry.enum(TimelineKindEnum, name="TimelineKind")


@strawberry.type(description="Who did something: an employee, a contact, a partner system, or the system (kind SYSTEM).")
class Actor:
    kind: str
    id: Optional[strawberry.ID]
    name: str


@strawberry.type(description="One entry of a work item's history: a communication or an activity.")
class TimelineEntry:
    id: strawberry.ID
    kind: TimelineKind
    created_at: datetime
    body: Optional[str]
    data: JSON = strawberry.field(description="Details by kind: from/to status, wait type, resolution method, refs …")
    is_public: bool = strawberry.field(description="Shown to the requester on the portal.")
    system_generated: bool
    is_resolution: bool = strawberry.field(description="The note or email marked as the resolution.")
    work_item_ref: str = strawberry.field(description="The item the entry belongs to (differs for related items).")
    actor: Actor
    model: strawberry.Private[TimelineEntryModel]

    @classmethod
    def from_model(cls, row: TimelineEntryModel, work_item_ref: str, actor: Actor) -> "TimelineEntry":
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            created_at=row.created_at,
            body=row.body,
            data=row.data,
            is_public=row.is_public,
            system_generated=row.system_generated,
            is_resolution=row.is_resolution,
            work_item_ref=work_item_ref,
            actor=actor,
            model=row,
        )
