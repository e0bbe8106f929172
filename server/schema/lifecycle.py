"""GraphQL types of the work item lifecycle (SPEC §2.2 rules 2–15): mutation inputs and payloads,
notifications. The root fields are in lifecycle_root.py."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Optional

import strawberry

from models.enums import NotificationKind as NotificationKindEnum
from server.schema.timeline import TimelineEntry
from server.schema.work_items import ActionKind, ResolutionMethod, ReviewOutcome, WaitType, WorkItem

NotificationKind = strawberry.enum(NotificationKindEnum, name="NotificationKind")


class DataGroupEnum(str, Enum):
    CONTACTS = "CONTACTS"
    CUSTOM_DATA = "CUSTOM_DATA"
    COMMUNICATIONS = "COMMUNICATIONS"


DataGroup = strawberry.enum(DataGroupEnum, name="DataGroup", description="What an independent case copies from its source.")


@strawberry.type(description="The outcome of a lifecycle mutation.")
class WorkItemChange:
    work_item: WorkItem
    notices: list[str] = strawberry.field(description="What the person should know, e.g. that a parent case stops waiting.")
    created: list[WorkItem] = strawberry.field(description="Items this change created: split parts, a new case, an action.")
    entry: Optional[TimelineEntry] = strawberry.field(description="The timeline entry written (addNote).")


@strawberry.input(description="Put an item on WAITING; choosing the wait it is on ends it.")
class WaitInput:
    wait_type: WaitType
    until: Optional[datetime] = strawberry.field(default=None, description="FOLLOW_UP: when to follow up.")
    days_to_wait: Optional[int] = strawberry.field(default=None, description="Tickets, MORE_INFO: days to wait for an answer.")
    close_if_no_response: bool = strawberry.field(default=False, description="Tickets, MORE_INFO: close when the days pass.")
    reason: Optional[str] = None


@strawberry.input
class ResolutionEmailInput:
    to: list[str]
    subject: str
    body: str
    cc: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Resolve a ticket, case or action. Cases are abandoned with method ABANDONED.")
class ResolveInput:
    method: ResolutionMethod
    reason: Optional[str] = strawberry.field(default=None, description="Required for UNABLE_TO_COMPLETE.")
    note: Optional[str] = strawberry.field(default=None, description="An internal resolution note, recorded as the resolution.")
    email: Optional[ResolutionEmailInput] = strawberry.field(default=None, description="Send and resolve: queue this email as the resolution.")
    reviewer_id: Optional[strawberry.ID] = strawberry.field(default=None, description="Peer review: who reviews (the doer's resolve).")
    review_outcome: Optional[ReviewOutcome] = strawberry.field(default=None, description="Peer review: the reviewer's verdict.")
    comment: Optional[str] = strawberry.field(default=None, description="Peer review: required when it fails.")


@strawberry.input
class NoteInput:
    body: str
    is_public: bool = strawberry.field(default=False, description="Public notes show on the portal; notes are internal by default.")
    mention_user_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class SplitPartInput:
    title: str
    description: Optional[str] = None


@strawberry.input
class ConvertToCaseInput:
    title: Optional[str] = None
    case_type_id: Optional[strawberry.ID] = None


@strawberry.input
class StartCaseInput:
    title: str = strawberry.field(description="The case's short description.")
    case_type_id: Optional[strawberry.ID] = None
    independent: bool = strawberry.field(default=False, description="An independent DRAFT case instead of a sub-case.")
    copy: list[DataGroup] = strawberry.field(default_factory=list, description="Independent cases: the data groups to copy.")


@strawberry.input
class StartActionInput:
    title: Optional[str] = None
    kind: ActionKind = ActionKind.MANUAL
    queue_id: Optional[strawberry.ID] = None
    copy_of: Optional[str] = strawberry.field(default=None, description="Start another copy of this action of the case.")


@strawberry.input
class ChecklistItemInput:
    label: str
    passed: Optional[bool] = None
    note: Optional[str] = None


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    text: str
    created_at: datetime
    read: bool
    work_item_ref: Optional[str]

    @classmethod
    def from_model(cls, row: Any) -> "Notification":
        """A notification row, with its work item loaded."""
        return cls(
            id=strawberry.ID(str(row.id)), kind=row.kind, text=row.text, created_at=row.created_at,
            read=row.read_at is not None, work_item_ref=row.work_item.ref if row.work_item else None,
        )
