"""The outbox's types (SPEC §5.1): its views and columns. `outboxUpdated`
(server/schema/live/personal.py) pushes the same `OutboxEmail`; the root fields are in
outbox_root.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.enums import EmailStatus as EmailStatusEnum
from models.enums import Importance as ImportanceEnum
from models.enums import OutboxView as OutboxViewEnum
from models.enums import RecipientStatus as RecipientStatusEnum
from server.schema.work_items import PageInfo, WorkItemType

EmailStatus = strawberry.enum(EmailStatusEnum, name="EmailStatus", description="Where an email is in its life.")
Importance = strawberry.enum(ImportanceEnum, name="Importance")
OutboxView = strawberry.enum(OutboxViewEnum, name="OutboxView", description="MINE, MY_TEAM (written by my teams or about their items), SYSTEM (system-generated), ALL (what I may see).")


RecipientStatus = strawberry.enum(RecipientStatusEnum, name="RecipientStatus", description="PENDING: not accepted yet; ACCEPTED: the server took it (never sent again); REJECTED: refused for good.")


@strawberry.type(description="One envelope recipient of an outgoing email and what the SMTP server said for it.")
class OutboxRecipient:
    address: str
    kind: str = strawberry.field(description="TO, CC or BCC.")
    status: RecipientStatus
    code: Optional[int] = strawberry.field(description="The server's reply code for this recipient, when it refused it.")
    message: Optional[str]


@strawberry.type(description="An outgoing email as the outbox shows it.")
class OutboxEmail:
    id: strawberry.ID
    status: EmailStatus
    to: list[str]
    cc: list[str]
    subject: str
    connector_name: Optional[str]
    importance: Importance
    system_generated: bool
    created_at: datetime
    created_by_name: Optional[str]
    scheduled_for: Optional[datetime] = strawberry.field(description="A scheduled send: when it goes.")
    scheduled_by_name: Optional[str]
    last_attempt_at: Optional[datetime]
    error: Optional[str] = strawberry.field(description="The last failure message (the server's reply, or why it could not be sent).")
    first_failed_at: Optional[datetime] = strawberry.field(description="When it first failed (logged).")
    next_attempt_at: Optional[datetime] = strawberry.field(description="When it is due next: the end of the undo window, the scheduled time, or the next retry.")
    attempts: int
    attachment_count: int
    work_item_ref: Optional[str]
    work_item_type: Optional[WorkItemType]
    sent_at: Optional[datetime]
    recipients: list[OutboxRecipient] = strawberry.field(description="Each recipient's delivery state (partial deliveries).")


@strawberry.type
class OutboxEmailEdge:
    cursor: str
    node: OutboxEmail


@strawberry.type(description="One view of the outbox, newest first.")
class Outbox:
    view: OutboxView
    edges: list[OutboxEmailEdge]
    page_info: PageInfo
