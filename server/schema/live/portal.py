"""`portalTicketUpdated(ref, after)`: a requester's ticket (SNAPSHOT), then its public changes.

Each push is decided from the event alone by `visibility.portal_event`: status changes (without
who made them), changes to the title, description or category, and public timeline entries;
never internal notes, assignments, due dates, shared mail or who has the ticket open. A ticket the
requester no longer follows ends the subscription with NOT_FOUND.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Hashable

from server.domain import clock, visibility
from server.domain.errors import Forbidden
from server.domain.events import Envelope, TimelineEntryAdded, WorkItemEvent, WorkItemFieldsChanged, WorkItemStatusChanged, work_item_channel
from server.domain.viewer import Viewer
from server.resolvers.portal import to_ticket
from server.schema.live import cursor_of
from server.schema.portal import PortalTicketEventKind, PortalTicketUpdate
from server.subscriptions.cohorts import Opened


def _not_followed(ref: str) -> Exception:
    from server.domain.errors import NotFound

    return NotFound(f"No ticket {visibility.normalise_ref(ref)!s} exists.", field="ref")


class PortalTicketSource:
    name = "portalTicketUpdated"
    states = False

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        if not viewer.is_contact:
            raise Forbidden("Only portal contacts follow portal tickets; employees use workItemUpdated.")
        item = await visibility.get_portal_ticket(viewer, args["ref"])
        return Opened(channels=frozenset({work_item_channel(item.id)}), key=item.id, state=(item.id, item.ref))

    async def visibility(self, viewer: Viewer, opened: Opened) -> Hashable:
        return await visibility.scope_key(viewer)

    async def _ticket(self, viewer: Viewer, item_id: int, ref: str):
        item = await visibility.portal_tickets(viewer).get_or_none(id=item_id)
        if item is None:
            raise _not_followed(ref)
        return await to_ticket(item)

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> PortalTicketUpdate:
        item_id, ref = opened.state
        return PortalTicketUpdate(
            kind=PortalTicketEventKind.SNAPSHOT, cursor=cursor_of(cursor), occurred_at=clock.now(), from_status=None,
            to_status=None, changed_fields=[], timeline_entry_id=None, ticket=await self._ticket(viewer, item_id, ref),
        )

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> PortalTicketUpdate | None:
        item_id, ref = opened.state
        event = envelope.event
        if not isinstance(event, WorkItemEvent) or event.work_item_id != item_id:
            return None
        if not visibility.portal_sees(viewer, event.item):
            raise _not_followed(ref)
        shown = visibility.portal_event(viewer, event)
        if shown is None:
            return None
        if isinstance(shown, TimelineEntryAdded):
            kind, entry_id = PortalTicketEventKind.MESSAGE_ADDED, str(shown.entry_id)
        elif isinstance(shown, WorkItemStatusChanged):
            kind, entry_id = PortalTicketEventKind.STATUS_CHANGED, None
        else:
            kind, entry_id = PortalTicketEventKind.UPDATED, None
        return PortalTicketUpdate(
            kind=kind, cursor=cursor_of(envelope.cursor), occurred_at=datetime.fromisoformat(envelope.occurred_at),
            from_status=shown.from_status if isinstance(shown, WorkItemStatusChanged) else None,
            to_status=shown.to_status if isinstance(shown, WorkItemStatusChanged) else None,
            changed_fields=list(shown.fields) if isinstance(shown, WorkItemFieldsChanged) else [],
            timeline_entry_id=entry_id, ticket=await self._ticket(viewer, item_id, ref),
        )


source = PortalTicketSource()
