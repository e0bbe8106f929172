"""Resolvers of signing in and of who the viewer is (the organisation look-ups: server/resolvers/directory.py)."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain import auth
from server.resolvers.context import client_address, optional_viewer
from server.schema.viewer import LoginPayload, ViewerInfo


async def login(info: strawberry.Info, email: str, password: str) -> LoginPayload:
    signed_in = await auth.login(email, password, info.context.signer, client_address(info))
    return LoginPayload(token=signed_in.token, expires_at=signed_in.expires_at, viewer=ViewerInfo.from_domain(signed_in.viewer))


async def viewer(info: strawberry.Info) -> Optional[ViewerInfo]:
    current = await optional_viewer(info)
    return None if current is None else ViewerInfo.from_domain(current)
