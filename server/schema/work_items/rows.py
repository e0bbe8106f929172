"""Rows a work item refers to by foreign key, resolved at once when the operation has them
(a list prefetches what its query selects), else loaded in a batch."""

from __future__ import annotations

from typing import Any, Callable

import strawberry

from models import contact as contact_models
from models import org as org_models
from models.case_flow import CaseType as CaseTypeModel
from models.work_item import WorkItem as WorkItemModel
from server.resolvers.context import loaders, selected_names


def with_row(info: strawberry.Info, model: Any, pk: int | None, then: Callable[[Any], Any]) -> Any:
    """`then(row)` for the row `pk` of `model` (None when there is none): at once when this
    operation has loaded it already (a list prefetches its items' relations), else an awaitable
    that loads it in a batch with its siblings. Resolvers return this as it is."""
    if pk is None:
        return then(None)
    operation = loaders(info)
    found, row = operation.loaded(model, pk)
    if found:
        return then(row)
    return _load_then(operation, model, pk, then)


async def _load_then(operation: Any, model: Any, pk: int, then: Callable[[Any], Any]) -> Any:
    return then(await operation.get(model, pk))


def related(info: strawberry.Info, model: Any, pk: int | None, gql_type: Any) -> Any:
    return with_row(info, model, pk, lambda row: None if row is None else gql_type.from_model(row))


# WorkItem fields that read a row by one of the item's foreign keys: GraphQL name → (model, column).
_ROW_FIELDS: dict[str, tuple[Any, str]] = {
    "department": (org_models.Department, "department_id"),
    "overdue": (org_models.Department, "department_id"),
    "slaPause": (org_models.Department, "department_id"),
    "team": (org_models.Team, "team_id"),
    "queue": (org_models.Queue, "queue_id"),
    "assignee": (org_models.User, "assignee_id"),
    "owner": (org_models.User, "owner_id"),
    "doer": (org_models.User, "doer_id"),
    "reviewer": (org_models.User, "reviewer_id"),
    "company": (org_models.Company, "company_id"),
    "primaryContact": (contact_models.Contact, "primary_contact_id"),
    "requester": (contact_models.Contact, "requester_id"),
    "category": (org_models.Category, "category_id"),
    "caseType": (CaseTypeModel, "case_type_id"),
}


async def prefetch_rows(info: strawberry.Info, rows: list[WorkItemModel], path: tuple[str, ...]) -> None:
    """Load, one query per model, the related rows that the query asks of these items (selected
    at `path`), so that their fields resolve at once instead of one awaitable each."""
    if not rows:
        return
    wanted: dict[Any, set[int | None]] = {}
    for name in selected_names(info, path) & _ROW_FIELDS.keys():
        model, column = _ROW_FIELDS[name]
        wanted.setdefault(model, set()).update(getattr(row, column) for row in rows)
    await loaders(info).prefetch(wanted)
