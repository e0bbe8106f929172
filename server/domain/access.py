"""Who may work in which department (SPEC §1, seed 003): personal grants and user groups —
departments in bulk, public departments, a default department, members. Admins only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tortoise.exceptions import IntegrityError

from models.org import Department, User, UserGroup
from server.domain import audit, limits
from server.domain.errors import FieldProblem, NotFound
from server.domain.events import UserAccessChanged
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer, user_viewer
from server.domain.departments import API_NAMES, check_unique_name, raise_problems, require_admin, unique_violation

GROUP_RELATIONS = ("default_department", "departments", "public_departments", "members")
GROUP_FIELDS = frozenset({"name", "default_department_id", "department_ids", "public_department_ids", "member_ids"})

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
    raise_problems(problems, "access")
    async with unit_of_work() as uow:
        before = sorted(await user.departments.all().values_list("name", flat=True))
        await user.departments.clear()
        if departments:
            await user.departments.add(*departments)
        await audit.record_changes(viewer, "user.departments_changed", user, {"departments": before},
                                   {"departments": sorted(d.name for d in departments)})
        uow.emit(UserAccessChanged(user_ids=(user.id,)))
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
    await check_unique_name(UserGroup, "user group", changes, group_id, problems)
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
    raise_problems(problems, "user group")
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


async def audited_group(group_id: int) -> dict[str, Any]:
    """What the audit log keeps of a user group: its name, default department and lists by name."""
    group = await UserGroup.get(id=group_id).prefetch_related(*GROUP_RELATIONS)
    return {
        "name": group.name,
        "default_department": group.default_department.name if group.default_department else None,
        "departments": sorted(d.name for d in group.departments),
        "public_departments": sorted(d.name for d in group.public_departments),
        "members": sorted(f"{u.name} <{u.email}>" for u in group.members),
    }


async def _members(group_id: int) -> set[int]:
    group = await UserGroup.get(id=group_id)
    return set(await group.members.all().values_list("id", flat=True))


async def create_user_group(viewer: Viewer, name: str, default_department_id: int | None) -> UserGroup:
    require_admin(viewer)
    limits.check({"name": name})
    changes = await _group_changes({"name": name, "default_department_id": default_department_id}, None)
    try:
        async with unit_of_work():
            group = await UserGroup.create(**changes)
            await audit.record(viewer, "user_group.created", group, changes=audit.created(await audited_group(group.id)))
    except IntegrityError:
        raise unique_violation() from None
    await group.fetch_related(*GROUP_RELATIONS)
    return group


async def update_user_group(viewer: Viewer, group_id: int, fields: dict[str, Any]) -> UserGroup:
    """Rename, change the default department; each list given replaces the group's list."""
    require_admin(viewer)
    limits.check(fields)
    if not await UserGroup.exists(id=group_id):
        raise NotFound(f"No user group {group_id} exists.", field="id")
    changes = await _group_changes(fields, group_id)
    try:
        async with unit_of_work() as uow:
            before = await _members(group_id)
            recorded = await audited_group(group_id)
            group = await _save_group(await UserGroup.get(id=group_id), changes)
            await audit.record_changes(viewer, "user_group.updated", group, recorded, await audited_group(group_id))
            # members who left or joined, or all of them when the group's grants changed
            after = await _members(group_id)
            scoped = {"department_ids", "public_department_ids"} & set(changes)
            affected = (before | after) if scoped else (before ^ after)
            if affected:
                uow.emit(UserAccessChanged(user_ids=tuple(sorted(affected))))
    except IntegrityError:
        raise unique_violation() from None
    await group.fetch_related(*GROUP_RELATIONS)
    return group
