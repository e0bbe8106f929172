"""Team streams: `newInfoFlags` (the viewer's and their teams' items whose new-information flag
changes) and `sharedEmails(teamId)` (emails shared to one of a team's items, and taken back)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import strawberry
from tortoise import Tortoise

from models.email import Email, EmailShare
from models.work_item import WorkItem as WorkItemModel
from server.domain import visibility
from server.domain.errors import NotFound
from server.domain.events import EmailShared, EmailUnshared, Envelope, WorkItemAssigned, WorkItemFieldsChanged, assignee_channel, team_channel
from server.domain.viewer import Viewer
from server.schema.live import ScopedSource, cursor_of, require_staff
from server.schema.work_items import WorkItem
from server.subscriptions.cohorts import Opened

SNAPSHOT_ITEMS = 100


@strawberry.type(description="A work item's new-information flag.")
class NewInfoFlag:
    has_new_info: bool
    work_item: WorkItem


@strawberry.type(description="Flags of the viewer's and their teams' items: those set (snapshot), then each change.")
class NewInfoFlagsUpdate:
    snapshot: bool
    cursor: Optional[str]
    flags: list[NewInfoFlag]


@strawberry.type(description="An email shared to one of the team's items.")
class SharedEmail:
    email_id: strawberry.ID
    subject: str
    shared_from: Optional[str] = strawberry.field(description="The reference of the item it was shared from.")
    shared_at: datetime
    work_item: WorkItem


@strawberry.type(description="Emails shared to a team's items: the latest (snapshot), then each new one and each one taken back.")
class SharedEmailsUpdate:
    snapshot: bool
    cursor: Optional[str]
    emails: list[SharedEmail] = strawberry.field(description="The snapshot: the latest shares; then: the new one.")
    unshared: list[SharedEmail] = strawberry.field(
        default_factory=list, description="Taken back from the item (unshareEmail), as it had been shared: remove it (by emailId and workItem)."
    )


async def _teammates(viewer: Viewer) -> frozenset[int]:
    """The viewer and every member of the teams they belong to or lead."""
    teams = sorted(viewer.team_ids | viewer.led_team_ids)
    people = {viewer.id}
    if teams:
        conn = Tortoise.get_connection("default")
        marks = ", ".join(f"${i}" if conn.capabilities.dialect == "postgres" else "?" for i in range(1, len(teams) + 1))
        rows = await conn.execute_query_dict(f"SELECT DISTINCT user_id FROM team_member WHERE team_id IN ({marks})", teams)
        people.update(int(r["user_id"]) for r in rows)
    return frozenset(people)


class NewInfoFlagsSource(ScopedSource):
    name = "newInfoFlags"

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        require_staff(viewer)
        people = await _teammates(viewer)
        return Opened(channels=frozenset(assignee_channel(u) for u in people), key=(viewer.id, people), state=people)

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> NewInfoFlagsUpdate:
        rows = await visibility.visible_work_items(viewer).filter(assignee_id__in=sorted(opened.state), has_new_info=True).order_by("-updated_at").limit(SNAPSHOT_ITEMS)
        return NewInfoFlagsUpdate(snapshot=True, cursor=cursor_of(cursor), flags=[NewInfoFlag(has_new_info=True, work_item=WorkItem.from_model(r)) for r in rows])

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> NewInfoFlagsUpdate | None:
        event = envelope.event
        flag_changed = isinstance(event, WorkItemFieldsChanged) and "hasNewInfo" in event.fields
        # an item assigned into or out of the group carries its flag with it
        moved = isinstance(event, WorkItemAssigned) and event.item.has_new_info
        if not (flag_changed or moved) or visibility.visible_event(viewer, event) is None:
            return None
        row = await WorkItemModel.get_or_none(id=event.work_item_id)
        if row is None:
            return None
        shown = event.item.has_new_info and event.item.assignee_id in opened.state
        return NewInfoFlagsUpdate(snapshot=False, cursor=cursor_of(envelope.cursor), flags=[NewInfoFlag(has_new_info=shown, work_item=WorkItem.from_model(row))])


class SharedEmailsSource(ScopedSource):
    name = "sharedEmails"

    async def open(self, viewer: Viewer, args: dict[str, Any]) -> Opened:
        require_staff(viewer)
        team_id = args["team_id"]
        if not (viewer.is_admin or team_id in viewer.team_ids or team_id in viewer.led_team_ids):
            raise NotFound(f"No team {team_id} exists.", field="teamId")
        return Opened(channels=frozenset({team_channel(team_id)}), key=team_id, state=team_id)

    async def _shared(self, viewer: Viewer, **filters: Any) -> list[SharedEmail]:
        visible = visibility.visible_work_items(viewer).filter(**filters)
        ids = await visible.values_list("id", flat=True)
        shares = await EmailShare.filter(work_item_id__in=ids).order_by("-id").limit(20).prefetch_related("email", "work_item", "email__work_item")
        return [
            SharedEmail(
                email_id=strawberry.ID(str(s.email_id)), subject=s.email.subject, shared_at=s.created_at,
                shared_from=s.email.work_item.ref if s.email.work_item else None, work_item=WorkItem.from_model(s.work_item),
            )
            for s in shares
        ]

    async def snapshot(self, viewer: Viewer, opened: Opened, cursor: int) -> SharedEmailsUpdate:
        return SharedEmailsUpdate(snapshot=True, cursor=cursor_of(cursor), emails=await self._shared(viewer, team_id=opened.state))

    async def on_event(self, viewer: Viewer, opened: Opened, envelope: Envelope) -> SharedEmailsUpdate | None:
        event = envelope.event
        if not isinstance(event, (EmailShared, EmailUnshared)) or event.team_id != opened.state or visibility.visible_event(viewer, event) is None:
            return None
        if isinstance(event, EmailUnshared):
            return await self._unshared(event, envelope.cursor)
        shares = await EmailShare.filter(email_id=event.email_id, work_item_id=event.work_item_id).prefetch_related("email", "work_item")
        emails = [
            SharedEmail(email_id=strawberry.ID(str(s.email_id)), subject=s.email.subject, shared_at=s.created_at, shared_from=event.shared_from, work_item=WorkItem.from_model(s.work_item))
            for s in shares
        ]
        return SharedEmailsUpdate(snapshot=False, cursor=cursor_of(envelope.cursor), emails=emails) if emails else None

    async def _unshared(self, event: EmailUnshared, cursor: int) -> SharedEmailsUpdate | None:
        email = await Email.get_or_none(id=event.email_id)
        row = await WorkItemModel.get_or_none(id=event.work_item_id)
        if email is None or row is None:
            return None
        gone = SharedEmail(
            email_id=strawberry.ID(str(email.id)), subject=email.subject, shared_at=datetime.fromisoformat(event.shared_at),
            shared_from=event.shared_from, work_item=WorkItem.from_model(row),
        )
        return SharedEmailsUpdate(snapshot=False, cursor=cursor_of(cursor), emails=[], unshared=[gone])


new_info_source = NewInfoFlagsSource()
shared_emails_source = SharedEmailsSource()
