"""The audit log: one entry per administrative change, written in the change's own transaction
(so a rejected change leaves no entry, and an accepted one always has its entry).

    async with unit_of_work():
        ... change the user ...
        await audit.record(viewer, "user.updated", user, changes=audit.diff(before, after))

Every administrative domain action (organisation, contacts, mail administration, API keys, access,
sessions) records here; admins read the log through `entries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from tortoise.expressions import Q

from models.audit import AuditEntry
from server.domain import clock
from server.domain.viewer import Viewer

# what a target is called in the log, by model class name
TARGET_TYPES = {
    "User": "user", "Team": "team", "Queue": "queue", "Company": "company", "Category": "category",
    "CaseType": "case_type", "Contact": "contact", "Department": "department", "UserGroup": "user_group",
    "ApiKey": "api_key", "SmtpConnector": "smtp_connector", "Mailbox": "mailbox",
    "DepartmentAlias": "department_alias", "MailRoute": "mail_route", "BlockedAddress": "blocked_address",
    "MailSettings": "mail_settings", "EmailTemplate": "email_template", "ActionTemplate": "action_template",
}


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
