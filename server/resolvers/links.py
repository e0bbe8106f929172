"""Resolvers of links and shared emails."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain import links
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id
from server.resolvers.lifecycle import _change
from server.schema.lifecycle import WorkItemChange


async def link_work_items(info: strawberry.Info, ref: str, other_ref: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await links.link(await require_viewer(info), ref, other_ref, version))


async def unlink_work_items(info: strawberry.Info, ref: str, other_ref: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await links.unlink(await require_viewer(info), ref, other_ref, version))


async def share_email(info: strawberry.Info, email_id: strawberry.ID, to_ref: str) -> WorkItemChange:
    return await _change(info, await links.share_email(await require_viewer(info), to_id(email_id, "emailId"), to_ref))


async def unshare_email(info: strawberry.Info, email_id: strawberry.ID, from_ref: str) -> WorkItemChange:
    return await _change(info, await links.unshare_email(await require_viewer(info), to_id(email_id, "emailId"), from_ref))
