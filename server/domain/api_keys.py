"""API keys of partner systems (SPEC §1): issued, listed and revoked by admins.

A key is scoped to departments and is read-only unless issued read-write. Its token
(`sbk_<prefix>_<secret>`, server.domain.tokens) is shown once, when it is issued; only the
secret's SHA-256 is stored. Revoking is immediate: HTTP requests with the key are refused from
the commit on (server.domain.viewer.authenticate), and the `ApiKeyRevoked` event published after
the commit closes every WebSocket connection authenticated with it, in every server process
(server.subscriptions.access).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from models.auth import ApiKey
from models.org import Department, User
from server.domain import audit, clock, limits, permissions
from server.domain.errors import FieldProblem, NotFound, ValidationError
from server.domain.tokens import new_api_key_secret
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.domain.events import ApiKeyRevoked

MAX_NAME = 200  # models.auth.ApiKey.name
MAX_ID = limits.MAX_DB_INT  # ids are 32-bit integer columns; a larger one names nothing


@dataclass(frozen=True)
class IssuedApiKey:
    key: ApiKey  # with `departments` and `created_by` fetched
    token: str  # shown once, never stored


require_admin = permissions.admin_check("manage API keys")


async def _with_relations(key: ApiKey) -> ApiKey:
    await key.fetch_related("departments", "created_by")
    return key


async def create_api_key(
    name: str, department_ids: Iterable[int], *, can_write: bool, created_by: User | None, viewer: Viewer | None = None
) -> IssuedApiKey:
    """A new key for the named departments. No permission check: the admin action `create` and
    set-up code (the demo, tests) call this. Logged as made by `viewer` (None: the system); the
    log never holds the token or any part of it."""
    name = name.strip()
    wanted = set(department_ids)
    problems = []
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    elif len(name) > MAX_NAME:
        problems.append(FieldProblem("name", f"name must be at most {MAX_NAME} characters"))
    departments = await Department.filter(id__in=sorted(wanted)) if wanted and max(wanted) <= MAX_ID else []
    if not departments or len(departments) != len(wanted):
        problems.append(FieldProblem("departmentIds", "departmentIds must name existing departments"))
    if problems:
        raise ValidationError("The API key has invalid fields: " + "; ".join(p.message for p in problems), problems)
    token, prefix, digest = new_api_key_secret()
    async with unit_of_work():
        key = await ApiKey.create(name=name, prefix=prefix, secret_hash=digest, can_write=can_write, created_by=created_by)
        await key.departments.add(*departments)
        await audit.record(viewer, "api_key.created", key, changes=audit.created(
            {"name": name, "departments": sorted(d.name for d in departments), "can_write": can_write}
        ))
    return IssuedApiKey(await _with_relations(key), token)


async def create(viewer: Viewer, name: str, department_ids: Iterable[int], *, can_write: bool) -> IssuedApiKey:
    """An admin issues a key; the token in the result is the only time anyone sees the secret."""
    require_admin(viewer)
    limits.check({"name": name})
    return await create_api_key(name, department_ids, can_write=can_write, created_by=await User.get(id=viewer.id), viewer=viewer)


async def api_keys(viewer: Viewer) -> list[ApiKey]:
    """Every key, revoked ones included, newest first, with departments and creator fetched."""
    require_admin(viewer)
    return await ApiKey.all().order_by("-created_at", "-id").prefetch_related("departments", "created_by")


async def revoke(viewer: Viewer, key_id: int) -> ApiKey:
    """Revoke a key at once. Revoking a revoked key keeps its first `revoked_at`, and publishes the
    revocation again (closing any connection that missed it, e.g. during a broker outage)."""
    require_admin(viewer)
    async with unit_of_work() as uow:
        key = await ApiKey.filter(id=key_id).select_for_update().first() if 0 < key_id <= MAX_ID else None
        if key is None:
            raise NotFound(f"No API key {key_id} exists.", field="id")
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            await key.save(update_fields=["revoked_at"])
            await audit.record(viewer, "api_key.revoked", key, changes=audit.diff({"revoked_at": None}, {"revoked_at": key.revoked_at}))
        uow.emit(ApiKeyRevoked(api_key_id=key.id))
    return await _with_relations(key)
