"""Root fields of received mail and mail between teams: the unhandled and blocked messages
(admins), a message's source, and the plan of an email's recipients that are other teams'
mailboxes."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import team_mail
from server.resolvers import unhandled_mail as resolvers
from server.schema.team_mail import TeamRecipientPlan
from server.schema.unhandled_mail import EmailAttachmentContent, EmailSource, HeldEmailConnection
from server.schema.work_items import WorkItem


@strawberry.type
class UnhandledMailQuery:
    held_emails: HeldEmailConnection = strawberry.field(
        resolver=resolvers.held_emails, description="Admins: received messages no rule placed (UNHANDLED) or from blocked senders (BLOCKED), newest first."
    )
    team_recipients: list[TeamRecipientPlan] = strawberry.field(
        resolver=team_mail.team_recipients,
        description="Before sending an email on an item: which recipients are other teams' Switchboard mailboxes, and what sending will do for each (SPEC §5.3).",
    )
    email_attachment: EmailAttachmentContent = strawberry.field(
        resolver=resolvers.email_attachment, description="An attachment's content, of an email you may see (its work item's, or one it was shared to)."
    )
    email_source: EmailSource = strawberry.field(
        resolver=resolvers.email_source, description="A received message exactly as it arrived (admins, or whoever sees its work item)."
    )


@strawberry.type
class UnhandledMailMutation:
    route_held_email: Optional[WorkItem] = strawberry.mutation(
        resolver=resolvers.route_held_email,
        description="Admins: route one of the message's recipient addresses (the first, unless `address`) to a department and queue, then process it again; the item it joined or opened.",
    )
    open_work_item_from_email: WorkItem = strawberry.mutation(
        resolver=resolvers.open_work_item_from_email, description="Admins: open a ticket (or a case) from an unhandled message in a department and queue."
    )
    reject_held_email: WorkItem = strawberry.mutation(
        resolver=resolvers.reject_held_email,
        description="Admins: reject a misaddressed message; it stays on record as a CLOSED ticket of the department (method REJECTED_UNKNOWN_ADDRESS).",
    )
    reprocess_held_email: Optional[WorkItem] = strawberry.mutation(
        resolver=resolvers.reprocess_held_email, description="Admins: process an unhandled message again (after a mailbox, alias or route was added)."
    )
    restore_blocked_email: Optional[WorkItem] = strawberry.mutation(
        resolver=resolvers.restore_blocked_email, description="Admins: process a message from a blocked sender as if the sender were not blocked."
    )
