"""GraphQL types of timeline entries (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.enums import EmailDirection
from models.enums import EmailStatus as EmailStatusEnum
from models.enums import TimelineKind as TimelineKindEnum
from models.org import User
from models.timeline import TimelineEntry as TimelineEntryModel
from server.domain.outbox_actions import CANCELLABLE, SENDABLE_NOW
from server.domain.timeline_query import Timeline
from server.resolvers.context import loaders, require_viewer
from server.schema.outbox import EmailStatus
from server.schema.scalars import JSON
from server.schema.work_items import PageInfo

TimelineKind = strawberry.enum(TimelineKindEnum, name="TimelineKind")


@strawberry.type(description="Who did something: an employee, a contact, a partner system, or the system (kind SYSTEM).")
class Actor:
    kind: str
    id: Optional[strawberry.ID]
    name: str


@strawberry.type(description="Where an outgoing email of a timeline entry is: queued (due at nextAttemptAt: the undo window or the "
                 "schedule), scheduled (scheduledFor, by whom), sent, cancelled (by whom), failed (error: the reason). "
                 "canSendNow / canCancel say whether sendEmailsNow / cancelEmails apply to emailId now.")
class OutgoingEmailState:
    email_id: strawberry.ID
    status: EmailStatus
    scheduled_for: Optional[datetime]
    scheduled_by_id: Optional[strawberry.ID]
    scheduled_by_name: Optional[str]
    next_attempt_at: Optional[datetime]
    sent_at: Optional[datetime]
    cancelled_at: Optional[datetime]
    cancelled_by_name: Optional[str]
    attempts: int
    error: Optional[str] = strawberry.field(description="Why it failed, or the last failure while it waits for a retry; refusals of some recipients once sent.")
    can_send_now: bool
    can_cancel: bool


async def _outgoing_state(info: strawberry.Info, email_id: int) -> Optional[OutgoingEmailState]:
    load = loaders(info)
    email = await load.email_states.load(email_id)
    if email is None or email.direction != EmailDirection.OUTBOUND:
        return None
    scheduled_by = await load.get(User, email.scheduled_by_id)
    cancelled_by = await load.get(User, email.cancelled_by_id)
    return OutgoingEmailState(
        email_id=strawberry.ID(str(email.id)), status=email.status, scheduled_for=email.scheduled_for,
        scheduled_by_id=strawberry.ID(str(email.scheduled_by_id)) if email.scheduled_by_id else None,
        scheduled_by_name=scheduled_by.name if scheduled_by else None, next_attempt_at=email.next_attempt_at, sent_at=email.sent_at,
        cancelled_at=email.cancelled_at, cancelled_by_name=cancelled_by.name if cancelled_by else None, attempts=email.attempts,
        error=email.last_error if email.status not in (EmailStatusEnum.QUEUED, EmailStatusEnum.CANCELLED) else None,
        can_send_now=email.status in SENDABLE_NOW, can_cancel=email.status in CANCELLABLE,
    )


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

    @strawberry.field(description="The outgoing email of this entry (EMAIL_OUT, or one shared to this item) and its state; "
                      "null for other entries, and for portal contacts.")
    async def outgoing_email(self, info: strawberry.Info) -> Optional[OutgoingEmailState]:
        if self.model.email_id is None or (await require_viewer(info)).is_contact:
            return None
        return await _outgoing_state(info, self.model.email_id)

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
