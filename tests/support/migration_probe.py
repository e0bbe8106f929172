"""Upgrade probes: a test runs a probe module in a process of its own on a fresh database; the
probe migrates that database to the first migration, writes rows the way old code wrote them,
migrates to the latest and prints what the rows look like then (one JSON line)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.api import migrate

from server import db
from server.settings import load_settings
from tests.support import backends


class OldDatabase:
    """The probe's database at its first migration: `conn`, `p(n)` (the n-th SQL placeholder of
    the dialect) and `upgrade()` (migrate to the latest, returning the new connection)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.conn: BaseDBAsyncClient = Tortoise.get_connection("default")  # migrate re-initialises the connections
        postgres = self.conn.capabilities.dialect == "postgres"
        self.p: Callable[[int], str] = (lambda n: f"${n}") if postgres else (lambda n: "?")

    async def upgrade(self) -> BaseDBAsyncClient:
        await migrate(config=self.config)
        self.conn = Tortoise.get_connection("default")
        return self.conn


def run(probe: Callable[[OldDatabase], Awaitable[dict[str, Any]]]) -> None:
    """The probe process's main: print what `probe` returns, as one JSON line."""

    async def main() -> None:
        try:
            config = db.tortoise_config(load_settings())
            await Tortoise.init(config=config)
            await migrate(config=config, target="switchboard.0001_initial")
            print(json.dumps(await probe(OldDatabase(config))))
        finally:
            await Tortoise.close_connections()  # else a failure leaves aiosqlite's thread running

    asyncio.run(main())


async def run_in_fresh_database(backend: backends.TestBackend, tmp_path: Path, module: str) -> Any:
    """Run probe `module` on a database of its own (of the suite's backend); its JSON output."""
    if backend.name == "postgres":
        extra = await backends.create()
        url = extra.database_url
    else:
        extra = None
        url = f"sqlite://{tmp_path / 'probe.sqlite3'}"
    try:
        result = subprocess.run(
            [sys.executable, "-m", module],
            env={**os.environ, "DATABASE_URL": url, "SWITCHBOARD_VAR_DIR": str(tmp_path)},
            capture_output=True, text=True, timeout=120,
        )
    finally:
        if extra is not None:
            await backends.destroy(extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
