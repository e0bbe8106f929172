"""Emptying every table between tests (ids restart, so demo ids are stable)."""

from __future__ import annotations

from tortoise import Tortoise

MIGRATIONS_TABLE_PREFIX = "tortoise_"
# kept between tests: the event cursor only moves forward, as every live server's event hub expects
KEPT_TABLES = {"event_sequence"}


async def list_tables() -> list[str]:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    else:
        # not a full-text index (a virtual table) nor its shadow tables: emptying its content
        # table through the triggers empties it too, and writing a shadow table would corrupt it
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND NOT EXISTS ("
            "SELECT 1 FROM sqlite_master AS v WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%' "
            "AND (sqlite_master.name = v.name OR sqlite_master.name LIKE v.name || '\\_%' ESCAPE '\\'))"
        )
    return sorted(r["name"] for r in rows if not r["name"].startswith(MIGRATIONS_TABLE_PREFIX))


async def truncate_all() -> None:
    conn = Tortoise.get_connection("default")
    tables = [t for t in await list_tables() if t not in KEPT_TABLES]
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    else:
        script = "PRAGMA foreign_keys = OFF;\n"
        script += "".join(f'DELETE FROM "{t}";\n' for t in tables)
        script += "DELETE FROM sqlite_sequence;\nPRAGMA foreign_keys = ON;\n"
        await conn.execute_script(script)
