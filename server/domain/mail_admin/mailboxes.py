"""Inbound mailboxes (SPEC §5.2): a department's own address, optionally collected over IMAP,
and what a new message to it creates (a ticket, or a case of a case type) in which queue.

- The address is one mailbox, alias or route at most (CONFLICT naming the other).
- The queue must be one of the department's (none: the department's first queue).
- The IMAP password is write-only like a connector's: sealed, never returned; a change without
  `imap_password` keeps it, None or "" clears it.
- Changing the IMAP server or folder — host, port, username or folder — resets the collection
  cursor (uid_validity, last_uid) and the status (last_connected_at, last_error): the next
  connection is a new first collection (the newest 100 messages, no automatic notifications;
  Message-ID de-duplication keeps messages imported before from coming twice). Changing only the
  security mode, the password, the queue or what it creates keeps the cursor.
- The collector manager needs no signal: it reads `mailboxes_to_collect()` and compares each
  one's `collection_settings()` with what its running collector was started with; a different
  value (or a mailbox gone or disabled) means stop, and start again with the new settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from models.email import Mailbox
from models.enums import SmtpSecurity
from server.domain import audit, limits
from server.domain.errors import FieldProblem, NotFound
from server.domain.mail_admin import common
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail.secrets import Sealer

FIELDS = frozenset(
    {
        "address", "department_id", "queue_id", "creates", "case_type_id", "enabled",
        "imap_host", "imap_port", "imap_security", "imap_username", "imap_password", "imap_folder",
    }
)
API_NAMES = {
    "imap_host": "imapHost", "imap_port": "imapPort", "imap_security": "imapSecurity",
    "imap_username": "imapUsername", "imap_password": "imapPassword", "imap_folder": "imapFolder",
}
# what identifies the folder collected: changing one of these starts a new first collection
CURSOR_KEYS = ("imap_host", "imap_port", "imap_username", "imap_folder")
MAX_FOLDER = 200
DEFAULT_PORTS = {SmtpSecurity.TLS: 993, SmtpSecurity.STARTTLS: 143, SmtpSecurity.NONE: 143}
_RELATED = ("department", "queue", "case_type")
# what the audit log keeps of a mailbox (not its collection cursor); its password only as set, changed or cleared
AUDITED = (
    "address", "department_id", "queue_id", "creates", "case_type_id", "enabled",
    "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder",
)


def _password_change(before: Mailbox | None, changes: dict[str, Any]) -> dict[str, Any]:
    had = before is not None and before.imap_password_sealed is not None
    change = audit.secret(had, "imap_password_sealed" in changes, changes.get("imap_password_sealed") is not None)
    return {"imap_password": change} if change and change["from"] != change["to"] else {}


@dataclass(frozen=True)
class CollectionSettings:
    """What a mailbox's collector is started with; equal values: nothing to restart."""

    mailbox_id: int
    host: str
    port: int
    security: str
    username: str
    password_sealed: str | None
    folder: str


def collection_settings(mailbox: Mailbox) -> CollectionSettings | None:
    """The IMAP settings to collect `mailbox` with, or None when it is not to be collected
    (disabled, or no IMAP server configured)."""
    if not mailbox.enabled or not mailbox.imap_host or not mailbox.imap_username:
        return None
    return CollectionSettings(
        mailbox_id=mailbox.id,
        host=mailbox.imap_host,
        port=mailbox.imap_port or DEFAULT_PORTS[mailbox.imap_security],
        security=mailbox.imap_security.value,
        username=mailbox.imap_username,
        password_sealed=mailbox.imap_password_sealed,
        folder=mailbox.imap_folder,
    )


async def mailboxes_to_collect() -> list[Mailbox]:
    """The enabled mailboxes with an IMAP server, by id."""
    rows = await Mailbox.filter(enabled=True, imap_host__isnull=False, imap_username__isnull=False).order_by("id")
    return [m for m in rows if collection_settings(m) is not None]


async def mailboxes(viewer: Viewer, first: int, after: str | None, department_id: int | None = None) -> common.Page[Mailbox]:
    """Mailboxes by address (of one department when given), with department, queue, case type."""
    common.require_admin(viewer)
    query = Mailbox.all().prefetch_related(*_RELATED)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return await common.page_of(query, "address", first, after)


async def _mailbox(mailbox_id: int) -> Mailbox:
    mailbox = await Mailbox.get_or_none(id=mailbox_id)
    if mailbox is None:
        raise NotFound(f"No mailbox {mailbox_id} exists.", field="id")
    return mailbox


def _api(name: str) -> str:
    return API_NAMES.get(name, name)


