"""Email templates (SPEC §5.1): admin-managed text with `{placeholders}`, rendered from a work
item and the person writing when an email is composed from one (and by case actions that send
mail).

A placeholder is a name in braces, `{ref}`; `{{` and `}}` stand for a literal brace. The names
are `PLACEHOLDERS`; any other name, or a brace left open or closed alone, is a VALIDATION error
naming the field and the placeholder — when the template is saved, and again when it is rendered
(a template saved before a name was withdrawn still fails loudly, never sends "{oldName}").
In an HTML body the values are HTML-escaped.

Admins create, change, delete and list every template. Employees list the active ones that are
global (no department) or of a department they see; composing on an item uses a global one or
one of the item's department.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.contact import Contact
from models.email import EmailTemplate
from models.enums import WorkItemType
from models.org import Department
from models.work_item import WorkItem
from server.domain import audit, limits, permissions, templates, text, visibility
from server.domain.errors import Forbidden, NotFound, ValidationError
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

# what a placeholder stands for; the values come from `Context`
PLACEHOLDERS: dict[str, str] = {
    "ref": "the work item's reference (T-1042)",
    "title": "the work item's title",
    "status": "the work item's status (IN_PROGRESS)",
    "requesterName": "the requester's name",
    "requesterEmail": "the requester's email address",
    "primaryContactName": "the primary contact's name",
    "agentName": "the name of the person writing",
    "departmentName": "the work item's department",
    "caseRef": "for an action: its case's reference (a case: its own; a ticket: empty)",
}


@dataclass(frozen=True)
class TemplateFields:
    """What an admin sets on a template (on update, None leaves a field as it is, an empty
    `html_body` removes the HTML body; `department_id`
    is changed only when `set_department` is true, None then making the template global)."""

    name: str | None = None
    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None
    department_id: int | None = None
    set_department: bool = False
    is_active: bool | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text_body: str
    html_body: str | None


def check(subject: str, text_body: str, html_body: str | None) -> None:
    """VALIDATION naming every unknown placeholder and stray brace, by field."""
    found = templates.problems(subject, PLACEHOLDERS, "subject") + templates.problems(text_body, PLACEHOLDERS, "textBody")
    if html_body is not None:
        found += templates.problems(html_body, PLACEHOLDERS, "htmlBody")
    if found:
        raise ValidationError("; ".join(p.message for p in found), found)


async def values_for(item: WorkItem, agent_name: str | None) -> dict[str, str]:
    """Every placeholder's value for `item`, written by `agent_name` (None: the department's
    sender name); empty where the item has none. An action speaks for its case: the title and
    the people are the case's."""
    case = await WorkItem.get_or_none(id=item.parent_id) if item.type is WorkItemType.ACTION and item.parent_id else None
    about = case or item
    people = {c.id: c for c in await Contact.filter(id__in={i for i in (about.requester_id, about.primary_contact_id) if i})}
    requester, primary = people.get(about.requester_id), people.get(about.primary_contact_id)
    department = await Department.get(id=item.department_id)
    return {
        "ref": item.ref,
        "caseRef": case.ref if case else (item.ref if item.type is WorkItemType.CASE else ""),
        "title": about.title or "",
        "status": about.status.value,
        "requesterName": (requester.name or requester.email) if requester else "",
        "requesterEmail": requester.email if requester else "",
        "primaryContactName": (primary.name or primary.email) if primary else "",
        "agentName": agent_name or department.sender_name or department.name,
        "departmentName": department.name,
    }


async def render(template: EmailTemplate, item: WorkItem, agent_name: str | None) -> Rendered:
    check(template.subject, template.text_body, template.html_body)
    values = await values_for(item, agent_name)
    return Rendered(
        subject=templates.render(template.subject, values, field="subject"),
        text_body=templates.render(template.text_body, values, field="textBody"),
        html_body=templates.render_html(template.html_body, values) if template.html_body is not None else None,
    )


async def for_item(viewer: Viewer, item: WorkItem, template_id: int) -> EmailTemplate:
    """A template the viewer may compose with on `item`: active, global or of the item's department."""
    template = await EmailTemplate.get_or_none(id=template_id, is_active=True)
    if template is None or template.department_id not in (None, item.department_id) or not _lists(viewer, template):
        raise ValidationError.single("templateId", f"no active template {template_id} for {item.ref}'s department")
    return template


