"""Timeline entries, one function per kind of entry (SPEC §4).

Each writes the entry inside the caller's unit of work and emits `TimelineEntryAdded`.
`actor` is the viewer who acted, or None for the system.
"""

from __future__ import annotations

from typing import Any

from models.enums import TimelineKind
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer, ViewerKind
from server.subscriptions.events import TimelineEntryAdded


def actor_event_fields(actor: Viewer | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_kind": None, "actor_id": None, "actor_name": None}
    return {"actor_kind": actor.kind.value, "actor_id": actor.id, "actor_name": actor.name}


async def _add(
    uow: UnitOfWork,
    item: WorkItem,
    kind: TimelineKind,
    actor: Viewer | None,
    *,
    body: str | None = None,
    data: dict[str, Any] | None = None,
    is_public: bool = False,
    system_generated: bool = False,
) -> TimelineEntry:
    entry = await TimelineEntry.create(
        work_item_id=item.id,
        kind=kind,
        actor_user_id=actor.id if actor and actor.kind is ViewerKind.USER else None,
        actor_contact_id=actor.id if actor and actor.kind is ViewerKind.CONTACT else None,
        actor_api_key_id=actor.id if actor and actor.kind is ViewerKind.API_KEY else None,
        body=body,
        data=data or {},
        is_public=is_public,
        system_generated=system_generated,
        created_at=clock.now(),
    )
    uow.emit(
        TimelineEntryAdded(
            work_item_id=item.id,
            ref=item.ref,
            department_id=item.department_id,
            version=item.version,
            entry_id=entry.id,
            kind=kind.value,
            **actor_event_fields(actor),
        )
    )
    return entry


async def created(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    return await _add(uow, item, TimelineKind.CREATED, actor, data={"status": item.status.value})


async def submitted(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    return await _add(
        uow,
        item,
        TimelineKind.SUBMITTED,
        actor,
        data={
            "from": "DRAFT",
            "to": item.status.value,
            "queue_id": item.queue_id,
            "due_at": item.due_at.isoformat() if item.due_at else None,
        },
    )


async def initial_description(uow: UnitOfWork, item: WorkItem, actor: Viewer | None) -> TimelineEntry:
    """A ticket's description becomes the initial submission note when it is submitted."""
    return await _add(uow, item, TimelineKind.INITIAL_DESCRIPTION, actor, body=item.description, is_public=True)


async def status_changed(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    *,
    from_status: str,
    reason: str | None = None,
) -> TimelineEntry:
    """A status change, with the wait type or resolution method it came with and the reason."""
    return await _add(
        uow,
        item,
        TimelineKind.STATUS_CHANGED,
        actor,
        body=reason,
        data={
            "from": from_status,
            "to": item.status.value,
            "wait_type": item.wait_type.value if item.wait_type else None,
            "resolution_method": item.resolution_method.value if item.resolution_method else None,
        },
    )


async def assigned(uow: UnitOfWork, item: WorkItem, actor: Viewer | None, *, from_user_id: int | None) -> TimelineEntry:
    return await _add(
        uow, item, TimelineKind.ASSIGNED, actor, data={"from_user_id": from_user_id, "to_user_id": item.assignee_id}
    )
