"""Resolvers of the audit log: parse the filter and cursor, call server.domain.audit."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from models.audit import AuditEntry
from server.domain import audit
from server.resolvers.context import require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, to_id

_CURSOR = "audit"


def api_name(name: str) -> str:
    """A stored field name as the API spells it: "sla_hours" → "slaHours"."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def cursor(row: AuditEntry) -> str:
    return encode_cursor(_CURSOR, row.id)


async def audit_log(info: strawberry.Info, filter: Optional[Any], first: int, after: Optional[str]) -> audit.AuditPage:
    viewer = await require_viewer(info)
    audit.permissions.require_admin(viewer, "read the audit log")
    f = audit.AuditFilter()
    if filter is not None:
        f = audit.AuditFilter(
            target_type=filter.target_type, target_id=None if filter.target_id is None else str(filter.target_id),
            actor_id=None if filter.actor_id is None else to_id(filter.actor_id, "actorId"), action_prefix=filter.action,
        )
    before = decode_cursor(after, _CURSOR) if after is not None else None
    return await audit.entries(viewer, f, page_size(first, info), before)
