import json
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.search_text import document

# Quick find's full-text index (server/domain/search/full_text.py) over work_item.search_text.
# PostgreSQL: a GIN index on the words as 'simple' reads them. SQLite: an FTS5 table whose content
# is work_item's own column (nothing stored twice), kept up to date by triggers — so a migration
# that later rebuilds work_item on SQLite (copy, drop, rename) must create the triggers again:
# tests/api/test_search.py finds a new item and a changed title on every run of the migrations.
# fastupdate off: every write goes into the index itself, never into a pending list that each
# search would read through in full (an item's change writes a few words; a search is constant)
POSTGRES = [
    "CREATE INDEX \"work_item_search\" ON \"work_item\" USING GIN (to_tsvector('simple', \"search_text\")) "
    "WITH (fastupdate = off)"
]
POSTGRES_REVERSE = ['DROP INDEX "work_item_search"']
SQLITE = [
    "CREATE VIRTUAL TABLE \"work_item_fts\" USING fts5(search_text, content='work_item', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    'CREATE TRIGGER "work_item_fts_insert" AFTER INSERT ON "work_item" BEGIN '
    'INSERT INTO "work_item_fts" (rowid, search_text) VALUES (new.id, new.search_text); END',
    'CREATE TRIGGER "work_item_fts_delete" AFTER DELETE ON "work_item" BEGIN '
    "INSERT INTO \"work_item_fts\" (\"work_item_fts\", rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    'CREATE TRIGGER "work_item_fts_update" AFTER UPDATE OF search_text ON "work_item" BEGIN '
    "INSERT INTO \"work_item_fts\" (\"work_item_fts\", rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    'INSERT INTO "work_item_fts" (rowid, search_text) VALUES (new.id, new.search_text); END',
]
SQLITE_REVERSE = [
    'DROP TRIGGER "work_item_fts_update"', 'DROP TRIGGER "work_item_fts_delete"',
    'DROP TRIGGER "work_item_fts_insert"', 'DROP TABLE "work_item_fts"',
]
BATCH = 1000


def _postgres(schema_editor: Any) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def index_existing_items(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    text, item = ("$1", "$2") if _postgres(schema_editor) else ("?", "?")
    update = f'UPDATE "work_item" SET "search_text" = {text} WHERE "id" = {item}'
    last = 0
    while True:
        rows = await client.execute_query_dict(
            f'SELECT "id", "title", "custom_data" FROM "work_item" WHERE "id" > {last} ORDER BY "id" LIMIT {BATCH}'
        )
        if not rows:
            break
        values = []
        for row in rows:
            custom = row["custom_data"]
            if isinstance(custom, str):  # JSON comes back as its text
                custom = json.loads(custom)
            values.append([document(row["title"], custom), row["id"]])
        await client.execute_many(update, values)
        last = rows[-1]["id"]
    for statement in POSTGRES if _postgres(schema_editor) else SQLITE:
        await client.execute_script(statement)
    if not _postgres(schema_editor):
        await client.execute_script("INSERT INTO \"work_item_fts\" (\"work_item_fts\") VALUES ('rebuild')")


async def drop_the_index(apps: Any, schema_editor: Any) -> None:
    for statement in POSTGRES_REVERSE if _postgres(schema_editor) else SQLITE_REVERSE:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0017_imports')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WorkItem',
            name='search_text',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.RunPython(index_existing_items, drop_the_index),
    ]
