"""Resolvers of saved views: parse the input, call the domain, map the view."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain.search import saved_views
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id
from server.resolvers.work_items import _criteria, _order
from server.schema.saved_views import SavedView, SavedViewConnection, SavedViewEdge, SaveViewInput
from server.schema.work_items import PageInfo


async def saved_view_list(info: strawberry.Info, first: int, after: Optional[str]) -> SavedViewConnection:
    viewer = await require_viewer(info)
    page = await saved_views.listed(viewer, first, to_id(after, "after") if after is not None else None)
    edges = [SavedViewEdge(cursor=str(v.id), node=SavedView.from_model(v)) for v in page.views]
    return SavedViewConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


async def saved_view(info: strawberry.Info, id: strawberry.ID) -> SavedView:
    return SavedView.from_model(await saved_views.get(await require_viewer(info), to_id(id, "id")))


async def save_view(info: strawberry.Info, input: SaveViewInput) -> SavedView:
    viewer = await require_viewer(info)
    return SavedView.from_model(await saved_views.save(viewer, input.name, _criteria(input.filter), _order(input.order_by)))


async def rename_view(info: strawberry.Info, id: strawberry.ID, name: str) -> SavedView:
    return SavedView.from_model(await saved_views.rename(await require_viewer(info), to_id(id, "id"), name))


async def delete_view(info: strawberry.Info, id: strawberry.ID) -> bool:
    await saved_views.delete(await require_viewer(info), to_id(id, "id"))
    return True

