"""Database life-cycle: Tortoise configuration, connection, migrations."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

from models import APP_LABEL, MIGRATIONS_MODULE, MODEL_MODULES
from server.settings import ConfigError, Settings


def tortoise_config(settings: Settings) -> dict:
    url = settings.tortoise_db_url
    if settings.is_postgres:
        # a bounded pool per process; several processes share one database
        url += ("&" if "?" in url else "?") + "minsize=1&maxsize=10"
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def connect(settings: Settings) -> None:
    """Connect (global context, so request tasks see the connection made in the lifespan task)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
    except Exception as exc:
        await Tortoise.close_connections()
        raise ConfigError(f"DATABASE_URL: cannot connect to the database: {exc}") from None


async def disconnect() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[None]:
    await connect(settings)
    try:
        yield
    finally:
        await disconnect()


async def migrate(settings: Settings) -> None:
    """Apply every pending migration."""
    await tortoise_migrate(config=tortoise_config(settings))


async def unapplied_migrations(settings: Settings) -> list[str]:
    """Migrations written but not yet applied to the connected database."""
    config = tortoise_config(settings)
    executor = MigrationExecutor(Tortoise.get_connection("default"), config["apps"])
    return [f"{step.migration.app_label}.{step.migration.name}" for step in await executor.plan()]


async def check_migrated(settings: Settings) -> None:
    pending = await unapplied_migrations(settings)
    if pending:
        raise ConfigError(
            f"DATABASE_URL: the database lacks {len(pending)} migration(s) ({', '.join(pending)}); "
            "run `switchboard migrate`"
        )


async def pending_model_changes() -> list[str]:
    """Migrations the models would need that are not written yet (empty when in sync)."""
    config = {
        APP_LABEL: {"models": MODEL_MODULES, "migrations": MIGRATIONS_MODULE, "default_connection": "default"}
    }
    writers = await MigrationAutodetector(Tortoise.apps, config).changes()
    return [f"{writer.app_label}: {op}" for writer in writers for op in writer.operations]
