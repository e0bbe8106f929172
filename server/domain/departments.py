"""Departments and who may work in them (SPEC §1, seed 003), and moving work between them.

Admins manage departments (settings, alias addresses), user groups (departments in bulk, public
departments, a default department, members) and personal grants. Access is read per request
(server.domain.viewer), so a change takes effect on the next request and the next pushed event.

Moving a work item to another department is not an admin action: the mover needs the lifecycle
permission on the item and the right to create in the target department.

Field changes arrive as dicts holding only the fields the caller set, in domain names; a present
key with None clears the field (where it may be cleared).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from tortoise.exceptions import IntegrityError

from models.email import Mailbox, SmtpConnector
from models.enums import Status, TimelineKind
from models.org import ContactGroup, Department, DepartmentAlias, Queue, User, UserGroup
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock, lifecycle, visibility, workflow
from server.domain.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from server.domain.lifecycle import Outcome
from server.domain.timeline import actor_event_fields
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer, ViewerKind, user_viewer
from server.domain.work_items import event_base, save_changes
from server.mail import addresses
from server.subscriptions.events import TimelineEntryAdded, WorkItemFieldsChanged

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
GROUP_RELATIONS = ("default_department", "departments", "public_departments", "members")
GROUP_FIELDS = frozenset({"name", "default_department_id", "department_ids", "public_department_ids", "member_ids"})
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


def require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise Forbidden("Only admins manage departments and access to them.")


def _raise(problems: list[FieldProblem], what: str) -> None:
    if problems:
        raise ValidationError(f"The {what} has invalid fields: " + "; ".join(p.message for p in problems), problems)


def _unique_violation() -> Conflict:
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


async def _check_name(changes: dict[str, Any], department_id: int | None, problems: list[FieldProblem]) -> None:
    if "name" not in changes:
        if department_id is None:
            problems.append(FieldProblem("name", "name is required"))
        return
    name = (changes["name"] or "").strip()
    changes["name"] = name
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    elif len(name) > MAX_NAME:
        problems.append(FieldProblem("name", f"name must be at most {MAX_NAME} characters"))
    else:
        same = Department.filter(name__iexact=name)
        if department_id is not None:
            same = same.exclude(id=department_id)
        if await same.exists():
            problems.append(FieldProblem("name", f"a department named {name!r} already exists"))


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
    return result


async def _department_changes(fields: dict[str, Any], department_id: int | None) -> tuple[dict[str, Any], list[str] | None]:
    unknown = set(fields) - DEPARTMENT_FIELDS
    if unknown:
        raise ValueError(f"not department settings: {sorted(unknown)}")
    changes = dict(fields)
    problems: list[FieldProblem] = []
    await _check_name(changes, department_id, problems)
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
    _raise(problems, "department")
    return changes, aliases


async def _replace_aliases(department: Department, wanted: list[str]) -> list[str]:
    await DepartmentAlias.filter(department_id=department.id).exclude(address__in=wanted).delete()
    kept = set(await DepartmentAlias.filter(department_id=department.id).values_list("address", flat=True))
    for address in wanted:
        if address not in kept:
            await DepartmentAlias.create(address=address, department_id=department.id)
    return sorted(wanted)


async def create_department(viewer: Viewer, fields: dict[str, Any]) -> DepartmentSettings:
    require_admin(viewer)
    changes, aliases = await _department_changes(fields, None)
    try:
        async with unit_of_work():
            department = await Department.create(**changes)
            stored = await _replace_aliases(department, aliases or [])
    except IntegrityError:
        raise _unique_violation() from None
    return DepartmentSettings(department, stored)


async def update_department(viewer: Viewer, department_id: int, fields: dict[str, Any]) -> DepartmentSettings:
    require_admin(viewer)
    if not await Department.exists(id=department_id):
        raise NotFound(f"No department {department_id} exists.", field="id")
    changes, aliases = await _department_changes(fields, department_id)
    try:
        async with unit_of_work():
            if changes:
                await Department.filter(id=department_id).update(**changes)
            department = await Department.get(id=department_id)
            if aliases is not None:
                stored = await _replace_aliases(department, aliases)
            else:
                stored = sorted(await DepartmentAlias.filter(department_id=department_id).values_list("address", flat=True))
    except IntegrityError:
        raise _unique_violation() from None
    return DepartmentSettings(department, stored)


# ------------------------------------------------------------------------------------ user access


async def _existing_departments(ids: Iterable[int], field: str, problems: list[FieldProblem]) -> list[Department]:
    wanted = set(ids)
    found = await Department.filter(id__in=sorted(wanted)).order_by("id")
    missing = sorted(wanted - {d.id for d in found})
    if missing:
        problems.append(FieldProblem(field, f"no department {', '.join(map(str, missing))}"))
    return found


@dataclass
class UserAccess:
    user: User
    departments: list[Department]  # personal grants
    granted_department_ids: frozenset[int]  # personal and through groups: every item seen
    public_department_ids: frozenset[int]  # through groups: only the items they created


async def set_user_departments(viewer: Viewer, user_id: int, department_ids: list[int]) -> UserAccess:
    """Replace a user's personal department grants (their groups' grants stay)."""
    require_admin(viewer)
    problems: list[FieldProblem] = []
    user = await User.get_or_none(id=user_id)
    if user is None:
        problems.append(FieldProblem("userId", f"no user {user_id}"))
    departments = await _existing_departments(department_ids, "departmentIds", problems)
    _raise(problems, "access")
    async with unit_of_work():
        await user.departments.clear()
        if departments:
            await user.departments.add(*departments)
    now = await user_viewer(user)
    return UserAccess(user, sorted(departments, key=lambda d: d.name), now.department_ids, now.public_department_ids)


async def user_groups(viewer: Viewer) -> list[UserGroup]:
    require_admin(viewer)
    return list(await UserGroup.all().order_by("name").prefetch_related(*GROUP_RELATIONS))


async def _group_changes(fields: dict[str, Any], group_id: int | None) -> dict[str, Any]:
    unknown = set(fields) - GROUP_FIELDS
    if unknown:
        raise ValueError(f"not user group fields: {sorted(unknown)}")
    changes = dict(fields)
    problems: list[FieldProblem] = []
    if "name" in changes or group_id is None:
        name = (changes.get("name") or "").strip()
        changes["name"] = name
        if not name:
            problems.append(FieldProblem("name", "name is required"))
        elif len(name) > MAX_NAME:
            problems.append(FieldProblem("name", f"name must be at most {MAX_NAME} characters"))
        else:
            same = UserGroup.filter(name__iexact=name)
            if group_id is not None:
                same = same.exclude(id=group_id)
            if await same.exists():
                problems.append(FieldProblem("name", f"a user group named {name!r} already exists"))
    if changes.get("default_department_id") is not None:
        await _existing_departments([changes["default_department_id"]], "defaultDepartmentId", problems)
    for name in ("department_ids", "public_department_ids"):
        if name in changes:
            if changes[name] is None:
                changes[name] = []
            changes[name] = await _existing_departments(changes[name], API_NAMES[name], problems)
    if "member_ids" in changes:
        wanted = set(changes["member_ids"] or [])
        members = await User.filter(id__in=sorted(wanted)).order_by("id")
        if missing := sorted(wanted - {u.id for u in members}):
            problems.append(FieldProblem("memberIds", f"no user {', '.join(map(str, missing))}"))
        changes["member_ids"] = members
    _raise(problems, "user group")
    return changes


async def _replace(relation: Any, rows: list[Any]) -> None:
    await relation.clear()
    if rows:
        await relation.add(*rows)


async def _save_group(group: UserGroup, changes: dict[str, Any]) -> UserGroup:
    own = {k: v for k, v in changes.items() if k in ("name", "default_department_id")}
    if own:
        await UserGroup.filter(id=group.id).update(**own)
        await group.refresh_from_db()
    if "department_ids" in changes:
        await _replace(group.departments, changes["department_ids"])
    if "public_department_ids" in changes:
        await _replace(group.public_departments, changes["public_department_ids"])
    if "member_ids" in changes:
        await _replace(group.members, changes["member_ids"])
    return group


async def create_user_group(viewer: Viewer, name: str, default_department_id: int | None) -> UserGroup:
    require_admin(viewer)
    changes = await _group_changes({"name": name, "default_department_id": default_department_id}, None)
    try:
        async with unit_of_work():
            group = await UserGroup.create(**changes)
    except IntegrityError:
        raise _unique_violation() from None
    await group.fetch_related(*GROUP_RELATIONS)
    return group


async def update_user_group(viewer: Viewer, group_id: int, fields: dict[str, Any]) -> UserGroup:
    """Rename, change the default department; each list given replaces the group's list."""
    require_admin(viewer)
    if not await UserGroup.exists(id=group_id):
        raise NotFound(f"No user group {group_id} exists.", field="id")
    changes = await _group_changes(fields, group_id)
    try:
        async with unit_of_work():
            group = await _save_group(await UserGroup.get(id=group_id), changes)
    except IntegrityError:
        raise _unique_violation() from None
    await group.fetch_related(*GROUP_RELATIONS)
    return group


