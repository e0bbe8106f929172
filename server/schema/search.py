"""Root fields of finding work (SPEC §8): quick find, following items, saved views."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import saved_views as view_resolvers
from server.resolvers import search as resolvers
from server.schema.saved_views import SavedView, SavedViewConnection, SaveViewInput
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

    @strawberry.field(description="My saved views in the order I saved them, at most 100 a page. Employees only.")
    async def saved_views(self, info: strawberry.Info, first: int = 50, after: Optional[str] = None) -> SavedViewConnection:
        return await view_resolvers.saved_view_list(info, first, after)

    @strawberry.field(description="One of my saved views; NOT_FOUND for anyone else's.")
    async def saved_view(self, info: strawberry.Info, id: strawberry.ID) -> SavedView:
        return await view_resolvers.saved_view(info, id)


@strawberry.type
class SearchMutation:
    @strawberry.mutation(description="Follow a work item (put it on my watch list). Employees only; following twice is one.")
    async def follow_work_item(self, info: strawberry.Info, ref: str) -> WorkItem:
        return await resolvers.follow_work_item(info, ref)

    @strawberry.mutation(description="Stop following a work item.")
    async def unfollow_work_item(self, info: strawberry.Info, ref: str) -> WorkItem:
        return await resolvers.unfollow_work_item(info, ref)

    @strawberry.mutation(description="Save a view: a name of mine (unique among my views), a filter and an order. Employees only.")
    async def save_work_item_view(self, info: strawberry.Info, input: SaveViewInput) -> SavedView:
        return await view_resolvers.save_view(info, input)

    @strawberry.mutation(description="Rename one of my saved views.")
    async def rename_saved_view(self, info: strawberry.Info, id: strawberry.ID, name: str) -> SavedView:
        return await view_resolvers.rename_view(info, id, name)

    @strawberry.mutation(description="Delete one of my saved views.")
    async def delete_saved_view(self, info: strawberry.Info, id: strawberry.ID) -> bool:
        return await view_resolvers.delete_view(info, id)
