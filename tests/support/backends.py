"""Which storage and broker the suite runs on: SWITCHBOARD_TEST_BACKEND=sqlite (SQLite + in-process
memory broadcast, the default) or postgres (PostgreSQL + Redis).

Every run gets its own PostgreSQL database and its own Redis channel prefix, so two runs on one
machine (a developer's and CI's) never see each other's data or events.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

BACKEND = os.environ.get("SWITCHBOARD_TEST_BACKEND", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS", "redis://127.0.0.1:6379/0")

if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError(f"SWITCHBOARD_TEST_BACKEND must be sqlite or postgres, got {BACKEND!r}")


@dataclass
class TestBackend:
    name: str
    database_url: str
    redis_url: str | None
    channel_prefix: str
    var_dir: Path

    @property
    def shared_across_processes(self) -> bool:
        return self.name == "postgres"

    def environ(self) -> dict[str, str]:
        """Environment for a server process using the same database, broker and secret."""
        env = {
            "DATABASE_URL": self.database_url,
            "SWITCHBOARD_CHANNEL_PREFIX": self.channel_prefix,
            "SWITCHBOARD_VAR_DIR": str(self.var_dir),
            # the cheapest Argon2id: the suite signs in thousands of times (production refuses it)
            "SWITCHBOARD_PASSWORD_TIME_COST": "1",
            "SWITCHBOARD_PASSWORD_MEMORY_KIB": "32",
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create() -> TestBackend:
    run = secrets.token_hex(4)
    var_dir = Path(tempfile.mkdtemp(prefix=f"switchboard-test-{run}-"))
    prefix = f"switchboard-test-{run}"
    if BACKEND == "sqlite":
        return TestBackend("sqlite", f"sqlite://{var_dir / 'test.sqlite3'}", None, prefix, var_dir)
    name = f"switchboard_test_{run}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return TestBackend("postgres", _with_database(POSTGRES_ADMIN_URL, name), REDIS_URL, prefix, var_dir)


async def destroy(backend: TestBackend) -> None:
    if backend.name == "postgres":
        name = urlsplit(backend.database_url).path.strip("/")
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
