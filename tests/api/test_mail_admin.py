"""The mail administration over HTTP (issue 11 item 3): SMTP connectors with write-only sealed
passwords, trying one against a real aiosmtpd, re-queueing parked mail on enabling; inbound
mailboxes with their IMAP settings and cursor; alias addresses, routes, one meaning per address;
blocked addresses; the mail settings — all admins only."""

from __future__ import annotations

import email
import json

import pytest

from models.case_flow import CaseType
from models.email import BlockedAddress, Email, Mailbox, MailRoute, MailSettings, SmtpConnector
from models.enums import EmailStatus
from models.org import Department, DepartmentAlias, Queue, User
from models.work_item import WorkItem
from server.domain import mail_admin, outbox, sending
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from server.mail import smtp
from server.mail.secrets import Sealer
from tests.support import smtp_sink
from tests.support.client import HttpClient, ws_session
from tests.support.footprint import footprint
from tests.support.queries import recorded_queries
from tests.support.smtp_sink import Sink

SECRET = "Tr0ub4dor&3-not-in-any-response"
IMAP_SECRET = "imap-secret-never-returned"

DEPARTMENT = "id name"
CONNECTOR = f"id name host port security username hasPassword fromAddress enabled createdAt departments {{ {DEPARTMENT} }}"
QUEUE = "id name teamId departmentId"
MAILBOX = (
    f"id address department {{ {DEPARTMENT} }} queue {{ {QUEUE} }} creates caseType {{ id name }} enabled imapHost imapPort "
    "imapSecurity imapUsername hasImapPassword imapFolder uidValidity lastUid lastConnectedAt lastError createdAt"
)
ALIAS = f"id address department {{ {DEPARTMENT} }} queue {{ {QUEUE} }}"
ROUTE = f"id address department {{ {DEPARTMENT} }} queue {{ {QUEUE} }} creates caseType {{ id name }} createdAt"
BLOCKED = "id address reason createdBy { email } createdAt"
SETTINGS = "plusAddressing retryPattern maxRetries"
PAGE = "pageInfo { hasNextPage endCursor }"


def _list(field: str, fields: str, args: str = "$first: Int, $after: String", passed: str = "first: $first, after: $after") -> str:
    return f"query({args}) {{ {field}({passed}) {{ edges {{ cursor node {{ {fields} }} }} {PAGE} }} }}"


CONNECTORS = _list("smtpConnectors", CONNECTOR)
CREATE_CONNECTOR = f"mutation($input: SmtpConnectorInput!) {{ createSmtpConnector(input: $input) {{ {CONNECTOR} }} }}"
UPDATE_CONNECTOR = f"mutation($id: ID!, $input: SmtpConnectorInput!) {{ updateSmtpConnector(id: $id, input: $input) {{ requeued connector {{ {CONNECTOR} }} }} }}"
DELETE_CONNECTOR = "mutation($id: ID!) { deleteSmtpConnector(id: $id) }"
TEST_CONNECTOR = "mutation($id: ID!, $to: String) { testSmtpConnector(id: $id, to: $to) { ok message stage code sentTo messageId } }"
MAILBOXES = _list("mailboxes", MAILBOX, "$department: ID, $first: Int, $after: String", "departmentId: $department, first: $first, after: $after")
CREATE_MAILBOX = f"mutation($input: MailboxInput!) {{ createMailbox(input: $input) {{ {MAILBOX} }} }}"
UPDATE_MAILBOX = f"mutation($id: ID!, $input: MailboxInput!) {{ updateMailbox(id: $id, input: $input) {{ {MAILBOX} }} }}"
DELETE_MAILBOX = "mutation($id: ID!) { deleteMailbox(id: $id) }"
ALIASES = _list("departmentAliases", ALIAS, "$department: ID, $first: Int, $after: String", "departmentId: $department, first: $first, after: $after")
CREATE_ALIAS = f"mutation($input: DepartmentAliasInput!) {{ createDepartmentAlias(input: $input) {{ {ALIAS} }} }}"
DELETE_ALIAS = "mutation($id: ID!) { deleteDepartmentAlias(id: $id) }"
ROUTES = _list("mailRoutes", ROUTE, "$department: ID, $first: Int, $after: String", "departmentId: $department, first: $first, after: $after")
CREATE_ROUTE = f"mutation($input: MailRouteInput!) {{ createMailRoute(input: $input) {{ {ROUTE} }} }}"
UPDATE_ROUTE = f"mutation($id: ID!, $input: MailRouteInput!) {{ updateMailRoute(id: $id, input: $input) {{ {ROUTE} }} }}"
DELETE_ROUTE = "mutation($id: ID!) { deleteMailRoute(id: $id) }"
BLOCKED_LIST = _list("blockedAddresses", BLOCKED, "$search: String, $first: Int, $after: String", "search: $search, first: $first, after: $after")
BLOCK = f"mutation($input: BlockedAddressInput!) {{ addBlockedAddress(input: $input) {{ {BLOCKED} }} }}"
UNBLOCK = "mutation($id: ID!) { removeBlockedAddress(id: $id) }"
GET_SETTINGS = f"{{ mailSettings {{ {SETTINGS} }} }}"
UPDATE_SETTINGS = f"mutation($input: MailSettingsInput!) {{ updateMailSettings(input: $input) {{ {SETTINGS} }} }}"
SET_DEPARTMENT_CONNECTOR = "mutation($id: ID!, $c: ID) { updateDepartment(id: $id, input: {smtpConnectorId: $c}) { smtpConnectorId } }"


