"""The test harness: one database and broker per run (SQLite + memory or PostgreSQL + Redis, see
tests/support/backends.py), migrated once; every table emptied after each test; a real server
(uvicorn, in this event loop) that tests reach over HTTP and WebSocket like any client."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest
import uvicorn

from server import db
from server.app import create_app
from server.domain import auth
from server.domain import demo as demo_data
from server.http.server import uvicorn_config
from server.settings import Settings, load_settings
from models.item_viewer import ItemViewer
from server.subscriptions import bus
from server.subscriptions import item_viewers as live_item_viewers
from server.subscriptions.process import PROCESS_ID
from server.subscriptions import presence as live_presence
from tests.support import backends
from tests.support.client import HttpClient
from tests.support.database import truncate_all


def pytest_report_header(config: pytest.Config) -> str:
    return f"switchboard test backend: {backends.BACKEND}"


@pytest.fixture(scope="session")
async def backend() -> AsyncIterator[backends.TestBackend]:
    created = await backends.create()
    try:
        yield created
    finally:
        await backends.destroy(created)


@pytest.fixture(scope="session")
async def settings(backend: backends.TestBackend) -> AsyncIterator[Settings]:
    # tokens live as long as allowed: tests move the frozen clock days ahead
    settings = load_settings({
        **backend.environ(),
        "SWITCHBOARD_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SWITCHBOARD_TOKEN_TTL": str(90 * 24 * 3600),
    })
    auth.configure_hashing(settings.password_time_cost, settings.password_memory_kib)
    await db.connect(settings)
    await db.migrate(settings)
    async with bus.running_bus(settings.redis_url or "memory://", settings.channel_prefix):
        yield settings
    await db.disconnect()


async def _open_items_closed() -> None:
    """Wait (a little) for the employees' subscriptions the test left to remove their open-item
    rows: the server notices a closed socket on its own time, and a removal racing TRUNCATE can
    deadlock on PostgreSQL."""
    for _ in range(250):
        if not await ItemViewer.filter(process_id=PROCESS_ID).exists():
            break
        await asyncio.sleep(0.02)
    await asyncio.gather(*list(live_item_viewers._closing), return_exceptions=True)


@pytest.fixture(autouse=True)
async def clean_database(settings: Settings) -> AsyncIterator[None]:
    yield
    await _open_items_closed()
    # the test's WebSockets are closed; let the server record their ends before emptying tables
    deadline = asyncio.get_running_loop().time() + 5
    while live_presence.held() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    await truncate_all()


@pytest.fixture
async def demo(settings: Settings) -> None:
    assert await demo_data.load()


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        # the configuration `switchboard serve` uses (timeouts, limits), on a free port
        config = uvicorn_config(create_app(settings, manage_resources=False), settings, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None
        self.url = ""

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task

    async def __aenter__(self) -> "LiveServer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


@pytest.fixture(scope="session")
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async with LiveServer(settings) as server:
        yield server


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[HttpClient]:
    http = HttpClient(live_server.url)
    yield http
    await http.aclose()


@pytest.fixture
async def signed_in(client: HttpClient, demo: None):
    """`await signed_in("jane@example.com")` → an HttpClient with jane's token."""
    opened: list[HttpClient] = []

    async def sign_in(email: str, password: str = "demo") -> HttpClient:
        user_client = await client.as_user(email, password)
        opened.append(user_client)
        return user_client

    yield sign_in
    for c in opened:
        await c.aclose()


@pytest.fixture
def shared_backend(backend: backends.TestBackend) -> backends.TestBackend:
    if not backend.shared_across_processes:
        pytest.skip(
            "needs PostgreSQL and Redis shared by processes (SWITCHBOARD_TEST_BACKEND=postgres); "
            f"this run uses {backend.name}"
        )
    return backend
