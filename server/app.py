"""The Starlette application: GraphQL over HTTP and WebSocket at /graphql, and a health check.

The lifespan connects the database (checking it is migrated) and the event bus (Redis when
`REDIS_URL` is set, in-process memory otherwise), then runs the scheduler of timed transitions
unless `SWITCHBOARD_SCHEDULER=false` (several processes may run it at once; each transition fires
once), and the process's presence heartbeat and sweep (server/subscriptions/presence.py).
Several processes started this way against one PostgreSQL and one Redis serve one organisation.
"""

from __future__ import annotations

import gc

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import Tortoise

from server import db, graphiql
from server.domain import auth
from server.domain.imports.jobs import running_imports
from server.domain.tokens import TokenSigner
from server.http.imports import routes as import_routes
from server.http.limits import RequestLimits
from server.http.view import GraphQLHTTPView
from server.resolvers.context import Context, parse_bearer
from server.schema import MAX_SUBSCRIPTIONS_PER_CONNECTION, build_schema
from server.settings import Settings, load_settings
from server.subscriptions import bus
from server.subscriptions.presence import running_presence
from server.subscriptions.limits import PrincipalLimits
from server.mail.secrets import Sealer
from server.mail.collecting import running_collectors
from server.mail.sender import running_sender
from server.subscriptions.connections import Connections
from server.subscriptions.socket import GraphQLWebSocket, Socket
from server.subscriptions.transport import TransportWSHandler
from server.worker import running_scheduler

log = logging.getLogger(__name__)


class GraphQLApp(GraphQLHTTPView):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Any, signer: TokenSigner, *, production: bool, limits: PrincipalLimits, sealer: Sealer) -> None:
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            multipart_uploads_enabled=True,  # attachments (server/http/view.py: the preflight header rule)
        )
        self.signer = signer
        self.sealer = sealer
        self.connections = Connections(signer, limits)

    async def get_context(self, request: Request | Socket, response: Any) -> Context:
        if isinstance(request, Socket):
            context = self.connections.context(request, response)
            context.sealer = self.sealer
            return context
        token, problem = parse_bearer(request.headers.get("authorization"))
        return Context(request=request, response=response, signer=self.signer, token=token, auth_problem=problem, sealer=self.sealer)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.page()  # its assets from this server (server/graphiql.py), not a CDN

    async def on_ws_connect(self, context: Context) -> dict[str, object]:
        return await self.connections.accept(context)


class Application(Starlette):
    """Starlette, with WebSocket connections to /graphql served before its middleware and router
    (server/subscriptions/socket.py): none of them is suspended on a connection's stack while it
    is open. Every other WebSocket path is Starlette's to refuse."""

    def __init__(self, *args: Any, websocket: GraphQLWebSocket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.graphql_websocket = websocket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            await self.graphql_websocket(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


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
    auth.configure_hashing(settings.password_time_cost, settings.password_memory_kib)
    signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
    sealer = Sealer(settings.secret_key)  # mail server credentials at rest (server/mail/secrets.py)
    limits = PrincipalLimits(settings.max_connections_per_principal, settings.max_subscriptions_per_principal)
    graphql = GraphQLApp(build_schema(production=settings.production), signer, production=settings.production, limits=limits, sealer=sealer)
    graphql.connections.outgoing_queue = settings.ws_outgoing_queue

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if manage_resources:
                await stack.enter_async_context(db.connected(settings))
                await db.check_migrated(settings)
                await stack.enter_async_context(bus.running_bus(settings.redis_url or "memory://", settings.channel_prefix))
                if settings.mail_enabled:
                    await stack.enter_async_context(running_sender(sealer, settings.mail_send_interval))
                    await stack.enter_async_context(running_collectors(sealer, settings.mail_collect_interval))
                if settings.scheduler_enabled:
                    # entered last, so it stops first: before the bus and the database go down
                    await stack.enter_async_context(running_scheduler(settings.scheduler_interval, settings.event_retention_days))
            # also under the test harness (which connects the database and the bus itself)
            await stack.enter_async_context(running_imports())  # its jobs stop (FAILED) before the bus and the database go
            await stack.enter_async_context(running_presence(settings.presence_heartbeat, settings.presence_timeout))
            # what start-up built (the schema, its caches, the models) lives as long as the
            # process: out of the collector's generations, so collections stay short however many
            # connections are open, and pages shared after fork stay shared
            gc.collect()
            gc.freeze()
            yield

    routes = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        Route("/healthz", health),
        Route("/graphql", graphql),  # every method: the view answers 405 with a JSON body
        *import_routes(),
    ]
    request_limits = Middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_query_string_bytes=settings.max_query_string_bytes,
        body_timeout=settings.body_timeout,
    )
    if not settings.production:
        routes.append(graphiql.assets())
    app = Application(routes=routes, middleware=[request_limits], lifespan=lifespan, websocket=GraphQLWebSocket(graphql))
    app.state.settings = settings
    app.state.signer = signer
    app.state.sealer = sealer
    app.state.principal_limits = limits
    return app
