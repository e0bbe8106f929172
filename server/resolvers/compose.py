"""Resolvers of composing email on work items: parse input (read the uploaded files), call
server.domain.compose, present the email."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from models.email import Email, EmailAttachment
from models.work_item import WorkItem as WorkItemModel
from server.domain import compose
from server.domain.team_mail import TeamDecision
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id, to_ids
from server.schema.compose import AttachmentInput, ComposedEmail, ComposeEmailInput, ComposeEmailPayload, EmailAttachmentInfo, RecipientInput
from server.schema.team_mail import TeamRecipientInput
from server.schema.work_items import WorkItem


def _recipients(values: list[RecipientInput], field: str) -> list[compose.Recipient]:
    return [
        compose.Recipient(contact_id=to_id(r.contact_id, f"{field}.contactId") if r.contact_id is not None else None, address=r.address)
        for r in values
    ]


async def _attachment(value: AttachmentInput) -> compose.NewAttachment:
    upload: Any = value.file  # starlette's UploadFile
    content = await upload.read()
    return compose.NewAttachment(
        filename=upload.filename or "attachment", content=content,
        content_type=upload.content_type or "application/octet-stream", content_id=value.content_id,
    )


async def composition(input: ComposeEmailInput) -> compose.Composition:
    return compose.Composition(
        to=_recipients(input.to, "to"), cc=_recipients(input.cc, "cc"), bcc=_recipients(input.bcc, "bcc"),
        subject=input.subject, text_body=input.text_body, html_body=input.html_body, importance=input.importance,
        scheduled_for=input.scheduled_for,
        template_id=to_id(input.template_id, "templateId") if input.template_id is not None else None,
        attachments=[await _attachment(a) for a in input.attachments],
        team_recipients=team_decisions(input.team_recipients),
    )


def team_decisions(inputs: Optional[list[TeamRecipientInput]]) -> list[TeamDecision]:
    return [TeamDecision(address=i.address, action=i.action.value, title=i.title) for i in inputs or []]


async def present(emails: list[Email], refs: dict[int, str]) -> list[ComposedEmail]:
    """The emails with their attachments (one query for all of them, without their content)."""
    attachments: dict[int, list[EmailAttachmentInfo]] = {e.id: [] for e in emails}
    rows = await EmailAttachment.filter(email_id__in=list(attachments)).order_by("id").values(
        "id", "email_id", "filename", "content_type", "size", "content_id"
    ) if emails else []
    for row in rows:
        attachments[row["email_id"]].append(EmailAttachmentInfo(
            id=strawberry.ID(str(row["id"])), filename=row["filename"], content_type=row["content_type"], size=row["size"],
            content_id=row["content_id"],
        ))
    return [
        ComposedEmail(
            id=strawberry.ID(str(e.id)), status=e.status, work_item_ref=refs[e.work_item_id], to=list(e.to_addresses),
            cc=list(e.cc_addresses), bcc=list(e.bcc_addresses), subject=e.subject, text_body=e.text_body, html_body=e.html_body,
            importance=e.importance, scheduled_for=e.scheduled_for, next_attempt_at=e.next_attempt_at,
            template_id=strawberry.ID(str(e.template_id)) if e.template_id else None, created_at=e.created_at,
            attachments=attachments[e.id],
        )
        for e in emails
    ]


async def _one(composed: compose.Composed) -> ComposedEmail:
    return (await present([composed.email], {composed.item.id: composed.item.ref}))[0]


async def _payload(composed: compose.Composed) -> ComposeEmailPayload:
    return ComposeEmailPayload(email=await _one(composed), work_item=WorkItem.from_model(composed.item))


async def send_email(info: strawberry.Info, ref: str, input: ComposeEmailInput) -> ComposeEmailPayload:
    viewer = await require_viewer(info)
    return await _payload(await compose.send_email(viewer, ref, await composition(input)))


async def save_email_draft(info: strawberry.Info, ref: str, input: ComposeEmailInput) -> ComposedEmail:
    viewer = await require_viewer(info)
    return await _one(await compose.save_draft(viewer, ref, await composition(input)))


async def update_email_draft(
    info: strawberry.Info, id: strawberry.ID, input: ComposeEmailInput, remove_attachment_ids: Optional[list[strawberry.ID]] = None
) -> ComposedEmail:
    viewer = await require_viewer(info)
    removed = to_ids(remove_attachment_ids or [], "removeAttachmentIds")
    return await _one(await compose.update_draft(viewer, to_id(id, "id"), await composition(input), removed))


async def discard_email_draft(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    return strawberry.ID(str(await compose.discard_draft(viewer, to_id(id, "id"))))


async def send_email_draft(info: strawberry.Info, id: strawberry.ID, team_recipients: Optional[list[TeamRecipientInput]] = None) -> ComposeEmailPayload:
    viewer = await require_viewer(info)
    return await _payload(await compose.send_draft(viewer, to_id(id, "id"), team_decisions(team_recipients)))


async def email_drafts(info: strawberry.Info, ref: Optional[str] = None) -> list[ComposedEmail]:
    rows = await compose.drafts(await require_viewer(info), ref)
    refs = dict(await WorkItemModel.filter(id__in={r.work_item_id for r in rows}).values_list("id", "ref")) if rows else {}
    return await present(rows, refs)
