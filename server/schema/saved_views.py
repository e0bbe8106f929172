"""Saved views (SPEC §8): an employee's named work item filters and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.finding import SavedView as SavedViewModel
from server.schema.lists import WorkItemOrder
from server.schema.scalars import JSON
from server.schema.work_items import PageInfo, WorkItemFilter


@strawberry.type(description="A saved view: a filter and order kept under a name. Its items: workItems(viewId: id).")
class SavedView:
    id: strawberry.ID
    name: str
    filter: JSON = strawberry.field(description="The view's conditions, in the shape of workItems(filter:) (only those set).")  # type: ignore[valid-type]
    order_by: JSON = strawberry.field(description="The view's sort keys, in the shape of workItems(orderBy:): [{field, direction}].")  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: SavedViewModel) -> "SavedView":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, filter=row.criteria, order_by=row.order,
                   created_at=row.created_at, updated_at=row.updated_at)


@strawberry.type
class SavedViewEdge:
    cursor: str
    node: SavedView


@strawberry.type(description="My saved views in the order I saved them.")
class SavedViewConnection:
    edges: list[SavedViewEdge]
    page_info: PageInfo


@strawberry.input(description="What a saved view keeps: a name, and the filter and order to list items with.")
class SaveViewInput:
    name: str
    filter: Optional[WorkItemFilter] = None
    order_by: Optional[list[WorkItemOrder]] = None