@pytest.fixture
def sealer(settings) -> Sealer:
    return Sealer(settings.secret_key)


def _nodes(data: dict, field: str) -> list[dict]:
    return [edge["node"] for edge in data[field]["edges"]]


def _code(error: dict) -> tuple[str, str | None]:
    return error["extensions"]["code"], error["extensions"].get("field")


def _no_secret(*responses: object) -> None:
    for response in responses:
        text = json.dumps(response)
        assert SECRET not in text and IMAP_SECRET not in text, text


async def _department(name: str) -> str:
    return str((await Department.get(name=name)).id)


async def _queue_of(department: str) -> str:
    return str((await Queue.get(department__name=department)).id)


def _connector_input(**extra) -> dict:
    return {"name": "Relay", "host": "smtp.Example.COM", "port": 2587, "security": "STARTTLS", "username": "relay",
            "password": SECRET, "fromAddress": "Support <Support@Acme.example>", **extra}


# ------------------------------------------------------------------------------- SMTP connectors


async def test_admin_creates_lists_updates_and_deletes_a_connector(signed_in, sealer):
    admin = await signed_in("admin@example.com")
    created = (await admin.data(CREATE_CONNECTOR, {"input": _connector_input()}))["createSmtpConnector"]
    assert created == {**created, "name": "Relay", "host": "smtp.example.com", "port": 2587, "security": "STARTTLS",
                       "username": "relay", "hasPassword": True, "fromAddress": "support@acme.example", "enabled": True,
                       "departments": []}

    stored = await SmtpConnector.get(id=int(created["id"]))
    assert stored.password_sealed and SECRET not in stored.password_sealed
    assert sealer.open(stored.password_sealed) == SECRET

    listed = await admin.data(CONNECTORS)
    assert [c["name"] for c in _nodes(listed, "smtpConnectors")] == ["Demo relay", "Relay"]
    assert _nodes(listed, "smtpConnectors")[1] == created
    for hidden in ("password", "passwordSealed"):
        error = await admin.error(f"{{ smtpConnectors {{ edges {{ node {{ {hidden} }} }} }} }}")
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", hidden

    # a change without a password keeps it; the department uses the connector
    changed = await admin.data(UPDATE_CONNECTOR, {"id": created["id"], "input": {"port": 465, "security": "TLS", "username": " "}})
    connector = changed["updateSmtpConnector"]["connector"]
    assert connector["port"] == 465 and connector["security"] == "TLS" and connector["username"] is None
    assert connector["hasPassword"] is True and changed["updateSmtpConnector"]["requeued"] == 0
    assert (await SmtpConnector.get(id=stored.id)).password_sealed == stored.password_sealed
    uk = await _department("UK Operations")
    await admin.data(SET_DEPARTMENT_CONNECTOR, {"id": uk, "c": created["id"]})
    listed = await admin.data(CONNECTORS, {"first": 1, "after": listed["smtpConnectors"]["edges"][0]["cursor"]})
    assert _nodes(listed, "smtpConnectors")[0]["departments"] == [{"id": uk, "name": "UK Operations"}]
    assert listed["smtpConnectors"]["pageInfo"]["hasNextPage"] is False

    # a new password replaces it; an empty one clears it
    replaced = await admin.data(UPDATE_CONNECTOR, {"id": created["id"], "input": {"password": "another " + SECRET}})
    assert sealer.open((await SmtpConnector.get(id=stored.id)).password_sealed) == "another " + SECRET
    cleared = await admin.data(UPDATE_CONNECTOR, {"id": created["id"], "input": {"password": ""}})
    assert cleared["updateSmtpConnector"]["connector"]["hasPassword"] is False
    assert (await SmtpConnector.get(id=stored.id)).password_sealed is None
    _no_secret(created, listed, changed, replaced, cleared)

    # deleting waits until no department uses it
    error = await admin.error(DELETE_CONNECTOR, {"id": created["id"]})
    assert _code(error) == ("CONFLICT", "id") and "UK Operations" in error["message"]
    await admin.data(SET_DEPARTMENT_CONNECTOR, {"id": uk, "c": None})
    assert (await admin.data(DELETE_CONNECTOR, {"id": created["id"]}))["deleteSmtpConnector"] == created["id"]
    assert not await SmtpConnector.exists(id=stored.id)
    assert _code(await admin.error(DELETE_CONNECTOR, {"id": created["id"]})) == ("NOT_FOUND", "id")


