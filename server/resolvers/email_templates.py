"""Resolvers of email templates: parse input, call server.domain.email_templates, present."""

from __future__ import annotations

import strawberry

from models.email import EmailTemplate as EmailTemplateModel
from server.domain import email_templates, visibility
from server.resolvers.context import require_viewer
from server.resolvers.inputs import provided, to_id
from server.schema.email_templates import EmailTemplate, EmailTemplateInput, EmailTemplateUpdate, RenderedEmail


def _present(row: EmailTemplateModel) -> EmailTemplate:
    return EmailTemplate(
        id=strawberry.ID(str(row.id)), name=row.name, subject=row.subject, text_body=row.text_body, html_body=row.html_body,
        department_id=strawberry.ID(str(row.department_id)) if row.department_id else None, is_active=row.is_active,
        created_at=row.created_at, updated_at=row.updated_at,
    )


async def listed(info: strawberry.Info, include_inactive: bool = False) -> list[EmailTemplate]:
    return [_present(t) for t in await email_templates.listed(await require_viewer(info), include_inactive=include_inactive)]


async def render_email_template(info: strawberry.Info, ref: str, template_id: strawberry.ID) -> RenderedEmail:
    viewer = await require_viewer(info)
    item = await visibility.get_work_item(viewer, ref)
    visibility.check_can_write(viewer, item)
    template = await email_templates.for_item(viewer, item, to_id(template_id, "templateId"))
    rendered = await email_templates.render(template, item, viewer.name)
    return RenderedEmail(subject=rendered.subject, text_body=rendered.text_body, html_body=rendered.html_body)


def _department(value: object) -> int | None:
    return to_id(value, "departmentId") if value is not None else None


async def create_email_template(info: strawberry.Info, input: EmailTemplateInput) -> EmailTemplate:
    fields = email_templates.TemplateFields(
        name=input.name, subject=input.subject, text_body=input.text_body, html_body=input.html_body,
        department_id=_department(input.department_id), set_department=True, is_active=input.is_active,
    )
    return _present(await email_templates.create(await require_viewer(info), fields))


async def update_email_template(info: strawberry.Info, id: strawberry.ID, input: EmailTemplateUpdate) -> EmailTemplate:
    given = provided(input)
    fields = email_templates.TemplateFields(
        name=given.get("name"), subject=given.get("subject"), text_body=given.get("text_body"), html_body=given.get("html_body"),
        department_id=_department(given.get("department_id")), set_department="department_id" in given,
        is_active=given.get("is_active"),
    )
    return _present(await email_templates.update(await require_viewer(info), to_id(id, "id"), fields))


async def delete_email_template(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    await email_templates.delete(await require_viewer(info), to_id(id, "id"))
    return id
