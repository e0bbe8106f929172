"""Root fields of composing email on work items and of email templates (SPEC §5.1)."""

from __future__ import annotations

import strawberry

from server.resolvers import compose as resolvers
from server.resolvers import email_templates as template_resolvers
from server.schema.compose import ComposedEmail, ComposeEmailPayload
from server.schema.email_templates import EmailTemplate, RenderedEmail


@strawberry.type
class ComposeQuery:
    email_drafts: list[ComposedEmail] = strawberry.field(
        resolver=resolvers.email_drafts, description="My email drafts, newest first: on the item `ref`, or on every item I may see."
    )
    email_templates: list[EmailTemplate] = strawberry.field(
        resolver=template_resolvers.listed,
        description="Admins: every active template (the inactive ones too with includeInactive). Employees: the active ones, global or of a department they see.",
    )
    render_email_template: RenderedEmail = strawberry.field(
        resolver=template_resolvers.render_email_template,
        description="A template (global or of the item's department) rendered for the item and me.",
    )


@strawberry.type
class ComposeMutation:
    send_email: ComposeEmailPayload = strawberry.mutation(
        resolver=resolvers.send_email,
        description="Compose an email on the item and queue it: due after my undo-send delay, or at scheduledFor.",
    )
    save_email_draft: ComposedEmail = strawberry.mutation(
        resolver=resolvers.save_email_draft, description="Keep an email as a draft on the item: not in the outbox, not sent, mine only."
    )
    update_email_draft: ComposedEmail = strawberry.mutation(
        resolver=resolvers.update_email_draft,
        description="My draft now holds `input` (its fields replaced; new attachments added, removeAttachmentIds removed).",
    )
    discard_email_draft: strawberry.ID = strawberry.mutation(
        resolver=resolvers.discard_email_draft, description="Delete my draft and its attachments."
    )
    send_email_draft: ComposeEmailPayload = strawberry.mutation(
        resolver=resolvers.send_email_draft, description="Queue my draft as it stands (it needs recipients and a subject)."
    )
    create_email_template: EmailTemplate = strawberry.mutation(resolver=template_resolvers.create_email_template, description="Admins only.")
    update_email_template: EmailTemplate = strawberry.mutation(resolver=template_resolvers.update_email_template, description="Admins only.")
    delete_email_template: strawberry.ID = strawberry.mutation(
        resolver=template_resolvers.delete_email_template, description="Admins only. Emails written from it keep their text."
    )
