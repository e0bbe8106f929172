"""Resolvers of the mail administration: parse input, call server.domain.mail_admin, map the
result. Connector and mailbox passwords are sealed with the server's Sealer, which the request
context carries."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, Optional

import strawberry

from server.domain import mail_admin
from server.domain.errors import ValidationError
from server.mail.secrets import Sealer
from server.resolvers.context import require_viewer
from server.resolvers.inputs import page_size, provided, to_id
from server.schema.mail_admin import (
    BlockedAddress,
    BlockedAddressConnection,
    BlockedAddressEdge,
    BlockedAddressInput,
    DepartmentAlias,
    DepartmentAliasConnection,
    DepartmentAliasEdge,
    DepartmentAliasInput,
    Mailbox,
    MailboxConnection,
    MailboxEdge,
    MailboxInput,
    MailRoute,
    MailRouteConnection,
    MailRouteEdge,
    MailRouteInput,
    MailSettings,
    MailSettingsInput,
    SmtpConnector,
    SmtpConnectorChange,
    SmtpConnectorConnection,
    SmtpConnectorEdge,
    SmtpConnectorInput,
    SmtpConnectorTest,
)
from server.schema.work_items import PageInfo

MAX_CURSOR_KEY = 400
_IDS = {"department_id": "departmentId", "queue_id": "queueId", "case_type_id": "caseTypeId"}


def _sealer(info: strawberry.Info) -> Sealer:
    sealer = getattr(info.context, "sealer", None)
    if sealer is None:  # a context built without the server's secret: a programming error
        raise RuntimeError("the request context carries no Sealer")
    return sealer


def _fields(data: Any) -> dict[str, Any]:
    """The fields sent, with ids parsed (a null id stays None: cleared)."""
    fields = provided(data)
    for name, api_name in _IDS.items():
        if name in fields and fields[name] is not None:
            fields[name] = to_id(fields[name], api_name)
    return fields


def _optional_id(value: Optional[strawberry.ID], field: str) -> Optional[int]:
    return None if value is None else to_id(value, field)


# ------------------------------------------------------------------------------------------ pages


def _cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def _after(kind: str, cursor: Optional[str]) -> Optional[str]:
    if cursor is None:
        return None
    try:
        prefix, sep, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeError):
        prefix, sep, key = "", "", ""
    if prefix != kind or not sep or len(key) > MAX_CURSOR_KEY:
        raise ValidationError.single("after", "after is not a cursor this list gave out")
    return key


def _page(kind: str, page: mail_admin.Page, key: Callable[[Any], str], edge: type, connection: type, node: Callable[[Any], Any]) -> Any:
    edges = [edge(cursor=_cursor(kind, key(row)), node=node(row)) for row in page.rows]
    return connection(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


# ------------------------------------------------------------------------------- SMTP connectors


async def smtp_connectors(info: strawberry.Info, first: int = 50, after: Optional[str] = None) -> SmtpConnectorConnection:
    page = await mail_admin.connectors(await require_viewer(info), page_size(first, info), _after("smtp", after))
    return _page("smtp", page, lambda c: c.name, SmtpConnectorEdge, SmtpConnectorConnection, SmtpConnector.from_model)


async def create_smtp_connector(info: strawberry.Info, input: SmtpConnectorInput) -> SmtpConnector:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return SmtpConnector.from_model(await mail_admin.create_connector(viewer, provided(input), _sealer(info)))


async def update_smtp_connector(info: strawberry.Info, id: strawberry.ID, input: SmtpConnectorInput) -> SmtpConnectorChange:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    change = await mail_admin.update_connector(viewer, to_id(id, "id"), provided(input), _sealer(info))
    return SmtpConnectorChange(connector=SmtpConnector.from_model(change.connector), requeued=change.requeued)


async def delete_smtp_connector(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return strawberry.ID(str(await mail_admin.delete_connector(viewer, to_id(id, "id"))))


async def test_smtp_connector(info: strawberry.Info, id: strawberry.ID, to: Optional[str] = None) -> SmtpConnectorTest:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return SmtpConnectorTest.from_domain(await mail_admin.try_connector(viewer, to_id(id, "id"), to, _sealer(info)))


# ----------------------------------------------------------------------------------- mailboxes


async def mailboxes(
    info: strawberry.Info, department_id: Optional[strawberry.ID] = None, first: int = 50, after: Optional[str] = None
) -> MailboxConnection:
    page = await mail_admin.mailboxes(
        await require_viewer(info), page_size(first, info), _after("mailbox", after), _optional_id(department_id, "departmentId")
    )
    return _page("mailbox", page, lambda m: m.address, MailboxEdge, MailboxConnection, Mailbox.from_model)


async def create_mailbox(info: strawberry.Info, input: MailboxInput) -> Mailbox:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return Mailbox.from_model(await mail_admin.create_mailbox(viewer, _fields(input), _sealer(info)))


async def update_mailbox(info: strawberry.Info, id: strawberry.ID, input: MailboxInput) -> Mailbox:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return Mailbox.from_model(await mail_admin.update_mailbox(viewer, to_id(id, "id"), _fields(input), _sealer(info)))


async def delete_mailbox(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return strawberry.ID(str(await mail_admin.delete_mailbox(viewer, to_id(id, "id"))))


# ----------------------------------------------------------------------------- aliases, routes


async def department_aliases(
    info: strawberry.Info, department_id: Optional[strawberry.ID] = None, first: int = 50, after: Optional[str] = None
) -> DepartmentAliasConnection:
    page = await mail_admin.aliases(
        await require_viewer(info), page_size(first, info), _after("alias", after), _optional_id(department_id, "departmentId")
    )
    return _page("alias", page, lambda a: a.address, DepartmentAliasEdge, DepartmentAliasConnection, DepartmentAlias.from_model)


async def create_department_alias(info: strawberry.Info, input: DepartmentAliasInput) -> DepartmentAlias:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return DepartmentAlias.from_model(await mail_admin.create_alias(viewer, _fields(input)))


async def delete_department_alias(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return strawberry.ID(str(await mail_admin.delete_alias(viewer, to_id(id, "id"))))


async def mail_routes(
    info: strawberry.Info, department_id: Optional[strawberry.ID] = None, first: int = 50, after: Optional[str] = None
) -> MailRouteConnection:
    page = await mail_admin.routes(
        await require_viewer(info), page_size(first, info), _after("route", after), _optional_id(department_id, "departmentId")
    )
    return _page("route", page, lambda r: r.address, MailRouteEdge, MailRouteConnection, MailRoute.from_model)


async def create_mail_route(info: strawberry.Info, input: MailRouteInput) -> MailRoute:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return MailRoute.from_model(await mail_admin.create_route(viewer, _fields(input)))


async def update_mail_route(info: strawberry.Info, id: strawberry.ID, input: MailRouteInput) -> MailRoute:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return MailRoute.from_model(await mail_admin.update_route(viewer, to_id(id, "id"), _fields(input)))


async def delete_mail_route(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return strawberry.ID(str(await mail_admin.delete_route(viewer, to_id(id, "id"))))


# --------------------------------------------------------------------------- blocked, settings


async def blocked_addresses(
    info: strawberry.Info, search: Optional[str] = None, first: int = 50, after: Optional[str] = None
) -> BlockedAddressConnection:
    page = await mail_admin.blocked_addresses(await require_viewer(info), page_size(first, info), _after("blocked", after), search)
    return _page("blocked", page, lambda b: b.address, BlockedAddressEdge, BlockedAddressConnection, BlockedAddress.from_model)


async def add_blocked_address(info: strawberry.Info, input: BlockedAddressInput) -> BlockedAddress:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return BlockedAddress.from_model(await mail_admin.block_address(viewer, input.address, input.reason))


async def remove_blocked_address(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return strawberry.ID(str(await mail_admin.unblock_address(viewer, to_id(id, "id"))))


async def mail_settings(info: strawberry.Info) -> MailSettings:
    return MailSettings.from_model(await mail_admin.settings(await require_viewer(info)))


async def update_mail_settings(info: strawberry.Info, input: MailSettingsInput) -> MailSettings:
    viewer = await require_viewer(info)
    mail_admin.require_admin(viewer)
    return MailSettings.from_model(await mail_admin.update_settings(viewer, provided(input)))
