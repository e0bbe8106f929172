"""Resolvers of the lifecycle mutations: parse input, call the domain, map the outcome."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain import cases, lifecycle, notifications as notification_actions, tickets
from server.domain.lifecycle import Outcome, ResolutionEmail
from server.resolvers.context import require_viewer
from server.resolvers.inputs import page_size, to_id, to_ids
from server.resolvers.timeline import present_entry
from server.schema.lifecycle import (
    ChecklistItemInput,
    ConvertToCaseInput,
    NoteInput,
    Notification,
    ResolveInput,
    SplitPartInput,
    StartActionInput,
    StartCaseInput,
    WaitInput,
    WorkItemChange,
)
from server.schema.work_items import WorkItem


async def _change(info: strawberry.Info, outcome: Outcome) -> WorkItemChange:
    return WorkItemChange(
        work_item=WorkItem.from_model(outcome.item),
        notices=outcome.notices,
        created=[WorkItem.from_model(i) for i in outcome.created],
        entry=await present_entry(info, outcome.entry, outcome.item.ref) if outcome.entry else None,
    )


async def start_work(info: strawberry.Info, ref: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await lifecycle.start_work(await require_viewer(info), ref, version))


async def return_to_queue(info: strawberry.Info, ref: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await lifecycle.return_to_queue(await require_viewer(info), ref, version))


async def assign_work_item(
    info: strawberry.Info, ref: str, user_id: Optional[strawberry.ID] = None, version: Optional[int] = None
) -> WorkItemChange:
    user = to_id(user_id, "userId") if user_id is not None else None
    return await _change(info, await lifecycle.assign(await require_viewer(info), ref, version, user))


async def wait_work_item(info: strawberry.Info, ref: str, input: WaitInput, version: Optional[int] = None) -> WorkItemChange:
    outcome = await lifecycle.wait(
        await require_viewer(info), ref, version, input.wait_type, until=input.until, days_to_wait=input.days_to_wait,
        close_if_no_response=input.close_if_no_response, reason=input.reason,
    )
    return await _change(info, outcome)


async def resolve_work_item(info: strawberry.Info, ref: str, input: ResolveInput, version: Optional[int] = None) -> WorkItemChange:
    email = None
    if input.email is not None:
        email = ResolutionEmail(to=input.email.to, cc=input.email.cc, subject=input.email.subject, body=input.email.body)
    review = cases.ReviewDecision(
        reviewer_id=to_id(input.reviewer_id, "reviewerId") if input.reviewer_id is not None else None,
        outcome=input.review_outcome,
        comment=input.comment,
    )
    outcome = await lifecycle.resolve(
        await require_viewer(info), ref, version, input.method, reason=input.reason, note=input.note, email=email, review=review
    )
    return await _change(info, outcome)


async def reopen_work_item(
    info: strawberry.Info, ref: str, reason: Optional[str] = None, version: Optional[int] = None
) -> WorkItemChange:
    return await _change(info, await lifecycle.reopen(await require_viewer(info), ref, version, reason))


async def reject_work(info: strawberry.Info, ref: str, reason: Optional[str] = None, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await lifecycle.reject_work(await require_viewer(info), ref, version, reason))


async def get_next_work(info: strawberry.Info) -> Optional[WorkItem]:
    item = await lifecycle.get_next_work(await require_viewer(info))
    return WorkItem.from_model(item) if item else None


async def add_note(info: strawberry.Info, ref: str, input: NoteInput, version: Optional[int] = None) -> WorkItemChange:
    outcome = await lifecycle.add_note(
        await require_viewer(info), ref, version, input.body, is_public=input.is_public,
        mentions=to_ids(input.mention_user_ids, "mentionUserIds"),
    )
    return await _change(info, outcome)


async def mark_work_item_read(info: strawberry.Info, ref: str) -> WorkItemChange:
    return await _change(info, await lifecycle.mark_read(await require_viewer(info), ref, new=False))


async def mark_work_item_new(info: strawberry.Info, ref: str) -> WorkItemChange:
    return await _change(info, await lifecycle.mark_read(await require_viewer(info), ref, new=True))


async def merge_ticket(info: strawberry.Info, ref: str, into: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await tickets.merge(await require_viewer(info), ref, version, into))


async def split_ticket(
    info: strawberry.Info, ref: str, parts: list[SplitPartInput], version: Optional[int] = None
) -> WorkItemChange:
    split_parts = [tickets.Part(title=p.title, description=p.description) for p in parts]
    return await _change(info, await tickets.split(await require_viewer(info), ref, version, split_parts))


async def convert_ticket_to_case(
    info: strawberry.Info, ref: str, input: Optional[ConvertToCaseInput] = None, version: Optional[int] = None
) -> WorkItemChange:
    input = input or ConvertToCaseInput()
    case_type = to_id(input.case_type_id, "caseTypeId") if input.case_type_id is not None else None
    outcome = await tickets.convert_to_case(await require_viewer(info), ref, version, title=input.title, case_type_id=case_type)
    return await _change(info, outcome)


async def start_case(info: strawberry.Info, ref: str, input: StartCaseInput, version: Optional[int] = None) -> WorkItemChange:
    outcome = await cases.start_case(
        await require_viewer(info), ref, version, title=input.title,
        case_type_id=to_id(input.case_type_id, "caseTypeId") if input.case_type_id is not None else None,
        independent=input.independent, copy=[group.value for group in input.copy],
    )
    return await _change(info, outcome)


async def start_action(info: strawberry.Info, ref: str, input: StartActionInput, version: Optional[int] = None) -> WorkItemChange:
    outcome = await cases.start_action(
        await require_viewer(info), ref, version, title=input.title, kind=input.kind,
        queue_id=to_id(input.queue_id, "queueId") if input.queue_id is not None else None, copy_of_ref=input.copy_of,
    )
    return await _change(info, outcome)


async def rework_case(info: strawberry.Info, ref: str, step: int, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await cases.rework(await require_viewer(info), ref, version, step))


async def reset_case(info: strawberry.Info, ref: str, version: Optional[int] = None) -> WorkItemChange:
    return await _change(info, await cases.reset(await require_viewer(info), ref, version))


async def update_checklist(
    info: strawberry.Info, ref: str, items: list[ChecklistItemInput], version: Optional[int] = None
) -> WorkItemChange:
    entries = [{"label": i.label, "passed": i.passed, "note": i.note} for i in items]
    return await _change(info, await cases.update_checklist(await require_viewer(info), ref, version, entries))


async def mark_notifications_read(info: strawberry.Info, ids: Optional[list[strawberry.ID]] = None) -> int:
    viewer = await require_viewer(info)
    lifecycle.require_person(viewer, "have notifications")
    return await notification_actions.mark_read(viewer, to_ids(ids, "ids") if ids is not None else None)


async def notifications(info: strawberry.Info, unread_only: bool = False, first: int = 50) -> list[Notification]:
    rows = await notification_actions.listed(await require_viewer(info), unread_only=unread_only, first=page_size(first, info))
    return [Notification.from_model(n) for n in rows]


async def unread_notification_count(info: strawberry.Info) -> int:
    return await notification_actions.unread_count(await require_viewer(info))
