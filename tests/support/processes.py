"""Real `switchboard serve` processes for tests that need several of them (PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import httpx

from server.settings import Settings
from tests.support import backends

SWITCHBOARD = Path(sys.executable).parent / "switchboard"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One `switchboard serve` process; its output goes to a file, shown when a test fails."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(SWITCHBOARD), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )

    async def wait_healthy(self, deadline: float) -> None:
        assert self.process is not None
        last: str = "no answer yet"
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"server {self.name} exited with status {self.process.returncode} while starting")
                try:
                    response = await http.get("/healthz")
                    if response.status_code == 200:
                        body = response.json()
                        assert body.get("live_updates") is True, f"server {self.name} has no live updates: {body}"
                        return
                    last = f"HTTP {response.status_code}: {response.text}"
                except httpx.TransportError as exc:
                    last = repr(exc)
                await asyncio.sleep(0.1)
        raise AssertionError(f"server {self.name} did not answer /healthz with 200 within {STARTUP_TIMEOUT:.0f} s ({last})")

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()

    def output(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            text = f"(no output: {exc})"
        status = self.process.returncode if self.process else None
        return f"----- server {self.name} ({self.url}, exit status {status}) -----\n{text}"


@asynccontextmanager
async def two_servers(
    backend: backends.TestBackend, settings: Settings, log_dir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    """Servers A and B on the run's database and broker (and `extra_env`), healthy; always stopped
    on the way out. Their output is printed after they stop (pytest shows it with a failing test)."""
    env = {**os.environ, **backend.environ(), "SWITCHBOARD_SECRET_KEY": settings.secret_key, **(extra_env or {})}
    servers = (ServerProcess("A", env, log_dir / "server-a.log"), ServerProcess("B", env, log_dir / "server-b.log"))
    try:
        for server in servers:
            await server.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for server in servers:
            await server.wait_healthy(deadline)
        yield servers
    finally:
        await asyncio.gather(*(server.stop() for server in servers), return_exceptions=True)
        for server in servers:
            print(server.output())


