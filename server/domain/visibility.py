"""The one layer that decides which work items a viewer may see and change.

Every read and write of work items goes through here: list queries start from
`visible_work_items`, single items are fetched with `get_work_item`, and an item outside the
viewer's scope answers exactly like one that does not exist.

Rules (SPEC §1, seed 003):
- an employee sees the departments granted to them or to one of their groups; admins see all;
- a department public for one of the employee's groups: they may create items there and see those
  they created, never the department's other items;
- a portal contact sees only tickets they requested, or their company's when their contact group
  allows it;
- an API key sees the departments it is scoped to, and writes only when it is read-write.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.enums import WorkItemType
from models.work_item import WorkItem
from server.domain.errors import Forbidden, NotFound
from server.domain.viewer import Viewer, ViewerKind


def normalise_ref(ref: str) -> str:
    return ref.strip().upper()


def work_item_scope(viewer: Viewer) -> Q | None:
    """A filter selecting exactly the viewer's work items, or None for everything (admins)."""
    if viewer.is_admin:
        return None
    if viewer.kind is ViewerKind.CONTACT:
        own = Q(type=WorkItemType.TICKET, requester_id=viewer.id)
        if viewer.sees_company_items and viewer.company_id is not None:
            return own | Q(type=WorkItemType.TICKET, company_id=viewer.company_id)
        return own
    scope = Q(department_id__in=sorted(viewer.department_ids)) if viewer.department_ids else Q(id__in=[])
    if viewer.kind is ViewerKind.USER and viewer.public_department_ids:
        scope |= Q(department_id__in=sorted(viewer.public_department_ids), created_by_id=viewer.id)
    return scope


def visible_work_items(viewer: Viewer) -> QuerySet[WorkItem]:
    scope = work_item_scope(viewer)
    return WorkItem.all() if scope is None else WorkItem.filter(scope)


def can_see(viewer: Viewer, item: WorkItem) -> bool:
    """The same rule as `work_item_scope`, for an item already in memory."""
    if viewer.is_admin:
        return True
    if viewer.kind is ViewerKind.CONTACT:
        if item.type is not WorkItemType.TICKET:
            return False
        return item.requester_id == viewer.id or (
            viewer.sees_company_items and viewer.company_id is not None and item.company_id == viewer.company_id
        )
    if item.department_id in viewer.department_ids:
        return True
    return (
        viewer.kind is ViewerKind.USER
        and item.department_id in viewer.public_department_ids
        and item.created_by_id == viewer.id
    )


def reaches_only_through_public(viewer: Viewer, item: WorkItem) -> bool:
    """The viewer sees the item only because its department is public for one of their groups."""
    return (
        viewer.kind is ViewerKind.USER
        and not viewer.is_admin
        and item.department_id not in viewer.department_ids
        and item.department_id in viewer.public_department_ids
    )


def not_found(ref: str) -> NotFound:
    return NotFound(f"No work item {normalise_ref(ref)!s} exists.", field="ref")


async def get_work_item(viewer: Viewer, ref: str, *, for_update: bool = False) -> WorkItem:
    """The viewer's work item by reference, or NotFound — identical for missing and out of scope."""
    query = visible_work_items(viewer).filter(ref=normalise_ref(ref))
    if for_update:
        query = query.select_for_update()
    item = await query.first()
    if item is None:
        raise not_found(ref)
    return item


def check_can_write(viewer: Viewer, item: WorkItem) -> None:
    """Writing needs read access (checked by the caller's fetch) and a viewer allowed to write.

    Portal contacts never edit a work item's fields: they reply and give feedback on the portal."""
    if not viewer.can_write:
        raise Forbidden("This API key is read-only.")
    if viewer.kind is ViewerKind.CONTACT:
        raise Forbidden(f"Portal contacts cannot change {item.ref} here.")


def check_can_create_in(viewer: Viewer, department_id: int) -> None:
    """Creating an item needs full or public access to its department."""
    if not viewer.can_write:
        raise Forbidden("This API key is read-only.")
    if viewer.kind is ViewerKind.CONTACT:
        raise Forbidden("Portal contacts submit tickets through the portal.")
    if viewer.is_admin or department_id in viewer.department_ids:
        return
    if viewer.kind is ViewerKind.USER and department_id in viewer.public_department_ids:
        return
    raise Forbidden("You have no access to this department.", field="departmentId")
