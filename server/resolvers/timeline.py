"""Presenting timeline entries (who acted, which item they belong to) and a work item's timeline."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Iterable, Optional

import strawberry

from models.auth import ApiKey
from models.contact import Contact
from models.enums import TimelineKind
from models.org import User
from models.timeline import TimelineEntry as TimelineEntryModel
from models.work_item import WorkItem as WorkItemModel
from server.domain import timeline_query
from server.domain.errors import ValidationError
from server.resolvers.context import loaders, require_viewer
from server.resolvers.inputs import page_size, to_db_int
from server.schema.timeline import Actor, TimelineConnection, TimelineEdge, TimelineEntry
from server.schema.work_items import PageInfo

_CURSOR_KIND = "TimelineEntry"


async def actor_of(info: strawberry.Info, row: TimelineEntryModel) -> Actor:
    load = loaders(info)
    if row.actor_user_id is not None:
        user = await load.get(User, row.actor_user_id)
        return Actor(kind="USER", id=strawberry.ID(str(row.actor_user_id)), name=user.name if user else "")
    if row.actor_contact_id is not None:
        contact = await load.get(Contact, row.actor_contact_id)
        return Actor(kind="CONTACT", id=strawberry.ID(str(row.actor_contact_id)), name=(contact.name or contact.email) if contact else "")
    if row.actor_api_key_id is not None:
        key = await load.get(ApiKey, row.actor_api_key_id)
        return Actor(kind="API_KEY", id=strawberry.ID(str(row.actor_api_key_id)), name=key.name if key else "")
    return Actor(kind="SYSTEM", id=None, name="Switchboard")


async def present_entry(info: strawberry.Info, row: TimelineEntryModel, work_item_ref: str) -> TimelineEntry:
    return TimelineEntry.from_model(row, work_item_ref, await actor_of(info, row))


def encode_position(position: timeline_query.Position) -> str:
    created_at, entry_id = position
    return base64.urlsafe_b64encode(f"{_CURSOR_KIND}:{created_at.isoformat()}|{entry_id}".encode()).decode()


def decode_position(cursor: str, field: str = "after") -> timeline_query.Position:
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        created_at, _, entry_id = key.partition("|")
        if prefix != _CURSOR_KIND:
            raise ValueError
        position = datetime.fromisoformat(created_at), to_db_int(entry_id, field)
        if position[0].tzinfo is None:
            raise ValueError
        return position
    except (ValueError, UnicodeDecodeError):
        raise ValidationError.single(field, f"{field} is not a cursor this list gave out") from None


async def work_item_timeline(
    info: strawberry.Info,
    item: WorkItemModel,
    *,
    kinds: Optional[Iterable[TimelineKind]],
    include_related: Optional[bool],
    show_system_generated: bool,
    first: int,
    after: Optional[str],
) -> TimelineConnection:
    viewer = await require_viewer(info)
    size = page_size(first, info)
    position = decode_position(after) if after is not None else None
    timeline = await timeline_query.timeline_of(
        viewer, item, kinds=kinds or (), include_related=include_related, show_system_generated=show_system_generated
    )
    page = await timeline.page(size, position)
    nodes = await asyncio.gather(*(present_entry(info, row, timeline.ref_of(row)) for row in page.entries))
    edges = [
        TimelineEdge(cursor=encode_position(timeline_query.position_of(row)), node=node)
        for row, node in zip(page.entries, nodes)
    ]
    return TimelineConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        timeline=timeline,
    )