def _lists(viewer: Viewer, template: EmailTemplate) -> bool:
    return viewer.is_admin or template.department_id is None or visibility.sees_department(viewer, template.department_id)


# ------------------------------------------------------------------------------ administration


_require_admin = permissions.admin_check("manage email templates")
AUDITED = ("name", "subject", "text_body", "html_body", "department_id", "is_active")


async def listed(viewer: Viewer, *, include_inactive: bool = False) -> list[EmailTemplate]:
    """Admins: every template (the inactive ones when asked). Employees: the active ones, global
    or of a department they see. Anyone else: FORBIDDEN."""
    if viewer.is_admin:
        query = EmailTemplate.all() if include_inactive else EmailTemplate.filter(is_active=True)
        return await query.order_by("name", "id")
    if not viewer.is_user:
        raise Forbidden("Only employees use email templates.")
    seen = sorted(viewer.department_ids | viewer.public_department_ids)
    scope = Q(department_id__isnull=True) | (Q(department_id__in=seen) if seen else Q(id__in=[]))
    return await EmailTemplate.filter(scope, is_active=True).order_by("name", "id")


async def _checked(fields: TemplateFields, current: EmailTemplate | None) -> dict[str, Any]:
    limits.check({"name": fields.name, "subject": fields.subject, "textBody": fields.text_body, "htmlBody": fields.html_body})
    changes: dict[str, Any] = {}
    if fields.name is not None or current is None:
        name = text.visible(fields.name)
        if name is None:
            raise ValidationError.single("name", "a template needs a name")
        changes["name"] = name
    for name in ("subject", "text_body", "html_body", "is_active"):
        value = getattr(fields, name)
        if value is not None:
            changes[name] = None if name == "html_body" and value == "" else value
    if fields.set_department:
        if fields.department_id is not None and not await Department.exists(id=fields.department_id):
            raise visibility.no_such_department(fields.department_id)
        changes["department_id"] = fields.department_id
    after = {n: changes.get(n, getattr(current, n) if current is not None else None) for n in ("subject", "text_body", "html_body")}
    check(after["subject"] or "", after["text_body"] or "", after["html_body"])
    return changes


async def _saved(template: EmailTemplate, changes: dict[str, Any], create: bool) -> EmailTemplate:
    if "name" in changes and await EmailTemplate.filter(name=changes["name"]).exclude(id=template.id or 0).exists():
        raise ValidationError.single("name", f"a template named {changes['name']!r} exists already")
    try:
        if create:
            await template.save()
        elif changes:
            await template.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:  # a concurrent save took the name
        raise ValidationError.single("name", f"a template named {changes.get('name')!r} exists already") from None
    return template


async def create(viewer: Viewer, fields: TemplateFields) -> EmailTemplate:
    _require_admin(viewer)
    changes = await _checked(fields, None)
    async with unit_of_work():
        template = await _saved(EmailTemplate(**changes), changes, create=True)
        await audit.record(viewer, "email_template.created", template, changes=audit.created(audit.values(template, AUDITED)))
        return template


async def _get(template_id: int) -> EmailTemplate:
    template = await EmailTemplate.get_or_none(id=template_id)
    if template is None:
        raise NotFound(f"No email template {template_id}.", field="id")
    return template


async def update(viewer: Viewer, template_id: int, fields: TemplateFields) -> EmailTemplate:
    _require_admin(viewer)
    async with unit_of_work():
        template = await _get(template_id)
        changes = await _checked(fields, template)
        before = audit.values(template, AUDITED)
        for name, value in changes.items():
            setattr(template, name, value)
        saved = await _saved(template, changes, create=False)
        await audit.record_changes(viewer, "email_template.updated", saved, before, audit.values(saved, AUDITED))
        return saved


async def delete(viewer: Viewer, template_id: int) -> None:
    """Emails composed from it keep their text (their template link is cleared)."""
    _require_admin(viewer)
    async with unit_of_work():
        template = await _get(template_id)
        await template.delete()
        await audit.record(viewer, "email_template.deleted", template, changes=audit.deleted(audit.values(template, AUDITED)),
                           target_id=template_id)