async def test_connector_input_is_validated_field_by_field(signed_in):
    admin = await signed_in("admin@example.com")
    error = await admin.error(CREATE_CONNECTOR, {"input": _connector_input(port=0, host="bad host", fromAddress="nobody", name="Demo relay")})
    assert error["extensions"]["code"] == "VALIDATION"
    assert {f["field"] for f in error["extensions"]["fields"]} == {"port", "host", "fromAddress", "name"}
    error = await admin.error(CREATE_CONNECTOR, {"input": {"name": "Incomplete"}})
    assert {f["field"] for f in error["extensions"]["fields"]} == {"host", "fromAddress"}
    error = await admin.error(CREATE_CONNECTOR, {"input": _connector_input(port=65536)})
    assert _code(error) == ("VALIDATION", "port")
    error = await admin.error(CREATE_CONNECTOR, {"input": _connector_input(password="x" * 1025)})
    assert _code(error) == ("VALIDATION", "password")
    error = await admin.error(CREATE_CONNECTOR, {"input": _connector_input(security="SSL")})
    assert error["extensions"]["code"] == "VALIDATION" and "SSL" in error["message"]
    assert await SmtpConnector.all().count() == 1


async def test_a_connector_password_is_sealed_over_websocket_too(signed_in, live_server, sealer):
    admin = await signed_in("admin@example.com")
    async with ws_session(live_server.url, admin.token) as session:
        result = await session.execute(CREATE_CONNECTOR, {"input": _connector_input()})
    assert "errors" not in result, result
    created = result["data"]["createSmtpConnector"]
    assert created["hasPassword"] is True
    _no_secret(result)
    assert sealer.open((await SmtpConnector.get(id=int(created["id"]))).password_sealed) == SECRET


async def test_enabling_a_connector_requeues_the_mail_it_parked(signed_in, sealer):
    admin = await signed_in("admin@example.com")
    relay = await SmtpConnector.get(name="Demo relay")  # disabled in the demo data
    await Email.filter(status=EmailStatus.QUEUED).update(status=EmailStatus.CANCELLED)
    jane = await user_viewer(await User.get(email="jane@example.com"))
    async with unit_of_work() as uow:
        queued = [
            await outbox.queue_email(uow, await WorkItem.get(ref="T-1002"), jane, to=["client@example.org"], subject=f"Parked {n}", body="Hi")
            for n in range(2)
        ]
    report = await sending.send_due(smtp.transmit, sealer)
    assert sorted(report.parked) == sorted(e.id for e in queued)
    assert {e.status for e in await Email.filter(id__in=[e.id for e in queued])} == {EmailStatus.CONNECTOR_DISABLED}

    changed = await admin.data(UPDATE_CONNECTOR, {"id": str(relay.id), "input": {"enabled": True}})
    assert changed["updateSmtpConnector"]["requeued"] == 2
    assert changed["updateSmtpConnector"]["connector"]["enabled"] is True
    assert {e.status for e in await Email.filter(id__in=[e.id for e in queued])} == {EmailStatus.QUEUED}
    again = await admin.data(UPDATE_CONNECTOR, {"id": str(relay.id), "input": {"enabled": True}})
    assert again["updateSmtpConnector"]["requeued"] == 0  # already enabled: nothing to re-queue

    # mail on it keeps it from being deleted, even with no department using it
    for department in await Department.all():
        await admin.data(SET_DEPARTMENT_CONNECTOR, {"id": str(department.id), "c": None})
    error = await admin.error(DELETE_CONNECTOR, {"id": str(relay.id)})
    assert _code(error) == ("CONFLICT", "id") and "not yet sent" in error["message"]


