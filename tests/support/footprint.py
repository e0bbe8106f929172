"""A fingerprint of everything stored, to prove that a rejected mutation changed nothing."""

from __future__ import annotations

from tortoise import Tortoise

from tests.support.database import list_tables


# a sign-in's session (a test signs viewers in between its two footprints): not a change
SIGN_INS = frozenset({"auth_session"})


async def footprint() -> dict[str, object]:
    conn = Tortoise.get_connection("default")
    counts: dict[str, object] = {}
    for table in await list_tables():
        if table in SIGN_INS:
            continue
        rows = await conn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')
        counts[table] = rows[0]["n"]
    counts["reference_counter"] = sorted(
        (r["prefix"], r["value"]) for r in await conn.execute_query_dict("SELECT prefix, value FROM reference_counter")
    )
    counts["versions"] = sorted(
        (r["ref"], r["version"]) for r in await conn.execute_query_dict("SELECT ref, version FROM work_item")
    )
    return counts
