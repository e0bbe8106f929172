"""Who has a work item open, and who of them is editing it (SPEC §6 collision warning).

Each live `workItemUpdated` operation of an employee is a row (`models.item_viewer`), written when
the operation starts and removed when it ends, however it ends. The process serving it vouches
for its rows with a heartbeat; rows a process stopped vouching for (it died) are swept. What
clients are shown is the distinct set of employees with the item open — the same user in two tabs
counts once, editing when any of their rows is — and each change of that set emits
`ItemViewersChanged` in the same unit of work; a change that leaves the set as it was (a second
tab, a tab closed while another stays open) emits nothing.

Each change locks the item's row first (PostgreSQL), so two changes to one item's set are
serialised and each compares the set it leaves with the one it found.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from models.enums import Role
from models.item_viewer import ItemViewer
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, visibility
from server.domain.errors import Forbidden
from server.domain.events import ItemViewersChanged
from server.domain.sql import connection, placeholders
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer

STALE_AFTER = timedelta(seconds=40)  # rows a process has not vouched for since: swept
HEARTBEAT_EVERY = timedelta(seconds=20)  # so a dead process's rows go within a minute


class OpenBy(NamedTuple):
    """An employee with the item open."""

    user_id: int
    name: str
    editing: bool
    email: str
    role: Role


async def viewers(work_item_id: int) -> list[OpenBy]:
    """The employees with the item open, by name: one query, one row per user however many of
    their operations have it open (a thousand tabs of one user are one row to read, not a
    thousand)."""
    (item,) = placeholders(1)
    rows = await connection().execute_query_dict(
        f"SELECT v.user_id, u.name, u.email, u.role, MAX(CASE WHEN v.editing THEN 1 ELSE 0 END) AS editing "
        f'FROM "{ItemViewer._meta.db_table}" v JOIN "{User._meta.db_table}" u ON u.id = v.user_id '
        f"WHERE v.work_item_id = {item} GROUP BY v.user_id, u.name, u.email, u.role",
        [work_item_id],
    )
    found = [OpenBy(int(r["user_id"]), r["name"], bool(r["editing"]), r["email"], Role(r["role"])) for r in rows]
    return sorted(found, key=lambda v: (v.name, v.user_id))


def _set(rows: list[OpenBy]) -> frozenset[tuple[int, bool]]:
    return frozenset((row.user_id, row.editing) for row in rows)


async def _locked(work_item_id: int) -> WorkItem | None:
    return await WorkItem.filter(id=work_item_id).select_for_update().first()


async def _changing(uow: UnitOfWork, item: WorkItem, before: frozenset[tuple[int, bool]]) -> bool:
    """Emit `ItemViewersChanged` when the set now differs from `before`."""
    if _set(await viewers(item.id)) == before:
        return False
    uow.emit(ItemViewersChanged(work_item_id=item.id, department_id=item.department_id))
    return True


async def opened(work_item_id: int, user_id: int, process_id: str, key: str) -> None:
    """The user has the item open in the operation `key` (served by `process_id`). Opening a key
    that is open already changes nothing."""
    async with unit_of_work() as uow:
        item = await _locked(work_item_id)
        if item is None or await ItemViewer.exists(key=key):
            return
        before = _set(await viewers(item.id))
        now = clock.now()
        await ItemViewer.create(
            work_item_id=item.id, user_id=user_id, process_id=process_id, key=key,
            editing=(user_id, True) in before,  # a new tab of someone editing: still editing
            opened_at=now, seen_at=now,
        )
        await _changing(uow, item, before)


async def closed(key: str) -> None:
    """The operation `key` ended (nothing when it is gone already: swept, or never opened)."""
    work_item_id = await ItemViewer.filter(key=key).values_list("work_item_id", flat=True)
    if not work_item_id:
        return
    async with unit_of_work() as uow:
        item = await _locked(work_item_id[0])
        if item is None:
            return
        before = _set(await viewers(item.id))
        if await ItemViewer.filter(key=key).delete():
            await _changing(uow, item, before)


async def set_editing(viewer: Viewer, ref: str, editing: bool) -> bool:
    """Mark every open operation of the viewer on the item editing (or not); False when they have
    it open nowhere (nothing to mark). NOT_FOUND for an item they may not see; employees only."""
    if not viewer.is_user:
        raise Forbidden("Only employees are shown as having a work item open.", field="ref")
    async with unit_of_work() as uow:
        item = await visibility.get_work_item(viewer, ref, for_update=True)
        before = _set(await viewers(item.id))
        marked = await ItemViewer.filter(work_item_id=item.id, user_id=viewer.id).update(editing=editing)
        await _changing(uow, item, before)
        return marked > 0


async def heartbeat(process_id: str) -> int:
    """The process still serves its rows: how many it vouched for."""
    return await ItemViewer.filter(process_id=process_id).update(seen_at=clock.now())


async def sweep(stale_after: timedelta = STALE_AFTER, now: datetime | None = None) -> int:
    """Remove the rows no process has vouched for within `stale_after`, one unit of work per item
    (each emitting its change); how many rows went."""
    cutoff = (now or clock.now()) - stale_after
    items = await ItemViewer.filter(seen_at__lt=cutoff).distinct().values_list("work_item_id", flat=True)
    removed = 0
    for work_item_id in sorted(set(items)):
        async with unit_of_work() as uow:
            item = await _locked(work_item_id)
            if item is None:
                continue
            before = _set(await viewers(item.id))
            gone = await ItemViewer.filter(work_item_id=item.id, seen_at__lt=cutoff).delete()
            if gone:
                removed += gone
                await _changing(uow, item, before)
    return removed
