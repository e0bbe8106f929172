"""Models and committed migrations agree, and the migrations apply (the harness applies them)."""

from __future__ import annotations

from server import db
from server.settings import Settings
from tests.support.migration_probe import run_in_fresh_database


async def test_models_and_migrations_agree(settings: Settings):
    assert await db.pending_model_changes() == [], "run `switchboard makemigrations` and commit the result"


async def test_every_migration_is_applied(settings: Settings):
    assert await db.unapplied_migrations(settings) == []
    await db.check_migrated(settings)


async def test_migrations_upgrade_a_database_that_holds_data(backend, tmp_path):
    """Every migration after the first applies to tables that already have rows (a NOT NULL
    column needs a database default for that), and keeps what the rows held."""
    row = await run_in_fresh_database(backend, tmp_path, "tests.support.upgrade_probe")
    assert row == {"found_by_its_words": ["T-1"], "ref": "T-1", "checklist": [], "human_only": False, "wait_until_kept": True,
                   "due_missed_at": None, "pending": []}
