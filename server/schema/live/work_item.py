"""`workItemUpdated(ref, after)`: the item's state first, then every change to it.

Each push is decided from the event alone (its header says who may see the item now): a viewer
who can no longer see the item gets NOT_FOUND and the subscription ends; an event they may not be
told of (an internal note for a portal requester, anything from while the item was in a department
they do not see) is not pushed (`visibility.visible_event`). The item is read once per cohort per
push, for the selection.

A change and the timeline entry that records it (the entry logged right after it, by the same
transaction) are one push: the change's kind and details with the entry's `timelineEntryId`, at the
entry's cursor. Each part is decided for the viewer on its own: one they may not be told of is left
out (a requester told of a title change but not of its internal entry gets the change alone).
A timeline entry that follows no change (a note) is a push of its own, TIMELINE_ENTRY_ADDED.

Who else has the item open (`viewers`): an employee's subscription is recorded while it runs
(`tracked_item`, server/domain/item_viewers.py). The list is read for the SNAPSHOT (per
subscriber) and for each VIEWERS_CHANGED (once per cohort), and is empty on every other kind.
A portal requester is never told of staff: VIEWERS_CHANGED is withheld from them and their
snapshot lists nobody; an employee is told only while they may see the item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Hashable

from models.work_item import WorkItem as WorkItemModel
from server.domain import clock, event_log, item_viewers, visibility
from server.domain.events import (
    EmailShared,
    EmailUnshared,
    Envelope,
    ItemViewersChanged,
    TimelineEntryAdded,
    WorkItemAssigned,
    WorkItemCreated,
    WorkItemDueMissed,
    WorkItemEvent,
    WorkItemFieldsChanged,
    WorkItemStatusChanged,
    WorkItemSubmitted,
    work_item_channel,
)
from server.domain.viewer import Viewer
from server.schema.live import cursor_of
from server.schema.org import User
from server.schema.work_items import WorkItem, WorkItemEventKindEnum, WorkItemUpdate
from server.schema.work_items.updates import ItemViewer
from server.subscriptions.cohorts import Opened

KINDS = {
    WorkItemCreated: WorkItemEventKindEnum.CREATED,
    WorkItemFieldsChanged: WorkItemEventKindEnum.UPDATED,
    WorkItemSubmitted: WorkItemEventKindEnum.SUBMITTED,
    TimelineEntryAdded: WorkItemEventKindEnum.TIMELINE_ENTRY_ADDED,
    WorkItemStatusChanged: WorkItemEventKindEnum.STATUS_CHANGED,
    WorkItemAssigned: WorkItemEventKindEnum.ASSIGNED,
    WorkItemDueMissed: WorkItemEventKindEnum.DUE_MISSED,
    EmailShared: WorkItemEventKindEnum.EMAIL_SHARED,
    EmailUnshared: WorkItemEventKindEnum.EMAIL_UNSHARED,
    ItemViewersChanged: WorkItemEventKindEnum.VIEWERS_CHANGED,
}


async def _viewers(viewer: Viewer, item_id: int) -> list[ItemViewer]:
    if not viewer.is_user and not viewer.is_api_key:
        return []  # never staff to a requester
    return [
        ItemViewer(user=User(id=str(row.user_id), name=row.name, email=row.email, role=row.role), editing=row.editing)
        for row in await item_viewers.viewers(item_id)
    ]


def _update(
    kind: WorkItemEventKindEnum,
    item: WorkItemModel,
    envelope: Envelope | None,
    cursor: int | None,
    viewers: list[ItemViewer] | None = None,
    entry: TimelineEntryAdded | None = None,
) -> WorkItemUpdate:
    event = envelope.event if envelope else None
    if isinstance(event, TimelineEntryAdded):
        entry = event
    return WorkItemUpdate(
        kind=kind,
        cursor=cursor_of(cursor),
        occurred_at=datetime.fromisoformat(envelope.occurred_at) if envelope else clock.now(),
        actor_name=getattr(event, "actor_name", None),
        changed_fields=list(event.fields) if isinstance(event, WorkItemFieldsChanged) else [],
        values=dict(event.values) if isinstance(event, WorkItemFieldsChanged) else None,
        from_status=event.from_status if isinstance(event, WorkItemStatusChanged) else None,
        to_status=event.to_status if isinstance(event, WorkItemStatusChanged) else None,
        timeline_entry_id=str(entry.entry_id) if entry is not None else None,
        work_item=WorkItem.from_model(item),
        viewers=viewers or [],
    )


class WorkItemSource:
    name = "workItemUpdated"
    states = False

    def tracked_item(self, opened: Opened) -> int:
        """The work item whose open-by list this subscription counts in (employees only)."""
        return opened.state[0]

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        item = await visibility.get_work_item(viewer, args["ref"])
        return Opened(channels=frozenset({work_item_channel(item.id)}), key=item.id, state=(item.id, item.ref))

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable:
        return await visibility.scope_key(viewer)

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> WorkItemUpdate:
        item_id, ref = opened.state
        item = await visibility.visible_work_items(viewer).get_or_none(id=item_id)
        if item is None:
            raise visibility.not_found(ref)
        return _update(WorkItemEventKindEnum.SNAPSHOT, item, None, cursor, await _viewers(viewer, item.id))

    def folds(self, first: Envelope, second: Envelope) -> bool:
        """`second` is the timeline entry recording the change `first`: logged right after it by
        the same transaction, on the same item. Only one entry folds into a change."""
        change, entry = first.event, second.event
        return (
            isinstance(entry, TimelineEntryAdded)
            and isinstance(change, WorkItemEvent)
            and not isinstance(change, TimelineEntryAdded)
            and change.work_item_id == entry.work_item_id
            and event_log.same_transaction(first, second)
        )

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> WorkItemUpdate | None:
        return await self.on_events(viewer, opened, [envelope])

    async def on_events(self, viewer: Viewer, opened: Opened, envelopes: list[Envelope]) -> WorkItemUpdate | None:
        """One event, or a change and its timeline entry (`folds`), as one push."""
        item_id, ref = opened.state
        if isinstance(envelopes[0].event, ItemViewersChanged):
            return await self._viewers_changed(viewer, item_id, envelopes[0])
        told = []
        for envelope in envelopes:
            event = envelope.event
            if not isinstance(event, WorkItemEvent) or event.work_item_id != item_id:
                continue
            if not visibility.can_see_now(viewer, event):
                raise visibility.not_found(ref)
            shown = visibility.visible_event(viewer, event)
            if shown is not None:
                told.append(Envelope(envelope.cursor, envelope.occurred_at, shown))
        if not told:
            return None
        item = await WorkItemModel.get_or_none(id=item_id)
        if item is None:
            raise visibility.not_found(ref)
        head, *rest = told
        entry = next((e.event for e in rest if isinstance(e.event, TimelineEntryAdded)), None)
        kind = KINDS.get(type(head.event), WorkItemEventKindEnum.UPDATED)
        return _update(kind, item, head, envelopes[-1].cursor, entry=entry)

    async def _viewers_changed(self, viewer: Viewer, item_id: int, envelope: Envelope) -> WorkItemUpdate | None:
        """Staff only, and only while they may see the item as it is now."""
        event = envelope.event
        if event.work_item_id != item_id or not (viewer.is_user or viewer.is_api_key):
            return None
        item = await WorkItemModel.get_or_none(id=item_id)
        if item is None or not visibility.can_see(viewer, item):
            return None
        return _update(WorkItemEventKindEnum.VIEWERS_CHANGED, item, envelope, envelope.cursor, await _viewers(viewer, item_id))


source = WorkItemSource()
