"""Configuration: defaults, and one clear line naming the variable for every wrong value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import ConfigError, load_settings


def test_embedded_defaults(tmp_path: Path):
    settings = load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'switchboard.sqlite3'}"
    assert settings.redis_url is None
    assert (settings.host, settings.port, settings.production) == ("127.0.0.1", 8000, False)
    # the generated secret key is kept, so tokens survive a restart
    assert len(settings.secret_key) >= 32
    assert load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_and_redis_urls(tmp_path: Path):
    settings = load_settings({
        "SWITCHBOARD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://app@db.internal:5432/switchboard",
        "REDIS_URL": "redis://cache.internal:6379/2",
        "SWITCHBOARD_ENV": "production",
    })
    assert settings.is_postgres and settings.tortoise_db_url == "postgres://app@db.internal:5432/switchboard"
    assert settings.redis_url == "redis://cache.internal:6379/2"
    assert settings.production


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_URL", "mysql://x/y"),
        ("DATABASE_URL", "postgres://"),
        ("DATABASE_URL", "sqlite://"),
        ("REDIS_URL", "http://cache"),
        ("REDIS_URL", "redis://cache:notaport"),
        ("SWITCHBOARD_PORT", "eighty"),
        ("SWITCHBOARD_PORT", "70000"),
        ("SWITCHBOARD_TOKEN_TTL", "5"),
        ("SWITCHBOARD_ENV", "staging"),
        ("SWITCHBOARD_SECRET_KEY", "short"),
        ("SWITCHBOARD_SCHEDULER", "sometimes"),
        ("SWITCHBOARD_SCHEDULER", "2"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "often"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "10s"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "0"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "0.05"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "-5"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "3601"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "nan"),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "inf"),
        ("SWITCHBOARD_PASSWORD_TIME_COST", "0"),
        ("SWITCHBOARD_PASSWORD_MEMORY_KIB", "16"),
    ],
)
def test_a_wrong_value_names_its_variable(tmp_path: Path, name: str, value: str):
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path), name: value})
    message = str(raised.value)
    assert message.startswith(f"{name}:") and "\n" not in message


@pytest.mark.parametrize("name, value", [("SWITCHBOARD_PASSWORD_TIME_COST", "1"), ("SWITCHBOARD_PASSWORD_MEMORY_KIB", "4096")])
def test_production_refuses_a_weak_password_hash(tmp_path: Path, name: str, value: str):
    environ = {"SWITCHBOARD_VAR_DIR": str(tmp_path), "SWITCHBOARD_SECRET_KEY": "k" * 40, name: value}
    assert getattr(load_settings(environ), name.removeprefix("SWITCHBOARD_").lower()) == int(value)
    with pytest.raises(ConfigError) as raised:
        load_settings({**environ, "SWITCHBOARD_ENV": "production"})
    assert str(raised.value).startswith(f"{name}: at least")


def _switchboard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"SWITCHBOARD_PORT": "abc"}, "SWITCHBOARD_PORT"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}, "DATABASE_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL"),
    ],
)
def test_serve_stops_with_one_line_not_a_traceback(tmp_path: Path, env: dict[str, str], variable: str):
    migrated = {"SWITCHBOARD_VAR_DIR": str(tmp_path)}
    assert _switchboard("migrate", env=migrated).returncode == 0
    result = _switchboard("serve", "--port", "1", env={**migrated, **env})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("switchboard:")]
    assert len(errors) == 1 and errors[0].startswith(f"switchboard: {variable}:"), result.stderr


def test_an_unmigrated_database_is_refused(tmp_path: Path):
    result = _switchboard("demo", env={"SWITCHBOARD_VAR_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "switchboard: DATABASE_URL:" in result.stderr and "switchboard migrate" in result.stderr


# ------------------------------------------------------------------------- the scheduler's settings


def test_scheduler_defaults(tmp_path: Path):
    settings = load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path)})
    assert settings.scheduler_enabled is True
    assert settings.scheduler_interval == 10


@pytest.mark.parametrize(
    "name, value, attribute, expected",
    [
        ("SWITCHBOARD_SCHEDULER", "false", "scheduler_enabled", False),
        ("SWITCHBOARD_SCHEDULER", "FALSE", "scheduler_enabled", False),
        ("SWITCHBOARD_SCHEDULER", "true", "scheduler_enabled", True),
        ("SWITCHBOARD_SCHEDULER", "", "scheduler_enabled", True),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "2.5", "scheduler_interval", 2.5),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "60", "scheduler_interval", 60),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "0.1", "scheduler_interval", 0.1),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "3600", "scheduler_interval", 3600),
        ("SWITCHBOARD_SCHEDULER_INTERVAL", "", "scheduler_interval", 10),
    ],
)
def test_scheduler_values(tmp_path: Path, name: str, value: str, attribute: str, expected: object):
    settings = load_settings({"SWITCHBOARD_VAR_DIR": str(tmp_path), name: value})
    assert getattr(settings, attribute) == expected


def test_worker_stops_with_one_line_on_a_wrong_interval(tmp_path: Path):
    migrated = {"SWITCHBOARD_VAR_DIR": str(tmp_path)}
    assert _switchboard("migrate", env=migrated).returncode == 0
    result = _switchboard("worker", env={**migrated, "SWITCHBOARD_SCHEDULER_INTERVAL": "0"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("switchboard:")]
    assert len(errors) == 1 and errors[0].startswith("switchboard: SWITCHBOARD_SCHEDULER_INTERVAL:"), result.stderr
    assert result.stdout == ""


def test_worker_once_fires_what_is_due_and_prints_its_report(tmp_path: Path):
    env = {"SWITCHBOARD_VAR_DIR": str(tmp_path)}
    assert _switchboard("migrate", env=env).returncode == 0
    assert _switchboard("demo", env=env).returncode == 0
    result = _switchboard("worker", "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # nothing of the fresh demo data is due yet
    assert result.stdout.splitlines() == [
        "switchboard: scheduler fired 0 (back_from_waiting=0, closed_without_response=0, feedback_closed=0, "
        "due_missed=0, sub_case_waits_closed=0, reply_waits_closed=0)"
    ]
