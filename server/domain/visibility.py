"""The one layer that decides which work items a viewer may see and change.

Every read and write of work items goes through here: list queries start from
`visible_work_items`, single items are fetched with `get_work_item`, and an item outside the
viewer's scope answers exactly like one that does not exist.

Rules (SPEC §1, seed 003):
- an employee sees the departments granted to them or to one of their groups; admins see all;
- a department public for one of the employee's groups: they may create items there and see those
  they created, never the department's other items;
- an employee assigned an item, or owning a case, of a department they have no access to
  (possible where the department does not take assignees only from its staff) sees and works that
  item, and only it, for as long as they hold or own it;
- a portal contact reads nothing through the employees' API (every item answers like a missing
  one there): the portal shows them, through `portal_tickets` / `get_portal_ticket`, only tickets
  they requested, or their company's when their contact group allows it, in a requester's shape;
- an API key sees the departments it is scoped to, and writes only when it is read-write.

A pushed update (`visible_event`) reveals no more than the viewer's own query would: nothing about
an item while it was in a department the viewer does not see, and nothing to a portal contact. A
portal requester follows their tickets through `portal_event`: only what the portal shows them —
status, the title, description and category, and public communications (SPEC §7), never internal
notes, assignments, due dates or shared mail.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.enums import Status, WorkItemType
from models.work_item import WorkItem
from server.domain import refs
from server.domain.errors import Forbidden, NotFound, ValidationError
from server.domain.viewer import Viewer, ViewerKind
from server.domain.events import (
    DomainEvent,
    ItemHeader,
    TimelineEntryAdded,
    WorkItemCreated,
    WorkItemEvent,
    WorkItemFieldsChanged,
    WorkItemStatusChanged,
    WorkItemSubmitted,
    replace,
)

# the fields of a ticket the portal shows its requester, besides its status (SPEC §7)
REQUESTER_FIELDS = frozenset({"title", "description", "categoryId"})


def normalise_ref(ref: str) -> str:
    return refs.normalise(ref)


def work_item_scope(viewer: Viewer) -> Q | None:
    """A filter selecting exactly the viewer's work items, or None for everything (admins)."""
    if viewer.is_admin:
        return None
    if viewer.kind is ViewerKind.CONTACT:
        return Q(id__in=[])  # the portal's own queries: portal_scope
    scope = Q(department_id__in=sorted(viewer.department_ids)) if viewer.department_ids else Q(id__in=[])
    if viewer.kind is ViewerKind.USER:
        if viewer.public_department_ids:
            scope |= Q(department_id__in=sorted(viewer.public_department_ids), created_by_id=viewer.id)
        scope |= Q(assignee_id=viewer.id) | Q(owner_id=viewer.id)
    return scope


def visible_work_items(viewer: Viewer) -> QuerySet[WorkItem]:
    scope = work_item_scope(viewer)
    return WorkItem.all() if scope is None else WorkItem.filter(scope)


def can_see(viewer: Viewer, item: WorkItem) -> bool:
    """The same rule as `work_item_scope`, for an item already in memory."""
    return _sees(viewer, item, item.department_id)


def _sees(viewer: Viewer, item: WorkItem | ItemHeader, department_id: int) -> bool:
    """`can_see` for the item (or an event's header of it) as it is, but in `department_id`."""
    if viewer.is_admin:
        return True
    if viewer.kind is ViewerKind.CONTACT:
        return False  # the portal's own checks: portal_sees
    if department_id in viewer.department_ids:
        return True
    if viewer.kind is not ViewerKind.USER:
        return False
    if viewer.id in (item.assignee_id, item.owner_id):
        return True
    return department_id in viewer.public_department_ids and item.created_by_id == viewer.id


def reaches_only_through_public(viewer: Viewer, item: WorkItem) -> bool:
    """The viewer sees the item only because its department is public for one of their groups."""
    return (
        viewer.kind is ViewerKind.USER
        and not viewer.is_admin
        and item.department_id not in viewer.department_ids
        and item.department_id in viewer.public_department_ids
    )


def visible_event(viewer: Viewer, event: DomainEvent) -> DomainEvent | None:
    """`event` as `viewer` may be told of it, or None when they may be told nothing.

    Decided from the event alone, which carries the item's header as it stood after the change
    (no read of the item): the viewer must see the item in the department the event happened in.
    Portal contacts are told nothing here (their pushes: `portal_event`)."""
    if not isinstance(event, WorkItemEvent):
        return None
    if not _sees(viewer, event.item, event.department_id):
        return None
    return event


def can_see_now(viewer: Viewer, event: WorkItemEvent) -> bool:
    """The viewer may see the item as the event leaves it."""
    return _sees(viewer, event.item, event.department_id)


