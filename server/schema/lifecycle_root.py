"""Root query and mutation fields of the work item lifecycle (merged into Query and Mutation)."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import lifecycle as resolvers
from server.schema.lifecycle import Notification, WorkItemChange
from server.schema.work_items import WorkItem


@strawberry.type
class LifecycleQuery:
    notifications: list[Notification] = strawberry.field(
        resolver=resolvers.notifications, description="My notifications, newest first."
    )
    unread_notification_count: int = strawberry.field(resolver=resolvers.unread_notification_count)


@strawberry.type
class LifecycleMutation:
    start_work: WorkItemChange = strawberry.mutation(
        resolver=resolvers.start_work, description="Set IN_PROGRESS: the item becomes mine."
    )
    return_to_queue: WorkItemChange = strawberry.mutation(
        resolver=resolvers.return_to_queue, description="Undo a pick-up: my IN_PROGRESS item goes back TO_DO in its queue."
    )
    assign_work_item: WorkItemChange = strawberry.mutation(
        resolver=resolvers.assign_work_item,
        description="Assign to me (I start work), to someone else or, with no userId, back to the queue (TO_DO).",
    )
    wait_work_item: WorkItemChange = strawberry.mutation(resolver=resolvers.wait_work_item)
    resolve_work_item: WorkItemChange = strawberry.mutation(resolver=resolvers.resolve_work_item)
    reopen_work_item: WorkItemChange = strawberry.mutation(
        resolver=resolvers.reopen_work_item, description="Reopen a resolved item while its feedback window is open."
    )
    reject_work: WorkItemChange = strawberry.mutation(
        resolver=resolvers.reject_work, description="Robots: reject work; it goes back TO_DO and is left for a person."
    )
    get_next_work: Optional[WorkItem] = strawberry.mutation(
        resolver=resolvers.get_next_work,
        description="Take the most urgent TO_DO item of my teams' queues (earliest due, then priority, then age).",
    )
    add_note: WorkItemChange = strawberry.mutation(resolver=resolvers.add_note)
    mark_work_item_read: WorkItemChange = strawberry.mutation(resolver=resolvers.mark_work_item_read)
    mark_work_item_new: WorkItemChange = strawberry.mutation(resolver=resolvers.mark_work_item_new)
    merge_ticket: WorkItemChange = strawberry.mutation(
        resolver=resolvers.merge_ticket, description="Merge a ticket into a ticket, case or action."
    )
    split_ticket: WorkItemChange = strawberry.mutation(resolver=resolvers.split_ticket)
    convert_ticket_to_case: WorkItemChange = strawberry.mutation(resolver=resolvers.convert_ticket_to_case)
    start_case: WorkItemChange = strawberry.mutation(
        resolver=resolvers.start_case, description="Start a sub-case (or an independent case) from a case."
    )
    start_action: WorkItemChange = strawberry.mutation(
        resolver=resolvers.start_action, description="Start an action on a case, or another copy of one."
    )
    rework_case: WorkItemChange = strawberry.mutation(
        resolver=resolvers.rework_case, description="Rework a case from an earlier step."
    )
    reset_case: WorkItemChange = strawberry.mutation(
        resolver=resolvers.reset_case, description="Reset a case to in progress, clearing its problem."
    )
    update_checklist: WorkItemChange = strawberry.mutation(
        resolver=resolvers.update_checklist, description="The reviewer's checklist of a peer review action."
    )
    mark_notifications_read: int = strawberry.mutation(
        resolver=resolvers.mark_notifications_read, description="Mark my notifications read (all without ids); how many."
    )
