"""The audit log: one entry per administrative change, written in the change's own transaction
(so a rejected change leaves no entry, and an accepted one always has its entry).

    async with unit_of_work():
        ... change the user ...
        await audit.record(viewer, "user.updated", user, changes=audit.diff(before, after))

Every administrative domain action (organisation, contacts, mail administration, API keys, access,
sessions) records here; admins read the log through `entries`, newest first.

Field names in `changes` are the domain's (snake_case, as the change's dict has them); the API
shows them as its input fields are named (camelCase). A secret is never logged: `secret` says
only that it was set, changed or cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from tortoise.expressions import Q

from models.audit import AuditEntry
from server.domain import clock, limits, permissions
from server.domain.errors import ValidationError
from server.domain.viewer import Viewer

# what a target is called in the log, by model class name
TARGET_TYPES = {
    "User": "user", "Team": "team", "Queue": "queue", "Company": "company", "Category": "category",
    "CaseType": "case_type", "Contact": "contact", "Department": "department", "UserGroup": "user_group",
    "ApiKey": "api_key", "SmtpConnector": "smtp_connector", "Mailbox": "mailbox",
    "DepartmentAlias": "department_alias", "MailRoute": "mail_route", "BlockedAddress": "blocked_address",
    "MailSettings": "mail_settings", "EmailTemplate": "email_template", "ActionTemplate": "action_template",
    "CaseStep": "case_step",
}
MAX_PAGE = 100


def _json(value: Any) -> Any:
    """A value as the log keeps it: JSON types only (enums by value, times and others as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "value") and isinstance(value.value, (str, int)):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value differs, as {field: {"from": old, "to": new}}."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = _json(before.get(name)), _json(after.get(name))
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes


def created(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"to": _json(value)} for name, value in sorted(values.items()) if value is not None}


def deleted(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"from": _json(value)} for name, value in sorted(values.items()) if value is not None}


def values(row: Any, names: Any) -> dict[str, Any]:
    """The named attributes of `row`, for `diff`, `created` or `deleted`."""
    return {name: getattr(row, name) for name in names}


def secret(had: bool, changed: bool, now: bool) -> dict[str, dict[str, Any]]:
    """A write-only secret's change without its value: {"from": "set" or None, "to": "changed",
    "set" or None}; nothing when it was not given."""
    if not changed:
        return {}
    return {"from": "set" if had else None, "to": ("changed" if had else "set") if now else None}


def _target_name(target: Any) -> str:
    for attribute in ("name", "email", "address", "ref"):
        value = getattr(target, attribute, None)
        if isinstance(value, str) and value:
            return value[:320]
    return ""


async def record(
    viewer: Viewer | None,
    action: str,
    target: Any,
    *,
    changes: Mapping[str, Any] | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    target_name: str | None = None,
) -> AuditEntry:
    """Log one change to `target` (a model instance) made by `viewer` (None: the system). Call it
    inside the change's unit of work."""
    kind = type(target).__name__
    if viewer is None:
        actor_kind, actor_id, actor_name = "SYSTEM", None, "Switchboard"
    else:
        actor_kind, actor_id, actor_name = viewer.kind.value, viewer.id, viewer.name[:200]
    return await AuditEntry.create(
        at=clock.now(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target_type=target_type or TARGET_TYPES.get(kind, kind.lower()),
        target_id=str(target_id if target_id is not None else getattr(target, "id", ""))[:64],
        target_name=(target_name if target_name is not None else _target_name(target))[:320],
        changes=_json(dict(changes or {})),
    )


async def record_changes(
    viewer: Viewer | None, action: str, target: Any, before: Mapping[str, Any], after: Mapping[str, Any], **extra: Any
) -> AuditEntry | None:
    """`record` the fields that differ between `before` and `after`; nothing when none does (a
    change that changed nothing leaves no entry)."""
    changes = diff(before, after)
    if not changes:
        return None
    return await record(viewer, action, target, changes=changes, **extra)


@dataclass(frozen=True)
class AuditFilter:
    target_type: str | None = None
    target_id: str | None = None
    actor_id: int | None = None
    action_prefix: str | None = None  # "user." : every change to users


def filtered(f: AuditFilter) -> Q:
    q = Q()
    if f.target_type:
        q &= Q(target_type=f.target_type)
    if f.target_id:
        q &= Q(target_id=f.target_id)
    if f.actor_id is not None:
        q &= Q(actor_id=f.actor_id, actor_kind="USER")
    if f.action_prefix:
        q &= Q(action__startswith=f.action_prefix)
    return q


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]  # newest first
    has_next: bool


async def entries(viewer: Viewer, f: AuditFilter, first: int, before_id: int | None = None) -> AuditPage:
    """Admins: `first` (1 to MAX_PAGE) entries matching `f`, newest first, older than the entry
    `before_id` when given (the cursor of the page before). Anyone else: FORBIDDEN."""
    permissions.require_admin(viewer, "read the audit log")
    limits.check({"targetType": f.target_type, "targetId": f.target_id, "action": f.action_prefix})
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {first}")
    query = AuditEntry.filter(filtered(f))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = list(await query.order_by("-id").limit(first + 1))
    return AuditPage(rows[:first], len(rows) > first)
