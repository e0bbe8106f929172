"""Creating, changing and deleting contacts: employees with write access and read-write API keys.
Every change is audited in its transaction.

Deleting several at once: a contact on work items cannot be deleted; `delete_many` deletes the
others and reports the ones it kept (with their items)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from models.contact import Contact, Tag
from models.org import Company
from models.work_item import WorkItem
from server.domain import audit, limits
from server.domain.contacts.scope import company_move_problems, on_items_of
from server.domain.errors import FieldProblem, Forbidden, NotFound
from server.domain.permissions import raise_problems
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import addresses

EDITABLE = ("email", "name", "company_id", "language", "timezone", "office", "phone", "tags")
MAX_TAGS = 50  # tags one contact may carry (each at most TEXT_MAXIMA["tags"] characters)


EMAIL_RULE = "email is required and must be an email address"


def normal_email(value: Any) -> str | None:
    """A contact's email as it is stored (lower-cased addr-spec), or None when `value` is not one."""
    return addresses.normalise(value) if isinstance(value, str) else None


def require_writer(viewer: Viewer) -> None:
    if viewer.is_contact:
        raise Forbidden("Portal contacts do not manage contacts.")
    if not viewer.can_write:
        raise Forbidden("This API key is read-only.")


def _snapshot(contact: Contact, tags: list[str]) -> dict[str, Any]:
    return {
        "email": contact.email, "name": contact.name, "company_id": contact.company_id,
        "language": contact.language, "timezone": contact.timezone, "office": contact.office,
        "phone": contact.phone, "tags": sorted(tags), "test_mode": contact.test_mode,
    }


async def _check(values: Mapping[str, Any], contact_id: int | None) -> dict[str, Any]:
    limits.check({"email": values.get("email"), "name": values.get("name"), "language": values.get("language"), "tags": values.get("tags"),
                  "timeZone": values.get("timezone"), "office": values.get("office"), "phone": values.get("phone")})
    problems: list[FieldProblem] = []
    clean = dict(values)
    if "email" in values:
        email = normal_email(values["email"])
        if email is None:
            problems.append(FieldProblem("email", EMAIL_RULE))
        else:
            clean["email"] = email
            taken = Contact.filter(email=email)
            if contact_id is not None:
                taken = taken.exclude(id=contact_id)
            if await taken.exists():
                problems.append(FieldProblem("email", f"another contact has the email {email}"))
    if values.get("company_id") is not None:
        if not await Company.exists(id=values["company_id"]):
            problems.append(FieldProblem("companyId", f"no company {values['company_id']}"))
        elif contact_id is not None:
            problems += await company_move_problems(contact_id, values["company_id"])
    for name in ("language", "timezone"):
        if name in values and not (values[name] or "").strip():
            problems.append(FieldProblem("timeZone" if name == "timezone" else name, f"{name} must not be empty"))
    if "tags" in values:
        clean["tags"] = sorted({t.strip() for t in values["tags"] or [] if t and t.strip()})
        if len(clean["tags"]) > MAX_TAGS:
            problems.append(FieldProblem("tags", f"a contact has at most {MAX_TAGS} tags, got {len(clean['tags'])}"))
    raise_problems(problems, "contact")
    return clean


async def _set_tags(contact: Contact, names: list[str], *, new: bool = False) -> None:
    if not new:
        await contact.tags.clear()
    if not names:
        return
    existing = {t.name: t for t in await Tag.filter(name__in=names)}
    for n in names:
        if n not in existing:
            existing[n] = await Tag.create(name=n)
    await contact.tags.add(*existing.values())


async def create(viewer: Viewer, values: Mapping[str, Any], *, test_mode: bool = False, reload: bool = True) -> Contact:
    """The new contact, with its company and tags loaded (reload=False: as written, without them;
    an import makes thousands and reads none back)."""
    require_writer(viewer)
    if "email" not in values:
        values = {**values, "email": None}
    clean = await _check(values, None)
    tags = clean.pop("tags", [])
    async with unit_of_work():
        contact = await Contact.create(test_mode=test_mode, **clean)
        await _set_tags(contact, tags, new=True)
        await audit.record(viewer, "contact.created", contact, changes=audit.created(_snapshot(contact, tags)))
    if not reload:
        return contact
    return await Contact.get(id=contact.id).prefetch_related("company", "tags")


async def update(viewer: Viewer, contact_id: int, values: Mapping[str, Any], *, reload: bool = True) -> Contact:
    require_writer(viewer)
    clean = await _check(values, contact_id)
    async with unit_of_work():
        contact = await Contact.filter(id=contact_id).select_for_update().first()
        if contact is None:
            raise NotFound(f"No contact {contact_id}.")
        old_tags = [t.name for t in await contact.tags.all()]
        before = _snapshot(contact, old_tags)
        tags = clean.pop("tags", None)
        for name, value in clean.items():
            setattr(contact, name, value)
        await contact.save()
        if tags is not None:
            await _set_tags(contact, tags)
        after = _snapshot(contact, tags if tags is not None else old_tags)
        await audit.record(viewer, "contact.updated", contact, changes=audit.diff(before, after))
    if not reload:
        return contact
    return await Contact.get(id=contact.id).prefetch_related("company", "tags")


@dataclass
class Deletion:
    deleted_ids: list[int] = field(default_factory=list)
    kept: dict[int, list[str]] = field(default_factory=dict)  # contact id → refs of its items


async def delete_many(viewer: Viewer, contact_ids: list[int]) -> Deletion:
    require_writer(viewer)
    result = Deletion()
    async with unit_of_work():
        contacts = list(await Contact.filter(id__in=contact_ids).order_by("id"))
        found = {c.id for c in contacts}
        missing = [i for i in contact_ids if i not in found]
        if missing:
            raise NotFound(f"No contact {missing[0]}.", field="ids")
        for contact in contacts:
            refs = await (
                WorkItem.filter(on_items_of(contact.id))
                .distinct().order_by("ref").values_list("ref", flat=True)
            )
            if refs:
                result.kept[contact.id] = list(refs)
                continue
            tags = [t.name for t in await contact.tags.all()]
            await audit.record(viewer, "contact.deleted", contact, changes=audit.deleted(_snapshot(contact, tags)))
            await contact.delete()
            result.deleted_ids.append(contact.id)
    return result
