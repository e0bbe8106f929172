"""The `switchboard` command: serve, worker, migrate, demo, makemigrations.

Configuration problems (a wrong variable, an unreachable database or Redis, an unmigrated
database) end the command with one line naming the variable and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from server import db
from server.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from server.domain.scheduler import SweepReport

log = logging.getLogger("switchboard")


async def _check_redis(settings: Settings) -> None:
    if not settings.redis_url:
        return
    from redis import asyncio as redis

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 - turned into one line for the operator
        raise ConfigError(f"REDIS_URL: cannot connect to Redis: {exc}") from None
    finally:
        await client.aclose()


async def _preflight(settings: Settings) -> None:
    async with db.connected(settings):
        await db.check_migrated(settings)
    await _check_redis(settings)


async def _migrate(settings: Settings) -> None:
    async with db.connected(settings):
        await db.migrate(settings)


async def _demo(settings: Settings) -> bool:
    from server.domain import demo

    async with db.connected(settings):
        await db.check_migrated(settings)
        return await demo.load()


async def _worker(settings: Settings, once: bool) -> "SweepReport | None":
    """The scheduler of timed transitions on its own: one sweep (`once`), or sweeps every
    `settings.scheduler_interval` seconds until SIGTERM or SIGINT, with the outbox sender
    (server/mail/sender.py) and the mailbox collectors (server/mail/collecting.py) unless
    `SWITCHBOARD_MAIL=false`. Events go out on the bus, so
    live clients of every server process see what it fires."""
    from server.domain import scheduler
    from server.subscriptions import bus
    from server.mail.secrets import Sealer
    from server.mail.collecting import running_collectors
    from server.mail.sender import running_sender
    from server.worker import running_scheduler

    async with db.connected(settings):
        await db.check_migrated(settings)
        await _check_redis(settings)
        async with bus.running_bus(settings.redis_url or "memory://", settings.channel_prefix):
            if once:
                return await scheduler.run_due()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            signals = (signal.SIGTERM, signal.SIGINT)
            for signum in signals:
                loop.add_signal_handler(signum, stop.set)
            try:
                async with AsyncExitStack() as background:
                    await background.enter_async_context(running_scheduler(settings.scheduler_interval, settings.event_retention_days))
                    if settings.mail_enabled:
                        sealer = Sealer(settings.secret_key)
                        await background.enter_async_context(running_sender(sealer, settings.mail_send_interval))
                        await background.enter_async_context(running_collectors(sealer, settings.mail_collect_interval))
                    await stop.wait()
            finally:
                for signum in signals:
                    loop.remove_signal_handler(signum)
    return None


def _report_line(report: "SweepReport") -> str:
    from dataclasses import asdict

    counts = ", ".join(f"{name}={count}" for name, count in asdict(report).items())
    return f"switchboard: scheduler fired {report.total} ({counts})"


async def _makemigrations(settings: Settings, name: str | None) -> list[str]:
    from tortoise import Tortoise
    from tortoise.migrations.autodetector import MigrationAutodetector
    from tortoise.migrations.writer import format_migration_name

    async with db.connected(settings):
        writers = await MigrationAutodetector(Tortoise.apps, db.tortoise_config(settings)["apps"]).changes()
        paths = []
        for writer in writers:
            if name:
                writer.name = format_migration_name(int(writer.name.split("_", 1)[0]), name)
            paths.append(str(writer.write()))
        return paths


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from server.http.server import uvicorn_config

    asyncio.run(_preflight(settings))
    config = uvicorn_config("server.app:create_app", settings, factory=True, host=host or settings.host, port=port or settings.port)
    uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard", description="Switchboard collaboration server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", help="interface to listen on (default: SWITCHBOARD_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: SWITCHBOARD_PORT or 8000)")
    worker = commands.add_parser(
        "worker", help="run the scheduler of timed transitions (until SIGTERM/SIGINT, or one sweep with --once)"
    )
    worker.add_argument("--once", action="store_true", help="fire what is due now, print what fired, and exit")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("demo", help="load the demo data into an empty database")
    make = commands.add_parser("makemigrations", help="write a migration for model changes (developers)")
    make.add_argument("--name", help="a name for the migration file")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        from server.domain import auth  # after the settings are known to be right

        auth.configure_hashing(settings.password_time_cost, settings.password_memory_kib)
        if args.command == "serve":
            _serve(settings, args.host, args.port)
        elif args.command == "worker":
            report = asyncio.run(_worker(settings, args.once))
            if report is not None:
                print(_report_line(report))
            else:
                print("switchboard: scheduler stopped")
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("switchboard: database is up to date")
        elif args.command == "demo":
            loaded = asyncio.run(_demo(settings))
            print("switchboard: demo data loaded" if loaded else "switchboard: database not empty; demo data not loaded")
        elif args.command == "makemigrations":
            paths = asyncio.run(_makemigrations(settings, args.name))
            print("\n".join(f"switchboard: wrote {p}" for p in paths) or "switchboard: models and migrations agree")
    except ConfigError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
