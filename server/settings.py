"""Configuration from the environment, with embedded defaults.

Every variable is read in one place, checked, and turned into a frozen `Settings`. A wrong value
raises `ConfigError` whose message is one line naming the variable; the command line prints that
line and exits instead of showing a traceback.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = ROOT / "var"


class ConfigError(Exception):
    """A configuration value is wrong; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    host: str
    port: int
    production: bool
    token_ttl_seconds: int
    var_dir: Path
    channel_prefix: str
    scheduler_enabled: bool  # the server process runs the timed transitions (SPEC §2.2) itself
    scheduler_interval: float  # seconds between two scheduler sweeps
    # HTTP: request size bounds and slow-client deadlines (server/http)
    max_body_bytes: int
    max_query_string_bytes: int
    header_timeout: float  # seconds from a request's first byte (or the connection) to its last header
    body_timeout: float  # seconds from the end of the headers to the last byte of the body
    keep_alive_timeout: float  # seconds an idle keep-alive connection stays open
    limit_concurrency: int  # open connections (HTTP and WebSocket) and requests before 503
    # per identity (user, portal contact or API key), counted in each server process
    max_connections_per_principal: int  # open WebSocket connections
    max_subscriptions_per_principal: int  # operations running over its WebSockets
    ws_ping_interval: float = 20.0  # seconds between the server's WebSocket pings
    ws_ping_timeout: float = 20.0  # seconds a client has to answer one before it is dropped (1011)
    ws_outgoing_queue: int = 1000  # messages queued for one WebSocket before a slow client is closed (1013)
    event_retention_days: float = 7.0  # the event log keeps this long; older cursors get RESYNC_REQUIRED
    presence_heartbeat: float = 20.0  # seconds between two presence heartbeats (and sweeps) of a process
    presence_timeout: float = 60.0  # a connection not seen this long (its process died) is OFFLINE
    mail_enabled: bool = True  # this process sends the outbox (server/mail/sender.py)
    mail_send_interval: float = 2.0  # seconds between two rounds of the outbox when nothing was due
    mail_collect_interval: float = 30.0  # seconds between two looks at which mailboxes to collect
    max_upload_bytes: int = 25 * 1024 * 1024  # body of a multipart/form-data request (file uploads)
    # Argon2id cost of a new password hash (server/domain/auth.py); a stored hash keeps its own and
    # is rehashed at its next successful sign-in when these change
    password_time_cost: int = 3
    password_memory_kib: int = 64 * 1024

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def tortoise_db_url(self) -> str:
        """The URL as Tortoise expects it (it knows `postgres://`, not `postgresql://`)."""
        if self.database_url.startswith("postgresql://"):
            return "postgres://" + self.database_url[len("postgresql://") :]
        return self.database_url


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _float(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {raw!r}") from None
    if not low <= value <= high:  # also refuses nan and inf
        raise ConfigError(f"{name}: must be between {low:g} and {high:g}, got {raw.strip()}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _database_url(env: dict[str, str], var_dir: Path) -> str:
    raw = env.get("DATABASE_URL") or f"sqlite://{var_dir / 'switchboard.sqlite3'}"
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        path = raw[len("sqlite://") :]
        if not path:
            raise ConfigError("DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://var/db.sqlite3")
        if path != ":memory:":
            parent = Path(path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"DATABASE_URL: cannot create directory {parent}: {exc.strerror}") from None
        return raw
    if parts.scheme in ("postgres", "postgresql"):
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError(
                "DATABASE_URL: a PostgreSQL URL needs a host and a database, "
                "e.g. postgres://user@127.0.0.1:5432/switchboard"
            )
        return raw
    raise ConfigError(
        f"DATABASE_URL: unsupported scheme {parts.scheme or '(none)'!r}; use sqlite://PATH or postgres://…"
    )


def _redis_url(env: dict[str, str]) -> str | None:
    raw = env.get("REDIS_URL")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(f"REDIS_URL: expected redis://host:port/db, got {raw!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"REDIS_URL: bad port in {raw!r}") from None
    return raw


def _secret_key(env: dict[str, str], var_dir: Path) -> str:
    raw = env.get("SWITCHBOARD_SECRET_KEY")
    if raw:
        if len(raw) < 32:
            raise ConfigError("SWITCHBOARD_SECRET_KEY: must be at least 32 characters long")
        return raw
    key_file = var_dir / "secret_key"
    try:
        if key_file.exists():
            key = key_file.read_text().strip()
            if len(key) >= 32:
                return key
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
        return key
    except OSError as exc:
        raise ConfigError(
            f"SWITCHBOARD_SECRET_KEY: unset, and the generated key cannot be kept in {key_file}: {exc.strerror}"
        ) from None


def _presence(env: dict[str, str]) -> dict[str, float]:
    heartbeat = _float(env, "SWITCHBOARD_PRESENCE_HEARTBEAT", 20.0, 0.1, 3600.0)
    timeout = _float(env, "SWITCHBOARD_PRESENCE_TIMEOUT", 60.0, 1.0, 86400.0)
    if heartbeat >= timeout:
        raise ConfigError(f"SWITCHBOARD_PRESENCE_HEARTBEAT: must be less than SWITCHBOARD_PRESENCE_TIMEOUT ({timeout:g}), got {heartbeat:g}")
    return {"presence_heartbeat": heartbeat, "presence_timeout": timeout}


# OWASP's smallest recommended Argon2id cost (m=19 MiB, t=2): production refuses less
PRODUCTION_MIN_PASSWORD_MEMORY_KIB = 19 * 1024
PRODUCTION_MIN_PASSWORD_TIME_COST = 2


def _password_cost(env: dict[str, str], production: bool) -> dict[str, int]:
    time_cost = _int(env, "SWITCHBOARD_PASSWORD_TIME_COST", 3, 1, 20)
    memory_kib = _int(env, "SWITCHBOARD_PASSWORD_MEMORY_KIB", 64 * 1024, 32, 4 * 1024 * 1024)
    if production and time_cost < PRODUCTION_MIN_PASSWORD_TIME_COST:
        raise ConfigError(
            f"SWITCHBOARD_PASSWORD_TIME_COST: at least {PRODUCTION_MIN_PASSWORD_TIME_COST} in production, got {time_cost}"
        )
    if production and memory_kib < PRODUCTION_MIN_PASSWORD_MEMORY_KIB:
        raise ConfigError(
            f"SWITCHBOARD_PASSWORD_MEMORY_KIB: at least {PRODUCTION_MIN_PASSWORD_MEMORY_KIB} in production, got {memory_kib}"
        )
    return {"password_time_cost": time_cost, "password_memory_kib": memory_kib}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    var_dir = Path(env.get("SWITCHBOARD_VAR_DIR") or DEFAULT_VAR_DIR)
    mode = (env.get("SWITCHBOARD_ENV") or "development").strip().lower()
    if mode not in ("development", "production"):
        raise ConfigError(f"SWITCHBOARD_ENV: expected development or production, got {mode!r}")
    host = env.get("SWITCHBOARD_HOST") or "127.0.0.1"
    return Settings(
        database_url=_database_url(env, var_dir),
        redis_url=_redis_url(env),
        secret_key=_secret_key(env, var_dir),
        host=host,
        port=_int(env, "SWITCHBOARD_PORT", 8000, 1, 65535),
        production=mode == "production",
        token_ttl_seconds=_int(env, "SWITCHBOARD_TOKEN_TTL", 12 * 3600, 60, 90 * 24 * 3600),
        var_dir=var_dir,
        channel_prefix=env.get("SWITCHBOARD_CHANNEL_PREFIX") or "switchboard",
        scheduler_enabled=_bool(env, "SWITCHBOARD_SCHEDULER", True),
        scheduler_interval=_float(env, "SWITCHBOARD_SCHEDULER_INTERVAL", 10.0, 0.1, 3600.0),
        max_body_bytes=_int(env, "SWITCHBOARD_MAX_BODY_BYTES", 1024 * 1024, 1024, 1024**3),
        max_upload_bytes=_int(env, "SWITCHBOARD_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, 1024, 1024**3),
        max_query_string_bytes=_int(env, "SWITCHBOARD_MAX_QUERY_STRING_BYTES", 32 * 1024, 1024, 60_000),
        header_timeout=_float(env, "SWITCHBOARD_HEADER_TIMEOUT", 10.0, 0.1, 600.0),
        body_timeout=_float(env, "SWITCHBOARD_BODY_TIMEOUT", 30.0, 0.1, 3600.0),
        keep_alive_timeout=_float(env, "SWITCHBOARD_KEEP_ALIVE_TIMEOUT", 5.0, 0.1, 3600.0),
        limit_concurrency=_int(env, "SWITCHBOARD_LIMIT_CONCURRENCY", 1000, 1, 1_000_000),
        max_connections_per_principal=_int(env, "SWITCHBOARD_MAX_CONNECTIONS_PER_PRINCIPAL", 10, 1, 100_000),
        max_subscriptions_per_principal=_int(env, "SWITCHBOARD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL", 100, 1, 1_000_000),
        ws_ping_interval=_float(env, "SWITCHBOARD_WS_PING_INTERVAL", 20.0, 0.05, 3600.0),
        ws_ping_timeout=_float(env, "SWITCHBOARD_WS_PING_TIMEOUT", 20.0, 0.05, 3600.0),
        ws_outgoing_queue=_int(env, "SWITCHBOARD_WS_OUTGOING_QUEUE", 1000, 10, 1_000_000),
        event_retention_days=_float(env, "SWITCHBOARD_EVENT_RETENTION_DAYS", 7.0, 0.01, 3650.0),
        mail_enabled=_bool(env, "SWITCHBOARD_MAIL", True),
        mail_send_interval=_float(env, "SWITCHBOARD_MAIL_SEND_INTERVAL", 2.0, 0.05, 3600.0),
        mail_collect_interval=_float(env, "SWITCHBOARD_MAIL_COLLECT_INTERVAL", 30.0, 0.05, 3600.0),
        **_presence(env),
        **_password_cost(env, production=mode == "production"),
    )
