"""The audit log over GraphQL: each administrative area's change appears, newest first, with who
made it and the right diff; secrets never appear (not in the API, not in the stored rows); a
rejected change leaves no entry; only admins read it; filters and pages."""

from __future__ import annotations

import json

from models.audit import AuditEntry
from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.org import Department, Queue, User
from server.domain import api_keys
from server.domain.tokens import split_api_key
from tests.api.test_unhandled_mail import _arrive
from tests.support.client import HttpClient

ENTRY = "id at actor { kind id name } action targetType targetId targetName changes { field from to }"
LOG = (
    "query($filter: AuditLogFilter, $first: Int, $after: String) { auditLog(filter: $filter, first: $first, after: $after) "
    f"{{ edges {{ cursor node {{ {ENTRY} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
SECRET = "Tr0ub4dor&3-never-logged"
IMAP_SECRET = "imap-secret-never-logged"


async def _log(admin: HttpClient, **filter) -> list[dict]:
    data = await admin.data(LOG, {"filter": filter or None, "first": 100})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


def _changes(entry: dict) -> dict[str, tuple]:
    return {c["field"]: (c["from"], c["to"]) for c in entry["changes"]}


async def _id(model, **where) -> str:
    return str((await model.get(**where)).id)


# ------------------------------------------------------------------------ departments and access


async def test_department_and_access_changes_are_logged_with_their_diff(signed_in):
    admin = await signed_in("admin@example.com")
    me = await User.get(email="admin@example.com")
    created = (await admin.data(
        "mutation($input: DepartmentSettingsInput!) { createDepartment(input: $input) { id } }",
        {"input": {"name": "FR Operations", "slaHours": 24, "language": "fr"}},
    ))["createDepartment"]
    await admin.data(
        "mutation($id: ID!, $input: DepartmentSettingsInput!) { updateDepartment(id: $id, input: $input) { id } }",
        {"id": created["id"], "input": {"slaHours": 48, "aliases": ["fr-ops@acme.example"], "language": "fr"}},
    )
    jane = await User.get(email="jane@example.com")
    uk = await _id(Department, name="UK Operations")
    await admin.data("mutation($u: ID!, $d: [ID!]!) { setUserDepartments(userId: $u, departmentIds: $d) { user { id } } }",
                     {"u": str(jane.id), "d": [uk, created["id"]]})
    group = (await admin.data("mutation($n: String!, $d: ID) { createUserGroup(name: $n, defaultDepartmentId: $d) { id } }",
                              {"n": "Payroll FR", "d": created["id"]}))["createUserGroup"]
    await admin.data("mutation($id: ID!, $input: UserGroupInput!) { updateUserGroup(id: $id, input: $input) { id } }",
                     {"id": group["id"], "input": {"memberIds": [str(jane.id)], "departmentIds": [created["id"]]}})

    [updated, made] = await _log(admin, targetType="department", targetId=created["id"])
    assert made["action"] == "department.created" and made["targetName"] == "FR Operations"
    assert made["actor"] == {"kind": "USER", "id": str(me.id), "name": me.name}
    assert _changes(made)["name"] == (None, "FR Operations") and _changes(made)["slaHours"] == (None, 24)
    assert updated["action"] == "department.updated"
    assert _changes(updated) == {"aliases": ([], ["fr-ops@acme.example"]), "slaHours": (24, 48)}  # the language did not change

    [access] = await _log(admin, action="user.departments_changed", targetId=str(jane.id))
    assert access["targetType"] == "user" and access["targetName"] == jane.name
    before, after = _changes(access)["departments"]
    assert after == ["FR Operations", "UK Operations"] and "FR Operations" not in before

    [group_updated, group_created] = await _log(admin, targetType="user_group", targetId=group["id"])
    assert (group_created["action"], _changes(group_created)["defaultDepartment"]) == ("user_group.created", (None, "FR Operations"))
    assert _changes(group_updated) == {
        "departments": ([], ["FR Operations"]), "members": ([], [f"{jane.name} <{jane.email}>"]),
    }


async def test_a_rejected_change_leaves_no_entry(signed_in):
    admin = await signed_in("admin@example.com")
    uk = await _id(Department, name="UK Operations")
    before = await AuditEntry.all().count()
    error = await admin.error(
        "mutation($id: ID!, $input: DepartmentSettingsInput!) { updateDepartment(id: $id, input: $input) { id } }",
        {"id": uk, "input": {"name": "UK Ops 2", "slaHours": 0}},
    )
    assert error["extensions"]["code"] == "VALIDATION"
    # refused inside its transaction: the last step of a case type cannot go
    case_type = await CaseType.create(name="One step")
    step = await CaseStep.create(case_type=case_type, position=1, name="Only")
    await ActionTemplate.create(step=step, title="Do it")
    error = await admin.error("mutation($id: ID!) { deleteCaseStep(id: $id) { id } }", {"id": str(step.id)})
    assert error["extensions"]["code"] == "CONFLICT"
    assert await AuditEntry.all().count() == before
    assert (await Department.get(id=int(uk))).name == "UK Operations"


# --------------------------------------------------------------------------------- secrets


async def test_mail_administration_is_logged_and_secrets_never_are(signed_in):
    admin = await signed_in("admin@example.com")
    uk = await _id(Department, name="UK Operations")
    queue = await _id(Queue, name="Team A queue")
    connector = (await admin.data(
        "mutation($input: SmtpConnectorInput!) { createSmtpConnector(input: $input) { id } }",
        {"input": {"name": "Relay", "host": "smtp.acme.example", "username": "relay", "password": SECRET,
                   "fromAddress": "ops@acme.example"}},
    ))["createSmtpConnector"]["id"]
    update = "mutation($id: ID!, $input: SmtpConnectorInput!) { updateSmtpConnector(id: $id, input: $input) { requeued } }"
    await admin.data(update, {"id": connector, "input": {"password": SECRET + "-2", "port": 2525}})
    await admin.data(update, {"id": connector, "input": {"password": None}})
    await admin.data("mutation($id: ID!) { deleteSmtpConnector(id: $id) }", {"id": connector})

    mailbox = (await admin.data("mutation($input: MailboxInput!) { createMailbox(input: $input) { id } }", {"input": {
        "address": "fr-ops@acme.example", "departmentId": uk, "imapHost": "imap.acme.example", "imapUsername": "fr",
        "imapPassword": IMAP_SECRET,
    }}))["createMailbox"]["id"]
    await admin.data("mutation($id: ID!, $input: MailboxInput!) { updateMailbox(id: $id, input: $input) { id } }",
                     {"id": mailbox, "input": {"imapPassword": IMAP_SECRET + "-2", "imapFolder": "Ops"}})
    await admin.data("mutation($id: ID!) { deleteMailbox(id: $id) }", {"id": mailbox})

    alias = (await admin.data("mutation($input: DepartmentAliasInput!) { createDepartmentAlias(input: $input) { id } }",
                              {"input": {"address": "hr@acme.example", "departmentId": uk}}))["createDepartmentAlias"]["id"]
    await admin.data("mutation($id: ID!) { deleteDepartmentAlias(id: $id) }", {"id": alias})
    route = (await admin.data("mutation($input: MailRouteInput!) { createMailRoute(input: $input) { id } }",
                              {"input": {"address": "pay@acme.example", "departmentId": uk}}))["createMailRoute"]["id"]
    await admin.data("mutation($id: ID!, $input: MailRouteInput!) { updateMailRoute(id: $id, input: $input) { id } }",
                     {"id": route, "input": {"queueId": queue}})
    await admin.data("mutation($id: ID!) { deleteMailRoute(id: $id) }", {"id": route})
    blocked = (await admin.data("mutation($input: BlockedAddressInput!) { addBlockedAddress(input: $input) { id } }",
                                {"input": {"address": "@spam.example", "reason": "spam"}}))["addBlockedAddress"]["id"]
    await admin.data("mutation($id: ID!) { removeBlockedAddress(id: $id) }", {"id": blocked})
    await admin.data("mutation($input: MailSettingsInput!) { updateMailSettings(input: $input) { maxRetries } }",
                     {"input": {"plusAddressing": True, "maxRetries": 3}})
    issued = (await admin.data(
        "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token apiKey { id } } }",
        {"input": {"name": "ERP", "departmentIds": [uk], "canWrite": True}},
    ))["createApiKey"]
    await admin.data("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", {"id": issued["apiKey"]["id"]})
    await admin.data("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", {"id": issued["apiKey"]["id"]})  # changes nothing

    log = await _log(admin)
    actions = [(e["action"], e["targetName"]) for e in log]
    assert actions[:17] == [
        ("api_key.revoked", "ERP"), ("api_key.created", "ERP"), ("mail_settings.updated", "Mail settings"),
        ("blocked_address.deleted", "@spam.example"), ("blocked_address.created", "@spam.example"),
        ("mail_route.deleted", "pay@acme.example"), ("mail_route.updated", "pay@acme.example"), ("mail_route.created", "pay@acme.example"),
        ("department_alias.deleted", "hr@acme.example"), ("department_alias.created", "hr@acme.example"),
        ("mailbox.deleted", "fr-ops@acme.example"), ("mailbox.updated", "fr-ops@acme.example"), ("mailbox.created", "fr-ops@acme.example"),
        ("smtp_connector.deleted", "Relay"), ("smtp_connector.updated", "Relay"), ("smtp_connector.updated", "Relay"),
        ("smtp_connector.created", "Relay"),
    ]
    connector_entries = [e for e in log if e["action"].startswith("smtp_connector.")]
    cleared, changed, created = (_changes(e) for e in connector_entries[1:])
    assert created["password"] == (None, "set") and created["host"] == (None, "smtp.acme.example")
    assert changed == {"password": ("set", "changed"), "port": (587, 2525)}
    assert cleared == {"password": ("set", None)}
    assert _changes(connector_entries[0])["fromAddress"] == ("ops@acme.example", None)
    mailbox_updated = next(e for e in log if e["action"] == "mailbox.updated")
    assert _changes(mailbox_updated) == {"imapFolder": ("INBOX", "Ops"), "imapPassword": ("set", "changed")}
    assert _changes(next(e for e in log if e["action"] == "mail_route.updated")) == {"queueId": (None, int(queue))}
    assert _changes(log[2]) == {"maxRetries": (4, 3), "plusAddressing": (False, True)}
    assert _changes(log[1]) == {"canWrite": (None, True), "departments": (None, ["UK Operations"]), "name": (None, "ERP")}
    assert set(_changes(log[0])) == {"revokedAt"}

    token = issued["token"]
    written = json.dumps(log) + json.dumps([e.changes for e in await AuditEntry.all()])
    _prefix, key_secret = split_api_key(token)  # the secret itself may hold "_"
    for secret in (SECRET, SECRET + "-2", IMAP_SECRET, IMAP_SECRET + "-2", token, key_secret):
        assert secret not in written


async def test_routing_held_mail_and_email_templates_are_logged(signed_in):
    admin = await signed_in("admin@example.com")
    uk = await Department.get(name="UK Operations")
    held = await _arrive(to="payroll@acme.example", subject="Routed later")
    await admin.data("mutation($id: ID!, $d: ID!) { routeHeldEmail(emailId: $id, departmentId: $d) { ref } }",
                     {"id": str(held.id), "d": str(uk.id)})
    [routed] = await _log(admin, action="mail_route.")
    assert routed["action"] == "mail_route.created" and routed["targetName"] == "payroll@acme.example"
    assert _changes(routed)["departmentId"] == (None, uk.id) and _changes(routed)["fromEmailId"] == (None, held.id)

    template = (await admin.data("mutation($input: EmailTemplateInput!) { createEmailTemplate(input: $input) { id } }",
                                 {"input": {"name": "Ask", "subject": "About {title}", "textBody": "Hello"}}))["createEmailTemplate"]["id"]
    await admin.data("mutation($id: ID!, $input: EmailTemplateUpdate!) { updateEmailTemplate(id: $id, input: $input) { id } }",
                     {"id": template, "input": {"subject": "Re {title}", "isActive": False}})
    await admin.data("mutation($id: ID!) { deleteEmailTemplate(id: $id) }", {"id": template})
    deleted, updated, created = await _log(admin, targetType="email_template", targetId=template)
    assert [e["action"] for e in (deleted, updated, created)] == ["email_template.deleted", "email_template.updated", "email_template.created"]
    assert _changes(updated) == {"isActive": (True, False), "subject": ("About {title}", "Re {title}")}
    assert _changes(deleted)["name"] == ("Ask", None) and _changes(created)["textBody"] == (None, "Hello")


# -------------------------------------------------------------------------------- who reads it


async def test_only_admins_read_the_audit_log(signed_in, client: HttpClient):
    for email in ("jane@example.com", "lena@example.com", "bob@client.example"):
        reader = await signed_in(email)
        error = await reader.error(LOG, {"first": 10})
        assert error["extensions"]["code"] == "FORBIDDEN", email
    pl = await Department.get(name="PL Operations")
    partner = HttpClient(client.base_url, (await api_keys.create_api_key("ERP", [pl.id], can_write=True, created_by=None)).token)
    try:
        assert (await partner.error(LOG, {"first": 10}))["extensions"]["code"] == "FORBIDDEN"
    finally:
        await partner.aclose()
    assert (await client.error(LOG, {"first": 10}))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_pages_newest_first_and_filters(signed_in):
    admin = await signed_in("admin@example.com")
    lena = await User.get(email="lena@example.com")
    block = "mutation($input: BlockedAddressInput!) { addBlockedAddress(input: $input) { id } }"
    for n in range(5):
        await admin.data(block, {"input": {"address": f"spam{n}@spam.example"}})
    await AuditEntry.create(at=(await AuditEntry.first()).at, actor_kind="USER", actor_id=lena.id, actor_name=lena.name,
                            action="blocked_address.created", target_type="blocked_address", target_id="0", target_name="x")

    seen, after = [], None
    while True:
        page = (await admin.data(LOG, {"filter": {"action": "blocked_address."}, "first": 2, "after": after}))["auditLog"]
        seen += [e["node"] for e in page["edges"]]
        assert len(page["edges"]) <= 2
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [e["targetName"] for e in seen] == ["x", *(f"spam{n}@spam.example" for n in reversed(range(5)))]
    assert [int(e["id"]) for e in seen] == sorted((int(e["id"]) for e in seen), reverse=True)

    by_lena = await _log(admin, actorId=str(lena.id))
    assert [e["targetName"] for e in by_lena] == ["x"]
    one = await _log(admin, targetType="blocked_address", targetId=seen[1]["targetId"])
    assert [e["targetName"] for e in one] == ["spam4@spam.example"]
    assert await _log(admin, action="mailbox.") == []

    bad = await admin.error(LOG, {"after": "not-a-cursor"})
    assert (bad["extensions"]["code"], bad["extensions"]["field"]) == ("VALIDATION", "after")
    too_many = await admin.error(LOG, {"first": 101})
    assert too_many["extensions"]["code"] in ("VALIDATION", "LIMIT_EXCEEDED")
