"""GraphQL types of timeline entries (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.enums import TimelineKind as TimelineKindEnum
from models.timeline import TimelineEntry as TimelineEntryModel
from server.domain.timeline_query import Timeline
from server.schema.scalars import JSON
from server.schema.work_items import PageInfo

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
    data: JSON = strawberry.field(
        description="Details by kind, camelCase: from/to status, waitType, resolutionMethod, ids with names "
        "(fromUserId, fromUserName …), other items by ref. Keys per kind: README, Timeline entry data."
    )
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


@strawberry.type(description="How many entries of one kind are in a timeline's scope (before the kind filter).")
class TimelineKindCount:
    kind: TimelineKind
    count: int


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineEntry


@strawberry.type(description="A page of a work item's timeline, newest first, with what its kind filter chips need.")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    timeline: strawberry.Private[Timeline]

    @strawberry.field(description="How many distinct kinds the kind filter shows, of kindsTotal.")
    async def kinds_shown(self) -> int:
        return (await self.timeline.tally()).shown

    @strawberry.field(description="How many distinct kinds exist among the entries in scope (before the kind filter).")
    async def kinds_total(self) -> int:
        return (await self.timeline.tally()).total

    @strawberry.field(description="Entries per kind in scope (before the kind filter), in the TimelineKind order.")
    async def kind_counts(self) -> list[TimelineKindCount]:
        return [TimelineKindCount(kind=c.kind, count=c.count) for c in (await self.timeline.tally()).counts]
