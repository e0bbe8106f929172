"""Resolvers of the self-service portal: parse → server/domain/portal → map (SPEC §7)."""

from __future__ import annotations

import base64
from typing import Any, Optional

import strawberry

from models.contact import Contact
from models.enums import Status as StatusModel
from models.org import Category as CategoryModel
from models.org import ContactGroup as ContactGroupModel
from models.portal import PortalFeedback
from models.portal import PortalRoute as PortalRouteModel
from models.work_item import WorkItem as WorkItemModel
from server.domain import portal, visibility
from server.domain.portal.tickets import may_give_feedback
from server.domain.portal.views import PublicEntry
from server.resolvers.context import loaders, require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, to_id
from server.schema.org import Category
from server.schema.portal import (
    ContactGroup,
    PortalFeedbackInfo,
    PortalFile,
    PortalFileContent,
    PortalFileInput,
    PortalReplyPayload,
    PortalRoute,
    PortalTicket,
    PortalTicketConnection,
    PortalTicketEdge,
    PortalTimelineEntry,
    SubmitPortalTicketInput,
)
from server.schema.work_items.connection import PageInfo
from server.schema.work_items.enums import Status

CURSOR = "PortalTicket"


async def _files(values: list[PortalFileInput]) -> list[portal.NewFile]:
    files = []
    for value in values:
        upload: Any = value.file  # starlette's UploadFile
        files.append(portal.NewFile(filename=upload.filename or "attachment", content=await upload.read(),
                                    content_type=upload.content_type or "application/octet-stream"))
    return files


async def to_tickets(items: list[WorkItemModel]) -> list[PortalTicket]:
    """Portal tickets for items already checked, in three queries for them all."""
    if not items:
        return []
    categories = {c.id: c for c in await CategoryModel.filter(id__in={i.category_id for i in items if i.category_id})}
    requesters = dict(await Contact.filter(id__in={i.requester_id for i in items if i.requester_id}).values_list("id", "name"))
    feedback = {f.work_item_id: f for f in await PortalFeedback.filter(work_item_id__in=[i.id for i in items])}
    return [
        PortalTicket(
            ref=i.ref, title=i.title, description=i.description, status=Status(i.status.value),
            category=Category.from_model(categories[i.category_id]) if i.category_id in categories else None,
            requester_name=requesters.get(i.requester_id), created_at=i.created_at, updated_at=i.updated_at,
            can_give_feedback=may_give_feedback(i) and i.id not in feedback,
            feedback=PortalFeedbackInfo(rating=feedback[i.id].rating, comment=feedback[i.id].comment, at=feedback[i.id].at) if i.id in feedback else None,
            item_id=i.id,
        )
        for i in items
    ]


async def to_ticket(item: WorkItemModel) -> PortalTicket:
    return (await to_tickets([item]))[0]


def to_entry(entry: PublicEntry) -> PortalTimelineEntry:
    return PortalTimelineEntry(
        id=strawberry.ID(str(entry.id)), kind=entry.kind, at=entry.at, author_name=entry.author_name,
        from_requester=entry.from_requester, subject=entry.subject, body=entry.body, rating=entry.rating,
        attachments=[PortalFile(id=strawberry.ID(str(f.id)), filename=f.filename, content_type=f.content_type, size=f.size) for f in entry.files],
    )


async def ticket_timeline(info: strawberry.Info, item_id: int) -> list[PortalTimelineEntry]:
    return [to_entry(e) for e in await loaders(info).portal_timelines.load(item_id)]


async def portal_tickets(
    info: strawberry.Info, status: Optional[list[Status]] = None, first: int = 20, after: Optional[str] = None
) -> PortalTicketConnection:
    viewer = await require_viewer(info)
    size = page_size(first, info)
    after_id = decode_cursor(after, CURSOR, "after") if after is not None else None
    statuses = [StatusModel(s.value) for s in status] if status else None
    rows, more = await portal.tickets(viewer, statuses, size, after_id)
    nodes = await to_tickets(rows)
    edges = [PortalTicketEdge(cursor=encode_cursor(CURSOR, row.id), node=node) for row, node in zip(rows, nodes)]
    return PortalTicketConnection(edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None))


async def portal_ticket(info: strawberry.Info, ref: str) -> PortalTicket:
    return await to_ticket(await visibility.get_portal_ticket(await require_viewer(info), ref))


async def portal_attachment(info: strawberry.Info, attachment_id: strawberry.ID) -> PortalFileContent:
    found = await portal.attachment(await require_viewer(info), to_id(attachment_id, "attachmentId"))
    content = bytes(found.content)
    return PortalFileContent(id=attachment_id, filename=found.filename, content_type=found.content_type, size=len(content),
                             base64=base64.b64encode(content).decode("ascii"))


async def submit_portal_ticket(info: strawberry.Info, input: SubmitPortalTicketInput) -> PortalTicket:
    viewer = await require_viewer(info)
    item = await portal.submit(viewer, input.title, input.description, to_id(input.category_id, "categoryId"), await _files(input.attachments))
    return await to_ticket(item)


async def reply_to_portal_ticket(
    info: strawberry.Info, ref: str, body: str, attachments: Optional[list[PortalFileInput]] = None
) -> PortalReplyPayload:
    viewer = await require_viewer(info)
    item, entry = await portal.reply(viewer, ref, body, await _files(attachments or []))
    shown = next(e for e in await portal.public_timeline(item) if e.id == entry.id)
    return PortalReplyPayload(ticket=await to_ticket(item), entry=to_entry(shown))


async def give_portal_feedback(info: strawberry.Info, ref: str, rating: int, comment: Optional[str] = None) -> PortalTicket:
    item, _ = await portal.give_feedback(await require_viewer(info), ref, rating, comment)
    return await to_ticket(item)


def _route(row: PortalRouteModel) -> PortalRoute:
    return PortalRoute(company_id=strawberry.ID(str(row.company_id)) if row.company_id else None, queue_id=strawberry.ID(str(row.queue_id)))


def _group(row: ContactGroupModel) -> ContactGroup:
    return ContactGroup(id=strawberry.ID(str(row.id)), name=row.name, sees_company_items=row.sees_company_items)


async def portal_routes(info: strawberry.Info) -> list[PortalRoute]:
    portal.settings.require_portal_admin(await require_viewer(info))
    return [_route(r) for r in await PortalRouteModel.all().order_by("id")]


async def contact_groups(info: strawberry.Info) -> list[ContactGroup]:
    portal.settings.require_portal_admin(await require_viewer(info))
    return [_group(g) for g in await ContactGroupModel.all().order_by("name")]


async def set_portal_route(info: strawberry.Info, queue_id: Optional[strawberry.ID], company_id: Optional[strawberry.ID] = None) -> Optional[PortalRoute]:
    row = await portal.set_portal_route(
        await require_viewer(info), to_id(company_id, "companyId") if company_id is not None else None,
        to_id(queue_id, "queueId") if queue_id is not None else None,
    )
    return _route(row) if row is not None else None


async def create_contact_group(info: strawberry.Info, name: str, sees_company_items: bool = False) -> ContactGroup:
    return _group(await portal.create_contact_group(await require_viewer(info), name, sees_company_items))


async def update_contact_group(
    info: strawberry.Info, id: strawberry.ID, name: Optional[str] = None, sees_company_items: Optional[bool] = None
) -> ContactGroup:
    return _group(await portal.update_contact_group(await require_viewer(info), to_id(id, "id"), name, sees_company_items))
