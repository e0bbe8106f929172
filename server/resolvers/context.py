"""Per-request context and per-operation scope.

The strawberry context lives as long as its HTTP request or WebSocket connection. What must be
fresh for every operation — the DataLoaders and the viewer as it stands now — lives in an
`OperationScope` held in a context variable: set when an operation starts, and set anew by a
subscription before each event it pushes.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from strawberry.types.nodes import SelectedField

from server.domain import viewer as viewers
from server.domain.errors import Unauthenticated
from server.domain.tokens import TokenSigner
from server.domain.viewer import Viewer
from server.mail.secrets import Sealer
from server.resolvers.loaders import Loaders


@dataclass(slots=True)
class Context:
    request: Any
    response: Any
    signer: TokenSigner
    token: str | None = None
    # a malformed Authorization header or WebSocket payload; reported when identity is needed
    auth_problem: str | None = None
    # WebSocket: the identity signed in at connection_init, refreshed for every operation
    connection_viewer: Viewer | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)
    # a subscription push executed once for a cohort: the viewer is this one, as the connection
    # holds it (kept current by its access watch), not read again
    fixed_viewer: Viewer | None = None
    # seals and opens mail server credentials (the mail administration); the app's, from its secret
    sealer: Sealer | None = None


class OperationScope:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.loaders = Loaders()
        self.listed = 0  # items its lists asked for (server.resolvers.inputs.page_size)
        self.directory: dict[str, Any] = {}  # the viewer's directory scope and its loaders (server.resolvers.directory)
        self._viewer: asyncio.Future[Viewer | None] | None = None

    async def viewer(self) -> Viewer | None:
        """The viewer for this operation (None when anonymous); loaded once, shared by resolvers."""
        if self._viewer is None:
            self._viewer = asyncio.ensure_future(self._load_viewer())
        return await asyncio.shield(self._viewer)

    async def _load_viewer(self) -> Viewer | None:
        ctx = self.context
        if ctx.fixed_viewer is not None:
            return ctx.fixed_viewer
        if ctx.connection_viewer is not None:
            current = await viewers.refresh(ctx.connection_viewer)
            if current is None:
                raise Unauthenticated("Your access has been revoked; sign in again.")
            return current
        if ctx.auth_problem:
            raise Unauthenticated(ctx.auth_problem)
        if ctx.token is None:
            return None
        return await viewers.authenticate(ctx.token, ctx.signer)


_scope: ContextVar[OperationScope | None] = ContextVar("switchboard_operation_scope", default=None)


def begin_operation(context: Context) -> OperationScope:
    scope = OperationScope(context)
    _scope.set(scope)
    return scope


def scope_of(info: Any) -> OperationScope:
    scope = _scope.get()
    if scope is None or scope.context is not info.context:
        scope = begin_operation(info.context)
    return scope


async def optional_viewer(info: Any) -> Viewer | None:
    return await scope_of(info).viewer()


async def require_viewer(info: Any) -> Viewer:
    viewer = await scope_of(info).viewer()
    if viewer is None:
        raise Unauthenticated("Sign in first: send `Authorization: Bearer <token>`.")
    return viewer


def client_address(info: Any) -> str | None:
    """Where the request comes from, as the ASGI server reports it: the socket's peer, or behind a
    reverse proxy the address it forwards when uvicorn trusts it (`--forwarded-allow-ips`)."""
    client = getattr(info.context.request, "client", None)
    return client.host if client is not None and client.host else None


def loaders(info: Any) -> Loaders:
    return scope_of(info).loaders


def selected_names(info: Any, path: tuple[str, ...] = ()) -> set[str]:
    """Names of the fields the query selects at `path` below the current field (fragments and
    inline fragments included), e.g. ("edges", "node") for the items of a connection."""
    level = [selection for field in _fields(info.selected_fields) for selection in field.selections]
    for name in path:
        level = [selection for field in _fields(level) if field.name == name for selection in field.selections]
    return {field.name for field in _fields(level)}


def _fields(selections: Any) -> Any:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or an inline fragment
            yield from _fields(selection.selections)


def parse_bearer(header: str | None) -> tuple[str | None, str | None]:
    """(token, problem) from an Authorization value."""
    if header is None or not header.strip():
        return None, None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "The Authorization header must be `Bearer <token>`."
    return token.strip(), None
