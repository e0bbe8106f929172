"""The self-service portal (SPEC §7): a requester's tickets in a requester's shape, and what
they do with them; the admin settings of the portal. Resolvers: server/resolvers/portal.py."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry
from strawberry.file_uploads import Upload

from server.schema.org import Category
from server.schema.work_items.connection import PageInfo
from server.schema.work_items.enums import Status


@strawberry.input(description="A file sent with the GraphQL multipart request spec (the request needs an Authorization or GraphQL-Preflight header).")
class PortalFileInput:
    file: Upload


@strawberry.input(description="A new ticket from its requester: all four are needed (attachments may be empty).")
class SubmitPortalTicketInput:
    title: str
    description: str
    category_id: strawberry.ID
    attachments: list[PortalFileInput] = strawberry.field(default_factory=list)


@strawberry.type(description="A file the requester sent with a submission or a message.")
class PortalFile:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int


@strawberry.type(description="A file's content, base64-encoded.")
class PortalFileContent:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    base64: str


@strawberry.type(description=(
    "One public communication on a ticket: the initial submission (INITIAL_DESCRIPTION), a portal message "
    "(PORTAL_MESSAGE), a public note (NOTE), an email between the ticket and its requester (EMAIL_IN, EMAIL_OUT), "
    "feedback (FEEDBACK). Staff appear by display name only."
))
class PortalTimelineEntry:
    id: strawberry.ID
    kind: str
    at: datetime
    author_name: Optional[str] = strawberry.field(description="Who wrote it (a display name); null for the system.")
    from_requester: bool = strawberry.field(description="Written by the ticket's requester.")
    subject: Optional[str] = strawberry.field(description="Emails: the subject.")
    body: Optional[str]
    rating: Optional[int] = strawberry.field(description="FEEDBACK: the rating, 1 to 5.")
    attachments: list[PortalFile]


@strawberry.type(description="The requester's rating of a resolved ticket and their comment.")
class PortalFeedbackInfo:
    rating: int
    comment: Optional[str]
    at: datetime


@strawberry.type(description="A ticket as its requester sees it on the portal.")
class PortalTicket:
    ref: str
    title: Optional[str]
    description: Optional[str]
    status: Status
    category: Optional[Category]
    requester_name: Optional[str] = strawberry.field(description="Who asked (one of your company's colleagues, where your group sees their tickets).")
    created_at: datetime
    updated_at: datetime
    can_give_feedback: bool = strawberry.field(description="Resolved and no feedback given yet.")
    feedback: Optional[PortalFeedbackInfo]
    item_id: strawberry.Private[int]

    @strawberry.field(description="The public communications, oldest first (never internal notes or staff details).")
    async def timeline(self, info: strawberry.Info) -> list[PortalTimelineEntry]:
        from server.resolvers import portal as resolvers

        return await resolvers.ticket_timeline(info, self.item_id)


@strawberry.type
class PortalTicketEdge:
    cursor: str
    node: PortalTicket


@strawberry.type(description="Your portal tickets, newest first. At most 100 a page; pass endCursor as `after` for the next.")
class PortalTicketConnection:
    edges: list[PortalTicketEdge]
    page_info: PageInfo


@strawberry.type(description="A portal message as it was added.")
class PortalReplyPayload:
    ticket: PortalTicket
    entry: PortalTimelineEntry


@strawberry.type(description="Where portal tickets of a company (or of everyone without a route of their own) go.")
class PortalRoute:
    company_id: Optional[strawberry.ID]
    queue_id: strawberry.ID


@strawberry.type(description="A group of contacts; on the portal its members may see every ticket of their company.")
class ContactGroup:
    id: strawberry.ID
    name: str
    sees_company_items: bool


@strawberry.enum(description="What changed on a portal ticket.")
class PortalTicketEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    STATUS_CHANGED = "STATUS_CHANGED"
    UPDATED = "UPDATED"
    MESSAGE_ADDED = "MESSAGE_ADDED"


@strawberry.type(description="A push of `portalTicketUpdated`: what changed, and the ticket as it is now.")
class PortalTicketUpdate:
    kind: PortalTicketEventKind
    cursor: Optional[str]
    occurred_at: datetime
    from_status: Optional[str]
    to_status: Optional[str]
    changed_fields: list[str]
    timeline_entry_id: Optional[strawberry.ID] = strawberry.field(description="MESSAGE_ADDED: the public entry (read it on the ticket's timeline).")
    ticket: PortalTicket
