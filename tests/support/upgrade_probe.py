"""Run by tests/test_migrations.py in a process of its own: migrate DATABASE_URL to the first
migration, put rows in the tables later migrations change, migrate to the latest, and print what
the rows look like then (one JSON line)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from server import db
from tests.support import migration_probe

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def probe(old: migration_probe.OldDatabase) -> dict:
    conn, p = old.conn, old.p
    await conn.execute_query(f"INSERT INTO department (name, sla_hours, language, notify_staff_of_new_tickets, "
                             f"assignees_only_from_staff, client_view_in_public, add_waiting_time_to_due, "
                             f"resolution_note_required, created_at) VALUES ({p(1)}, 24, 'en', false, false, false, true, false, {p(2)})",
                             ["Old department", NOW])
    await conn.execute_query(
        "INSERT INTO work_item (ref, type, title, status, priority, custom_data, has_new_info, needs_attention, "
        "test_mode, close_if_no_response, version, created_at, updated_at, department_id, follow_up_at) "
        f"VALUES ('T-1', 'TICKET', 'Old ticket', 'WAITING', 2, '{{}}', false, false, false, false, 1, {p(1)}, {p(2)}, "
        f"(SELECT id FROM department), {p(3)})",
        [NOW, NOW, NOW],
    )
    conn = await old.upgrade()
    rows = await conn.execute_query_dict("SELECT ref, checklist, human_only, wait_until, due_missed_at FROM work_item")
    row = rows[0]
    if conn.capabilities.dialect == "postgres":
        found = "SELECT ref FROM work_item WHERE to_tsvector('simple', search_text) @@ to_tsquery('simple', 'old:* & tick:*')"
    else:
        found = "SELECT ref FROM work_item WHERE id IN (SELECT rowid FROM work_item_fts WHERE work_item_fts MATCH '\"old\"* AND \"tick\"*')"
    return {
        "found_by_its_words": [r["ref"] for r in await conn.execute_query_dict(found)],
        "ref": row["ref"],
        "checklist": json.loads(row["checklist"]) if isinstance(row["checklist"], str) else row["checklist"],
        "human_only": bool(row["human_only"]),
        "wait_until_kept": row["wait_until"] is not None,
        "due_missed_at": row["due_missed_at"],
        "pending": await db.pending_model_changes(),
    }


migration_probe.run(probe)