@pytest.fixture(scope="module")
def smtp_server():
    handler = Sink(users={"relay": SECRET})
    with smtp_sink.running(handler, auth_require_tls=False) as controller:
        yield handler, controller.port


async def test_trying_a_connector_against_a_real_smtp_server(signed_in, smtp_server):
    handler, port = smtp_server
    handler.reset()
    admin = await signed_in("admin@example.com")
    input = _connector_input(host="127.0.0.1", port=port, security="NONE", enabled=False)
    connector = (await admin.data(CREATE_CONNECTOR, {"input": input}))["createSmtpConnector"]

    checked = (await admin.data(TEST_CONNECTOR, {"id": connector["id"]}))["testSmtpConnector"]
    assert checked["ok"] is True and "signed in" in checked["message"] and checked["sentTo"] is None
    assert handler.auth_attempts and handler.auth_attempts[-1][1:] == ("relay", True)  # the sealed password opened
    assert handler.received == []

    sent = (await admin.data(TEST_CONNECTOR, {"id": connector["id"], "to": "Bob <Bob@Client.example>"}))["testSmtpConnector"]
    assert sent == {**sent, "ok": True, "code": 250, "stage": None, "sentTo": "bob@client.example"}
    assert len(handler.received) == 1
    received = handler.received[0]
    assert received.mail_from == "support@acme.example" and received.rcpt_tos == ["bob@client.example"]
    message = email.message_from_bytes(received.content)
    assert message["Auto-Submitted"] == "auto-generated" and message["Message-ID"] == sent["messageId"]
    assert "Relay" in message["Subject"]

    handler.rcpt_replies = {"nobody@client.example": "550 5.1.1 <nobody@client.example>: no such user here"}
    refused = (await admin.data(TEST_CONNECTOR, {"id": connector["id"], "to": "nobody@client.example"}))["testSmtpConnector"]
    assert refused == {**refused, "ok": False, "code": 550, "stage": "RCPT", "sentTo": None}
    assert "no such user here" in refused["message"]
    assert len(handler.received) == 1

    await admin.data(UPDATE_CONNECTOR, {"id": connector["id"], "input": {"password": "wrong"}})
    denied = (await admin.data(TEST_CONNECTOR, {"id": connector["id"]}))["testSmtpConnector"]
    assert denied == {**denied, "ok": False, "code": 535, "stage": "AUTH"}
    error = await admin.error(TEST_CONNECTOR, {"id": connector["id"], "to": "not an address"})
    assert _code(error) == ("VALIDATION", "to")
    _no_secret(connector, checked, sent, refused, denied)


# ------------------------------------------------------------------------------------- mailboxes


