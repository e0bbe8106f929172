"""Departments (SPEC §1, seed 003): admins manage their settings and alias addresses.

Access to departments is in server.domain.access (personal grants, user groups, public
departments); moving work between departments in server.domain.moves. Access is read per request
(server.domain.viewer), so a change takes effect on the next request and the next pushed event.

Field changes arrive as dicts holding only the fields the caller set, in domain names; a present
key with None clears the field (where it may be cleared).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from models.email import Mailbox, MailRoute, SmtpConnector
from models.org import ContactGroup, Department, DepartmentAlias, Queue
from server.domain import audit, limits, permissions
from server.domain.errors import Conflict, FieldProblem, NotFound, ValidationError
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import addresses

MAX_HOURS = 24 * 365
MAX_NAME = 200
MAX_SIGNATURE = 10_000
MAX_ALIASES = 100
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")

DEPARTMENT_FIELDS = frozenset(
    {
        "name", "sla_hours", "language", "notify_staff_of_new_tickets", "assignees_only_from_staff",
        "client_view_in_public", "aliases", "sender_name", "signature", "feedback_window_hours",
        "add_waiting_time_to_due", "resolution_note_required", "default_contact_group_id", "smtp_connector_id",
    }
)
FLAGS = (
    "notify_staff_of_new_tickets", "assignees_only_from_staff", "client_view_in_public",
    "add_waiting_time_to_due", "resolution_note_required",
)
# GraphQL names, for messages that name what the client sent
API_NAMES = {
    "name": "name", "sla_hours": "slaHours", "language": "language",
    "notify_staff_of_new_tickets": "notifyStaffOfNewTickets", "assignees_only_from_staff": "assigneesOnlyFromStaff",
    "client_view_in_public": "clientViewInPublic", "aliases": "aliases", "sender_name": "senderName",
    "signature": "signature", "feedback_window_hours": "feedbackWindowHours",
    "add_waiting_time_to_due": "addWaitingTimeToDue", "resolution_note_required": "resolutionNoteRequired",
    "default_contact_group_id": "defaultContactGroupId", "smtp_connector_id": "smtpConnectorId",
    "default_department_id": "defaultDepartmentId", "department_ids": "departmentIds",
    "public_department_ids": "publicDepartmentIds", "member_ids": "memberIds",
}


require_admin = permissions.admin_check("manage departments and access to them")


raise_problems = permissions.raise_problems


def unique_violation() -> Conflict:
    # two admins saving the same name or alias at once: the database kept one; the check will name it next time
    return Conflict("Another change used the same name or address at the same moment; nothing was changed, try again.")


# ------------------------------------------------------------------------------------ departments


@dataclass
class DepartmentSettings:
    department: Department
    aliases: list[str]


async def department_settings(viewer: Viewer) -> list[DepartmentSettings]:
    require_admin(viewer)
    departments = await Department.all().order_by("name")
    aliases: dict[int, list[str]] = {d.id: [] for d in departments}
    for alias in await DepartmentAlias.all().order_by("address"):
        aliases.setdefault(alias.department_id, []).append(alias.address)
    return [DepartmentSettings(d, aliases[d.id]) for d in departments]


def _text(changes: dict[str, Any], name: str, limit: int, problems: list[FieldProblem]) -> None:
    if name not in changes or changes[name] is None:
        return
    value = changes[name].strip() or None
    if value is not None and len(value) > limit:
        problems.append(FieldProblem(API_NAMES[name], f"{API_NAMES[name]} must be at most {limit} characters"))
    changes[name] = value


def _hours(changes: dict[str, Any], name: str, problems: list[FieldProblem], *, nullable: bool) -> None:
    if name not in changes:
        return
    value = changes[name]
    if value is None and nullable:
        return
    if value is None or not 1 <= value <= MAX_HOURS:
        problems.append(FieldProblem(API_NAMES[name], f"{API_NAMES[name]} must be between 1 and {MAX_HOURS}"))


async def check_unique_name(
    model: Any, label: str, changes: dict[str, Any], own_id: int | None, problems: list[FieldProblem]
) -> None:
    """`changes["name"]` trimmed, present when creating, and not taken by another `model` row
    (ignoring case)."""
    if "name" not in changes:
        if own_id is None:
            problems.append(FieldProblem("name", "name is required"))
        return
    name = (changes["name"] or "").strip()
    changes["name"] = name
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    elif len(name) > MAX_NAME:
        problems.append(FieldProblem("name", f"name must be at most {MAX_NAME} characters"))
    else:
        same = model.filter(name__iexact=name)
        if own_id is not None:
            same = same.exclude(id=own_id)
        if await same.exists():
            problems.append(FieldProblem("name", f"a {label} named {name!r} already exists"))


async def _check_aliases(values: list[str] | None, department_id: int | None, problems: list[FieldProblem]) -> list[str]:
    """The normalised, de-duplicated alias addresses, each free for this department."""
    result: list[str] = []
    for raw in values or []:
        address = addresses.normalise(raw or "")
        if address is None:
            problems.append(FieldProblem("aliases", f"{raw!r} is not an email address"))
        elif address not in result:
            result.append(address)
    if len(result) > MAX_ALIASES:
        problems.append(FieldProblem("aliases", f"a department has at most {MAX_ALIASES} alias addresses"))
    if not result:
        return result
    taken = DepartmentAlias.filter(address__in=result)
    if department_id is not None:
        taken = taken.exclude(department_id=department_id)
    for alias in await taken.prefetch_related("department").order_by("address"):
        problems.append(FieldProblem("aliases", f"{alias.address} is already an alias of {alias.department.name}"))
    for mailbox in await Mailbox.filter(address__in=result).order_by("address"):
        problems.append(FieldProblem("aliases", f"{mailbox.address} is a mailbox's own address, not an alias"))
    for route in await MailRoute.filter(address__in=result).prefetch_related("department").order_by("address"):
        problems.append(FieldProblem("aliases", f"{route.address} is already a route to {route.department.name}"))
    return result


async def _department_changes(fields: dict[str, Any], department_id: int | None) -> tuple[dict[str, Any], list[str] | None]:
    unknown = set(fields) - DEPARTMENT_FIELDS
    if unknown:
        raise ValueError(f"not department settings: {sorted(unknown)}")
    changes = dict(fields)
    problems: list[FieldProblem] = []
    await check_unique_name(Department, "department", changes, department_id, problems)
    _hours(changes, "sla_hours", problems, nullable=False)
    _hours(changes, "feedback_window_hours", problems, nullable=True)
    if "language" in changes:
        primary, sep, region = (changes["language"] or "").strip().partition("-")
        code = primary.lower() + sep + region
        if not _LANGUAGE.fullmatch(code):
            problems.append(FieldProblem("language", "language must be a short language code such as en, pl or pt-BR"))
        changes["language"] = code
    for flag in FLAGS:
        if flag in changes and changes[flag] is None:
            problems.append(FieldProblem(API_NAMES[flag], f"{API_NAMES[flag]} must be true or false"))
    _text(changes, "sender_name", MAX_NAME, problems)
    _text(changes, "signature", MAX_SIGNATURE, problems)
    if changes.get("default_contact_group_id") is not None and not await ContactGroup.exists(id=changes["default_contact_group_id"]):
        problems.append(FieldProblem("defaultContactGroupId", f"no contact group {changes['default_contact_group_id']}"))
    if changes.get("smtp_connector_id") is not None and not await SmtpConnector.exists(id=changes["smtp_connector_id"]):
        problems.append(FieldProblem("smtpConnectorId", f"no SMTP connector {changes['smtp_connector_id']}"))
    aliases = await _check_aliases(changes.pop("aliases"), department_id, problems) if "aliases" in changes else None
    raise_problems(problems, "department")
    return changes, aliases


async def _replace_aliases(department: Department, wanted: list[str]) -> list[str]:
    await DepartmentAlias.filter(department_id=department.id).exclude(address__in=wanted).delete()
    kept = set(await DepartmentAlias.filter(department_id=department.id).values_list("address", flat=True))
    for address in wanted:
        if address not in kept:
            await DepartmentAlias.create(address=address, department_id=department.id)
    return sorted(wanted)


# what the audit log keeps of a department: its settings, aliases included
AUDITED = sorted(DEPARTMENT_FIELDS - {"aliases"})


def audited(department: Department, aliases: list[str]) -> dict[str, Any]:
    return {**audit.values(department, AUDITED), "aliases": sorted(aliases)}


async def create_department(viewer: Viewer, fields: dict[str, Any]) -> DepartmentSettings:
    require_admin(viewer)
    limits.check(fields)
    changes, aliases = await _department_changes(fields, None)
    try:
        async with unit_of_work():
            department = await Department.create(**changes)
            stored = await _replace_aliases(department, aliases or [])
            await audit.record(viewer, "department.created", department, changes=audit.created(audited(department, stored)))
    except IntegrityError:
        raise unique_violation() from None
    return DepartmentSettings(department, stored)


async def update_department(viewer: Viewer, department_id: int, fields: dict[str, Any]) -> DepartmentSettings:
    require_admin(viewer)
    limits.check(fields)
    if not await Department.exists(id=department_id):
        raise NotFound(f"No department {department_id} exists.", field="id")
    changes, aliases = await _department_changes(fields, department_id)
    try:
        async with unit_of_work():
            current = await Department.select_for_update().get(id=department_id)
            before = audited(current, await DepartmentAlias.filter(department_id=department_id).values_list("address", flat=True))
            if changes:
                await Department.filter(id=department_id).update(**changes)
            department = await Department.get(id=department_id)
            if aliases is not None:
                stored = await _replace_aliases(department, aliases)
            else:
                stored = sorted(await DepartmentAlias.filter(department_id=department_id).values_list("address", flat=True))
            await audit.record_changes(viewer, "department.updated", department, before, audited(department, stored))
    except IntegrityError:
        raise unique_violation() from None
    return DepartmentSettings(department, stored)


async def department_queue(department_id: int, queue_id: int | None, *, where: str) -> Queue:
    """The queue `queue_id`, which must be one of the department's, or else the department's first
    queue; a VALIDATION error on queueId otherwise. `where` names the department in messages."""
    if queue_id is not None:
        queue = await Queue.get_or_none(id=queue_id, department_id=department_id)
        if queue is None:
            raise ValidationError.single("queueId", f"queue {queue_id} is not a queue of {where}")
        return queue
    queue = await Queue.filter(department_id=department_id).order_by("id").first()
    if queue is None:
        raise ValidationError.single("queueId", f"{where} has no queue")
    return queue
