"""Email templates over GraphQL (SPEC §5.1): admins manage them, employees list the ones of their
departments, placeholders are checked when saved and when rendered, and composing from one fills
the email."""

from __future__ import annotations

from models.email import Email, EmailTemplate
from models.org import Department
from server.domain import api_keys
from tests.support.client import HttpClient
from tests.support.footprint import footprint

FIELDS = "id name subject textBody htmlBody departmentId isActive"
CREATE = f"mutation($input: EmailTemplateInput!) {{ createEmailTemplate(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"mutation($id: ID!, $input: EmailTemplateUpdate!) {{ updateEmailTemplate(id: $id, input: $input) {{ {FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteEmailTemplate(id: $id) }"
LIST = "query($all: Boolean! = false) { emailTemplates(includeInactive: $all) { name } }"
RENDER = "query($ref: String!, $id: ID!) { renderEmailTemplate(ref: $ref, templateId: $id) { subject textBody htmlBody } }"
SEND = """mutation($ref: String!, $input: ComposeEmailInput!) { sendEmail(ref: $ref, input: $input) {
  email { id subject textBody htmlBody templateId } } }"""


def _code(error: dict) -> tuple[str, str | None]:
    return error["extensions"]["code"], error["extensions"].get("field")


async def _ids() -> tuple[str, str]:
    return tuple([str((await Department.get(name=n)).id) for n in ("UK Operations", "PL Operations")])  # type: ignore[return-value]


async def test_admins_manage_templates_and_employees_list_those_of_their_departments(signed_in, client: HttpClient):
    admin, jane, karina = [await signed_in(f"{n}@example.com") for n in ("admin", "jane", "karina")]
    uk, pl = await _ids()
    made = {}
    for name, department, active in (("Global hello", None, True), ("UK invoice", uk, True), ("PL faktura", pl, True), ("UK old", uk, False)):
        made[name] = (await admin.data(CREATE, {"input": {"name": name, "subject": "About {ref}", "textBody": "Hello {requesterName}",
                                                          "departmentId": department, "isActive": active}}))["createEmailTemplate"]
    assert made["UK invoice"] == {**made["UK invoice"], "departmentId": uk, "isActive": True, "htmlBody": None}

    assert [t["name"] for t in (await jane.data(LIST))["emailTemplates"]] == ["Global hello", "UK invoice"]
    assert [t["name"] for t in (await karina.data(LIST))["emailTemplates"]] == ["Global hello", "PL faktura"]
    assert [t["name"] for t in (await jane.data(LIST, {"all": True}))["emailTemplates"]] == ["Global hello", "UK invoice"]
    assert len((await admin.data(LIST))["emailTemplates"]) == 3
    assert len((await admin.data(LIST, {"all": True}))["emailTemplates"]) == 4

    updated = (await admin.data(UPDATE, {"id": made["UK old"]["id"], "input": {"isActive": True, "departmentId": None, "htmlBody": "<p>{title}</p>"}}))["updateEmailTemplate"]
    assert updated == {**made["UK old"], "isActive": True, "departmentId": None, "htmlBody": "<p>{title}</p>"}
    assert "UK old" in [t["name"] for t in (await karina.data(LIST))["emailTemplates"]]  # global now
    assert _code(await admin.error(UPDATE, {"id": made["UK old"]["id"], "input": {"name": "UK invoice"}})) == ("VALIDATION", "name")
    assert _code(await admin.error(CREATE, {"input": {"name": "x", "departmentId": "999999"}})) == ("VALIDATION", "departmentId")
    assert (await admin.data(DELETE, {"id": made["UK old"]["id"]}))["deleteEmailTemplate"] == made["UK old"]["id"]
    assert not await EmailTemplate.exists(id=int(made["UK old"]["id"]))
    assert _code(await admin.error(DELETE, {"id": made["UK old"]["id"]})) == ("NOT_FOUND", "id")

    # nobody else manages them; portal contacts and API keys do not even list them
    key = await api_keys.create_api_key("ERP", [int(uk)], can_write=True, created_by=None)
    bob = await client.login("bob@client.example")
    before = await footprint()
    for who in (jane, karina):
        assert _code(await who.error(CREATE, {"input": {"name": "Mine"}}))[0] == "FORBIDDEN"
        assert _code(await who.error(UPDATE, {"id": made["UK invoice"]["id"], "input": {"name": "Mine"}}))[0] == "FORBIDDEN"
        assert _code(await who.error(DELETE, {"id": made["UK invoice"]["id"]}))[0] == "FORBIDDEN"
    for token in (key.token, bob):
        assert (await client.error(LIST, token=token))["extensions"]["code"] == "FORBIDDEN"
        assert (await client.error(CREATE, {"input": {"name": "Mine"}}, token=token))["extensions"]["code"] == "FORBIDDEN"
    assert await footprint() == before


async def test_an_unknown_placeholder_or_a_stray_brace_is_refused_when_saved(signed_in):
    admin = await signed_in("admin@example.com")
    before = await footprint()
    error = await admin.error(CREATE, {"input": {"name": "Bad", "subject": "About {ref}", "textBody": "Dear {customerName},"}})
    assert _code(error) == ("VALIDATION", "textBody") and "{customerName}" in error["message"]
    error = await admin.error(CREATE, {"input": {"name": "Bad", "subject": "{nope} {ref", "textBody": "", "htmlBody": "<b>{worse}</b>"}})
    assert error["extensions"]["code"] == "VALIDATION"
    problems = [(f["field"], f["message"]) for f in error["extensions"]["fields"]]
    assert [field for field, _ in problems] == ["subject", "subject", "htmlBody"]
    assert "{nope}" in problems[0][1] and "unmatched '{'" in problems[1][1] and "{worse}" in problems[2][1]
    assert await footprint() == before
    made = (await admin.data(CREATE, {"input": {"name": "Good", "subject": "{{literal}} {ref}"}}))["createEmailTemplate"]
    error = await admin.error(UPDATE, {"id": made["id"], "input": {"textBody": "{unknown}"}})
    assert _code(error) == ("VALIDATION", "textBody") and "{unknown}" in error["message"]


async def test_a_template_renders_from_the_item_and_the_writer_and_fills_the_email(signed_in):
    admin, jane, karina = [await signed_in(f"{n}@example.com") for n in ("admin", "jane", "karina")]
    uk, pl = await _ids()
    template = (await admin.data(CREATE, {"input": {
        "name": "Invoice found", "departmentId": uk,
        "subject": "Re: {title} [{ref}]",
        "textBody": "Dear {requesterName} ({requesterEmail}),\n{{not a placeholder}} {status} at {departmentName}.\n{agentName}",
        "htmlBody": "<p>Dear {requesterName}: {title}</p>",
    }}))["createEmailTemplate"]
    await Department.filter(id=int(uk)).update(name="UK <Ops> & Co")  # values are escaped in HTML only
    rendered = (await jane.data(RENDER, {"ref": "T-1002", "id": template["id"]}))["renderEmailTemplate"]
    assert rendered == {
        "subject": "Re: Missing invoice INV-2231 [T-1002]",
        "textBody": "Dear Bob Smith (bob@client.example),\n{not a placeholder} TO_DO at UK <Ops> & Co.\nJane Cooper",
        "htmlBody": "<p>Dear Bob Smith: Missing invoice INV-2231</p>",
    }
    # composing from it: the template fills what the email leaves empty
    email = (await jane.data(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "templateId": template["id"]}}))["sendEmail"]["email"]
    assert (email["subject"], email["templateId"]) == (rendered["subject"], template["id"])
    assert email["textBody"] == rendered["textBody"] and "Dear Bob Smith" in email["htmlBody"]
    own = (await jane.data(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "templateId": template["id"],
                                                            "subject": "My own subject"}}))["sendEmail"]["email"]
    # rendered anew: the first email took the TO_DO item (rule 2)
    assert (own["subject"], own["textBody"]) == ("My own subject", rendered["textBody"].replace("TO_DO", "IN_PROGRESS"))

    # a template of another department is not for this item; the item out of scope is NOT_FOUND
    other = (await admin.data(CREATE, {"input": {"name": "PL only", "departmentId": pl, "subject": "x"}}))["createEmailTemplate"]
    assert _code(await jane.error(RENDER, {"ref": "T-1002", "id": other["id"]})) == ("VALIDATION", "templateId")
    before = await Email.all().count()
    error = await jane.error(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "templateId": other["id"]}})
    assert _code(error) == ("VALIDATION", "templateId") and await Email.all().count() == before
    assert _code(await karina.error(RENDER, {"ref": "T-1002", "id": template["id"]})) == ("NOT_FOUND", "ref")


async def test_an_unknown_placeholder_is_refused_when_rendered_too(signed_in):
    admin, jane = await signed_in("admin@example.com"), await signed_in("jane@example.com")
    template = (await admin.data(CREATE, {"input": {"name": "Old", "subject": "About {ref}"}}))["createEmailTemplate"]
    # stored before a placeholder was withdrawn (or written by hand): it never sends "{customerId}"
    await EmailTemplate.filter(id=int(template["id"])).update(text_body="Your id: {customerId}")
    error = await jane.error(RENDER, {"ref": "T-1002", "id": template["id"]})
    assert _code(error) == ("VALIDATION", "textBody") and "{customerId}" in error["message"]
    before = await footprint()
    error = await jane.error(SEND, {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "templateId": template["id"]}})
    assert _code(error) == ("VALIDATION", "textBody")
    assert await footprint() == before
