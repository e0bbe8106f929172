"""Resolvers of API key administration: parse input, call server.domain.api_keys, hand back its result
(server.schema.api_keys maps it to GraphQL types)."""

from __future__ import annotations

from typing import Iterable

import strawberry

from models.auth import ApiKey
from server.domain import api_keys
from server.domain.api_keys import IssuedApiKey
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id, to_ids


async def list_api_keys(info: strawberry.Info) -> list[ApiKey]:
    return await api_keys.api_keys(await require_viewer(info))


async def create_api_key(info: strawberry.Info, name: str, department_ids: Iterable[strawberry.ID], can_write: bool) -> IssuedApiKey:
    viewer = await require_viewer(info)
    api_keys.require_admin(viewer)  # before any input is looked at
    return await api_keys.create(viewer, name, to_ids(department_ids, "departmentIds"), can_write=can_write)


async def revoke_api_key(info: strawberry.Info, id: strawberry.ID) -> ApiKey:
    viewer = await require_viewer(info)
    api_keys.require_admin(viewer)
    return await api_keys.revoke(viewer, to_id(id, "id"))
