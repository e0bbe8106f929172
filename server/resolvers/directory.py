"""Resolvers of the look-ups (server/schema/directory.py); the organisation types' related fields
load through server/resolvers/directory_relations.py."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from server.domain import directory
from server.resolvers.directory_relations import directory_scope as _scope
from server.resolvers.inputs import page_size, to_id
from server.schema.org import Queue, Team, User
from server.schema.work_items import PageInfo

# kind → (edge, connection, node type); filled by server/schema/directory.py
CONNECTIONS: dict[str, tuple[type, type, Any]] = {}


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


async def case_types(info, search, first, after, active=None) -> Any:
    return _connection("case_type", await directory.case_types(await _scope(info), _search(info, search, first, after), active))


async def user(info: strawberry.Info, id: strawberry.ID) -> User:
    return User.from_model(await directory.get_user(await _scope(info), to_id(id, "id")))


async def team(info: strawberry.Info, id: strawberry.ID) -> Team:
    return Team.from_model(await directory.get_team(await _scope(info), to_id(id, "id")))


async def queue(info: strawberry.Info, id: strawberry.ID) -> Queue:
    return Queue.from_model(await directory.get_queue(await _scope(info), to_id(id, "id")))
