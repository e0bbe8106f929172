"""Administering case types over GraphQL (createCaseType, updateActionTemplate): admins only,
action templates checked by kind — the email actions' emailTemplateId and replyWaitDays — and a
case of the new type sending its email when submitted."""

from __future__ import annotations

from models.case_flow import ActionTemplate, CaseType
from models.contact import Contact
from models.email import Email, EmailTemplate
from models.org import Department, Queue
from models.work_item import WorkItem

ACTION = "id title kind queueId subCaseTypeId emailTemplateId replyWaitDays"
CREATE = "mutation($input: CreateCaseTypeInput!) { createCaseType(input: $input) { id name steps { position name actions { %s } } } }" % ACTION
UPDATE = "mutation($id: ID!, $input: UpdateActionTemplateInput!) { updateActionTemplate(id: $id, input: $input) { %s } }" % ACTION


async def _template() -> EmailTemplate:
    return await EmailTemplate.create(name="Ask", subject="About {title}", text_body="Dear {requesterName}, see {caseRef}.")


def _flow(name: str, *first_step: dict) -> dict:
    return {"name": name, "steps": [{"name": "Ask", "actions": list(first_step)},
                                     {"name": "Check", "actions": [{"title": "Check the answer"}]}]}


def _fields(error: dict) -> dict[str, str]:
    assert error["extensions"]["code"] == "VALIDATION", error
    return {f["field"]: f["message"] for f in error["extensions"]["fields"]}


async def test_an_admin_creates_a_case_type_whose_email_action_sends_when_a_case_is_submitted(signed_in):
    admin, lena = await signed_in("admin@example.com"), await signed_in("lena@example.com")
    template = await _template()
    queue = await Queue.get(name="Team A queue")
    created = (await admin.data(CREATE, {"input": _flow(
        "Ask and wait",
        {"title": "Ask the client", "kind": "SEND_EMAIL_AND_WAIT", "emailTemplateId": str(template.id), "replyWaitDays": 5,
         "queueId": str(queue.id)},
    )}))["createCaseType"]
    assert created["name"] == "Ask and wait" and [s["position"] for s in created["steps"]] == [1, 2]
    ask = created["steps"][0]["actions"][0]
    assert ask == {"id": ask["id"], "title": "Ask the client", "kind": "SEND_EMAIL_AND_WAIT", "queueId": str(queue.id),
                   "subCaseTypeId": None, "emailTemplateId": str(template.id), "replyWaitDays": 5}
    assert created["steps"][1]["actions"][0]["kind"] == "MANUAL"
    listed = [e["node"] for e in (await lena.data("{ caseTypes { edges { node { name steps { actions { title emailTemplateId replyWaitDays } } } } } }"))["caseTypes"]["edges"]]
    assert {"title": "Ask the client", "emailTemplateId": str(template.id), "replyWaitDays": 5} in [
        a for t in listed if t["name"] == "Ask and wait" for s in t["steps"] for a in s["actions"]
    ]

    bob = await Contact.get(email="bob@client.example")
    department = await Department.get(name="UK Operations")
    ref = (await lena.data("mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref } }", {"input": {
        "type": "CASE", "departmentId": str(department.id), "caseTypeId": created["id"], "title": "Payroll set-up",
        "requesterId": str(bob.id), "primaryContactId": str(bob.id),
    }}))["createWorkItem"]["ref"]
    case = (await lena.data("mutation($ref: String!) { submitWorkItem(ref: $ref) { ref } }", {"ref": ref}))["submitWorkItem"]
    item = await lena.data("query($ref: String!) { workItem(ref: $ref) { actions { ref status waitType } } }", {"ref": case["ref"]})
    [action] = item["workItem"]["actions"]
    assert (action["status"], action["waitType"]) == ("WAITING", "MORE_INFO")
    email = await Email.get(work_item__ref=action["ref"])
    assert (email.subject, email.text_body, email.to_addresses) == ("About Payroll set-up", f"Dear Bob Smith, see {ref}.", [bob.email])


