"""Root mutations of links between work items and of shared emails (SPEC §3)."""

from __future__ import annotations

import strawberry

from server.resolvers import links as resolvers
from server.schema.lifecycle import WorkItemChange


@strawberry.type
class LinkMutation:
    link_work_items: WorkItemChange = strawberry.mutation(
        resolver=resolvers.link_work_items, description="Link two items (both ways; linking twice changes nothing)."
    )
    unlink_work_items: WorkItemChange = strawberry.mutation(resolver=resolvers.unlink_work_items)
    share_email: WorkItemChange = strawberry.mutation(
        resolver=resolvers.share_email,
        description="Show an email of an item on an item linked to it (also one you see only the header of).",
    )
    unshare_email: WorkItemChange = strawberry.mutation(resolver=resolvers.unshare_email)
