"""Presenting timeline entries: who acted, which item they belong to."""

from __future__ import annotations

import strawberry

from models.auth import ApiKey
from models.contact import Contact
from models.org import User
from models.timeline import TimelineEntry as TimelineEntryModel
from server.resolvers.context import loaders
from server.schema.timeline import Actor, TimelineEntry


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
