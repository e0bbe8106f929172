"""Models and committed migrations agree, and the migrations apply (the harness applies them)."""

from __future__ import annotations

from server import db
from server.settings import Settings


async def test_models_and_migrations_agree(settings: Settings):
    assert await db.pending_model_changes() == [], "run `switchboard makemigrations` and commit the result"


async def test_every_migration_is_applied(settings: Settings):
    assert await db.unapplied_migrations(settings) == []
    await db.check_migrated(settings)