async def test_admin_manages_mailboxes_with_write_only_imap_passwords(signed_in, sealer):
    admin = await signed_in("admin@example.com")
    uk, pl = await _department("UK Operations"), await _department("PL Operations")
    uk_queue, pl_queue = await _queue_of("UK Operations"), await _queue_of("PL Operations")
    input = {"address": "Help@Acme.example", "departmentId": uk, "queueId": uk_queue, "imapHost": "imap.acme.example",
             "imapPort": 993, "imapSecurity": "TLS", "imapUsername": "help", "imapPassword": IMAP_SECRET}
    created = (await admin.data(CREATE_MAILBOX, {"input": input}))["createMailbox"]
    assert created == {**created, "address": "help@acme.example", "department": {"id": uk, "name": "UK Operations"},
                       "creates": "TICKET", "caseType": None, "enabled": True, "imapHost": "imap.acme.example", "imapPort": 993,
                       "imapSecurity": "TLS", "imapUsername": "help", "hasImapPassword": True, "imapFolder": "INBOX",
                       "uidValidity": None, "lastUid": None, "lastConnectedAt": None, "lastError": None}
    assert created["queue"]["id"] == uk_queue
    stored = await Mailbox.get(id=int(created["id"]))
    assert IMAP_SECRET not in stored.imap_password_sealed and sealer.open(stored.imap_password_sealed) == IMAP_SECRET

    listed = await admin.data(MAILBOXES, {"department": uk})
    assert [m["address"] for m in _nodes(listed, "mailboxes")] == ["help@acme.example", "uk-ops@acme.example"]
    page = await admin.data(MAILBOXES, {"first": 2})
    assert page["mailboxes"]["pageInfo"]["hasNextPage"] is True
    rest = await admin.data(MAILBOXES, {"first": 2, "after": page["mailboxes"]["pageInfo"]["endCursor"]})
    assert [m["address"] for m in _nodes(page, "mailboxes") + _nodes(rest, "mailboxes")] == [
        "help@acme.example", "pl-ops@acme.example", "uk-ops@acme.example"]

    # what the collector manager reads: the enabled mailboxes with an IMAP server, and their settings
    assert [m.id for m in await mail_admin.mailboxes_to_collect()] == [stored.id]  # the demo's have no IMAP server
    started_with = mail_admin.collection_settings(stored)
    assert started_with == mail_admin.CollectionSettings(
        stored.id, "imap.acme.example", 993, "TLS", "help", stored.imap_password_sealed, "INBOX")

    # the queue must be the department's; a case needs a case type
    error = await admin.error(UPDATE_MAILBOX, {"id": created["id"], "input": {"queueId": pl_queue}})
    assert _code(error) == ("VALIDATION", "queueId")
    error = await admin.error(UPDATE_MAILBOX, {"id": created["id"], "input": {"departmentId": pl}})
    assert _code(error) == ("VALIDATION", "queueId")  # its queue is UK's
    error = await admin.error(UPDATE_MAILBOX, {"id": created["id"], "input": {"creates": "CASE"}})
    assert _code(error) == ("VALIDATION", "caseTypeId")
    error = await admin.error(UPDATE_MAILBOX, {"id": created["id"], "input": {"creates": "ACTION"}})
    assert _code(error) == ("VALIDATION", "creates")
    case_type = await CaseType.first()
    moved = await admin.data(UPDATE_MAILBOX, {"id": created["id"], "input": {
        "departmentId": pl, "queueId": pl_queue, "creates": "CASE", "caseTypeId": str(case_type.id)}})
    mailbox = moved["updateMailbox"]
    assert mailbox["department"]["name"] == "PL Operations" and mailbox["creates"] == "CASE"
    assert mailbox["caseType"] == {"id": str(case_type.id), "name": case_type.name}
    assert mailbox["hasImapPassword"] is True  # kept without imapPassword
    assert (await Mailbox.get(id=stored.id)).imap_password_sealed == stored.imap_password_sealed
    back = (await admin.data(UPDATE_MAILBOX, {"id": created["id"], "input": {"creates": "TICKET"}}))["updateMailbox"]
    assert back["creates"] == "TICKET" and back["caseType"] is None

    # the cursor survives a new password or security mode, not a new server or folder
    await Mailbox.filter(id=stored.id).update(uid_validity=4_000_000_000, last_uid=120, last_error="LOGIN refused")
    kept = (await admin.data(UPDATE_MAILBOX, {"id": created["id"], "input": {"imapSecurity": "STARTTLS", "imapPassword": "new " + IMAP_SECRET}}))["updateMailbox"]
    assert (kept["uidValidity"], kept["lastUid"], kept["lastError"]) == ("4000000000", "120", "LOGIN refused")
    assert sealer.open((await Mailbox.get(id=stored.id)).imap_password_sealed) == "new " + IMAP_SECRET
    reset = (await admin.data(UPDATE_MAILBOX, {"id": created["id"], "input": {"imapFolder": "Support"}}))["updateMailbox"]
    assert (reset["imapFolder"], reset["uidValidity"], reset["lastUid"], reset["lastError"]) == ("Support", None, None, None)
    assert mail_admin.collection_settings(await Mailbox.get(id=stored.id)) != started_with  # the collector restarts

    cleared = (await admin.data(UPDATE_MAILBOX, {"id": created["id"], "input": {"imapPassword": None, "enabled": False}}))["updateMailbox"]
    assert cleared["hasImapPassword"] is False and cleared["enabled"] is False
    assert await mail_admin.mailboxes_to_collect() == [] and mail_admin.collection_settings(await Mailbox.get(id=stored.id)) is None
    _no_secret(created, listed, moved, kept, reset, cleared)
    error = await admin.error(UPDATE_MAILBOX, {"id": created["id"], "input": {"imapFolder": " ", "imapPort": 0}})
    assert {f["field"] for f in error["extensions"]["fields"]} == {"imapFolder", "imapPort"}

    assert (await admin.data(DELETE_MAILBOX, {"id": created["id"]}))["deleteMailbox"] == created["id"]
    assert not await Mailbox.exists(id=stored.id)