async def scope_key(viewer: Viewer) -> tuple:
    """The part of a viewer that can change what a work item's data shows them: two viewers with
    the same key see the same answer to every work item query (the cohort key of a live push).
    A user's own id is part of it only where it matters: they create in a public department, or
    hold (as assignee or owner) an item outside their departments."""
    if viewer.is_admin:
        return ("ADMIN",)
    if viewer.kind is ViewerKind.CONTACT:
        return ("CONTACT", viewer.id, viewer.company_id if viewer.sees_company_items else None)
    key: tuple = (viewer.kind.value, tuple(sorted(viewer.department_ids)))
    if viewer.kind is ViewerKind.USER:
        outside = WorkItem.filter(Q(assignee_id=viewer.id) | Q(owner_id=viewer.id)).exclude(department_id__in=sorted(viewer.department_ids) or [0])
        if viewer.public_department_ids or await outside.exists():
            key += (viewer.id, tuple(sorted(viewer.public_department_ids)))
    return key


def sees_department(viewer: Viewer, department_id: int) -> bool:
    """The viewer may see the department itself and its queues: admins every one, employees those
    granted to them or public for them, API keys those in their scope, portal contacts none. Any
    other department answers like one that does not exist."""
    if viewer.is_admin:
        return True
    return department_id in viewer.department_ids or department_id in viewer.public_department_ids


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
    """Creating an item needs full or public access to its department; a department the viewer
    may not see answers like one that does not exist."""
    if not viewer.can_write:
        raise Forbidden("This API key is read-only.")
    if viewer.kind is ViewerKind.CONTACT:
        raise Forbidden("Portal contacts submit tickets through the portal.")
    if not sees_department(viewer, department_id):
        raise no_such_department(department_id)


def no_such_department(department_id: int) -> ValidationError:
    """The answer for a department that does not exist, and for one the viewer may not see."""
    return ValidationError.single("departmentId", f"no department {department_id}")


# ------------------------------------------------------------------------------------ the portal


def portal_scope(viewer: Viewer) -> Q:
    """The tickets a portal contact follows: those they requested, and their company's where
    their contact group sees the company's items. Nothing for anyone else."""
    if viewer.kind is not ViewerKind.CONTACT:
        return Q(id__in=[])
    own = Q(type=WorkItemType.TICKET, requester_id=viewer.id)
    if viewer.sees_company_items and viewer.company_id is not None:
        return own | Q(type=WorkItemType.TICKET, company_id=viewer.company_id)
    return own


def portal_tickets(viewer: Viewer) -> QuerySet[WorkItem]:
    """The viewer's portal tickets; drafts are not submitted yet and never shown."""
    return WorkItem.filter(portal_scope(viewer)).exclude(status=Status.DRAFT)


def portal_sees(viewer: Viewer, item: WorkItem | ItemHeader) -> bool:
    """`portal_scope` for an item (or an event's header of it) already in memory."""
    if viewer.kind is not ViewerKind.CONTACT or item.type is not WorkItemType.TICKET:
        return False
    return item.requester_id == viewer.id or (
        viewer.sees_company_items and viewer.company_id is not None and item.company_id == viewer.company_id
    )


async def get_portal_ticket(viewer: Viewer, ref: str, *, for_update: bool = False) -> WorkItem:
    """The viewer's portal ticket by reference, or NotFound — identical for missing and out of scope."""
    query = portal_tickets(viewer).filter(ref=normalise_ref(ref))
    if for_update:
        query = query.select_for_update()
    item = await query.first()
    if item is None:
        raise NotFound(f"No ticket {normalise_ref(ref)!s} exists.", field="ref")
    return item


def portal_event(viewer: Viewer, event: DomainEvent) -> DomainEvent | None:
    """`event` as the portal may tell a requester of it: status changes (without who made them),
    changes to the fields the portal shows (only those named) and public timeline entries;
    nothing else, and nothing of a ticket they do not follow."""
    if not isinstance(event, WorkItemEvent) or not portal_sees(viewer, event.item):
        return None
    if isinstance(event, TimelineEntryAdded):
        return event if event.public else None
    anonymous = {"actor_kind": None, "actor_id": None, "actor_name": None}
    if isinstance(event, WorkItemFieldsChanged):
        shown = tuple(name for name in event.fields if name in REQUESTER_FIELDS)
        values = {k: v for k, v in event.values.items() if k in REQUESTER_FIELDS}
        return replace(event, **anonymous, fields=shown, values=values) if shown else None
    if isinstance(event, (WorkItemCreated, WorkItemSubmitted, WorkItemStatusChanged)):
        return replace(event, **anonymous)
    return None  # assignments, due dates, shared mail, and any kind not named here
