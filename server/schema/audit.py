"""GraphQL types of the audit log (issue 12): every administrative change, who made it and what
it changed, for admins. The root field `auditLog` is at the end, merged into Query."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from models.audit import AuditEntry as AuditEntryModel
from server.resolvers import audit as resolvers
from server.schema.scalars import JSON
from server.schema.work_items import PageInfo


@strawberry.enum(description="Who made a change: a user, a portal contact, a partner system's API key, or Switchboard itself.")
class AuditActorKind(Enum):
    USER = "USER"
    CONTACT = "CONTACT"
    API_KEY = "API_KEY"
    SYSTEM = "SYSTEM"


@strawberry.type(description="Who made a change, with the name they had then.")
class AuditActor:
    kind: AuditActorKind
    id: Optional[strawberry.ID] = strawberry.field(description="Null for SYSTEM.")
    name: str


@strawberry.type(description="One changed field: its value before (null when created) and after (null when deleted).")
class AuditChange:
    field: str = strawberry.field(description="The field as the administrative input names it (slaHours, departmentIds …).")
    from_: Optional[JSON] = strawberry.field(name="from")
    to: Optional[JSON]


@strawberry.type(description=(
    "One administrative change. Secrets are never logged: a password shows only as set, changed or cleared."
))
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: AuditActor
    action: str = strawberry.field(description='"<targetType>.<verb>": department.updated, api_key.revoked, case_step.deleted …')
    target_type: str = strawberry.field(description="department, user_group, api_key, smtp_connector, mailbox, case_type …")
    target_id: strawberry.ID
    target_name: str = strawberry.field(description="The target's name (or address) when the change was made.")
    changes: list[AuditChange]

    @classmethod
    def from_model(cls, row: AuditEntryModel) -> "AuditEntry":
        actor_id = None if row.actor_id is None else strawberry.ID(str(row.actor_id))
        return cls(
            id=strawberry.ID(str(row.id)), at=row.at,
            actor=AuditActor(kind=AuditActorKind(row.actor_kind), id=actor_id, name=row.actor_name),
            action=row.action, target_type=row.target_type, target_id=strawberry.ID(row.target_id), target_name=row.target_name,
            changes=[
                AuditChange(field=resolvers.api_name(name), from_=change.get("from"), to=change.get("to"))
                for name, change in sorted((row.changes or {}).items())
            ],
        )


@strawberry.input(description="Which entries: every field given must match.")
class AuditLogFilter:
    target_type: Optional[str] = None
    target_id: Optional[strawberry.ID] = None
    actor_id: Optional[strawberry.ID] = strawberry.field(default=None, description="Changes made by this user.")
    action: Optional[str] = strawberry.field(default=None, description='A prefix: "mailbox." is every change to mailboxes.')


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Admins (others FORBIDDEN): the audit log, newest first, 50 a page by default (at most 100).")
    async def audit_log(
        self, info: strawberry.Info, filter: Optional[AuditLogFilter] = None, first: int = 50, after: Optional[str] = None
    ) -> AuditEntryConnection:
        page = await resolvers.audit_log(info, filter, first, after)
        edges = [AuditEntryEdge(cursor=resolvers.cursor(row), node=AuditEntry.from_model(row)) for row in page.entries]
        return AuditEntryConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None)
        )