# ------------------------------------------------------------------------------ moving work items


async def _department_changed(
    uow: UnitOfWork, item: WorkItem, actor: Viewer, *, from_department_id: int, from_queue_id: int | None
) -> TimelineEntry:
    """The DEPARTMENT_CHANGED timeline entry, written and announced like server.domain.timeline's."""
    entry = await TimelineEntry.create(
        work_item_id=item.id,
        kind=TimelineKind.DEPARTMENT_CHANGED,
        actor_user_id=actor.id if actor.kind is ViewerKind.USER else None,
        actor_contact_id=actor.id if actor.kind is ViewerKind.CONTACT else None,
        actor_api_key_id=actor.id if actor.kind is ViewerKind.API_KEY else None,
        data={
            "from_department_id": from_department_id,
            "to_department_id": item.department_id,
            "from_queue_id": from_queue_id,
            "to_queue_id": item.queue_id,
        },
        created_at=clock.now(),
    )
    uow.emit(
        TimelineEntryAdded(
            work_item_id=item.id, ref=item.ref, department_id=item.department_id, version=item.version,
            entry_id=entry.id, kind=TimelineKind.DEPARTMENT_CHANGED.value, **actor_event_fields(actor),
        )
    )
    return entry


async def _target_queue(department: Department, queue_id: int | None) -> Queue:
    if queue_id is not None:
        queue = await Queue.get_or_none(id=queue_id, department_id=department.id)
        if queue is None:
            raise ValidationError.single("queueId", f"queue {queue_id} is not a queue of {department.name}")
        return queue
    queue = await Queue.filter(department_id=department.id).order_by("id").first()
    if queue is None:
        raise ValidationError.single("queueId", f"{department.name} has no queue to move work into")
    return queue