async def test_action_templates_are_checked_by_kind(signed_in):
    admin = await signed_in("admin@example.com")
    template = await _template()
    error = await admin.error(CREATE, {"input": _flow(
        "Broken",
        {"title": "Send", "kind": "SEND_EMAIL"},
        {"title": "Send and wait", "kind": "SEND_EMAIL_AND_WAIT", "emailTemplateId": str(template.id), "replyWaitDays": 0},
        {"title": "Wait long", "kind": "SEND_EMAIL_AND_WAIT", "emailTemplateId": "999999", "replyWaitDays": 366},
        {"title": "Manual", "emailTemplateId": str(template.id), "replyWaitDays": 3},
        {"title": "  ", "kind": "SEND_EMAIL", "emailTemplateId": str(template.id)},
    )})
    fields = _fields(error)
    assert set(fields) == {
        "steps.0.actions.0.emailTemplateId", "steps.0.actions.1.replyWaitDays", "steps.0.actions.2.emailTemplateId",
        "steps.0.actions.2.replyWaitDays", "steps.0.actions.3.emailTemplateId", "steps.0.actions.3.replyWaitDays",
        "steps.0.actions.4.title",
    }
    assert fields["steps.0.actions.0.emailTemplateId"] == "a SEND_EMAIL action needs the email template it sends"
    assert fields["steps.0.actions.1.replyWaitDays"] == "replyWaitDays must be between 1 and 365"
    assert fields["steps.0.actions.2.emailTemplateId"] == "no email template 999999"
    assert fields["steps.0.actions.3.replyWaitDays"] == "only a SEND_EMAIL_AND_WAIT action waits for a reply"
    assert not await CaseType.exists(name="Broken")

    no_steps = await admin.error(CREATE, {"input": {"name": "Empty", "steps": []}})
    assert "steps" in _fields(no_steps)


async def test_an_admin_changes_an_action_templates_email_settings_checked_whole(signed_in):
    admin = await signed_in("admin@example.com")
    template = await _template()
    created = (await admin.data(CREATE, {"input": _flow("Tell", {"title": "Tell the client", "kind": "SEND_EMAIL",
                                                                  "emailTemplateId": str(template.id)})}))["createCaseType"]
    action_id = created["steps"][0]["actions"][0]["id"]

    changed = (await admin.data(UPDATE, {"id": action_id, "input": {"kind": "SEND_EMAIL_AND_WAIT", "replyWaitDays": 10}}))
    assert changed["updateActionTemplate"] == {
        "id": action_id, "title": "Tell the client", "kind": "SEND_EMAIL_AND_WAIT", "queueId": None, "subCaseTypeId": None,
        "emailTemplateId": str(template.id), "replyWaitDays": 10,
    }
    cleared = await admin.error(UPDATE, {"id": action_id, "input": {"emailTemplateId": None}})
    assert _fields(cleared) == {"emailTemplateId": "a SEND_EMAIL_AND_WAIT action needs the email template it sends"}
    manual = await admin.error(UPDATE, {"id": action_id, "input": {"kind": "MANUAL"}})
    assert set(_fields(manual)) == {"emailTemplateId", "replyWaitDays"}
    done = await admin.data(UPDATE, {"id": action_id, "input": {"kind": "MANUAL", "emailTemplateId": None, "replyWaitDays": None}})
    assert done["updateActionTemplate"]["kind"] == "MANUAL"
    row = await ActionTemplate.get(id=int(action_id))
    assert (row.email_template_id, row.reply_wait_days) == (None, None)

    missing = await admin.error(UPDATE, {"id": "999999", "input": {"title": "x"}})
    assert missing["extensions"]["code"] == "NOT_FOUND"


async def test_only_admins_manage_case_types(signed_in):
    lena = await signed_in("lena@example.com")
    template = await _template()
    before = await CaseType.all().count()
    error = await lena.error(CREATE, {"input": _flow("Mine", {"title": "Send", "kind": "SEND_EMAIL", "emailTemplateId": str(template.id)})})
    assert error["extensions"]["code"] == "FORBIDDEN"
    row = await ActionTemplate.first()
    error = await lena.error(UPDATE, {"id": str(row.id), "input": {"title": "Renamed"}})
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await CaseType.all().count() == before and (await ActionTemplate.get(id=row.id)).title == row.title
    assert not await WorkItem.filter(title="Renamed").exists()
