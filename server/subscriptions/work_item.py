"""`workItemUpdated(ref)`: the item's state first, then one update per change, each authorised.

The first message is a SNAPSHOT sent once the broker subscription is confirmed, so nothing
committed after it can be missed. Before every push the viewer is re-checked as they stand now;
a viewer who lost access gets NOT_FOUND and the subscription ends. An event the viewer may not be
told of (an internal note for a portal requester, anything from while the item was in a department
they do not see) is not pushed at all; what they may be told is decided by
`visibility.visible_event`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import AsyncGenerator

import strawberry

from models.event import EventRecord
from server.domain import clock, visibility
from server.domain.errors import DomainError
from server.resolvers.context import begin_operation, require_viewer
from server.resolvers.inputs import encode_cursor
from server.schema.work_items import WorkItem, WorkItemEventKindEnum, WorkItemUpdate
from server.subscriptions import bus
from server.domain.events import (
    EmailShared,
    Envelope,
    TimelineEntryAdded,
    WorkItemAssigned,
    WorkItemCreated,
    WorkItemDueMissed,
    WorkItemFieldsChanged,
    WorkItemStatusChanged,
    WorkItemSubmitted,
    work_item_channel,
)

KINDS = {
    WorkItemCreated: WorkItemEventKindEnum.CREATED,
    WorkItemFieldsChanged: WorkItemEventKindEnum.UPDATED,
    WorkItemSubmitted: WorkItemEventKindEnum.SUBMITTED,
    TimelineEntryAdded: WorkItemEventKindEnum.TIMELINE_ENTRY_ADDED,
    WorkItemStatusChanged: WorkItemEventKindEnum.STATUS_CHANGED,
    WorkItemAssigned: WorkItemEventKindEnum.ASSIGNED,
    WorkItemDueMissed: WorkItemEventKindEnum.DUE_MISSED,
    EmailShared: WorkItemEventKindEnum.EMAIL_SHARED,
}


class BrokerUnavailable(DomainError):
    code = "UNAVAILABLE"


def _update(kind: WorkItemEventKindEnum, item: WorkItem, envelope: Envelope | None, cursor: int | None) -> WorkItemUpdate:
    event = envelope.event if envelope else None
    return WorkItemUpdate(
        kind=kind,
        cursor=encode_cursor("Event", cursor) if cursor else None,
        occurred_at=datetime.fromisoformat(envelope.occurred_at) if envelope else clock.now(),
        actor_name=getattr(event, "actor_name", None),
        changed_fields=list(event.fields) if isinstance(event, WorkItemFieldsChanged) else [],
        work_item=item,
    )


async def work_item_updated(info: strawberry.Info, ref: str) -> AsyncGenerator[WorkItemUpdate, None]:
    viewer = await require_viewer(info)
    item = await visibility.get_work_item(viewer, ref)
    event_bus = bus.current()
    if event_bus is None:
        raise BrokerUnavailable("Live updates are not available on this server process.")
    async with event_bus.subscribe(work_item_channel(item.id)) as envelopes:
        last = await EventRecord.filter(work_item_id=item.id).order_by("-id").first().values_list("id", flat=True)
        yield _update(WorkItemEventKindEnum.SNAPSHOT, WorkItem.from_model(item), None, last)
        async for envelope in envelopes:
            if last is not None and envelope.cursor <= last:
                continue  # already part of the snapshot
            begin_operation(info.context)
            viewer = await require_viewer(info)
            current = await visibility.visible_work_items(viewer).get_or_none(id=item.id)
            if current is None:
                raise visibility.not_found(ref)
            shown = await visibility.visible_event(viewer, current, envelope.event)
            if shown is None:
                continue
            kind = KINDS.get(type(shown), WorkItemEventKindEnum.UPDATED)
            yield _update(kind, WorkItem.from_model(current), dataclasses.replace(envelope, event=shown), envelope.cursor)
