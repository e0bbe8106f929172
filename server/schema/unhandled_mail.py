"""Unhandled and blocked messages, for admins (SPEC §5.2), and the raw source of a received
message. The resolvers are in server/resolvers/unhandled_mail.py."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from server.schema.work_items import PageInfo


@strawberry.enum(description="UNHANDLED: no address routed it, it could not be read, or automatic mail about nothing known; BLOCKED: from a blocked sender.")
class HeldMailKind(Enum):
    UNHANDLED = "UNHANDLED"
    BLOCKED = "BLOCKED"


@strawberry.type(description="A received message no rule placed.")
class HeldEmail:
    id: strawberry.ID
    subject: str
    from_address: Optional[str]
    from_name: Optional[str]
    to: list[str]
    cc: list[str]
    received_at: Optional[datetime]
    error: Optional[str] = strawberry.field(description="Why it could not be read (or what was odd about it).")
    automatic: Optional[str] = strawberry.field(description="Why it counts as automatic mail (out of office, a bounce), if it does.")
    mailbox_address: Optional[str]
    size: Optional[int] = strawberry.field(description="Bytes kept of the message as received.")


@strawberry.type
class HeldEmailEdge:
    cursor: str
    node: HeldEmail


@strawberry.type
class HeldEmailConnection:
    edges: list[HeldEmailEdge]
    page_info: PageInfo


@strawberry.type(description="A received message exactly as it arrived.")
class EmailSource:
    email_id: strawberry.ID
    base64: str = strawberry.field(description="The raw RFC 5322 bytes, base64-encoded.")
    size: int


@strawberry.type(description="An email attachment with its content.")
class EmailAttachmentContent:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    base64: str
