"""Storing work items: references, versions and the base of every event about an item.

Every module that changes items builds on this one (and on nothing above it)."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise

from models import search_text
from models.enums import WorkItemType
from models.work_item import WorkItem
from server.domain import clock
from server.domain.sql import placeholders
from server.domain.errors import Conflict
from server.domain.events import ItemHeader
from server.domain.timeline import actor_event_fields
from server.domain.viewer import Viewer

FIRST_REFERENCE_NUMBER = 1001


async def next_reference(item_type: WorkItemType) -> str:
    """The next human reference for a type (T-1001, C-1001, A-1001); unique, never reused."""
    conn = Tortoise.get_connection("default")
    (param,) = placeholders(1)
    rows = await conn.execute_query_dict(
        f"INSERT INTO reference_counter (prefix, value) VALUES ({param}, {FIRST_REFERENCE_NUMBER}) "
        "ON CONFLICT (prefix) DO UPDATE SET value = reference_counter.value + 1 RETURNING value",
        [item_type.prefix],
    )
    return f"{item_type.prefix}-{rows[0]['value']}"


def check_version(item: WorkItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            f"{item.ref} was changed by someone else (it is at version {item.version}, you had {expected_version}).",
            field="version",
            currentVersion=item.version,
        )


async def save_changes(item: WorkItem, changes: dict[str, Any]) -> None:
    """Write `changes` and bump the version, only if nobody else has bumped it meanwhile."""
    now = clock.now()
    if "title" in changes or "custom_data" in changes:
        changes = {**changes, "search_text": search_text.document(
            changes.get("title", item.title), changes.get("custom_data", item.custom_data))}
    updated = await WorkItem.filter(id=item.id, version=item.version).update(
        **changes, version=item.version + 1, updated_at=now
    )
    if not updated:
        current = await WorkItem.filter(id=item.id).values_list("version", flat=True)
        raise Conflict(f"{item.ref} was changed by someone else.", field="version", currentVersion=current[0])
    for name, value in changes.items():
        setattr(item, name, value)
    item.version += 1
    item.updated_at = now


def event_base(item: WorkItem, actor: Viewer | None) -> dict[str, Any]:
    return {
        "work_item_id": item.id,
        "ref": item.ref,
        "department_id": item.department_id,
        "version": item.version,
        "item": ItemHeader.of(item),
        **actor_event_fields(actor),
    }