async def _changes(fields: dict[str, Any], mailbox: Mailbox | None, sealer: Sealer) -> dict[str, Any]:
    common.unknown_fields(fields, FIELDS, "mailbox")
    limits.check({k: v for k, v in fields.items() if k != "imap_password"})
    changes = dict(fields)
    problems: list[FieldProblem] = []
    if "address" in changes:
        changes["address"] = common.address(changes["address"], "address", problems)
    elif mailbox is None:
        problems.append(FieldProblem("address", "address is required"))
    department_id = changes.get("department_id", mailbox.department_id if mailbox else None)
    dept = await common.department(department_id, problems)
    queue_id = changes.get("queue_id", mailbox.queue_id if mailbox else None)
    if "queue_id" in changes or "department_id" in changes:
        await common.department_queue(queue_id, dept, problems)
    await common.creates_and_case_type(changes, mailbox, problems)
    common.flag(changes, "enabled", "enabled", problems)
    if changes.get("imap_host") is not None:
        changes["imap_host"] = common.host(changes["imap_host"], "imapHost", problems)
    if changes.get("imap_port") is not None:
        changes["imap_port"] = common.port(changes["imap_port"], "imapPort", problems)
    if "imap_security" in changes:
        changes["imap_security"] = common.security(changes["imap_security"], "imapSecurity", problems)
    if "imap_username" in changes:
        changes["imap_username"] = common.optional_text(changes["imap_username"], "imapUsername", common.MAX_USERNAME, problems)
    if "imap_folder" in changes:
        folder = common.optional_text(changes["imap_folder"], "imapFolder", MAX_FOLDER, problems)
        if folder is None:
            problems.append(FieldProblem("imapFolder", "imapFolder must not be empty (INBOX is the usual one)"))
        changes["imap_folder"] = folder
    if "imap_password" in changes:
        secret = common.password(changes.pop("imap_password"), "imapPassword", problems)
        changes["imap_password_sealed"] = sealer.seal(secret) if secret is not None else None
    host = changes.get("imap_host", mailbox.imap_host if mailbox else None)
    username = changes.get("imap_username", mailbox.imap_username if mailbox else None)
    if host is not None and username is None and not any(p.field in ("imapHost", "imapUsername") for p in problems):
        problems.append(FieldProblem("imapUsername", "imapUsername is required to collect the mailbox over IMAP"))
    common.raise_problems(problems, "mailbox")
    return changes


def _cursor_reset(mailbox: Mailbox, changes: dict[str, Any]) -> dict[str, Any]:
    if any(key in changes and changes[key] != getattr(mailbox, key) for key in CURSOR_KEYS):
        return {"uid_validity": None, "last_uid": None, "last_connected_at": None, "last_error": None}
    return {}


async def _loaded(mailbox_id: int) -> Mailbox:
    return await Mailbox.filter(id=mailbox_id).prefetch_related(*_RELATED).get()


async def create_mailbox(viewer: Viewer, fields: dict[str, Any], sealer: Sealer) -> Mailbox:
    common.require_admin(viewer)
    changes = await _changes(fields, None, sealer)
    await common.require_free(changes["address"])
    try:
        async with unit_of_work():
            mailbox = await Mailbox.create(**changes)
            await audit.record(viewer, "mailbox.created", mailbox,
                               changes=audit.created(audit.values(mailbox, AUDITED)) | _password_change(None, changes))
    except IntegrityError:
        raise common.taken_at_once() from None
    return await _loaded(mailbox.id)


async def update_mailbox(viewer: Viewer, mailbox_id: int, fields: dict[str, Any], sealer: Sealer) -> Mailbox:
    common.require_admin(viewer)
    mailbox = await _mailbox(mailbox_id)
    changes = await _changes(fields, mailbox, sealer)
    if "address" in changes:
        await common.require_free(changes["address"], mailbox_id=mailbox_id)
    try:
        async with unit_of_work():
            current = await Mailbox.filter(id=mailbox_id).select_for_update().get()
            changes |= _cursor_reset(current, changes)
            if changes:
                await Mailbox.filter(id=mailbox_id).update(**changes)
            after = await Mailbox.get(id=mailbox_id)
            logged = audit.diff(audit.values(current, AUDITED), audit.values(after, AUDITED)) | _password_change(current, changes)
            if logged:
                await audit.record(viewer, "mailbox.updated", after, changes=logged)
    except IntegrityError:
        raise common.taken_at_once() from None
    return await _loaded(mailbox_id)


async def delete_mailbox(viewer: Viewer, mailbox_id: int) -> int:
    """Delete a mailbox (its emails stay, no longer tied to it); its id."""
    common.require_admin(viewer)
    await _mailbox(mailbox_id)
    async with unit_of_work():
        mailbox = await Mailbox.filter(id=mailbox_id).select_for_update().first()
        if mailbox is None:
            raise NotFound(f"No mailbox {mailbox_id} exists.", field="id")
        await Mailbox.filter(id=mailbox_id).delete()
        await audit.record(viewer, "mailbox.deleted", mailbox, changes=audit.deleted(audit.values(mailbox, AUDITED)))
    return mailbox_id
