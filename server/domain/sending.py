"""Sending the outbox (SPEC §5.1): every due email goes out exactly once, or its failure is
surfaced — never sent twice, never lost.

One email's path, each step its own committed transaction:

1. `claim` takes due emails (QUEUED or RETRY_PENDING whose `next_attempt_at` has come) under row
   locks that other workers skip (SKIP LOCKED on PostgreSQL; SQLite has one writer at a time),
   and marks each SENDING with `sending_started_at` and one more attempt. The mark is committed
   before any SMTP traffic: from then on the email is not due for anyone, so two workers never
   take the same one, and a cancel no longer applies.
2. `deliver` makes one SMTP transaction for its recipients still PENDING (a retry never sends to
   one the server accepted before) through the injected `transmit` (server/mail/smtp.py), then
   records the outcome: SENT; per recipient ACCEPTED or REJECTED (5xx); 4xx → RETRY_PENDING on
   the retry pattern until the retries run out, then FAILED with the server's message; 5xx →
   FAILED at once; a disabled (or missing) connector → CONNECTOR_DISABLED, parked until an admin
   enables it.
3. An email still SENDING after `LEASE` was interrupted (the process died mid-send, or the
   connection dropped after the message was handed over): the server may have accepted it, so
   it is not sent again blindly but FAILED with `OUTCOME_UNKNOWN`, for a person to retry.

Every change of state is an `OutboxEmailChanged` event (`outboxUpdated` pushes it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Awaitable, Callable

from models.email import Email, EmailAttachment, EmailRecipient, SmtpConnector
from models.enums import EmailStatus, RecipientKind, RecipientStatus
from models.org import Department
from models.work_item import WorkItem
from server.domain import clock, mail_settings
from server.domain.outbox import emit_changed
from server.domain.uow import unit_of_work
from server.mail.composing import OutgoingAttachment, OutgoingMessage, build
from server.mail.secrets import CredentialsUnreadable, Sealer
from server.mail.smtp import Delivery, SmtpServer

log = logging.getLogger(__name__)

DUE = (EmailStatus.QUEUED, EmailStatus.RETRY_PENDING)
# longer than one SMTP transaction can take (each command times out after the connector's timeout)
LEASE = timedelta(minutes=10)
OUTCOME_UNKNOWN = "Outcome unknown after interruption: the server may have accepted it. Check with the recipients, then retry by hand."

Transmit = Callable[[SmtpServer, str, list[str], EmailMessage], Awaitable[Delivery]]


@dataclass
class SendReport:
    """What one round of the worker did (ids per outcome)."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed or self.parked or self.interrupted)


