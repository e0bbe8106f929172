"""Models and committed migrations agree, and the migrations apply (the harness applies them)."""

from __future__ import annotations

from server import db
from server.settings import Settings


async def test_models_and_migrations_agree(settings: Settings):
    assert await db.pending_model_changes() == [], "run `switchboard makemigrations` and commit the result"


async def test_every_migration_is_applied(settings: Settings):
    assert await db.unapplied_migrations(settings) == []
    await db.check_migrated(settings)


async def test_migrations_upgrade_a_database_that_holds_data(backend, tmp_path):
    """Every migration after the first applies to tables that already have rows (a NOT NULL
    column needs a database default for that), and keeps what the rows held."""
    import json
    import os
    import subprocess
    import sys

    from tests.support import backends

    if backend.name == "postgres":
        extra = await backends.create()
        url = extra.database_url
    else:
        extra = None
        url = f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.upgrade_probe"],
            env={**os.environ, "DATABASE_URL": url, "SWITCHBOARD_VAR_DIR": str(tmp_path)},
            capture_output=True, text=True, timeout=120,
        )
    finally:
        if extra is not None:
            await backends.destroy(extra)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout.strip().splitlines()[-1])
    assert row == {"ref": "T-1", "checklist": [], "human_only": False, "wait_until_kept": True,
                   "due_missed_at": None, "pending": []}
