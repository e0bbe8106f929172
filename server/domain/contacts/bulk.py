"""Changes to several contacts at once (SPEC §7, seed 004): the bulk edit of company, time zone,
office and language, and adding or removing tags. All or nothing: when one contact cannot take the
change (the company rule, server/domain/contacts/scope.py) nothing changes and the error names the
contact and the field. Each contact changed is audited, in the change's transaction."""

from __future__ import annotations

from typing import Any, Mapping

from models.contact import Contact, Tag
from server.domain import audit, limits
from server.domain.contacts.changes import MAX_TAGS, _check, _snapshot, require_writer
from server.domain.contacts.scope import company_move_problems
from server.domain.errors import FieldProblem, NotFound, ValidationError
from server.domain.permissions import raise_problems
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

MAX_CONTACTS = 100  # contacts one bulk change may name
MAX_TAGS_AT_ONCE = 20  # tags one call may add or remove
BULK_EDITABLE = frozenset({"company_id", "timezone", "office", "language"})


def _check_ids(contact_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        raise ValidationError.single("ids", "name at least one contact")
    if len(ids) > MAX_CONTACTS:
        raise ValidationError.single("ids", f"at most {MAX_CONTACTS} contacts at once, got {len(ids)}")
    return ids


async def _locked(contact_ids: list[int]) -> list[Contact]:
    """The contacts, locked for the change, in the order given; NotFound names a missing one."""
    rows = {c.id: c for c in await Contact.filter(id__in=contact_ids).select_for_update().prefetch_related("tags")}
    for i in contact_ids:
        if i not in rows:
            raise NotFound(f"No contact {i}.", field="ids")
    return [rows[i] for i in contact_ids]


def _whose(contact: Contact, problem: FieldProblem) -> FieldProblem:
    return FieldProblem(problem.field, f"contact {contact.id} ({contact.email}): {problem.message}")


async def update_many(viewer: Viewer, contact_ids: list[int], values: Mapping[str, Any]) -> list[Contact]:
    """Set the same company (None: World), time zone, office or language on every contact."""
    require_writer(viewer)
    unknown = set(values) - BULK_EDITABLE
    if unknown:
        raise ValueError(f"not editable in bulk: {sorted(unknown)}")
    ids = _check_ids(contact_ids)
    if not values:
        raise ValidationError.single("input", "give at least one of companyId, timeZone, office, language")
    clean = await _check(values, None)  # the values themselves; the company rule per contact below
    async with unit_of_work():
        contacts = await _locked(ids)
        problems: list[FieldProblem] = []
        if "company_id" in clean:
            for contact in contacts:
                if clean["company_id"] != contact.company_id:
                    problems += [_whose(contact, p) for p in await company_move_problems(contact.id, clean["company_id"])]
        raise_problems(problems, "bulk change of contacts")
        for contact in contacts:
            tags = [t.name for t in contact.tags]
            before = _snapshot(contact, tags)
            for name, value in clean.items():
                setattr(contact, name, value)
            after = _snapshot(contact, tags)
            if after != before:
                await contact.save(update_fields=list(clean))
                await audit.record(viewer, "contact.updated", contact, changes=audit.diff(before, after))
    return await _reloaded(ids)


def _clean_tags(tags: list[str]) -> list[str]:
    limits.check({"tags": tags})
    names = sorted({t.strip() for t in tags if t and t.strip()})
    if not names:
        raise ValidationError.single("tags", "name at least one tag")
    if len(names) > MAX_TAGS_AT_ONCE:
        raise ValidationError.single("tags", f"at most {MAX_TAGS_AT_ONCE} tags at once, got {len(names)}")
    return names


async def add_tags(viewer: Viewer, contact_ids: list[int], tags: list[str]) -> list[Contact]:
    """Add the tags to every contact (one that has a tag already keeps it)."""
    return await _retag(viewer, contact_ids, tags, adding=True)


async def remove_tags(viewer: Viewer, contact_ids: list[int], tags: list[str]) -> list[Contact]:
    """Take the tags off every contact that has them."""
    return await _retag(viewer, contact_ids, tags, adding=False)


async def _retag(viewer: Viewer, contact_ids: list[int], tags: list[str], *, adding: bool) -> list[Contact]:
    require_writer(viewer)
    ids = _check_ids(contact_ids)
    names = _clean_tags(tags)
    async with unit_of_work():
        contacts = await _locked(ids)
        changed: list[tuple[Contact, list[str], list[str]]] = []
        problems: list[FieldProblem] = []
        for contact in contacts:
            old = sorted(t.name for t in contact.tags)
            new = sorted(set(old) | set(names)) if adding else sorted(set(old) - set(names))
            if len(new) > MAX_TAGS and len(new) > len(old):
                problems.append(FieldProblem("tags", f"contact {contact.id} ({contact.email}): a contact has at most {MAX_TAGS} tags"))
            elif new != old:
                changed.append((contact, old, new))
        raise_problems(problems, "bulk change of contacts")
        if adding:
            existing = {t.name: t for t in await Tag.filter(name__in=names)}
            for n in names:
                if n not in existing:
                    existing[n] = await Tag.create(name=n)
        for contact, old, new in changed:
            if adding:
                await contact.tags.add(*(existing[n] for n in new if n not in old))
            else:
                await contact.tags.remove(*(t for t in contact.tags if t.name not in new))
            await audit.record(viewer, "contact.updated", contact, changes=audit.diff(_snapshot(contact, old), _snapshot(contact, new)))
    return await _reloaded(ids)


async def _reloaded(ids: list[int]) -> list[Contact]:
    rows = {c.id: c for c in await Contact.filter(id__in=ids).prefetch_related("company", "tags")}
    return [rows[i] for i in ids]
