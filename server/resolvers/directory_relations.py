"""The organisation types' related fields (server/schema/org.py) as rows: the viewer's directory
scope (server/domain/directory.py) is worked out once per operation, and a page's relations load in
one batch per kind (DataLoaders)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import strawberry
from strawberry.dataloader import DataLoader

from models.org import Department, Queue, Team, User
from server.domain import directory
from server.domain.team_bar import Presence
from server.resolvers.context import loaders, require_viewer, scope_of


async def directory_scope(info: strawberry.Info) -> directory.Scope:
    held = scope_of(info).directory
    if "scope" not in held:
        held["scope"] = directory.scope(await require_viewer(info))
    return held["scope"]


async def _load(info: strawberry.Info, name: str, load: Callable[[directory.Scope, list[int]], Awaitable[dict[int, Any]]], key: int) -> Any:
    await directory_scope(info)
    held = scope_of(info).directory
    if name not in held:
        async def batch(keys: list[int]) -> list[Any]:
            found = await load(held["scope"], keys)
            return [found[k] for k in keys]

        held[name] = DataLoader(load_fn=batch)
    return await held[name].load(key)


async def _presences(_: directory.Scope, user_ids: list[int]) -> dict[int, Presence]:
    return await directory.presences(user_ids)


async def user_teams(info: strawberry.Info, user_id: int) -> list[Team]:
    return await _load(info, "user_teams", directory.teams_of_users, user_id)


async def user_departments(info: strawberry.Info, user_id: int) -> list[Department]:
    return await _load(info, "user_departments", directory.departments_of_users, user_id)


async def user_presence(info: strawberry.Info, user_id: int) -> Presence:
    return await _load(info, "presence", _presences, user_id)


async def user_is_active(info: strawberry.Info, user_id: int) -> bool:
    row = await loaders(info).get(User, user_id)
    return bool(row and row.is_active)


async def team_members(info: strawberry.Info, team_id: int) -> list[User]:
    return (await _load(info, "team_people", directory.people_of_teams, team_id))[0]


async def team_leaders(info: strawberry.Info, team_id: int) -> list[User]:
    return (await _load(info, "team_people", directory.people_of_teams, team_id))[1]


async def team_queues(info: strawberry.Info, team_id: int) -> list[Queue]:
    return await _load(info, "team_queues", directory.queues_of_teams, team_id)


async def team(info: strawberry.Info, team_id: int) -> Team:
    row = await loaders(info).get(Team, team_id)
    assert row is not None  # a queue's team is restricted from deletion
    return row


async def department(info: strawberry.Info, department_id: int) -> Department:
    row = await loaders(info).get(Department, department_id)
    assert row is not None  # likewise its department
    return row