# ------------------------------------------------------------------------------ aliases and routes


async def test_aliases_and_routes_and_one_meaning_per_address(signed_in):
    admin = await signed_in("admin@example.com")
    uk, pl = await _department("UK Operations"), await _department("PL Operations")
    uk_queue, pl_queue = await _queue_of("UK Operations"), await _queue_of("PL Operations")

    alias = (await admin.data(CREATE_ALIAS, {"input": {"address": "Payroll@Acme.example", "departmentId": uk, "queueId": uk_queue}}))["createDepartmentAlias"]
    assert alias == {**alias, "address": "payroll@acme.example", "department": {"id": uk, "name": "UK Operations"}}
    assert alias["queue"]["id"] == uk_queue
    error = await admin.error(CREATE_ALIAS, {"input": {"address": "other@acme.example", "departmentId": uk, "queueId": pl_queue}})
    assert _code(error) == ("VALIDATION", "queueId")

    route = (await admin.data(CREATE_ROUTE, {"input": {"address": "invoices@acme.example", "departmentId": pl}}))["createMailRoute"]
    assert route == {**route, "address": "invoices@acme.example", "queue": None, "creates": "TICKET", "caseType": None}
    case_type = await CaseType.first()
    changed = (await admin.data(UPDATE_ROUTE, {"id": route["id"], "input": {"queueId": pl_queue, "creates": "CASE", "caseTypeId": str(case_type.id)}}))["updateMailRoute"]
    assert changed["queue"]["id"] == pl_queue and changed["creates"] == "CASE" and changed["caseType"]["name"] == case_type.name
    error = await admin.error(UPDATE_ROUTE, {"id": route["id"], "input": {"caseTypeId": None}})
    assert _code(error) == ("VALIDATION", "caseTypeId")

    # one address, one meaning: a mailbox's, an alias's, a route's
    for query, input, owner in (
        (CREATE_ALIAS, {"address": "UK-Ops@acme.example", "departmentId": pl}, "the mailbox of UK Operations"),
        (CREATE_ROUTE, {"address": "payroll@acme.example", "departmentId": pl}, "an alias of UK Operations"),
        (CREATE_MAILBOX, {"address": "invoices@acme.example", "departmentId": uk}, "a route to PL Operations"),
        (UPDATE_ROUTE, {"address": "pl-ops@acme.example"}, "the mailbox of PL Operations"),
    ):
        variables = {"input": input, **({"id": route["id"]} if query is UPDATE_ROUTE else {})}
        error = await admin.error(query, variables)
        assert _code(error) == ("CONFLICT", "address") and owner in error["message"], error
    error = await admin.error("mutation($id: ID!) { updateDepartment(id: $id, input: {aliases: [\"invoices@acme.example\"]}) { aliases } }", {"id": uk})
    assert _code(error) == ("VALIDATION", "aliases") and "route to PL Operations" in error["message"]

    aliases = await admin.data(ALIASES, {"department": uk})
    assert [a["address"] for a in _nodes(aliases, "departmentAliases")] == ["payroll@acme.example"]
    routes = await admin.data(ROUTES)
    assert _nodes(routes, "mailRoutes") == [changed]
    assert await admin.data(ROUTES, {"department": uk}) == {"mailRoutes": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}

    assert (await admin.data(DELETE_ALIAS, {"id": alias["id"]}))["deleteDepartmentAlias"] == alias["id"]
    assert (await admin.data(DELETE_ROUTE, {"id": route["id"]}))["deleteMailRoute"] == route["id"]
    assert not await DepartmentAlias.exists(id=int(alias["id"])) and not await MailRoute.exists(id=int(route["id"]))
    assert _code(await admin.error(DELETE_ROUTE, {"id": route["id"]})) == ("NOT_FOUND", "id")
    # free again
    await admin.data(CREATE_ALIAS, {"input": {"address": "invoices@acme.example", "departmentId": pl}})


