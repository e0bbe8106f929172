"""Run by tests/test_timeline_data_migration.py in a process of its own: migrate DATABASE_URL to
the first migration, write timeline entries with the old snake_case data, migrate to the latest,
and print each entry's data then (one JSON line)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.support import migration_probe

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
OLD = [
    ("ASSIGNED", {"from_user_id": None, "to_user_id": "USER"}),
    ("STATUS_CHANGED", {"from": "IN_PROGRESS", "to": "WAITING", "wait_type": "MORE_INFO", "resolution_method": None}),
    ("SUBMITTED", {"from": "DRAFT", "to": "TO_DO", "queue_id": "QUEUE", "due_at": "2026-01-02T00:00:00+00:00"}),
    ("QUEUE_CHANGED", {"from_queue_id": None, "to_queue_id": "QUEUE"}),
    ("DEPARTMENT_CHANGED", {"from_department_id": "DEPARTMENT", "to_department_id": "DEPARTMENT",
                            "from_queue_id": "QUEUE", "to_queue_id": None}),
    ("PEER_REVIEW", {"stage": "IN_PEER_REVIEW", "doer_id": "USER", "reviewer_id": 999}),
    ("NOTE", {"mentions": ["USER"], "copied_from": "T-0"}),
    ("EMAIL_SHARED", {"shared_from": "T-0", "email_id": 7, "direction": "OUTBOUND"}),
    ("LINKED", {"other": "T-0", "other_type": "TICKET"}),
    ("ASSIGNED", {"fromUserId": "1", "fromUserName": "Kept as written", "toUserId": None, "toUserName": None}),
]


async def probe(old: migration_probe.OldDatabase) -> dict:
    conn, p = old.conn, old.p

    async def insert(sql: str, values: list) -> int:
        await conn.execute_query(sql, values)
        return (await conn.execute_query_dict(f"SELECT MAX(id) AS id FROM {sql.split()[2]}"))[0]["id"]

    department = await insert(
        "INSERT INTO department (name, sla_hours, language, notify_staff_of_new_tickets, assignees_only_from_staff, "
        "client_view_in_public, add_waiting_time_to_due, resolution_note_required, created_at) "
        f"VALUES ('UK Operations', 24, 'en', false, false, false, true, false, {p(1)})", [NOW])
    user = await insert(
        "INSERT INTO app_user (email, name, role, is_active, language, timezone, undo_send_seconds, created_at) "
        f"VALUES ('jane@example.com', 'Jane Cooper', 'AGENT', true, 'en', 'UTC', 0, {p(1)})", [NOW])
    team = await insert(f"INSERT INTO team (name, created_at) VALUES ('Team A', {p(1)})", [NOW])
    queue = await insert(f"INSERT INTO queue (name, team_id, department_id, created_at) VALUES ('Team A queue', {p(1)}, {p(2)}, {p(3)})",
                         [team, department, NOW])
    item = await insert(
        "INSERT INTO work_item (ref, type, title, status, priority, custom_data, has_new_info, needs_attention, "
        "test_mode, close_if_no_response, version, created_at, updated_at, department_id) "
        f"VALUES ('T-1', 'TICKET', 'Old ticket', 'WAITING', 2, '{{}}', false, false, false, false, 1, {p(1)}, {p(2)}, {p(3)})",
        [NOW, NOW, department])
    ids = {"USER": user, "QUEUE": queue, "DEPARTMENT": department}

    def real(value):
        if isinstance(value, list):
            return [real(v) for v in value]
        return ids.get(value, value) if isinstance(value, str) else value

    for kind, data in OLD:
        data = {key: real(value) for key, value in data.items()}
        await conn.execute_query(
            "INSERT INTO timeline_entry (work_item_id, kind, data, is_public, system_generated, is_resolution, created_at) "
            f"VALUES ({p(1)}, {p(2)}, {p(3)}, false, false, false, {p(4)})", [item, kind, json.dumps(data), NOW])

    conn = await old.upgrade()
    rows = await conn.execute_query_dict("SELECT kind, data FROM timeline_entry ORDER BY id")
    return {
        "ids": {k.lower(): str(v) for k, v in ids.items()},
        "entries": [[row["kind"], json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]] for row in rows],
    }


migration_probe.run(probe)
