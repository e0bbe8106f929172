"""Root fields of the outbox (SPEC §5.1)."""

from __future__ import annotations

import strawberry

from server.resolvers import outbox as resolvers
from server.schema.outbox import Outbox, OutboxEmail, OutboxView


@strawberry.type
class OutboxQuery:
    outbox: Outbox = strawberry.field(
        resolver=resolvers.outbox,
        description="My outbox: every email not yet sent that I may see, in a view (by default the one I chose last; team leaders start on MY_TEAM, others on MINE).",
    )


@strawberry.type
class OutboxMutation:
    set_outbox_view: OutboxView = strawberry.mutation(resolver=resolvers.set_outbox_view, description="Remember the outbox view I start on.")
    cancel_emails: list[OutboxEmail] = strawberry.mutation(
        resolver=resolvers.cancel_emails,
        description="Cancel emails not yet sent (in the undo window, scheduled, waiting for a retry, failed or parked): no SMTP transaction is made. All or none.",
    )
    retry_emails: list[OutboxEmail] = strawberry.mutation(
        resolver=resolvers.retry_emails,
        description="Try failed, parked or waiting emails again now (never to recipients that accepted them before). All or none.",
    )
    send_emails_now: list[OutboxEmail] = strawberry.mutation(
        resolver=resolvers.send_emails_now, description="Send scheduled emails, or emails in their undo window, now. All or none."
    )
