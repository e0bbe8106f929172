"""Categories of work items, administered by admins: created, renamed, deactivated and reactivated.
An inactive category cannot be chosen for an item (server/domain/work_item_fields.py); items that
have it keep it."""

from __future__ import annotations

from models.org import Category
from server.domain import audit, limits, permissions
from server.domain.departments import check_unique_name
from server.domain.errors import FieldProblem, NotFound
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

require_admin = permissions.admin_check("manage categories")


async def _name(name: str, other_than: int | None = None) -> str:
    """The name trimmed, required, and not another category's (ignoring case): the departments' rule."""
    problems: list[FieldProblem] = []
    changes = {"name": name}
    await check_unique_name(Category, "category", changes, other_than, problems)
    permissions.raise_problems(problems, "category")
    return changes["name"]


async def create_category(viewer: Viewer, name: str) -> Category:
    require_admin(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        category = await Category.create(name=await _name(name))
        await audit.record(viewer, "category.created", category, changes=audit.created({"name": category.name}))
    return category


async def update_category(viewer: Viewer, category_id: int, *, name: str | None = None, active: bool | None = None) -> Category:
    require_admin(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        category = await Category.filter(id=category_id).select_for_update().first() if 0 < category_id <= limits.MAX_DB_INT else None
        if category is None:
            raise NotFound(f"No category {category_id} exists.", field="id")
        before = {"name": category.name, "isActive": category.is_active}
        if name is not None:
            category.name = await _name(name, other_than=category.id)
        if active is not None:
            category.is_active = active
        changes = audit.diff(before, {"name": category.name, "isActive": category.is_active})
        if changes:
            await category.save()
            await audit.record(viewer, "category.updated", category, changes=changes)
    return category
