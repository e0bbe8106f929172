"""Root mutation of who has a work item open (merged into Mutation); the list itself is pushed
on workItemUpdated (`WorkItemUpdate.viewers`)."""

from __future__ import annotations

import strawberry

from server.resolvers import item_viewers as resolvers


@strawberry.type
class ItemViewerMutation:
    set_work_item_editing: bool = strawberry.mutation(
        resolver=resolvers.set_work_item_editing,
        description=(
            "Say whether you are editing a work item you have open (workItemUpdated): every subscription of yours "
            "to it is marked, and everyone else with it open is pushed VIEWERS_CHANGED. False when you have it open "
            "nowhere (nothing marked). Employees only (FORBIDDEN otherwise); NOT_FOUND for an item you may not see."
        ),
    )
