"""The Subscription root type: every field a `Source` served through the cohort fan-out
(server/schema/live/__init__.py). Each sends its snapshot first (or, with `after`, what happened
since that cursor), then its updates, each with its cursor."""

from __future__ import annotations

from typing import AsyncGenerator, Optional

import strawberry

from server.resolvers.inputs import to_id
from server.schema.live import imports as imports_live
from server.schema.live import personal, serve, team
from server.schema.live import team_bar as team_bar_live
from server.schema.live import work_item as work_item_live
from server.schema.portal import PortalTicketUpdate
from server.schema.work_items import WorkItemUpdate

AFTER = (
    "With `after` (a cursor from an earlier message), first every change since it, in order; "
    "RESYNC_REQUIRED when the event log no longer holds them."
)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The item's state (SNAPSHOT), then every change to it. " + AFTER)
    def work_item_updated(self, info: strawberry.Info, ref: str, after: Optional[str] = None) -> AsyncGenerator[WorkItemUpdate, None]:
        return serve(info, work_item_live.source, {"ref": ref}, after)

    @strawberry.subscription(description="My notifications with the unread count: the newest first, then each new one and each marked read. " + AFTER)
    def notifications(self, info: strawberry.Info, after: Optional[str] = None) -> AsyncGenerator[personal.NotificationsUpdate, None]:
        return serve(info, personal.notifications_source, {}, after)

    @strawberry.subscription(description="My outgoing emails: those in the outbox, then each change of state (queued, sent, failed ...). " + AFTER)
    def outbox_updated(self, info: strawberry.Info, after: Optional[str] = None) -> AsyncGenerator[personal.OutboxUpdate, None]:
        return serve(info, personal.outbox_source, {}, after)

    @strawberry.subscription(description="New-information flags of my items and my teams' items: those set, then each change. " + AFTER)
    def new_info_flags(self, info: strawberry.Info, after: Optional[str] = None) -> AsyncGenerator[team.NewInfoFlagsUpdate, None]:
        return serve(info, team.new_info_source, {}, after)

    @strawberry.subscription(description="Emails shared to the team's items: the latest, then each new one and each one taken back (in `unshared`). " + AFTER)
    def shared_emails(self, info: strawberry.Info, team_id: strawberry.ID, after: Optional[str] = None) -> AsyncGenerator[team.SharedEmailsUpdate, None]:
        return serve(info, team.shared_emails_source, {"team_id": to_id(team_id, "teamId")}, after)

    @strawberry.subscription(
        description="The team's bar (members and leaders with their work now, counts and presence): the whole bar, "
        "then the whole bar again each time it changes. With `after`, the current bar again."
    )
    def team_bar(self, info: strawberry.Info, team_id: strawberry.ID, after: Optional[str] = None) -> AsyncGenerator[team_bar_live.TeamBarUpdate, None]:
        return serve(info, team_bar_live.source, {"team_id": to_id(team_id, "teamId")}, after)

    @strawberry.subscription(
        description="An import job of mine (admins: any): as it stands (snapshot), then after each step — started, each 100 rows, "
        "DONE or FAILED (the last: the server completes the subscription after it). " + AFTER
    )
    def import_job_progress(self, info: strawberry.Info, id: strawberry.ID, after: Optional[str] = None) -> AsyncGenerator[imports_live.ImportJobUpdate, None]:
        return serve(info, imports_live.source, {"job_id": to_id(id, "id")}, after)

    @strawberry.subscription(
        description="Portal contacts: your ticket (SNAPSHOT), then its public changes (status, title, description, category, "
        "public communications: MESSAGE_ADDED). " + AFTER
    )
    def portal_ticket_updated(self, info: strawberry.Info, ref: str, after: Optional[str] = None) -> AsyncGenerator[PortalTicketUpdate, None]:
        from server.schema.live import portal as portal_live

        return serve(info, portal_live.source, {"ref": ref}, after)
