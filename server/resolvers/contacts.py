"""Resolvers of contacts: parse input, call server.domain.contacts, hand back its rows."""

from __future__ import annotations

from typing import Any

import strawberry

from models.contact import Contact
from server.domain import contacts
from server.domain.contacts.changes import Deletion, require_writer
from server.resolvers.context import require_viewer
from server.resolvers.inputs import decode_cursor, encode_cursor, page_size, provided, to_id, to_ids

KIND = "contact"


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


async def delete_contacts(info: strawberry.Info, ids: list[strawberry.ID]) -> Deletion:
    viewer = await require_viewer(info)
    require_writer(viewer)
    return await contacts.delete_many(viewer, to_ids(ids, "ids"))
