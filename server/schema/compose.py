"""Composing email on a work item (SPEC §5.1): inputs (recipients, attachments uploaded with the
GraphQL multipart request spec) and the composed email; the root fields are in compose_root.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.file_uploads import Upload

from server.schema.outbox import EmailStatus, Importance
from server.schema.team_mail import TeamRecipientInput
from server.schema.work_items import WorkItem
from server.schema.work_items.item import EmailAttachmentInfo


@strawberry.input(description="One recipient: a contact of the item's company (or of none) by id, or a free address — exactly one.")
class RecipientInput:
    contact_id: Optional[strawberry.ID] = None
    address: Optional[str] = None


@strawberry.input(description="A file sent with the GraphQL multipart request spec (the request needs an Authorization or GraphQL-Preflight header).")
class AttachmentInput:
    file: Upload
    content_id: Optional[str] = strawberry.field(
        default=None, description="Set for an inline image: the HTML body shows it as <img src=\"cid:...\">."
    )


@strawberry.input(description="An email as written. A draft may be incomplete; sending needs recipients and a subject.")
class ComposeEmailInput:
    to: list[RecipientInput] = strawberry.field(default_factory=list)
    cc: list[RecipientInput] = strawberry.field(default_factory=list)
    bcc: list[RecipientInput] = strawberry.field(default_factory=list)
    subject: Optional[str] = None
    text_body: Optional[str] = strawberry.field(default=None, description="Taken from the HTML body when not given.")
    html_body: Optional[str] = strawberry.field(default=None, description="Sanitised before it is stored.")
    importance: Importance = Importance.NORMAL
    scheduled_for: Optional[datetime] = strawberry.field(default=None, description="Send at this time (in the future).")
    template_id: Optional[strawberry.ID] = strawberry.field(
        default=None, description="A template rendered for the item: it fills the subject, and the body when neither body is given."
    )
    attachments: list[AttachmentInput] = strawberry.field(default_factory=list)
    team_recipients: list[TeamRecipientInput] = strawberry.field(
        default_factory=list, description="Sending: what to do for each recipient that is another team's mailbox (ask teamRecipients first)."
    )


@strawberry.type(description="An outgoing email as its author wrote it: a draft, or queued and on its way.")
class ComposedEmail:
    id: strawberry.ID
    status: EmailStatus
    work_item_ref: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    text_body: Optional[str]
    html_body: Optional[str]
    importance: Importance
    scheduled_for: Optional[datetime]
    next_attempt_at: Optional[datetime] = strawberry.field(description="Queued: when it is due (undo window, schedule).")
    template_id: Optional[strawberry.ID]
    created_at: datetime
    attachments: list[EmailAttachmentInfo]


@strawberry.type(description="The email, and its work item as sending left it (an empty draft ticket gets its title and description).")
class ComposeEmailPayload:
    email: ComposedEmail
    work_item: WorkItem