async def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Mark up to `limit` due emails SENDING (committed) and return their ids, oldest due first."""
    now = now or clock.now()
    claimed: list[int] = []
    async with unit_of_work() as uow:
        query = Email.filter(status__in=DUE, next_attempt_at__lte=now).order_by("next_attempt_at", "id").limit(limit)
        if Email._meta.db.capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True)
        for email in await query:
            # conditional on the state just read: a cancel or another worker that got there first wins
            taken = await Email.filter(id=email.id, status__in=DUE).update(
                status=EmailStatus.SENDING, sending_started_at=now, last_attempt_at=now, attempts=email.attempts + 1
            )
            if taken:
                email.status = EmailStatus.SENDING
                emit_changed(uow, email, await _item(email))
                claimed.append(email.id)
    return claimed


async def _item(email: Email) -> WorkItem | None:
    return await WorkItem.get_or_none(id=email.work_item_id) if email.work_item_id else None


async def deliver(email_id: int, transmit: Transmit, sealer: Sealer, now: datetime | None = None) -> EmailStatus:
    """Send one claimed (SENDING) email and record what happened; its new status."""
    email = await Email.get(id=email_id)
    if email.status != EmailStatus.SENDING:
        return email.status
    connector = await SmtpConnector.get_or_none(id=email.connector_id) if email.connector_id else None
    if connector is None or not connector.enabled:
        why = "No SMTP connector serves this email's department." if connector is None else f"The connector {connector.name!r} is disabled."
        return await _finish(email, EmailStatus.CONNECTOR_DISABLED, error=why, now=now)
    try:
        server = smtp_server(connector, sealer)
    except CredentialsUnreadable as unreadable:
        return await _finish(email, EmailStatus.FAILED, error=str(unreadable), now=now)
    recipients = await EmailRecipient.filter(email_id=email.id).order_by("id")
    pending = [r.address for r in recipients if r.status == RecipientStatus.PENDING]
    if not pending:  # every recipient was settled by an earlier attempt
        return await _finish(email, EmailStatus.SENT, now=now)
    message = build(await outgoing_message(email, connector, recipients))
    delivery = await transmit(server, connector.from_address, pending, message)
    return await _record(email, delivery, now)


def smtp_server(connector: SmtpConnector, sealer: Sealer) -> SmtpServer:
    password = sealer.open(connector.password_sealed) if connector.password_sealed else None
    return SmtpServer(
        host=connector.host, port=connector.port, security=connector.security.value, username=connector.username, password=password
    )


async def outgoing_message(email: Email, connector: SmtpConnector, recipients: list[EmailRecipient]) -> OutgoingMessage:
    """The message as the recipients get it (the same on every attempt: the same Message-ID)."""
    item = await _item(email)
    department = await Department.get_or_none(id=item.department_id) if item is not None else None
    by_kind: dict[RecipientKind, list[str]] = {kind: [] for kind in RecipientKind}
    for recipient in recipients:
        by_kind[recipient.kind].append(recipient.address)
    attachments = [
        OutgoingAttachment(filename=a.filename, content_type=a.content_type, content=bytes(a.content), content_id=a.content_id)
        for a in await EmailAttachment.filter(email_id=email.id).order_by("id")
    ]
    return OutgoingMessage(
        from_address=connector.from_address,
        from_name=email.from_name,
        to=by_kind[RecipientKind.TO],
        cc=by_kind[RecipientKind.CC],
        bcc=by_kind[RecipientKind.BCC],
        subject=email.subject,
        text_body=email.text_body or "",
        html_body=email.html_body,
        message_id=email.message_id,
        in_reply_to=email.in_reply_to,
        references=(email.references or "").split(),
        reply_to=email.reply_to,
        importance=email.importance.value,
        auto_submitted=email.system_generated,
        signature=department.signature if department is not None and not email.system_generated else None,
        attachments=attachments,
    )


async def _record(email: Email, delivery: Delivery, now: datetime | None) -> EmailStatus:
    now = now or clock.now()
    async with unit_of_work():
        for address in delivery.accepted:
            await EmailRecipient.filter(email_id=email.id, address=address).update(
                status=RecipientStatus.ACCEPTED, accepted_at=now, code=None, message=None
            )
        for address, (code, text) in delivery.rejected.items():
            await EmailRecipient.filter(email_id=email.id, address=address).update(
                status=RecipientStatus.REJECTED if code >= 500 else RecipientStatus.PENDING, code=code, message=text
            )
        if delivery.outcome == "UNKNOWN":
            return await _finish(email, EmailStatus.FAILED, error=f"{OUTCOME_UNKNOWN} ({delivery.message})", now=now)
        if delivery.outcome == "PERMANENT":
            return await _finish(email, EmailStatus.FAILED, error=_reply(delivery), now=now)
        recipients = await EmailRecipient.filter(email_id=email.id).order_by("id")
        statuses = {r.status for r in recipients}
        if RecipientStatus.PENDING not in statuses:
            if RecipientStatus.ACCEPTED not in statuses:
                return await _finish(email, EmailStatus.FAILED, error=_reply(delivery), now=now)
            # sent; those the server refused for good (in this attempt or an earlier one) are named
            refused = {r.address: (r.code, r.message) for r in recipients if r.status == RecipientStatus.REJECTED}
            return await _finish(email, EmailStatus.SENT, error=_refusals(refused), now=now)
        return await _retry_later(email, _reply(delivery), now)


def _reply(delivery: Delivery) -> str:
    said = f"{delivery.code} {delivery.message}".strip() if delivery.code else delivery.message
    return "; ".join(part for part in (said, _refusals(delivery.rejected)) if part) or "The server refused the message."


def _refusals(refused: dict[str, tuple[int | None, str | None]]) -> str | None:
    if not refused:
        return None
    return "Refused for " + ", ".join(f"{address} ({code} {text})" for address, (code, text) in refused.items())


async def _retry_later(email: Email, error: str, now: datetime) -> EmailStatus:
    settings = await mail_settings.current()
    retries_done = email.attempts - 1  # the claim counted this attempt
    if retries_done >= settings.max_retries or not settings.retry_pattern:
        return await _finish(email, EmailStatus.FAILED, error=error, now=now)
    pattern = settings.retry_pattern
    delay = pattern[min(retries_done, len(pattern) - 1)]
    return await _finish(email, EmailStatus.RETRY_PENDING, error=error, now=now, next_attempt_at=now + timedelta(seconds=delay))


async def _finish(email: Email, status: EmailStatus, *, error: str | None = None, now: datetime | None = None,
                  next_attempt_at: datetime | None = None) -> EmailStatus:
    """Leave SENDING for `status` (only from SENDING: a second recorder changes nothing)."""
    now = now or clock.now()
    changes: dict = {"status": status, "sending_started_at": None, "next_attempt_at": next_attempt_at}
    if status == EmailStatus.SENT:
        changes.update(sent_at=now, last_error=error)
    elif error is not None:
        changes["last_error"] = error
        if email.first_failed_at is None:
            changes["first_failed_at"] = now
    async with unit_of_work() as uow:
        if not await Email.filter(id=email.id, status=EmailStatus.SENDING).update(**changes):
            return (await Email.get(id=email.id)).status
        for name, value in changes.items():
            setattr(email, name, value)
        emit_changed(uow, email, await _item(email), error=error)
    return status


async def recover_interrupted(now: datetime | None = None) -> list[int]:
    """Surface every email left SENDING for longer than `LEASE` (FAILED, OUTCOME_UNKNOWN)."""
    now = now or clock.now()
    stale = await Email.filter(status=EmailStatus.SENDING, sending_started_at__lt=now - LEASE).order_by("id")
    surfaced = []
    for email in stale:
        if await _finish(email, EmailStatus.FAILED, error=OUTCOME_UNKNOWN, now=now) == EmailStatus.FAILED:
            surfaced.append(email.id)
    if surfaced:
        log.warning("%d outgoing email(s) were interrupted mid-send and need a person's check: %s", len(surfaced), surfaced)
    return surfaced


async def send_due(transmit: Transmit, sealer: Sealer, *, limit: int = 20, now: datetime | None = None) -> SendReport:
    """One round: surface interrupted sends, then claim and deliver what is due (one at a time,
    in due order)."""
    report = SendReport(interrupted=await recover_interrupted(now))
    for email_id in await claim(limit, now):
        try:
            status = await deliver(email_id, transmit, sealer, now)
        except Exception:  # noqa: BLE001 - left SENDING: surfaced after the lease, never re-sent blindly
            log.exception("Sending email %d failed unexpectedly", email_id)
            continue
        {EmailStatus.SENT: report.sent, EmailStatus.RETRY_PENDING: report.retrying,
         EmailStatus.CONNECTOR_DISABLED: report.parked}.get(status, report.failed).append(email_id)
    return report
