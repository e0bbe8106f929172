"""Resolvers of finding work: quick find and the watch list."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain.search import following, quick_find, recent
from server.resolvers.context import require_viewer
from server.resolvers.inputs import page_size
from server.resolvers.work_items import _connection
from server.schema.work_items import WorkItem, WorkItemConnection, prefetch_rows


async def search(info: strawberry.Info, text: str, first: int, after: Optional[str]) -> WorkItemConnection:
    viewer = await require_viewer(info)
    return await _connection(info, await quick_find.search(viewer, text, page_size(first, info), after))


async def followed_work_items(info: strawberry.Info, first: int, after: Optional[str]) -> WorkItemConnection:
    viewer = await require_viewer(info)
    return await _connection(info, await following.followed(viewer, page_size(first, info), after))


async def follow_work_item(info: strawberry.Info, ref: str) -> WorkItem:
    return WorkItem.from_model(await following.follow(await require_viewer(info), ref))


async def unfollow_work_item(info: strawberry.Info, ref: str) -> WorkItem:
    return WorkItem.from_model(await following.unfollow(await require_viewer(info), ref))


async def recent_work_items(info: strawberry.Info, first: int) -> list[WorkItem]:
    viewer = await require_viewer(info)
    items = await recent.recent(viewer, page_size(first, info))
    await prefetch_rows(info, items, ())
    return [WorkItem.from_model(item) for item in items]
