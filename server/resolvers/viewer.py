"""Resolvers of signing in and of who the viewer is, and of the organisation lists a client needs."""

from __future__ import annotations

from typing import Optional

import strawberry

from models import org as org_models
from server.domain import auth
from server.resolvers.context import client_address, optional_viewer, require_viewer
from server.schema.org import Category, Department, Team
from server.schema.viewer import LoginPayload, ViewerInfo


async def login(info: strawberry.Info, email: str, password: str) -> LoginPayload:
    signed_in = await auth.login(email, password, info.context.signer, client_address(info))
    return LoginPayload(token=signed_in.token, expires_at=signed_in.expires_at, viewer=ViewerInfo.from_domain(signed_in.viewer))


async def viewer(info: strawberry.Info) -> Optional[ViewerInfo]:
    current = await optional_viewer(info)
    return None if current is None else ViewerInfo.from_domain(current)


async def departments(info: strawberry.Info) -> list[Department]:
    """Departments the viewer may create work in: full access and public ones."""
    current = await require_viewer(info)
    if current.is_admin:
        rows = await org_models.Department.all().order_by("name")
    else:
        ids = sorted(current.department_ids | current.public_department_ids)
        rows = await org_models.Department.filter(id__in=ids).order_by("name")
    return [Department.from_model(d) for d in rows]


async def teams(info: strawberry.Info) -> list[Team]:
    current = await require_viewer(info)
    query = org_models.Team.all() if current.is_admin else org_models.Team.filter(id__in=sorted(current.team_ids))
    return [Team.from_model(t) for t in await query.order_by("name")]


async def categories(info: strawberry.Info) -> list[Category]:
    await require_viewer(info)
    return [Category.from_model(c) for c in await org_models.Category.filter(is_active=True).order_by("name")]
