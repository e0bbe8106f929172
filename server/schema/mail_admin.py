"""GraphQL types of the mail administration (issue 11 item 3): SMTP connectors, inbound
mailboxes, alias addresses, routes, blocked addresses and the mail settings. Passwords are input
only: a type says whether one is stored (`hasPassword`), never what it is. The root fields are in
mail_admin_root.py."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models import email as email_models
from models import org as org_models
from models.enums import SmtpSecurity
from server.domain import mail_admin as domain
from server.schema.org import Department, Queue, User
from server.schema.work_items import PageInfo, WorkItemType
from server.schema.work_items.case_flow import CaseType

MailSecurity = strawberry.enum(
    SmtpSecurity, name="MailSecurity",
    description="How a mail server connection is protected: NONE, STARTTLS (upgraded after connecting) or TLS (implicit TLS, e.g. SMTP 465, IMAP 993).",
)

_PASSWORD = (
    "Write-only: stored sealed, never returned. Left out: the stored one stays; an empty string "
    "or null: cleared."
)


def _id(pk: int | None) -> Optional[strawberry.ID]:
    return None if pk is None else strawberry.ID(str(pk))


# ------------------------------------------------------------------------------- SMTP connectors


@strawberry.type(description="An outbound SMTP server; one connector may serve many departments.")
class SmtpConnector:
    id: strawberry.ID
    name: str
    host: str
    port: int
    security: MailSecurity
    username: Optional[str]
    has_password: bool = strawberry.field(description="Whether a password is stored (it is never returned).")
    from_address: str = strawberry.field(description="The envelope sender and From address of mail sent through it.")
    enabled: bool = strawberry.field(description="Disabled: mail for it is parked as CONNECTOR_DISABLED until it is enabled again.")
    created_at: datetime
    departments: list[Department] = strawberry.field(description="The departments that send through it (set with updateDepartment's smtpConnectorId).")

    @classmethod
    def from_model(cls, row: email_models.SmtpConnector) -> "SmtpConnector":
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, host=row.host, port=row.port, security=row.security,
            username=row.username, has_password=row.password_sealed is not None, from_address=row.from_address,
            enabled=row.enabled, created_at=row.created_at,
            departments=[Department.from_model(d) for d in sorted(row.departments, key=lambda d: d.name)],
        )


@strawberry.input(description="SMTP connector fields; left out: unchanged (name, host and fromAddress are required to create).")
class SmtpConnectorInput:
    name: Optional[str] = strawberry.UNSET
    host: Optional[str] = strawberry.UNSET
    port: Optional[int] = strawberry.field(default=strawberry.UNSET, description="1 to 65535 (587 when created without one).")
    security: Optional[MailSecurity] = strawberry.field(default=strawberry.UNSET, description="STARTTLS when created without one.")
    username: Optional[str] = strawberry.field(default=strawberry.UNSET, description="Null or blank: no AUTH.")
    password: Optional[str] = strawberry.field(default=strawberry.UNSET, description=_PASSWORD)
    from_address: Optional[str] = strawberry.UNSET
    enabled: Optional[bool] = strawberry.UNSET


@strawberry.type(description="A connector after a change.")
class SmtpConnectorChange:
    connector: SmtpConnector
    requeued: int = strawberry.field(description="Parked emails (CONNECTOR_DISABLED) made due again because it was enabled.")


@strawberry.type(description="What trying a connector found; a server's refusal is an outcome here, not an error.")
class SmtpConnectorTest:
    ok: bool = strawberry.field(description="Connected and signed in, and — with `to` — the test message was accepted.")
    message: str = strawberry.field(description="The server's reply, or what went wrong when there was none.")
    stage: Optional[str] = strawberry.field(description="Where it failed: CONNECT, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, BODY or QUIT.")
    code: Optional[int] = strawberry.field(description="The reply code (e.g. 550), when the server answered.")
    sent_to: Optional[str] = strawberry.field(description="The address the test message was accepted for.")
    message_id: Optional[str] = strawberry.field(description="The test message's Message-ID.")

    @classmethod
    def from_domain(cls, outcome: domain.TrialOutcome) -> "SmtpConnectorTest":
        return cls(ok=outcome.ok, message=outcome.message, stage=outcome.stage, code=outcome.code,
                   sent_to=outcome.sent_to, message_id=outcome.message_id)


# ----------------------------------------------------------------------------- inbound mailboxes


def _queue(row: org_models.Queue | None) -> Optional[Queue]:
    return Queue.from_model(row) if row is not None else None


def _case_type(row: object | None) -> Optional[CaseType]:
    return CaseType.from_model(row) if row is not None else None


@strawberry.type(description="A department's inbound address, optionally collected over IMAP, and what its mail creates.")
class Mailbox:
    id: strawberry.ID
    address: str
    department: Department
    queue: Optional[Queue] = strawberry.field(description="Where new items wait; null: the department's first queue.")
    creates: WorkItemType = strawberry.field(description="What a message that continues no item creates: TICKET or CASE.")
    case_type: Optional[CaseType] = strawberry.field(description="The case type, when it creates cases.")
    enabled: bool
    imap_host: Optional[str] = strawberry.field(description="Null: not collected over IMAP.")
    imap_port: Optional[int] = strawberry.field(description="Null: 993 with TLS, else 143.")
    imap_security: MailSecurity
    imap_username: Optional[str]
    has_imap_password: bool = strawberry.field(description="Whether an IMAP password is stored (it is never returned).")
    imap_folder: str
    uid_validity: Optional[str] = strawberry.field(description="The collection cursor: the folder's UIDVALIDITY (an unsigned 32-bit number, as text); null until the first collection.")
    last_uid: Optional[str] = strawberry.field(description="The collection cursor: the last UID collected (as text).")
    last_connected_at: Optional[datetime]
    last_error: Optional[str] = strawberry.field(description="Why the last connection or collection failed, if it did.")
    created_at: datetime

    @classmethod
    def from_model(cls, row: email_models.Mailbox) -> "Mailbox":
        return cls(
            id=strawberry.ID(str(row.id)), address=row.address, department=Department.from_model(row.department),
            queue=_queue(row.queue), creates=row.creates, case_type=_case_type(row.case_type), enabled=row.enabled,
            imap_host=row.imap_host, imap_port=row.imap_port, imap_security=row.imap_security,
            imap_username=row.imap_username, has_imap_password=row.imap_password_sealed is not None,
            imap_folder=row.imap_folder,
            uid_validity=None if row.uid_validity is None else str(row.uid_validity),
            last_uid=None if row.last_uid is None else str(row.last_uid),
            last_connected_at=row.last_connected_at, last_error=row.last_error, created_at=row.created_at,
        )


@strawberry.input(
    description="Mailbox fields; left out: unchanged (address and departmentId are required to create). Changing "
    "imapHost, imapPort, imapUsername or imapFolder resets the collection cursor: the next collection is a first one "
    "(the newest 100 messages, no automatic notifications)."
)
class MailboxInput:
    address: Optional[str] = strawberry.UNSET
    department_id: Optional[strawberry.ID] = strawberry.UNSET
    queue_id: Optional[strawberry.ID] = strawberry.field(default=strawberry.UNSET, description="A queue of the department; null: its first.")
    creates: Optional[WorkItemType] = strawberry.field(default=strawberry.UNSET, description="TICKET (the default) or CASE.")
    case_type_id: Optional[strawberry.ID] = strawberry.field(default=strawberry.UNSET, description="Required when it creates cases.")
    enabled: Optional[bool] = strawberry.UNSET
    imap_host: Optional[str] = strawberry.UNSET
    imap_port: Optional[int] = strawberry.UNSET
    imap_security: Optional[MailSecurity] = strawberry.UNSET
    imap_username: Optional[str] = strawberry.UNSET
    imap_password: Optional[str] = strawberry.field(default=strawberry.UNSET, description=_PASSWORD)
    imap_folder: Optional[str] = strawberry.UNSET


# ------------------------------------------------------------------------------ aliases and routes


@strawberry.type(description="An alias address: mail sent to it lands in the department (and queue) whatever mailbox stores it.")
class DepartmentAlias:
    id: strawberry.ID
    address: str
    department: Department
    queue: Optional[Queue]

    @classmethod
    def from_model(cls, row: org_models.DepartmentAlias) -> "DepartmentAlias":
        return cls(id=strawberry.ID(str(row.id)), address=row.address, department=Department.from_model(row.department),
                   queue=_queue(row.queue))


@strawberry.input
class DepartmentAliasInput:
    address: str
    department_id: strawberry.ID
    queue_id: Optional[strawberry.ID] = strawberry.field(default=None, description="A queue of the department; null: none.")


@strawberry.type(description="A recipient address that is no mailbox or alias, and where its mail goes.")
class MailRoute:
    id: strawberry.ID
    address: str
    department: Department
    queue: Optional[Queue] = strawberry.field(description="Null: the department's first queue.")
    creates: WorkItemType
    case_type: Optional[CaseType]
    created_at: datetime

    @classmethod
    def from_model(cls, row: email_models.MailRoute) -> "MailRoute":
        return cls(id=strawberry.ID(str(row.id)), address=row.address, department=Department.from_model(row.department),
                   queue=_queue(row.queue), creates=row.creates, case_type=_case_type(row.case_type), created_at=row.created_at)


@strawberry.input(description="Route fields; left out: unchanged (address and departmentId are required to create).")
class MailRouteInput:
    address: Optional[str] = strawberry.UNSET
    department_id: Optional[strawberry.ID] = strawberry.UNSET
    queue_id: Optional[strawberry.ID] = strawberry.UNSET
    creates: Optional[WorkItemType] = strawberry.UNSET
    case_type_id: Optional[strawberry.ID] = strawberry.UNSET


# -------------------------------------------------------------------------- blocked, settings


@strawberry.type(description="Mail from this address — or, written @domain, from any address of the domain — is stored as deleted.")
class BlockedAddress:
    id: strawberry.ID
    address: str
    reason: Optional[str]
    created_by: Optional[User] = strawberry.field(description="The admin who added it.")
    created_at: datetime

    @classmethod
    def from_model(cls, row: email_models.BlockedAddress) -> "BlockedAddress":
        return cls(id=strawberry.ID(str(row.id)), address=row.address, reason=row.reason,
                   created_by=User.from_model(row.created_by) if row.created_by else None, created_at=row.created_at)


@strawberry.input
class BlockedAddressInput:
    address: str = strawberry.field(description="An address, or a whole domain written @example.com.")
    reason: Optional[str] = None


@strawberry.type(description="The system-wide mail settings.")
class MailSettings:
    plus_addressing: bool = strawberry.field(description="mailbox+REF@domain reaches work item REF, and outgoing mail replies to it (off by default).")
    retry_pattern: list[int] = strawberry.field(description="Seconds before retry 1, 2, ... of mail a server refused for now; the last repeats.")
    max_retries: int = strawberry.field(description="Automatic retries before an email is FAILED.")

    @classmethod
    def from_model(cls, row: email_models.MailSettings) -> "MailSettings":
        return cls(plus_addressing=row.plus_addressing, retry_pattern=list(row.retry_pattern), max_retries=row.max_retries)


@strawberry.input(description="Left out: unchanged.")
class MailSettingsInput:
    plus_addressing: Optional[bool] = strawberry.UNSET
    retry_pattern: Optional[list[int]] = strawberry.field(default=strawberry.UNSET, description="1 to 10 delays, each 1 to 604800 seconds (a week).")
    max_retries: Optional[int] = strawberry.field(default=strawberry.UNSET, description="0 to 20.")


# ------------------------------------------------------------------------------------------ pages


@strawberry.type
class SmtpConnectorEdge:
    cursor: str
    node: SmtpConnector


@strawberry.type(description="SMTP connectors by name. At most 100 a page; pass endCursor as `after` for the next.")
class SmtpConnectorConnection:
    edges: list[SmtpConnectorEdge]
    page_info: PageInfo


@strawberry.type
class MailboxEdge:
    cursor: str
    node: Mailbox


@strawberry.type(description="Mailboxes by address. At most 100 a page; pass endCursor as `after` for the next.")
class MailboxConnection:
    edges: list[MailboxEdge]
    page_info: PageInfo


@strawberry.type
class DepartmentAliasEdge:
    cursor: str
    node: DepartmentAlias


@strawberry.type(description="Alias addresses by address. At most 100 a page; pass endCursor as `after` for the next.")
class DepartmentAliasConnection:
    edges: list[DepartmentAliasEdge]
    page_info: PageInfo


@strawberry.type
class MailRouteEdge:
    cursor: str
    node: MailRoute


@strawberry.type(description="Routes by address. At most 100 a page; pass endCursor as `after` for the next.")
class MailRouteConnection:
    edges: list[MailRouteEdge]
    page_info: PageInfo


@strawberry.type
class BlockedAddressEdge:
    cursor: str
    node: BlockedAddress


@strawberry.type(description="Blocked addresses by address (domains, written @..., first). At most 100 a page; pass endCursor as `after` for the next.")
class BlockedAddressConnection:
    edges: list[BlockedAddressEdge]
    page_info: PageInfo
