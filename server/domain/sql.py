"""Raw SQL, where the ORM cannot say it: the database connection and its placeholders."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


def placeholders(count: int) -> list[str]:
    """`count` parameter placeholders for the dialect: numbered ($1 / ?1), so a statement may use
    one more than once."""
    if connection().capabilities.dialect == "postgres":
        return [f"${i}" for i in range(1, count + 1)]
    return [f"?{i}" for i in range(1, count + 1)]


def seconds_between(start_column: str, end_column: str) -> str:
    """SQL for the seconds from one timestamp column to another, in the dialect: PostgreSQL
    subtracts timestamps; SQLite (which stores them as ISO text) goes through julianday."""
    if connection().capabilities.dialect == "postgres":
        return f'EXTRACT(EPOCH FROM ("{end_column}" - "{start_column}"))'
    return f'((julianday("{end_column}") - julianday("{start_column}")) * 86400.0)'