# ------------------------------------------------------------------------- blocked, settings


async def test_blocked_addresses_and_domains(signed_in):
    admin = await signed_in("admin@example.com")
    spam = (await admin.data(BLOCK, {"input": {"address": "Spam@Junk.example", "reason": " bulk mail "}}))["addBlockedAddress"]
    assert spam == {**spam, "address": "spam@junk.example", "reason": "bulk mail", "createdBy": {"email": "admin@example.com"}}
    domain = (await admin.data(BLOCK, {"input": {"address": "@Junk.Example"}}))["addBlockedAddress"]
    assert domain["address"] == "@junk.example" and domain["reason"] is None
    await admin.data(BLOCK, {"input": {"address": "pest@other.example"}})
    error = await admin.error(BLOCK, {"input": {"address": "spam@junk.example"}})
    assert _code(error) == ("CONFLICT", "address")
    for bad in ("not an address", "@", "@no_dots"):
        assert _code(await admin.error(BLOCK, {"input": {"address": bad}})) == ("VALIDATION", "address"), bad

    page = await admin.data(BLOCKED_LIST, {"first": 2})
    assert [b["address"] for b in _nodes(page, "blockedAddresses")] == ["@junk.example", "pest@other.example"]
    rest = await admin.data(BLOCKED_LIST, {"first": 2, "after": page["blockedAddresses"]["pageInfo"]["endCursor"]})
    assert [b["address"] for b in _nodes(rest, "blockedAddresses")] == ["spam@junk.example"]
    assert rest["blockedAddresses"]["pageInfo"]["hasNextPage"] is False
    found = await admin.data(BLOCKED_LIST, {"search": "JUNK"})
    assert [b["address"] for b in _nodes(found, "blockedAddresses")] == ["@junk.example", "spam@junk.example"]
    assert _code(await admin.error(BLOCKED_LIST, {"first": 101})) == ("VALIDATION", "first")
    assert _code(await admin.error(BLOCKED_LIST, {"after": "bm90IGEgY3Vyc29y"})) == ("VALIDATION", "after")

    assert (await admin.data(UNBLOCK, {"id": spam["id"]}))["removeBlockedAddress"] == spam["id"]
    assert sorted(await BlockedAddress.all().values_list("address", flat=True)) == ["@junk.example", "pest@other.example"]


async def test_mail_settings_are_read_and_validated(signed_in):
    admin = await signed_in("admin@example.com")
    assert (await admin.data(GET_SETTINGS))["mailSettings"] == {"plusAddressing": False, "retryPattern": [60, 300, 900, 3600], "maxRetries": 4}
    changed = await admin.data(UPDATE_SETTINGS, {"input": {"plusAddressing": True, "retryPattern": [30, 600], "maxRetries": 0}})
    assert changed["updateMailSettings"] == {"plusAddressing": True, "retryPattern": [30, 600], "maxRetries": 0}
    assert (await admin.data(UPDATE_SETTINGS, {"input": {"maxRetries": 20}}))["updateMailSettings"]["retryPattern"] == [30, 600]
    for input, field in (
        ({"retryPattern": []}, "retryPattern"),
        ({"retryPattern": [60, 0]}, "retryPattern"),
        ({"retryPattern": [7 * 24 * 3600 + 1]}, "retryPattern"),
        ({"retryPattern": [60] * 11}, "retryPattern"),
        ({"retryPattern": None}, "retryPattern"),
        ({"maxRetries": 21}, "maxRetries"),
        ({"maxRetries": -1}, "maxRetries"),
        ({"plusAddressing": None}, "plusAddressing"),
    ):
        assert _code(await admin.error(UPDATE_SETTINGS, {"input": input})) == ("VALIDATION", field), input
    row = await MailSettings.get(id=1)
    assert (row.plus_addressing, row.retry_pattern, row.max_retries) == (True, [30, 600], 20)


# ------------------------------------------------------------------------------------- not admins


