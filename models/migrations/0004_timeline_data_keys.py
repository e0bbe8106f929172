"""Timeline entry data written before it spoke the API's words: snake_case keys become camelCase,
ids become strings with the name next to each (users, queues, departments), mentions become
`{"userId", "userName"}` pairs. Rows already in the new form are left as they are.

Self-contained on purpose (a migration must not change when the code does); written through the
historical models, so it runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _names_of(key: str) -> str | None:
    """Which table names the id under `key` (a snake_case key ending in _id), if any."""
    if key.endswith("user_id") or key in ("doer_id", "reviewer_id"):
        return "user"
    if key.endswith("queue_id"):
        return "queue"
    if key.endswith("department_id"):
        return "department"
    return None


def converted(data: dict[str, Any], names: dict[str, dict[int, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key == "mentions" and all(isinstance(v, int) for v in value or []):
            result[key] = [{"userId": str(v), "userName": names["user"].get(v)} for v in value or []]
        elif key.endswith("_id"):
            camel = _camel(key)
            result[camel] = str(value) if isinstance(value, int) else value
            table = _names_of(key)
            if table is not None:
                result[camel[:-2] + "Name"] = names[table].get(value) if isinstance(value, int) else None
        else:
            result[_camel(key)] = value
    return result


async def camel_case_timeline_data(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    entry = apps.get_model("switchboard", "TimelineEntry")
    names = {
        table: dict(await apps.get_model("switchboard", model).all().using_db(client).values_list("id", "name"))
        for table, model in (("user", "User"), ("queue", "Queue"), ("department", "Department"))
    }
    for entry_id, data in await entry.all().using_db(client).order_by("id").values_list("id", "data"):
        if not isinstance(data, dict):
            continue
        new = converted(data, names)
        if new != data:
            await entry.filter(id=entry_id).using_db(client).update(data=new)


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0003_links_and_shared_email')]

    initial = False

    operations = [
        ops.RunPython(camel_case_timeline_data, ops.RunPython.noop),
    ]
