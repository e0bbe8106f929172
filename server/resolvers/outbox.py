"""Resolvers of the outbox: one view of it, and the actions on its emails."""

from __future__ import annotations

from typing import Optional

import strawberry
from tortoise.functions import Count

from models.email import Email, EmailAttachment, EmailRecipient, SmtpConnector
from models.org import User
from models.work_item import WorkItem as WorkItemModel
from server.domain import outbox_actions, outbox_views
from server.resolvers.context import require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, to_ids
from server.schema.outbox import Outbox, OutboxEmail, OutboxEmailEdge, OutboxRecipient, OutboxView
from server.schema.work_items import PageInfo

CURSOR_KIND = "OutboxEmail"


async def present(rows: list[Email]) -> list[OutboxEmail]:
    """The rows as the outbox shows them: five queries for a whole page, whatever its size."""
    ids = [row.id for row in rows]
    items = {i.id: i for i in await WorkItemModel.filter(id__in={r.work_item_id for r in rows if r.work_item_id})}
    connectors = dict(await SmtpConnector.filter(id__in={r.connector_id for r in rows if r.connector_id}).values_list("id", "name"))
    people = {r.created_by_id for r in rows} | {r.scheduled_by_id for r in rows}
    names = dict(await User.filter(id__in={p for p in people if p}).values_list("id", "name"))
    recipients: dict[int, list[OutboxRecipient]] = {i: [] for i in ids}
    for r in await EmailRecipient.filter(email_id__in=ids).order_by("id") if ids else []:
        recipients[r.email_id].append(OutboxRecipient(address=r.address, kind=r.kind.value, status=r.status, code=r.code, message=r.message))
    counts = dict(
        await EmailAttachment.filter(email_id__in=ids).group_by("email_id").annotate(n=Count("id")).values_list("email_id", "n")
    ) if ids else {}
    presented = []
    for row in rows:
        item = items.get(row.work_item_id) if row.work_item_id else None
        presented.append(OutboxEmail(
            id=strawberry.ID(str(row.id)), status=row.status, to=list(row.to_addresses or []), cc=list(row.cc_addresses or []),
            subject=row.subject, connector_name=connectors.get(row.connector_id), importance=row.importance,
            system_generated=row.system_generated, created_at=row.created_at, created_by_name=names.get(row.created_by_id),
            scheduled_for=row.scheduled_for, scheduled_by_name=names.get(row.scheduled_by_id), last_attempt_at=row.last_attempt_at,
            error=row.last_error, first_failed_at=row.first_failed_at, next_attempt_at=row.next_attempt_at, attempts=row.attempts,
            attachment_count=counts.get(row.id, 0), work_item_ref=item.ref if item else None, work_item_type=item.type if item else None,
            sent_at=row.sent_at, recipients=recipients[row.id],
        ))
    return presented


async def outbox(info: strawberry.Info, view: Optional[OutboxView] = None, first: int = 50, after: Optional[str] = None) -> Outbox:
    viewer = await require_viewer(info)
    size = page_size(first, info)
    chosen = view if view is not None else await outbox_views.view_of(viewer)
    emails = outbox_views.in_view(viewer, chosen)
    if after is not None:
        emails = emails.filter(id__lt=decode_cursor(after, CURSOR_KIND))
    rows = await emails.limit(size + 1)
    page = await present(rows[:size])
    edges = [OutboxEmailEdge(cursor=encode_cursor(CURSOR_KIND, int(e.id)), node=e) for e in page]
    return Outbox(view=chosen, edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


async def _presented(rows: list[Email]) -> list[OutboxEmail]:
    return await present(await Email.filter(id__in=[r.id for r in rows]).order_by("-id"))


async def set_outbox_view(info: strawberry.Info, view: OutboxView) -> OutboxView:
    await outbox_views.remember(await require_viewer(info), view)
    return view


async def cancel_emails(info: strawberry.Info, email_ids: list[strawberry.ID]) -> list[OutboxEmail]:
    return await _presented(await outbox_actions.cancel(await require_viewer(info), to_ids(email_ids, "emailIds")))


async def retry_emails(info: strawberry.Info, email_ids: list[strawberry.ID]) -> list[OutboxEmail]:
    return await _presented(await outbox_actions.retry(await require_viewer(info), to_ids(email_ids, "emailIds")))


async def send_emails_now(info: strawberry.Info, email_ids: list[strawberry.ID]) -> list[OutboxEmail]:
    return await _presented(await outbox_actions.send_now(await require_viewer(info), to_ids(email_ids, "emailIds")))
