"""Case actions that send mail (SPEC §2.2 rule 11, seed 004 "Send email" / "Send email and wait").

When its step starts, such an action sends its action template's email template, rendered with
the case's values (PLACEHOLDERS), to the case's requester — or its primary contact when the
requester has no address. The email is the action's own (its work item is the action), so it
carries the action's thread headers and reply address and a reply threads back to the action.
It is the case's business mail, not a system notice: not system-generated, so it shows on the
timeline and carries the department's signature.

- SEND_EMAIL closes (COMPLETE) once the email is queued, and the case moves on.
- SEND_EMAIL_AND_WAIT waits (MORE_INFO) for the reply: a reply on its thread closes it (COMPLETE)
  and the case moves on; automatic mail (out of office) does not. With `reply_wait_days`, the wait
  ends after that many days and the action closes anyway (COMPLETE, "No reply within N day(s).")
  so the case is not held forever; without it, it waits until the reply (or a person).
- Nothing to send — no email template (or an inactive one, or one of another department), a
  template that does not render, no requester or primary contact with an address — closes the
  action UNABLE_TO_COMPLETE with the reason, so the case gets its problem flag and its owner is
  told (rule 14); starting another copy of the action once the case is fixed sends it again.
"""

from __future__ import annotations

from datetime import timedelta

from models.case_flow import ActionTemplate
from models.contact import Contact
from models.email import Email, EmailTemplate
from models.enums import ActionKind, ResolutionMethod, Status, WaitType

from models.work_item import WorkItem
from server.domain import clock, email_templates, outbox, workflow
from server.domain.errors import ValidationError
from server.domain.transitions import change_status, set_flags
from server.domain.uow import UnitOfWork

EMAIL_KINDS = frozenset({ActionKind.SEND_EMAIL, ActionKind.SEND_EMAIL_AND_WAIT})
MAX_REPLY_WAIT_DAYS = 365

class NothingToSend(Exception):
    """Why an action cannot send its email."""


async def recipient(case: WorkItem) -> str:
    """The case's requester's address, else its primary contact's."""
    for contact_id in (case.requester_id, case.primary_contact_id):
        contact = await Contact.get_or_none(id=contact_id) if contact_id else None
        if contact is not None and contact.email:
            return contact.email
    raise NothingToSend(f"{case.ref} has no requester or primary contact with an email address")


async def _email_template(case: WorkItem, template: ActionTemplate | None) -> EmailTemplate:
    email_template = None
    if template is not None and template.email_template_id is not None:
        email_template = await EmailTemplate.get_or_none(id=template.email_template_id)
    if email_template is None:
        raise NothingToSend("the action has no email template to send")
    if not email_template.is_active:
        raise NothingToSend(f"its email template {email_template.name!r} is inactive")
    if email_template.department_id not in (None, case.department_id):
        raise NothingToSend(f"its email template {email_template.name!r} belongs to another department")
    return email_template


async def send(uow: UnitOfWork, case: WorkItem, action: WorkItem, template: ActionTemplate | None) -> Email | None:
    """Set a SEND_EMAIL / SEND_EMAIL_AND_WAIT action going (it is TO_DO): queue its email, then
    close it or wait for the reply; or close it UNABLE_TO_COMPLETE when there is nothing to send.
    The queued email, or None."""
    try:
        email_template = await _email_template(case, template)
        to = await recipient(case)
        try:
            rendered = await email_templates.render(email_template, action, None)  # the action speaks for its case
        except ValidationError as error:
            raise NothingToSend(f"its email template {email_template.name!r} cannot be filled in: {error.message}") from None
        subject, body, html_body = rendered.subject, rendered.text_body, rendered.html_body
        if not subject.strip():
            raise NothingToSend(f"its email template {email_template.name!r} has no subject")
        try:
            email = await outbox.queue_email(uow, action, None, to=[to], subject=subject, body=body, html_body=html_body)
        except ValidationError as error:  # checked before anything is written
            raise NothingToSend(error.message) from None
    except NothingToSend as nothing:
        await change_status(uow, action, None, Status.CLOSED, reason=f"The email cannot be sent: {nothing}.",
                            fields={"resolution_method": ResolutionMethod.UNABLE_TO_COMPLETE})
        await case.refresh_from_db()
        return None
    email.template_id = email_template.id
    await email.save(update_fields=["template_id"])
    if action.action_kind is ActionKind.SEND_EMAIL:
        await change_status(uow, action, None, Status.CLOSED, reason=f"Sent {email.subject!r} to {to}.",
                            fields={"resolution_method": ResolutionMethod.COMPLETE})
        await case.refresh_from_db()
        return email
    days = template.reply_wait_days if template is not None else None
    wait = {"wait_type": WaitType.MORE_INFO}
    if days:
        wait.update(days_to_wait=days, wait_until=clock.now() + timedelta(days=days))
    await change_status(uow, action, None, Status.WAITING, reason=f"Sent {email.subject!r} to {to}; waiting for the reply.", fields=wait)
    return email


def waits_for_reply(item: WorkItem) -> bool:
    return item.action_kind is ActionKind.SEND_EMAIL_AND_WAIT and item.status is Status.WAITING and item.wait_type is WaitType.MORE_INFO


async def reply_arrived(uow: UnitOfWork, item: WorkItem) -> bool:
    """A person's reply on `item`'s thread: a SEND_EMAIL_AND_WAIT action waiting for it closes
    (its case moves on, with the new-information flag). False for any other item: the ordinary
    new-information rule applies."""
    if not waits_for_reply(item):
        return False
    action = await WorkItem.select_for_update().get(id=item.id)  # the scheduler may be ending the wait
    if not waits_for_reply(action):
        return action.status in workflow.DONE
    await change_status(uow, action, None, Status.CLOSED, reason="The reply arrived by email.",
                        fields={"resolution_method": ResolutionMethod.COMPLETE})
    await item.refresh_from_db()
    case = await WorkItem.get(id=action.parent_id)
    if case.status in workflow.OPEN:
        await set_flags(uow, case, None, has_new_info=True)
    return True


async def wait_ended(uow: UnitOfWork, item: WorkItem) -> bool:
    """The reply wait of a SEND_EMAIL_AND_WAIT action ran out: it closes anyway and the case moves
    on. False for any other wait."""
    if not waits_for_reply(item):
        return False
    await change_status(uow, item, None, Status.CLOSED, reason=f"No reply within {item.days_to_wait} day(s).",
                        fields={"resolution_method": ResolutionMethod.COMPLETE})
    return True
