"""Saved views (SPEC §8): an employee keeps a work item filter and sort order under a name, as
many as they like, renames and deletes them, and lists the items of one — through the same list
code and visibility as `workItems`, so a view never shows more than the list would.

A view is stored in the list's own terms (`lists.Criteria`, `lists.SortKey`), written here as JSON
with the filter's field names (`statuses`, `dueBefore`, `customData`, …), so clients read a view's
filter in the shape they would send to `workItems(filter:)`. Views are private to their owner:
anyone else's answers like a missing one.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any, Sequence

from tortoise.exceptions import IntegrityError

from models.enums import ActionKind, Priority, ResolutionMethod, Status, WaitType, WorkItemType
from models.finding import SavedView
from server.domain import limits, lists, text
from server.domain.errors import Forbidden, NotFound, ValidationError
from server.domain.search import advanced
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

MAX_PAGE = 100

# Criteria fields that hold enum members, by their enum
_ENUMS: dict[str, type[Enum]] = {
    "types": WorkItemType, "statuses": Status, "priorities": Priority, "wait_types": WaitType,
    "resolution_methods": ResolutionMethod, "action_kinds": ActionKind,
}
_TIMES = frozenset(field for _, *fields in advanced.RANGES for field in fields)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_FIELDS = {_camel(f.name): f.name for f in dataclasses.fields(lists.Criteria)}


def criteria_to_json(criteria: lists.Criteria) -> dict[str, Any]:
    """The conditions that are set, with the filter's field names."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(criteria):
        value = getattr(criteria, f.name)
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if f.name in _ENUMS:
            value = [_ENUMS[f.name](v).name if f.name == "priorities" else _ENUMS[f.name](v).value for v in value]
        elif f.name in _TIMES:
            value = value.isoformat()
        elif f.name == "custom_data":
            value = [{"key": key, "value": v} for key, v in value]
        elif f.name == "custom_data_contains":
            value = [{"key": key, "text": t} for key, t in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[_camel(f.name)] = value
    return out


def criteria_from_json(data: dict[str, Any]) -> lists.Criteria:
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = _FIELDS[key]
        if name in _ENUMS:
            enum = _ENUMS[name]
            value = [enum[v] if name == "priorities" else enum(v) for v in value]
        elif name in _TIMES:
            value = datetime.fromisoformat(value)
        elif name == "custom_data":
            value = [(c["key"], c["value"]) for c in value]
        elif name == "custom_data_contains":
            value = [(c["key"], c["text"]) for c in value]
        values[name] = value
    return lists.Criteria(**values)


def order_to_json(order: Sequence[lists.SortKey]) -> list[dict[str, str]]:
    return [{"field": key.field.value, "direction": key.direction.value} for key in order]


def order_from_json(data: list[dict[str, str]]) -> list[lists.SortKey]:
    return [lists.SortKey(lists.SortField(key["field"]), lists.Direction(key["direction"])) for key in data]


def _owner(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Forbidden("Only employees keep saved views.")
    return viewer.user_id


def _name(name: str) -> str:
    limits.check({"name": name})
    cleaned = " ".join(name.split())
    if text.is_blank(cleaned):
        raise ValidationError.single("name", "a saved view needs a name")
    return cleaned


def _duplicate(name: str) -> ValidationError:
    return ValidationError.single("name", f"you already have a saved view named {name!r}")


def no_such_view(view_id: int) -> NotFound:
    return NotFound(f"No saved view {view_id} exists.", field="id")


async def get(viewer: Viewer, view_id: int) -> SavedView:
    """One of the viewer's own views; anyone else's answers like a missing one."""
    view = await SavedView.get_or_none(id=view_id, user_id=_owner(viewer))
    if view is None:
        raise no_such_view(view_id)
    return view


async def save(viewer: Viewer, name: str, criteria: lists.Criteria, order: Sequence[lists.SortKey]) -> SavedView:
    owner, name = _owner(viewer), _name(name)
    lists.check_criteria(criteria)
    try:
        async with unit_of_work():
            return await SavedView.create(user_id=owner, name=name, criteria=criteria_to_json(criteria), order=order_to_json(order))
    except IntegrityError:
        raise _duplicate(name) from None


async def rename(viewer: Viewer, view_id: int, name: str) -> SavedView:
    name = _name(name)
    try:
        async with unit_of_work():
            view = await get(viewer, view_id)
            view.name = name
            await view.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise _duplicate(name) from None
    return view


async def delete(viewer: Viewer, view_id: int) -> None:
    async with unit_of_work():
        view = await get(viewer, view_id)
        await view.delete()


@dataclasses.dataclass(frozen=True)
class ViewPage:
    views: list[SavedView]
    has_next: bool


async def listed(viewer: Viewer, first: int, after: int | None) -> ViewPage:
    """The viewer's views in the order they were saved, `first` at a time after the view `after`."""
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {first}")
    query = SavedView.filter(user_id=_owner(viewer))
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await query.order_by("id").limit(first + 1)
    return ViewPage(rows[:first], len(rows) > first)


async def items(viewer: Viewer, view: SavedView, first: int, after: str | None) -> lists.Page:
    """The view's items, exactly as `workItems` with its filter and order lists them now."""
    return await lists.work_items(viewer, criteria_from_json(view.criteria), order_from_json(view.order), first, after)