def _check_can_move_into(viewer: Viewer, item: WorkItem, department: Department) -> None:
    """Full access to the target, or a public grant for an item the mover created (SPEC §1)."""
    visibility.check_can_create_in(viewer, department.id)
    public_only = not viewer.is_admin and department.id not in viewer.department_ids
    if public_only and item.created_by_id != viewer.id:
        raise Forbidden(
            f"{department.name} is public for you: you may move only work you created into it.", field="departmentId"
        )


async def move_work_item(
    viewer: Viewer, ref: str, department_id: int, queue_id: int | None, version: int | None
) -> Outcome:
    """Move an item to another department and one of its queues (the team follows the queue).

    An assignee who may not hold work there (assignees only from staff) is dropped and the item
    goes back TO_DO; a draft stays a draft. Closed work does not move."""
    async with unit_of_work() as uow:
        item = await lifecycle.load_for_change(viewer, ref, version)
        department = await Department.get_or_none(id=department_id)
        if department is None:
            raise ValidationError.single("departmentId", f"no department {department_id}")
        _check_can_move_into(viewer, item, department)
        if item.status is Status.CLOSED:
            raise InvalidTransition(
                f"{item.ref} is closed; it can no longer move.", field="ref", **{"from": "CLOSED", "to": "CLOSED"}
            )
        if item.department_id == department.id:
            raise ValidationError.single(
                "departmentId", f"{item.ref} is already in {department.name}; change its queue with updateWorkItem"
            )
        queue = await _target_queue(department, queue_id)
        from_department_id, from_queue_id = item.department_id, item.queue_id
        await save_changes(item, {"department_id": department.id, "queue_id": queue.id, "team_id": queue.team_id})
        uow.emit(WorkItemFieldsChanged(**event_base(item, viewer), fields=("departmentId", "queueId")))
        entry = await _department_changed(uow, item, viewer, from_department_id=from_department_id, from_queue_id=from_queue_id)

        notices = []
        if item.assignee_id is not None:
            try:
                await lifecycle.check_assignable(item, item.assignee_id)
            except ValidationError as problem:
                reason = f"unassigned on the move to {department.name}: {problem.message}"
                if item.status in workflow.OPEN and item.status is not Status.TO_DO:
                    await lifecycle.change_status(uow, item, viewer, Status.TO_DO, assignee=None, reason=reason)
                else:
                    await lifecycle.set_assignee(uow, item, viewer, None)
                notices.append(f"{item.ref} was {reason}.")
    return Outcome(item, notices=notices, entry=entry)
