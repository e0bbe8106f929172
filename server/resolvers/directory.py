"""Resolvers of the look-ups (server/schema/directory.py) and of the organisation types' related
fields: the viewer's directory scope (server/domain/directory.py) is worked out once per
operation, and a page's relations load in one batch per kind (DataLoaders)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

import strawberry
from strawberry.dataloader import DataLoader

from models.org import Department as DepartmentModel
from models.org import Team as TeamModel
from models.org import User as UserModel
from server.domain import directory
from server.resolvers.context import loaders, require_viewer, scope_of
from server.resolvers.inputs import page_size, to_id
from server.schema.org import Department, Queue, Team, User
from server.schema.work_items import PageInfo

# kind → (edge, connection, node type); filled by server/schema/directory.py
CONNECTIONS: dict[str, tuple[type, type, Any]] = {}


async def _scope(info: strawberry.Info) -> directory.Scope:
    held = scope_of(info).directory
    if "scope" not in held:
        held["scope"] = directory.scope(await require_viewer(info))
    return held["scope"]


def _loader(info: strawberry.Info, name: str, load: Callable[[directory.Scope, list[int]], Awaitable[dict[int, Any]]]) -> DataLoader:
    held = scope_of(info).directory
    if name not in held:
        async def batch(keys: list[int]) -> list[Any]:
            found = await load(held["scope"], keys)
            return [found[k] for k in keys]

        held[name] = DataLoader(load_fn=batch)
    return held[name]


def _optional_id(value: Optional[strawberry.ID], field: str) -> Optional[int]:
    return None if value is None else to_id(value, field)


def _connection(kind: str, page: directory.Page) -> Any:
    edge, connection, node = CONNECTIONS[kind]
    edges = [edge(cursor=page.cursor(row), node=node.from_model(row)) for row in page.rows]
    return connection(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


def _search(info: strawberry.Info, search: Optional[str], first: int, after: Optional[str]) -> directory.Search:
    return directory.Search(search, page_size(first, info), after)


# -------------------------------------------------------------------------------------- look-ups


async def users(info, search, role, team_id, department_id, active, first, after) -> Any:
    filters = directory.UserFilter(role, _optional_id(team_id, "teamId"), _optional_id(department_id, "departmentId"), active)
    s = await _scope(info)
    return _connection("user", await directory.users(s, _search(info, search, first, after), filters))


async def teams(info, search, member_id, first, after) -> Any:
    s = await _scope(info)
    return _connection("team", await directory.teams(s, _search(info, search, first, after), _optional_id(member_id, "memberId")))


async def queues(info, search, team_id, department_id, first, after) -> Any:
    s = await _scope(info)
    page = await directory.queues(s, _search(info, search, first, after), _optional_id(team_id, "teamId"), _optional_id(department_id, "departmentId"))
    return _connection("queue", page)


async def departments(info, search, first, after) -> Any:
    return _connection("department", await directory.departments(await _scope(info), _search(info, search, first, after)))


async def companies(info, search, first, after) -> Any:
    return _connection("company", await directory.companies(await _scope(info), _search(info, search, first, after)))


async def categories(info, search, first, after) -> Any:
    return _connection("category", await directory.categories(await _scope(info), _search(info, search, first, after)))


async def case_types(info, search, first, after) -> Any:
    return _connection("case_type", await directory.case_types(await _scope(info), _search(info, search, first, after)))


async def user(info: strawberry.Info, id: strawberry.ID) -> User:
    return User.from_model(await directory.get_user(await _scope(info), to_id(id, "id")))


async def team(info: strawberry.Info, id: strawberry.ID) -> Team:
    return Team.from_model(await directory.get_team(await _scope(info), to_id(id, "id")))


async def queue(info: strawberry.Info, id: strawberry.ID) -> Queue:
    return Queue.from_model(await directory.get_queue(await _scope(info), to_id(id, "id")))


# ------------------------------------------------------------------------------------- relations


async def user_teams(info: strawberry.Info, user_id: int) -> list[Team]:
    await _scope(info)
    rows = await _loader(info, "user_teams", directory.teams_of_users).load(user_id)
    return [Team.from_model(t) for t in rows]


async def user_departments(info: strawberry.Info, user_id: int) -> list[Department]:
    await _scope(info)
    rows = await _loader(info, "user_departments", directory.departments_of_users).load(user_id)
    return [Department.from_model(d) for d in rows]


async def user_presence(info: strawberry.Info, user_id: int) -> Any:
    await _scope(info)
    return await _loader(info, "presence", lambda s, ids: directory.presences(ids)).load(user_id)


async def user_is_active(info: strawberry.Info, user_id: int) -> bool:
    row = await loaders(info).get(UserModel, user_id)
    return bool(row and row.is_active)


async def _people(info: strawberry.Info, team_id: int) -> tuple[list[Any], list[Any]]:
    await _scope(info)
    return await _loader(info, "team_people", directory.people_of_teams).load(team_id)


async def team_members(info: strawberry.Info, team_id: int) -> list[User]:
    return [User.from_model(u) for u in (await _people(info, team_id))[0]]


async def team_leaders(info: strawberry.Info, team_id: int) -> list[User]:
    return [User.from_model(u) for u in (await _people(info, team_id))[1]]


async def team_queues(info: strawberry.Info, team_id: int) -> list[Queue]:
    await _scope(info)
    return [Queue.from_model(q) for q in await _loader(info, "team_queues", directory.queues_of_teams).load(team_id)]


async def queue_team(info: strawberry.Info, team_id: int) -> Team:
    row = await loaders(info).get(TeamModel, team_id)
    assert row is not None  # a queue's team is restricted from deletion
    return Team.from_model(row)


async def queue_department(info: strawberry.Info, department_id: int) -> Department:
    row = await loaders(info).get(DepartmentModel, department_id)
    assert row is not None
    return Department.from_model(row)
