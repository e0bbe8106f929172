"""Resolvers of the organisation administration: parse input, check who asks before anything
else, call server.domain.organisation, hand back its result (server.schema.org_admin maps it)."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from models.enums import Role
from server.domain.organisation import categories, companies, sessions, teams, users
from server.resolvers.context import require_viewer
from server.resolvers.inputs import provided, to_id, to_ids


def _opt_id(value: Any, field: str) -> Optional[int]:
    return None if value is None or value is strawberry.UNSET else to_id(value, field)


def _opt_ids(values: Any, field: str) -> Optional[list[int]]:
    return None if values is None or values is strawberry.UNSET else to_ids(values, field)


async def create_user(info: strawberry.Info, input: Any) -> users.UserChange:
    viewer = await require_viewer(info)
    users.require_admin(viewer)
    return await users.create_user(
        viewer, email=input.email, name=input.name, role=Role(input.role.value), password=input.password,
        invite=input.invite, language=input.language,
    )


async def update_user(info: strawberry.Info, id: strawberry.ID, input: Any) -> users.UserChange:
    viewer = await require_viewer(info)
    users.require_admin(viewer)
    given = {k: v for k, v in provided(input).items() if v is not None}
    if "role" in given:
        given["role"] = Role(given["role"].value)
    return users.UserChange(await users.update_user(viewer, to_id(id, "id"), **given))


async def set_user_active(info: strawberry.Info, id: strawberry.ID, active: bool) -> users.UserChange:
    viewer = await require_viewer(info)
    users.require_admin(viewer)
    return users.UserChange(await users.set_active(viewer, to_id(id, "id"), active))


async def invite_user(info: strawberry.Info, id: strawberry.ID) -> users.UserChange:
    viewer = await require_viewer(info)
    users.require_admin(viewer)
    return await users.invite(viewer, to_id(id, "id"))


async def accept_invitation(token: str, password: str):
    return await users.accept_invitation(token, password)


async def issue_robot_token(info: strawberry.Info, user_id: strawberry.ID) -> sessions.IssuedToken:
    viewer = await require_viewer(info)
    users.require_admin(viewer)
    return await users.issue_robot_token(viewer, to_id(user_id, "userId"), info.context.signer)


async def logout(info: strawberry.Info) -> bool:
    return await sessions.logout(await require_viewer(info))


async def user_sessions(info: strawberry.Info, user_id: strawberry.ID, include_ended: bool):
    viewer = await require_viewer(info)
    sessions.require_admin(viewer)
    return await sessions.user_sessions(viewer, to_id(user_id, "userId"), include_ended=include_ended)


async def revoke_user_sessions(info: strawberry.Info, user_id: strawberry.ID) -> int:
    viewer = await require_viewer(info)
    sessions.require_admin(viewer)
    return await sessions.revoke_user_sessions(viewer, to_id(user_id, "userId"))


async def create_company(info: strawberry.Info, name: str):
    viewer = await require_viewer(info)
    companies.require_admin(viewer)
    return await companies.create_company(viewer, name)


async def rename_company(info: strawberry.Info, id: strawberry.ID, name: str):
    viewer = await require_viewer(info)
    companies.require_admin(viewer)
    return await companies.rename_company(viewer, to_id(id, "id"), name)


async def delete_company(info: strawberry.Info, id: strawberry.ID) -> int:
    viewer = await require_viewer(info)
    companies.require_admin(viewer)
    return await companies.delete_company(viewer, to_id(id, "id"))


async def create_category(info: strawberry.Info, name: str):
    viewer = await require_viewer(info)
    categories.require_admin(viewer)
    return await categories.create_category(viewer, name)


async def update_category(info: strawberry.Info, id: strawberry.ID, name: Optional[str], active: Optional[bool]):
    viewer = await require_viewer(info)
    categories.require_admin(viewer)
    return await categories.update_category(viewer, to_id(id, "id"), name=name, active=active)


async def create_team(info: strawberry.Info, input: Any):
    viewer = await require_viewer(info)
    teams.require_team_manager(viewer)
    return await teams.create_team(
        viewer, input.name, to_ids(input.member_ids or (), "memberIds"), _opt_ids(input.leader_ids, "leaderIds")
    )


async def update_team(info: strawberry.Info, id: strawberry.ID, input: Any):
    viewer = await require_viewer(info)
    teams.require_team_manager(viewer)
    name = input.name if input.name is not strawberry.UNSET else None
    return await teams.update_team(
        viewer, to_id(id, "id"), name=name,
        member_ids=_opt_ids(input.member_ids, "memberIds"), leader_ids=_opt_ids(input.leader_ids, "leaderIds"),
    )


async def create_queue(info: strawberry.Info, input: Any):
    viewer = await require_viewer(info)
    teams.require_team_manager(viewer)
    return await teams.create_queue(viewer, to_id(input.team_id, "teamId"), input.name, to_id(input.department_id, "departmentId"))


async def update_queue(info: strawberry.Info, id: strawberry.ID, input: Any):
    viewer = await require_viewer(info)
    teams.require_team_manager(viewer)
    name = input.name if input.name is not strawberry.UNSET else None
    return await teams.update_queue(viewer, to_id(id, "id"), name=name, department_id=_opt_id(input.department_id, "departmentId"))
