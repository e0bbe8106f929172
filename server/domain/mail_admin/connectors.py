"""SMTP connectors (SPEC §5.1, issue 11 item 3): the outbound servers; one may serve many
departments (Department.smtp_connector, set with updateDepartment's smtpConnectorId).

- The password is write-only: sealed with the server's `Sealer` before it is stored
  (server/mail/secrets.py) and never returned — only whether there is one. A change without a
  `password` keeps the stored one; None or "" clears it.
- Enabling a disabled connector makes the mail it parked (CONNECTOR_DISABLED) due at once, in
  the same transaction (outbox_actions.requeue_parked); the change says how many.
- Deleting is refused (CONFLICT, naming them) while a department uses the connector or mail not
  yet sent — a draft, queued, sending, waiting for a retry, failed or parked — is on it: that
  mail would lose its way out. Move the departments to another connector and send or cancel the
  mail first.
- `try_connector` connects, secures and signs in as configured (smtp.check) or, given an
  address, sends it one system message (Auto-Submitted) through smtp.transmit; what the server
  answers is the outcome, never an error.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from models.email import Email, SmtpConnector
from models.enums import EmailStatus
from models.org import Department
from server.domain import departments as department_rules
from server.domain import audit, limits
from server.domain.errors import Conflict, FieldProblem, NotFound, ValidationError
from server.domain.mail_admin import common
from server.domain.outbox_actions import requeue_parked
from server.domain.sending import smtp_server
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import smtp
from server.mail.composing import OutgoingMessage, build, new_message_id
from server.mail.secrets import CredentialsUnreadable, Sealer

FIELDS = frozenset({"name", "host", "port", "security", "username", "password", "from_address", "enabled"})
API_NAMES = {"from_address": "fromAddress"}
# mail that still needs its connector to leave
UNSENT = (
    EmailStatus.DRAFT, EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.RETRY_PENDING,
    EmailStatus.FAILED, EmailStatus.CONNECTOR_DISABLED,
)
# what the audit log keeps of a connector; its password only as set, changed or cleared
AUDITED = ("name", "host", "port", "security", "username", "from_address", "enabled")
TEST_TIMEOUT = 15.0  # seconds per connection step and reply: an admin is waiting for the answer
TEST_BODY_TIMEOUT = 30.0


@dataclass(frozen=True)
class ConnectorChange:
    connector: SmtpConnector  # with `departments` fetched
    requeued: int  # parked emails made due again by enabling it


@dataclass(frozen=True)
class TrialOutcome:
    """What a test of a connector found. ok: connected (and, with a recipient, the message was
    accepted). stage: the SMTP step that decided it (CONNECT, EHLO, STARTTLS, AUTH, MAIL, RCPT,
    DATA, BODY, QUIT) when the server refused or failed; code and message: its reply, or what went
    wrong when there was none."""

    ok: bool
    message: str
    stage: str | None = None
    code: int | None = None
    sent_to: str | None = None
    message_id: str | None = None


async def _with_departments(connector: SmtpConnector) -> SmtpConnector:
    await connector.fetch_related("departments")
    return connector


async def connectors(viewer: Viewer, first: int, after: str | None) -> common.Page[SmtpConnector]:
    """Connectors by name, with the departments each serves."""
    common.require_admin(viewer)
    return await common.page_of(SmtpConnector.all().prefetch_related("departments"), "name", first, after)


async def _connector(connector_id: int) -> SmtpConnector:
    connector = await SmtpConnector.get_or_none(id=connector_id)
    if connector is None:
        raise NotFound(f"No SMTP connector {connector_id} exists.", field="id")
    return connector


async def _changes(fields: dict[str, Any], connector: SmtpConnector | None, sealer: Sealer) -> dict[str, Any]:
    common.unknown_fields(fields, FIELDS, "SMTP connector")
    limits.check({k: v for k, v in fields.items() if k != "password"})
    changes = dict(fields)
    problems: list[FieldProblem] = []
    own_id = connector.id if connector is not None else None
    await department_rules.check_unique_name(SmtpConnector, "connector", changes, own_id, problems)
    if connector is None:
        for required in ("host", "from_address"):
            if required not in changes:
                problems.append(FieldProblem(API_NAMES.get(required, required), f"{API_NAMES.get(required, required)} is required"))
    if "host" in changes:
        changes["host"] = common.host(changes["host"], "host", problems)
    if "port" in changes:
        changes["port"] = common.port(changes["port"], "port", problems)
    if "security" in changes:
        changes["security"] = common.security(changes["security"], "security", problems)
    if "username" in changes:
        changes["username"] = common.optional_text(changes["username"], "username", common.MAX_USERNAME, problems)
    if "from_address" in changes:
        changes["from_address"] = common.address(changes["from_address"], "fromAddress", problems)
    common.flag(changes, "enabled", "enabled", problems)
    if "password" in changes:
        secret = common.password(changes.pop("password"), "password", problems)
        changes["password_sealed"] = sealer.seal(secret) if secret is not None else None
    common.raise_problems(problems, "SMTP connector")
    return changes


def _password_change(before: SmtpConnector | None, changes: dict[str, Any]) -> dict[str, Any]:
    had = before is not None and before.password_sealed is not None
    change = audit.secret(had, "password_sealed" in changes, changes.get("password_sealed") is not None)
    return {"password": change} if change and change["from"] != change["to"] else {}


async def create_connector(viewer: Viewer, fields: dict[str, Any], sealer: Sealer) -> SmtpConnector:
    common.require_admin(viewer)
    changes = await _changes(fields, None, sealer)
    try:
        async with unit_of_work():
            connector = await SmtpConnector.create(**changes)
            await audit.record(viewer, "smtp_connector.created", connector,
                               changes=audit.created(audit.values(connector, AUDITED)) | _password_change(None, changes))
    except IntegrityError:
        raise common.taken_at_once() from None
    return await _with_departments(connector)


async def update_connector(viewer: Viewer, connector_id: int, fields: dict[str, Any], sealer: Sealer) -> ConnectorChange:
    """Change a connector; enabling a disabled one re-queues the mail it parked."""
    common.require_admin(viewer)
    connector = await _connector(connector_id)
    changes = await _changes(fields, connector, sealer)
    requeued = 0
    try:
        async with unit_of_work():
            locked = await SmtpConnector.filter(id=connector_id).select_for_update().get()
            enabling = changes.get("enabled") is True and not locked.enabled
            if changes:
                await SmtpConnector.filter(id=connector_id).update(**changes)
            if enabling:
                requeued = await requeue_parked(connector_id)
            after = await SmtpConnector.get(id=connector_id)
            logged = audit.diff(audit.values(locked, AUDITED), audit.values(after, AUDITED)) | _password_change(locked, changes)
            if logged:
                await audit.record(viewer, "smtp_connector.updated", after, changes=logged)
    except IntegrityError:
        raise common.taken_at_once() from None
    return ConnectorChange(await _with_departments(await SmtpConnector.get(id=connector_id)), requeued)


async def delete_connector(viewer: Viewer, connector_id: int) -> int:
    """Delete an unused connector (see the module's rules); its id."""
    common.require_admin(viewer)
    await _connector(connector_id)
    async with unit_of_work():
        connector = await SmtpConnector.filter(id=connector_id).select_for_update().first()
        if connector is None:
            raise NotFound(f"No SMTP connector {connector_id} exists.", field="id")
        served = await Department.filter(smtp_connector_id=connector_id).order_by("name").values_list("name", flat=True)
        if served:
            raise Conflict(
                f"Departments send mail through this connector: {', '.join(served)}; give them another connector first.",
                field="id", departments=list(served),
            )
        unsent = await Email.filter(connector_id=connector_id, status__in=UNSENT).count()
        if unsent:
            raise Conflict(
                f"{unsent} email(s) not yet sent are on this connector; let them go, or cancel them, first.",
                field="id", unsent=unsent,
            )
        await SmtpConnector.filter(id=connector_id).delete()
        await audit.record(viewer, "smtp_connector.deleted", connector, changes=audit.deleted(audit.values(connector, AUDITED)))
    return connector_id


# ------------------------------------------------------------------------------------- testing

_CHECK_FAILURE = re.compile(r"([A-Z]+): (?:(\d{3}) )?(.*)", re.DOTALL)


def _message_domain(from_address: str) -> str:
    domain = from_address.rpartition("@")[2]
    try:
        new_message_id(domain)
        return domain
    except ValueError:  # an address literal: no domain for a Message-ID
        return "switchboard.invalid"


def trial_message(connector: SmtpConnector, to: str) -> OutgoingMessage:
    """The system message a connector test sends."""
    return OutgoingMessage(
        from_address=connector.from_address,
        from_name="Switchboard",
        to=[to],
        cc=[],
        bcc=[],
        subject=f"Switchboard test message ({connector.name})",
        text_body=(
            f"This message was sent by Switchboard to test the SMTP connector {connector.name!r} "
            f"({connector.host}:{connector.port}, {connector.security.value}).\n"
            "It arrived, so the connector works. No reply is needed.\n"
        ),
        html_body=None,
        message_id=new_message_id(_message_domain(connector.from_address)),
        auto_submitted=True,
    )


async def try_connector(viewer: Viewer, connector_id: int, to: str | None, sealer: Sealer) -> TrialOutcome:
    """Try the connector (whether enabled or not): connect and sign in, or send `to` a test
    message. Nothing is stored."""
    common.require_admin(viewer)
    recipient = None
    if to is not None:
        problems: list[FieldProblem] = []
        recipient = common.address(to, "to", problems)
        if problems:
            raise ValidationError(problems[0].message, problems)
    connector = await _connector(connector_id)
    try:
        server = smtp_server(connector, sealer)
    except CredentialsUnreadable as unreadable:
        return TrialOutcome(ok=False, message=str(unreadable), stage="AUTH")
    server = dataclasses.replace(server, timeout=TEST_TIMEOUT, body_timeout=TEST_BODY_TIMEOUT)
    if recipient is None:
        failure = await smtp.check(server)
        if failure is None:
            signed_in = " and signed in" if server.username is not None else ""
            return TrialOutcome(ok=True, message=f"Connected to {server.host}:{server.port} ({server.security}){signed_in}.")
        parsed = _CHECK_FAILURE.fullmatch(failure)
        if parsed is None:
            return TrialOutcome(ok=False, message=failure)
        stage, code, text = parsed.groups()
        return TrialOutcome(ok=False, message=text, stage=stage, code=int(code) if code else None)
    message = trial_message(connector, recipient)
    delivery = await smtp.transmit(server, connector.from_address, [recipient], build(message))
    if delivery.outcome == "SENT":
        return TrialOutcome(ok=True, message=delivery.message, code=delivery.code, sent_to=recipient, message_id=message.message_id)
    return TrialOutcome(ok=False, message=delivery.message, stage=delivery.stage, code=delivery.code)
