"""Queueing outgoing mail from work items into the outbox (SPEC §5.1).

An email queued here is stored as QUEUED with its connector and shows on the item's timeline as
outgoing; delivery (SMTP, retries, the undo window) is the outbox worker's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.contact import Contact
from models.email import Email
from models.enums import EmailDirection, EmailStatus
from models.org import Department
from models.work_item import WorkItem
from server.domain import text, timeline
from server.domain.errors import FieldProblem, ValidationError
from server.domain.events import OutboxEmailChanged
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer
from server.mail import addresses



@dataclass(frozen=True)
class ResolutionEmail:
    """The email a person resolves an item with (rule 6)."""

    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)


def _addresses(values: list[str], field: str) -> list[str]:
    normalised, problems = [], []
    for value in values:
        address = addresses.normalise(value)
        if address is None:
            problems.append(FieldProblem(field, f"{value!r} is not an email address"))
        else:
            normalised.append(address)
    if problems:
        raise ValidationError("; ".join(p.message for p in problems), problems)
    return normalised


async def queue_email(
    uow: UnitOfWork,
    item: WorkItem,
    actor: Viewer | None,
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None = None,
    system_generated: bool = False,
    is_resolution: bool = False,
) -> Email:
    if not to:
        raise ValidationError.single("to", "an email needs at least one recipient")
    if text.is_blank(subject):
        raise ValidationError.single("subject", "an email needs a subject")
    department = await Department.get(id=item.department_id)
    email = await Email.create(
        work_item_id=item.id,
        direction=EmailDirection.OUTBOUND,
        status=EmailStatus.QUEUED,
        subject=subject.strip(),
        to_addresses=_addresses(to, "to"),
        cc_addresses=_addresses(cc or [], "cc"),
        text_body=body,
        system_generated=system_generated,
        created_by_id=actor.id if actor is not None and actor.is_user else None,
        connector_id=department.smtp_connector_id,
        from_name=department.sender_name,
    )
    await timeline.outgoing_email(
        uow, item, actor, email.id, email.subject, is_resolution=is_resolution, system_generated=system_generated
    )
    emit_changed(uow, email, item)
    return email


def emit_changed(uow: UnitOfWork, email: Email, item: WorkItem | None) -> None:
    """Every change of an outgoing email's state is an event (`outboxUpdated` pushes it)."""
    uow.emit(
        OutboxEmailChanged(
            email_id=email.id,
            work_item_id=item.id if item else None,
            ref=item.ref if item else None,
            department_id=item.department_id if item else None,
            status=email.status.value,
            created_by_id=email.created_by_id,
        )
    )


async def queue_resolution_email(uow: UnitOfWork, item: WorkItem, actor: Viewer, email: ResolutionEmail) -> Email:
    return await queue_email(
        uow, item, actor, to=email.to, cc=email.cc, subject=email.subject, body=email.body, is_resolution=True
    )


async def queue_system_notice(uow: UnitOfWork, item: WorkItem, subject: str, body: str) -> Email | None:
    """A system-generated notification to the item's requester (outbox view SYSTEM); none without one."""
    if item.requester_id is None:
        return None
    requester = await Contact.get(id=item.requester_id)
    return await queue_email(uow, item, None, to=[requester.email], subject=subject, body=body, system_generated=True)
