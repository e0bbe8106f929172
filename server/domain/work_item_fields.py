"""What a work item's fields may hold, and how an edit of them is recorded: the fields a caller
may set (with their API names), their checks — text, custom data, the ids they refer to (a
contact of another company answers like a missing one, a case owner follows the assignee's rule)
— and the from → to record of a FIELDS_CHANGED entry, with names next to ids."""

from __future__ import annotations

from typing import Any

from models.contact import Contact
from models.enums import Priority, Role
from models.org import Category, Company, Department, Queue, User
from server.domain import text
from server.domain.contacts import scope
from server.domain.errors import FieldProblem, ValidationError
from server.domain.transitions import check_may_hold

EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "category_id",
        "primary_contact_id",
        "requester_id",
        "contact_ids",
        "priority",
        "custom_data",
        "queue_id",
        "sla_hours",
        "owner_id",
    }
)
# GraphQL names of the fields, for messages that name what the client sent
API_NAMES = {
    "title": "title",
    "description": "description",
    "category_id": "categoryId",
    "primary_contact_id": "primaryContactId",
    "requester_id": "requesterId",
    "contact_ids": "contactIds",
    "priority": "priority",
    "custom_data": "customData",
    "queue_id": "queueId",
    "sla_hours": "slaHours",
    "owner_id": "ownerId",
    "department_id": "departmentId",
    "case_type_id": "caseTypeId",
}
MAX_CUSTOM_KEYS = 100


def clean_text(changes: dict[str, Any], problems: list[FieldProblem]) -> None:
    for name in ("title", "description"):
        if name in changes and changes[name] is not None:
            changes[name] = text.visible(changes[name])
    # their lengths are checked with every text input's (server/domain/limits.py)


def check_custom_data(changes: dict[str, Any], problems: list[FieldProblem]) -> None:
    if "custom_data" not in changes:
        return
    data = changes["custom_data"]
    if data is None:
        changes["custom_data"] = {}
        return
    if not isinstance(data, dict):
        problems.append(FieldProblem("customData", "customData must be an object of key → value"))
        return
    if len(data) > MAX_CUSTOM_KEYS:
        problems.append(FieldProblem("customData", f"customData holds at most {MAX_CUSTOM_KEYS} keys"))
    for key, value in data.items():
        if not key or len(key) > 100:
            problems.append(FieldProblem("customData", "customData keys must be 1 to 100 characters"))
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            problems.append(FieldProblem("customData", f"customData.{key} must be a string, number, boolean or null"))


async def check_references(
    changes: dict[str, Any], department_id: int, company_id: int | None, problems: list[FieldProblem], *, test_mode: bool = False
) -> int | None:
    """Check the ids in `changes`; returns the item's company after the change. A contact created
    in test mode exists only for items in test mode (and the others only outside it)."""
    if changes.get("category_id") is not None:
        if not await Category.exists(id=changes["category_id"], is_active=True):
            problems.append(FieldProblem("categoryId", f"no active category {changes['category_id']}"))
    if changes.get("queue_id") is not None:
        if not await Queue.exists(id=changes["queue_id"], department_id=department_id):
            problems.append(FieldProblem("queueId", f"queue {changes['queue_id']} is not a queue of this department"))
    if changes.get("owner_id") is not None:
        problems += await _owner_problems(changes["owner_id"], department_id)
    if changes.get("sla_hours") is not None and not 1 <= changes["sla_hours"] <= 24 * 365:
        problems.append(FieldProblem("slaHours", "slaHours must be between 1 and 8760"))

    # in the order given: the caller puts the contacts an item keeps first, so that a new contact of
    # another company is the one refused (answering as a missing one would)
    contact_fields: list[tuple[str, int]] = []
    for n, value in changes.items():
        if n in ("primary_contact_id", "requester_id") and value is not None:
            contact_fields.append((n, value))
        elif n == "contact_ids":
            contact_fields += [(n, cid) for cid in value or []]
    if not contact_fields:
        return company_id
    ids = {cid for _, cid in contact_fields}
    contacts = {c.id: c for c in await Contact.filter(id__in=ids)}
    for name, cid in contact_fields:
        contact = contacts.get(cid)
        if contact is None or contact.test_mode != test_mode:
            problems.append(FieldProblem(API_NAMES[name], _no_such_contact(cid)))
        else:
            fits, company_id = scope.joined(company_id, contact.company_id)
            if not fits:
                problems.append(FieldProblem(API_NAMES[name], _no_such_contact(cid)))  # as if missing
    return company_id


async def _owner_problems(owner_id: int, department_id: int) -> list[FieldProblem]:
    """A case is owned by a person who may hold its department's work, like its assignee (and,
    outside the department, sees it while they own it — see the visibility layer)."""
    try:
        owner = await check_may_hold(await Department.get(id=department_id), owner_id, "ownerId", as_what="assignees and case owners")
    except ValidationError as problem:
        return [FieldProblem("ownerId", f"ownerId: {problem.message}")]
    if owner.role is Role.ROBOT:
        return [FieldProblem("ownerId", f"ownerId: {owner.name} is a robot; a case is owned by a person")]
    return []


def _no_such_contact(contact_id: int) -> str:
    """One answer for a contact that does not exist and one of another company: nothing about
    another company's contacts is told to whoever guesses their ids."""
    return f"contact {contact_id} does not exist or belongs to another company than this item"


# fields whose ids (as strings) the FIELDS_CHANGED entry names, and how
_NAMED: dict[str, tuple[Any, str]] = {
    "category_id": (Category, "name"),
    "primary_contact_id": (Contact, "name"),
    "requester_id": (Contact, "name"),
    "contact_ids": (Contact, "name"),
    "owner_id": (User, "name"),
    "company_id": (Company, "name"),
}
# not recorded as field edits: the queue has its own entry, the team follows the queue
_NOT_RECORDED = frozenset({"queue_id", "team_id"})


def _id(value: int | None) -> str | None:
    """Ids in timeline data are strings, as in the API."""
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    return value.name if isinstance(value, Priority) else value


async def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from `before` to `after` (domain names), in the API's words and with names."""
    order = [*API_NAMES, "company_id"]
    changed = sorted(
        (n for n in after if n not in _NOT_RECORDED and _plain(before.get(n)) != _plain(after[n])), key=order.index
    )
    records = []
    for name in changed:
        old, new = _plain(before.get(name)), _plain(after[name])
        record: dict[str, Any] = {"field": API_NAMES.get(name, "companyId"), "from": old, "to": new}
        if name in _NAMED:
            model, attribute = _NAMED[name]
            wanted = {*(old or []), *(new or [])} if name == "contact_ids" else {old, new} - {None}
            names = {row.id: getattr(row, attribute) or getattr(row, "email", None) for row in await model.filter(id__in=wanted)}
            if name == "contact_ids":
                record.update(fromNames=[names.get(i) for i in old], toNames=[names.get(i) for i in new])
                record.update({"from": [str(i) for i in old], "to": [str(i) for i in new]})
            else:
                record.update(fromName=names.get(old), toName=names.get(new))
                record.update({"from": _id(old), "to": _id(new)})
        records.append(record)
    return records