async def test_only_admins_see_or_change_mail_administration(signed_in, client: HttpClient, sealer):
    relay = await SmtpConnector.get(name="Demo relay")
    mailbox = await Mailbox.get(address="uk-ops@acme.example")
    uk = await _department("UK Operations")
    alias = await DepartmentAlias.create(address="alias@acme.example", department_id=int(uk))
    route = await MailRoute.create(address="route@acme.example", department_id=int(uk))
    blocked = await BlockedAddress.create(address="@junk.example")
    users = [await signed_in(e) for e in ("jane@example.com", "lena@example.com")]  # an agent, a team leader
    before = await footprint()
    rows = [await SmtpConnector.all().values(), await Mailbox.all().values(), await MailSettings.all().values()]

    operations = [
        (CONNECTORS, {}), (MAILBOXES, {}), (ALIASES, {}), (ROUTES, {}), (BLOCKED_LIST, {}), (GET_SETTINGS, {}),
        (CREATE_CONNECTOR, {"input": _connector_input()}),
        (UPDATE_CONNECTOR, {"id": str(relay.id), "input": {"enabled": True, "password": SECRET}}),
        (DELETE_CONNECTOR, {"id": str(relay.id)}),
        (TEST_CONNECTOR, {"id": str(relay.id), "to": "bob@client.example"}),
        (CREATE_MAILBOX, {"input": {"address": "new@acme.example", "departmentId": uk}}),
        (UPDATE_MAILBOX, {"id": str(mailbox.id), "input": {"imapFolder": "Other"}}),
        (DELETE_MAILBOX, {"id": str(mailbox.id)}),
        (CREATE_ALIAS, {"input": {"address": "new@acme.example", "departmentId": uk}}),
        (DELETE_ALIAS, {"id": str(alias.id)}),
        (CREATE_ROUTE, {"input": {"address": "new@acme.example", "departmentId": uk}}),
        (UPDATE_ROUTE, {"id": str(route.id), "input": {"address": "new@acme.example"}}),
        (DELETE_ROUTE, {"id": str(route.id)}),
        (BLOCK, {"input": {"address": "new@acme.example"}}),
        (UNBLOCK, {"id": str(blocked.id)}),
        (UPDATE_SETTINGS, {"input": {"plusAddressing": True}}),
    ]
    for user in users:
        for query, variables in operations:
            error = await user.error(query, variables)
            assert error["extensions"]["code"] == "FORBIDDEN", (query, error)
    for query, variables in operations[:3]:
        assert (await client.error(query, variables))["extensions"]["code"] == "UNAUTHENTICATED"

    assert await footprint() == before
    assert [await SmtpConnector.all().values(), await Mailbox.all().values(), await MailSettings.all().values()] == rows


async def test_a_page_of_each_list_costs_a_fixed_number_of_queries(signed_in):
    admin = await signed_in("admin@example.com")
    uk = await Department.get(name="UK Operations")
    queue = await Queue.get(department=uk)
    case_type = await CaseType.first()
    admin_user = await User.get(email="admin@example.com")
    for n in range(20):
        await SmtpConnector.create(name=f"Relay {n:02}", host="smtp.example.com", from_address="a@acme.example")
        await Mailbox.create(address=f"box{n:02}@acme.example", department=uk, queue=queue, creates="CASE", case_type=case_type)
        await DepartmentAlias.create(address=f"alias{n:02}@acme.example", department=uk, queue=queue)
        await MailRoute.create(address=f"route{n:02}@acme.example", department=uk, queue=queue, creates="CASE", case_type=case_type)
        await BlockedAddress.create(address=f"spam{n:02}@junk.example", created_by=admin_user)
    await admin.data(GET_SETTINGS)  # made once
    # viewer (user + scope), the page, then each relation fetched for the whole page at once
    for query, field, relations in (
        (CONNECTORS, "smtpConnectors", 1), (MAILBOXES, "mailboxes", 3), (ALIASES, "departmentAliases", 2),
        (ROUTES, "mailRoutes", 3), (BLOCKED_LIST, "blockedAddresses", 1), (GET_SETTINGS, "mailSettings", 0),
    ):
        with recorded_queries() as statements:
            data = await admin.data(query, {} if field == "mailSettings" else {"first": 20})
        if field != "mailSettings":
            assert len(data[field]["edges"]) == 20
        assert len(statements) == 2 + 1 + relations, (field, "\n".join(statements))
