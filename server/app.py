"""The Starlette application: GraphQL over HTTP and WebSocket at /graphql, and a health check.

The lifespan connects the database (checking it is migrated) and the event bus (Redis when
`REDIS_URL` is set, in-process memory otherwise), then runs the scheduler of timed transitions
unless `SWITCHBOARD_SCHEDULER=false` (several processes may run it at once; each transition fires
once). Several processes started this way against one PostgreSQL and one Redis serve one
organisation.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, AsyncIterator

from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from tortoise import Tortoise

from server import db
from server.domain.errors import Unauthenticated
from server.domain.tokens import TokenSigner
from server.domain.viewer import authenticate, refresh
from server.http.limits import RequestLimits
from server.http.view import GraphQLHTTPView
from server.resolvers.context import Context, parse_bearer
from server.schema import MAX_SUBSCRIPTIONS_PER_CONNECTION, build_schema
from server.settings import Settings, load_settings
from server.subscriptions import bus
from server.subscriptions.access import AccessWatch, WatchUnavailable, is_watched
from server.worker import running_scheduler

log = logging.getLogger(__name__)

# the code graphql-transport-ws closes a refused connection_init with (4403 Forbidden)
ACCESS_REVOKED_CLOSE_CODE = 4403
ACCESS_REVOKED_CLOSE_REASON = "Access revoked"


@dataclass
class ConnectionContext(Context):
    """A WebSocket connection's context, holding the watch on its identity's access (a strong
    reference: the watch's task lives as long as the connection)."""

    access_watch: AccessWatch | None = None


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with the per-connection operation limit reported with a code, and the
    connection's access watch stopped when the connection ends."""

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            watch = getattr(self.context, "access_watch", None)
            if watch is not None:
                self.context.access_watch = None
                await watch.stop()

    async def handle_subscribe(self, message: Any) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message.get("id") not in self.operations
            and len(self.operations) >= limit
        ):
            error = GraphQLError(
                f"At most {limit} operations may run at once on one connection.",
                extensions={"code": "LIMIT_EXCEEDED"},
            )
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)


class GraphQLApp(GraphQLHTTPView):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Any, signer: TokenSigner, *, production: bool) -> None:
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )
        self.signer = signer

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        if isinstance(request, WebSocket):
            return ConnectionContext(request=request, response=response, signer=self.signer)
        token, problem = parse_bearer(request.headers.get("authorization"))
        return Context(request=request, response=response, signer=self.signer, token=token, auth_problem=problem)

    async def on_ws_connect(self, context: Context) -> dict[str, object]:
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        token, problem = parse_bearer(header if isinstance(header, str) else None)
        if token is None:
            raise ConnectionRejectionError({"message": problem or "connection_init needs an Authorization bearer token"})
        try:
            context.connection_viewer = await authenticate(token, self.signer)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        viewer = context.connection_viewer
        if is_watched(viewer) and isinstance(context, ConnectionContext):
            await self._watch_access(context)
        return {"viewer": {"kind": viewer.kind.value, "id": str(viewer.id), "name": viewer.name}}

    async def _watch_access(self, context: ConnectionContext) -> None:
        """Close the connection the moment its identity loses access (an API key revoked), even
        when it sends nothing. The watch is active before the identity is checked again, so a
        revocation committed at any moment after authentication either is seen here or closes
        the connection. Without a working watch the connection is refused: it could not be closed
        on time."""
        websocket = context.request

        async def close(event: object) -> None:
            try:
                await websocket.close(code=ACCESS_REVOKED_CLOSE_CODE, reason=ACCESS_REVOKED_CLOSE_REASON)
            except RuntimeError:
                pass  # already closed

        watch = AccessWatch(context.connection_viewer, on_revoked=close)
        try:
            await watch.start()
        except WatchUnavailable:
            log.exception("Refused a WebSocket connection: its access cannot be watched")
            raise ConnectionRejectionError({"message": "Live access checks are unavailable; try again later."}) from None
        context.access_watch = watch  # stopped by TransportWSHandler.handle when the connection ends
        if await refresh(context.connection_viewer) is None:
            raise ConnectionRejectionError({"message": "Your access has been revoked."})


async def health(request: Request) -> JSONResponse:
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
    except Exception:  # noqa: BLE001 - reported as unhealthy, not raised
        return JSONResponse({"status": "unavailable", "database": False}, status_code=503)
    return JSONResponse({"status": "ok", "database": True, "live_updates": bus.current() is not None})


def create_app(settings: Settings | None = None, *, manage_resources: bool = True) -> Starlette:
    """The application. With `manage_resources=False` the caller connects the database and the bus
    (the test harness does, to share them with its fixtures)."""
    settings = settings or load_settings()
    signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
    graphql = GraphQLApp(build_schema(production=settings.production), signer, production=settings.production)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if manage_resources:
                await stack.enter_async_context(db.connected(settings))
                await db.check_migrated(settings)
                await stack.enter_async_context(bus.running_bus(settings.redis_url or "memory://", settings.channel_prefix))
                if settings.scheduler_enabled:
                    # entered last, so it stops first: before the bus and the database go down
                    await stack.enter_async_context(running_scheduler(settings.scheduler_interval))
            yield

    routes = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        Route("/healthz", health),
        Route("/graphql", graphql),  # every method: the view answers 405 with a JSON body
        WebSocketRoute("/graphql", graphql),
    ]
    limits = Middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_query_string_bytes=settings.max_query_string_bytes,
        body_timeout=settings.body_timeout,
    )
    app = Starlette(routes=routes, middleware=[limits], lifespan=lifespan)
    app.state.settings = settings
    app.state.signer = signer
    return app
