"""The portal's root fields (types: server/schema/portal.py; the live `portalTicketUpdated`:
server/schema/live/portal.py)."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import portal as resolvers
from server.schema.portal import ContactGroup, PortalFileContent, PortalReplyPayload, PortalRoute, PortalTicket, PortalTicketConnection


@strawberry.type
class PortalQuery:
    portal_tickets: PortalTicketConnection = strawberry.field(
        resolver=resolvers.portal_tickets, description="Portal contacts: your tickets (and your company's, where your group sees them)."
    )
    portal_ticket: PortalTicket = strawberry.field(
        resolver=resolvers.portal_ticket, description="Portal contacts: one of your tickets; NOT_FOUND when missing or not yours."
    )
    portal_attachment: PortalFileContent = strawberry.field(
        resolver=resolvers.portal_attachment, description="A file sent on the portal, of a ticket you may see."
    )
    portal_routes: list[PortalRoute] = strawberry.field(resolver=resolvers.portal_routes, description="Admins: where portal tickets go.")
    contact_groups: list[ContactGroup] = strawberry.field(resolver=resolvers.contact_groups, description="Admins: the contact groups by name.")


@strawberry.type
class PortalMutation:
    submit_portal_ticket: PortalTicket = strawberry.mutation(
        resolver=resolvers.submit_portal_ticket,
        description="Portal contacts: submit a ticket (TO_DO in the queue of your company's portal route, else the system-wide one).",
    )
    reply_to_portal_ticket: PortalReplyPayload = strawberry.mutation(
        resolver=resolvers.reply_to_portal_ticket,
        description="Portal contacts: a message on your ticket; it flags the ticket, and reopens it within its feedback window. "
        "A closed ticket refuses (INVALID_TRANSITION): submit a new one.",
    )
    give_portal_feedback: PortalTicket = strawberry.mutation(
        resolver=resolvers.give_portal_feedback,
        description="Portal contacts: rate (1 to 5) a resolved ticket, once (CONFLICT on a second time).",
    )
    set_portal_route: Optional[PortalRoute] = strawberry.mutation(
        resolver=resolvers.set_portal_route,
        description="Admins: portal tickets of `companyId` (none: everyone without a route of their own) go to `queueId`; a null queue removes the route.",
    )
    create_contact_group: ContactGroup = strawberry.mutation(resolver=resolvers.create_contact_group, description="Admins: a new contact group.")
    update_contact_group: ContactGroup = strawberry.mutation(
        resolver=resolvers.update_contact_group, description="Admins: rename a group, or let its members see their company's tickets on the portal."
    )
