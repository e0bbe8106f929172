"""Resolver of setWorkItemEditing."""

from __future__ import annotations

import strawberry

from server.domain import item_viewers
from server.resolvers.context import require_viewer


async def set_work_item_editing(info: strawberry.Info, ref: str, editing: bool) -> bool:
    return await item_viewers.set_editing(await require_viewer(info), ref, editing)
