"""Resolvers of the unhandled and blocked messages and of a message's source."""

from __future__ import annotations

import base64
from typing import Optional

import strawberry

from models.email import Email, Mailbox
from server.domain import mail_access, unhandled_mail
from server.resolvers.context import require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, to_id
from server.schema.unhandled_mail import EmailAttachmentContent, EmailSource, HeldEmail, HeldEmailConnection, HeldEmailEdge, HeldMailKind
from server.schema.work_items import PageInfo, WorkItem, WorkItemType

CURSOR_KIND = "HeldEmail"


async def _present(rows: list[Email]) -> list[HeldEmail]:
    mailboxes = dict(await Mailbox.filter(id__in={r.mailbox_id for r in rows if r.mailbox_id}).values_list("id", "address"))
    return [
        HeldEmail(
            id=strawberry.ID(str(r.id)), subject=r.subject, from_address=r.from_address, from_name=r.from_name,
            to=list(r.to_addresses or []), cc=list(r.cc_addresses or []), received_at=r.received_at, error=r.parse_error,
            automatic=r.auto_reply_reason, mailbox_address=mailboxes.get(r.mailbox_id),
            size=len(r.raw_message) if r.raw_message else None,
        )
        for r in rows
    ]


async def held_emails(info: strawberry.Info, kind: HeldMailKind = HeldMailKind.UNHANDLED, first: int = 50, after: Optional[str] = None) -> HeldEmailConnection:
    query = unhandled_mail.listed(await require_viewer(info), kind.value)
    size = page_size(first, info)
    if after is not None:
        query = query.filter(id__lt=decode_cursor(after, CURSOR_KIND))
    rows = await query.limit(size + 1)
    nodes = await _present(rows[:size])
    edges = [HeldEmailEdge(cursor=encode_cursor(CURSOR_KIND, int(n.id)), node=n) for n in nodes]
    return HeldEmailConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


async def email_source(info: strawberry.Info, email_id: strawberry.ID) -> EmailSource:
    raw = await mail_access.source(await require_viewer(info), to_id(email_id, "emailId"))
    return EmailSource(email_id=email_id, base64=base64.b64encode(raw).decode("ascii"), size=len(raw))


async def email_attachment(info: strawberry.Info, attachment_id: strawberry.ID) -> EmailAttachmentContent:
    found = await mail_access.attachment(await require_viewer(info), to_id(attachment_id, "attachmentId"))
    content = bytes(found.content)
    return EmailAttachmentContent(id=attachment_id, filename=found.filename, content_type=found.content_type, size=len(content),
                                  base64=base64.b64encode(content).decode("ascii"))


async def _item_or_none(email: Email) -> Optional[WorkItem]:
    from models.work_item import WorkItem as WorkItemModel

    item = await WorkItemModel.get_or_none(id=email.work_item_id) if email.work_item_id else None
    return WorkItem.from_model(item) if item is not None else None


async def route_held_email(info: strawberry.Info, email_id: strawberry.ID, department_id: strawberry.ID,
                           queue_id: Optional[strawberry.ID] = None, address: Optional[str] = None) -> Optional[WorkItem]:
    email = await unhandled_mail.route(await require_viewer(info), to_id(email_id, "emailId"), to_id(department_id, "departmentId"),
                                       to_id(queue_id, "queueId") if queue_id is not None else None, address)
    return await _item_or_none(email)


async def open_work_item_from_email(info: strawberry.Info, email_id: strawberry.ID, department_id: strawberry.ID,
                                    queue_id: Optional[strawberry.ID] = None, type: WorkItemType = WorkItemType.TICKET,
                                    case_type_id: Optional[strawberry.ID] = None) -> WorkItem:
    item = await unhandled_mail.open_item(
        await require_viewer(info), to_id(email_id, "emailId"), to_id(department_id, "departmentId"),
        to_id(queue_id, "queueId") if queue_id is not None else None, type, to_id(case_type_id, "caseTypeId") if case_type_id is not None else None,
    )
    return WorkItem.from_model(item)


async def reject_held_email(info: strawberry.Info, email_id: strawberry.ID, department_id: strawberry.ID) -> WorkItem:
    return WorkItem.from_model(await unhandled_mail.reject(await require_viewer(info), to_id(email_id, "emailId"), to_id(department_id, "departmentId")))


async def reprocess_held_email(info: strawberry.Info, email_id: strawberry.ID) -> Optional[WorkItem]:
    return await _item_or_none(await unhandled_mail.reprocess(await require_viewer(info), to_id(email_id, "emailId")))


async def restore_blocked_email(info: strawberry.Info, email_id: strawberry.ID) -> Optional[WorkItem]:
    return await _item_or_none(await unhandled_mail.restore(await require_viewer(info), to_id(email_id, "emailId")))
