"""Resolvers of contacts: parse input, call server.domain.contacts, hand back its rows."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.dataloader import DataLoader

from models.contact import Contact
from server.domain import contacts
from server.domain.contacts import activity
from server.domain.contacts.changes import Deletion, require_writer
from server.domain.viewer import Viewer
from server.resolvers.context import loaders, require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, provided, to_id, to_ids

KIND = "contact"
ACTIVITY = "activity"


def cursor(contact_id: int) -> str:
    return encode_cursor(KIND, contact_id)


def _values(input: Any) -> dict[str, Any]:
    values = provided(input)
    if "time_zone" in values:
        values["timezone"] = values.pop("time_zone")
    if "company_id" in values:
        values["company_id"] = to_id(values["company_id"], "companyId") if values["company_id"] is not None else None
    return values


async def contacts_page(info: strawberry.Info, search, company_id, world, tag, test_mode, first, after) -> contacts.Page:
    viewer = await require_viewer(info)
    return await contacts.page(
        viewer,
        search=search,
        company_id=to_id(company_id, "companyId") if company_id is not None else None,
        world=world,
        tag=tag,
        test_mode=test_mode,
        first=page_size(first, info),
        after=decode_cursor(after, KIND) if after is not None else None,
    )


async def contact(info: strawberry.Info, id: strawberry.ID) -> Contact:
    return await contacts.get(await require_viewer(info), to_id(id, "id"))


async def create_contact(info: strawberry.Info, input: Any, test_mode: bool) -> Contact:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.create(viewer, _values(input), test_mode=test_mode)


async def update_contact(info: strawberry.Info, id: strawberry.ID, input: Any) -> Contact:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.update(viewer, to_id(id, "id"), _values(input))


async def bulk_update_contacts(info: strawberry.Info, ids: list[strawberry.ID], input: Any) -> list[Contact]:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.update_many(viewer, to_ids(ids, "ids"), _values(input))


async def add_contact_tags(info: strawberry.Info, ids: list[strawberry.ID], tags: list[str]) -> list[Contact]:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.add_tags(viewer, to_ids(ids, "ids"), tags)


async def remove_contact_tags(info: strawberry.Info, ids: list[strawberry.ID], tags: list[str]) -> list[Contact]:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.remove_tags(viewer, to_ids(ids, "ids"), tags)


async def delete_contacts(info: strawberry.Info, ids: list[strawberry.ID]) -> Deletion:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.delete_many(viewer, to_ids(ids, "ids"))


def _activity_loader(info: strawberry.Info, viewer: Viewer) -> DataLoader:
    """Pages keyed by (contact id, first, before): the contacts asking for the same page load
    together (server/domain/contacts/activity.py)."""
    operation = loaders(info)
    if operation.contact_activity is None:
        async def load(keys: list[tuple[int, int, int | None]]) -> list[activity.ActivityPage]:
            found: dict[tuple[int, int, int | None], activity.ActivityPage] = {}
            for first, before in {(f, b) for _, f, b in keys}:
                pages = await activity.pages(viewer, [c for c, f, b in keys if (f, b) == (first, before)], first, before)
                found.update({(c, first, before): p for c, p in pages.items()})
            return [found[k] for k in keys]

        operation.contact_activity = DataLoader(load_fn=load)
    return operation.contact_activity


async def contact_activity(info: strawberry.Info, contact_id: int, first: int, after: Optional[str]):
    """A contact's work items the viewer may see, newest first, as a work item connection."""
    from server.schema.work_items import PageInfo, WorkItem, WorkItemConnection, WorkItemEdge, prefetch_rows

    viewer = await require_viewer(info)
    before = decode_cursor(after, ACTIVITY) if after is not None else None
    page = await _activity_loader(info, viewer).load((contact_id, page_size(first, info), before))
    await prefetch_rows(info, page.items, ("edges", "node"))
    edges = [WorkItemEdge(cursor=encode_cursor(ACTIVITY, row.id), node=WorkItem.from_model(row)) for row in page.items]
    return WorkItemConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))
