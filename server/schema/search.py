"""Root fields of finding work (SPEC §8): quick find and following items."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import search as resolvers
from server.schema.work_items import WorkItem, WorkItemConnection

_PAGE = "At most 100 a page; pass a page's endCursor as `after` with the same text for the next."


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Quick find among the items you may see: by reference (T-1042, t1042), title words (stop words "
        "ignored, English, Polish, French, Russian), the requester's or primary contact's email, or a custom data "
        f"value (contains, ignoring case). The item with that reference comes first, then newest first. {_PAGE}"
    )
    async def search(self, info: strawberry.Info, text: str, first: int = 20, after: Optional[str] = None) -> WorkItemConnection:
        return await resolvers.search(info, text, first, after)

    @strawberry.field(description="The items I follow that I may still see, newest first. Employees only.")
    async def followed_work_items(
        self, info: strawberry.Info, first: int = 20, after: Optional[str] = None
    ) -> WorkItemConnection:
        return await resolvers.followed_work_items(info, first, after)

    @strawberry.field(
        description="The items I opened last (workItem(ref)) that I may still see, the latest first; the last 50 "
        "are kept. Employees only."
    )
    async def recent_work_items(self, info: strawberry.Info, first: int = 20) -> list[WorkItem]:
        return await resolvers.recent_work_items(info, first)


@strawberry.type
class SearchMutation:
    @strawberry.mutation(description="Follow a work item (put it on my watch list). Employees only; following twice is one.")
    async def follow_work_item(self, info: strawberry.Info, ref: str) -> WorkItem:
        return await resolvers.follow_work_item(info, ref)

    @strawberry.mutation(description="Stop following a work item.")
    async def unfollow_work_item(self, info: strawberry.Info, ref: str) -> WorkItem:
        return await resolvers.unfollow_work_item(info, ref)
