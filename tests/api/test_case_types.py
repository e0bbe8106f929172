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


# ------------------------------------------------------------------ editing a case type after creation

TYPE = "id name description active steps { id position name actions { id position title } }"
UPDATE_TYPE = "mutation($id: ID!, $input: UpdateCaseTypeInput!) { updateCaseType(id: $id, input: $input) { %s } }" % TYPE
ADD_STEP = ("mutation($id: ID!, $input: CaseStepInput!, $position: Int) { addCaseStep(caseTypeId: $id, input: $input, position: $position) "
            "{ %s } }" % TYPE)
UPDATE_STEP = "mutation($id: ID!, $input: UpdateCaseStepInput!) { updateCaseStep(id: $id, input: $input) { %s } }" % TYPE
DELETE_STEP = "mutation($id: ID!) { deleteCaseStep(id: $id) { %s } }" % TYPE
ADD_ACTION = ("mutation($id: ID!, $input: ActionTemplateInput!, $position: Int) { addActionTemplate(stepId: $id, input: $input, "
              "position: $position) { %s } }" % TYPE)
DELETE_ACTION = "mutation($id: ID!) { deleteActionTemplate(id: $id) { %s } }" % TYPE
CASE = "query($ref: String!) { workItem(ref: $ref) { ref status currentStep actions { ref title status step } } }"
CREATE_ITEM = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref } }"
SUBMIT = "mutation($ref: String!) { submitWorkItem(ref: $ref) { ref } }"
COMPLETE = "mutation($ref: String!) { resolveWorkItem(ref: $ref, input: {method: COMPLETE}) { workItem { status } } }"
LOG = "query($t: String, $id: ID) { auditLog(filter: {targetType: $t, targetId: $id}) { edges { node { action changes { field from to } } } } }"


def _steps(case_type: dict) -> list[tuple[str, list[str]]]:
    return [(s["name"], [a["title"] for a in s["actions"]]) for s in case_type["steps"]]


async def _three_steps(admin) -> dict:
    created = (await admin.data(CREATE, {"input": {"name": "Payroll change", "steps": [
        {"name": "Collect", "actions": [{"title": "Collect the forms"}]},
        {"name": "Enter", "actions": [{"title": "Enter the change"}, {"title": "Tell the client"}]},
        {"name": "Check", "actions": [{"title": "Check the payslip"}]},
    ]}}))["createCaseType"]
    return next(t["node"] for t in (await admin.data("{ caseTypes(first: 100) { edges { node { %s } } } }" % TYPE))["caseTypes"]["edges"] if t["node"]["id"] == created["id"])


async def _log(admin, target_type: str, target_id: str) -> list[dict]:
    return [e["node"] for e in (await admin.data(LOG, {"t": target_type, "id": target_id}))["auditLog"]["edges"]]


async def _running_case(lena, case_type_id: str) -> dict:
    ref = (await lena.data(CREATE_ITEM, {"input": {"type": "CASE", "title": "March change", "caseTypeId": case_type_id}}))["createWorkItem"]["ref"]
    await lena.data(SUBMIT, {"ref": ref})
    return (await lena.data(CASE, {"ref": ref}))["workItem"]


async def test_an_admin_edits_a_case_type_its_steps_and_their_actions_each_change_audited(signed_in):
    admin = await signed_in("admin@example.com")
    flow = await _three_steps(admin)
    renamed = (await admin.data(UPDATE_TYPE, {"id": flow["id"], "input": {"name": "Payroll changes", "description": "Bank details"}}))
    assert (renamed["updateCaseType"]["name"], renamed["updateCaseType"]["description"]) == ("Payroll changes", "Bank details")
    [entry] = [e for e in await _log(admin, "case_type", flow["id"]) if e["action"] == "case_type.updated"]
    assert {c["field"]: (c["from"], c["to"]) for c in entry["changes"]} == {
        "name": ("Payroll change", "Payroll changes"), "description": (None, "Bank details"),
    }

    added = (await admin.data(ADD_STEP, {"id": flow["id"], "position": 2, "input": {"name": "Approve", "actions": [{"title": "Approve it"}]}}))
    assert _steps(added["addCaseStep"]) == [("Collect", ["Collect the forms"]), ("Approve", ["Approve it"]),
                                            ("Enter", ["Enter the change", "Tell the client"]), ("Check", ["Check the payslip"])]
    assert [s["position"] for s in added["addCaseStep"]["steps"]] == [1, 2, 3, 4]
    check = added["addCaseStep"]["steps"][3]
    moved = (await admin.data(UPDATE_STEP, {"id": check["id"], "input": {"position": 1, "name": "Check first"}}))["updateCaseStep"]
    assert [s["name"] for s in moved["steps"]] == ["Check first", "Collect", "Approve", "Enter"]
    [step_entry] = await _log(admin, "case_step", check["id"])
    assert {c["field"]: (c["from"], c["to"]) for c in step_entry["changes"]} == {"name": ("Check", "Check first"), "position": (4, 1)}

    enter = moved["steps"][3]
    with_action = (await admin.data(ADD_ACTION, {"id": enter["id"], "position": 1, "input": {"title": "Read the forms"}}))["addActionTemplate"]
    assert [(a["position"], a["title"]) for a in with_action["steps"][3]["actions"]] == [
        (1, "Read the forms"), (2, "Enter the change"), (3, "Tell the client")]
    tell = with_action["steps"][3]["actions"][2]
    await admin.data(UPDATE, {"id": tell["id"], "input": {"position": 1}})
    after_move = (await admin.data(DELETE_ACTION, {"id": with_action["steps"][3]["actions"][0]["id"]}))["deleteActionTemplate"]
    assert [(a["position"], a["title"]) for a in after_move["steps"][3]["actions"]] == [(1, "Tell the client"), (2, "Enter the change")]
    [deleted_action, _] = await _log(admin, "action_template", with_action["steps"][3]["actions"][0]["id"])
    assert deleted_action["action"] == "action_template.deleted"

    gone = (await admin.data(DELETE_STEP, {"id": moved["steps"][2]["id"]}))["deleteCaseStep"]
    assert [(s["position"], s["name"]) for s in gone["steps"]] == [(1, "Check first"), (2, "Collect"), (3, "Enter")]
    [deleted_step, created_step] = await _log(admin, "case_step", moved["steps"][2]["id"])
    assert (deleted_step["action"], created_step["action"]) == ("case_step.deleted", "case_step.created")
    assert {"field": "actions", "from": ["Approve it"], "to": None} in deleted_step["changes"]

    only = await admin.error(DELETE_ACTION, {"id": gone["steps"][0]["actions"][0]["id"]})
    assert only["extensions"]["code"] == "CONFLICT"  # a step keeps at least one action
    bad = await admin.error(UPDATE_STEP, {"id": gone["steps"][0]["id"], "input": {"position": 9, "name": " "}})
    assert set(_fields(bad)) == {"position", "name"}



async def test_running_cases_keep_their_place_when_steps_move_and_their_step_cannot_go(signed_in):
    admin, lena = await signed_in("admin@example.com"), await signed_in("lena@example.com")
    flow = await _three_steps(admin)
    case = await _running_case(lena, flow["id"])
    assert case["currentStep"] == 1 and [a["title"] for a in case["actions"]] == ["Collect the forms"]
    collect, enter, check = flow["steps"]

    in_use = await admin.error(DELETE_STEP, {"id": collect["id"]})
    assert in_use["extensions"]["code"] == "CONFLICT" and in_use["extensions"]["refs"] == [case["ref"]]
    open_action = await admin.error(DELETE_ACTION, {"id": collect["actions"][0]["id"]})
    assert open_action["extensions"]["code"] == "CONFLICT"

    # a step before it: the case is at "Collect" still, now step 2, and so is its action
    await admin.data(ADD_STEP, {"id": flow["id"], "position": 1, "input": {"name": "Intro", "actions": [{"title": "Say hello"}]}})
    now = (await lena.data(CASE, {"ref": case["ref"]}))["workItem"]
    assert now["currentStep"] == 2 and [a["step"] for a in now["actions"]] == [2]
    await admin.data(UPDATE_STEP, {"id": check["id"], "input": {"position": 3}})  # Intro, Collect, Check, Enter
    await admin.data(DELETE_STEP, {"id": enter["id"]})  # not in use: it goes

    await lena.data(COMPLETE, {"ref": now["actions"][0]["ref"]})
    after = (await lena.data(CASE, {"ref": case["ref"]}))["workItem"]
    assert after["currentStep"] == 3
    assert [(a["title"], a["step"]) for a in after["actions"]][-1] == ("Check the payslip", 3)


async def test_an_inactive_case_type_starts_no_new_cases_and_running_ones_continue(signed_in):
    admin, lena = await signed_in("admin@example.com"), await signed_in("lena@example.com")
    flow = await _three_steps(admin)
    case = await _running_case(lena, flow["id"])
    department = await Department.get(name="UK Operations")
    route = (await admin.data("mutation($input: MailRouteInput!) { createMailRoute(input: $input) { id } }", {"input": {
        "address": "payroll-changes@acme.example", "departmentId": str(department.id), "creates": "CASE", "caseTypeId": flow["id"],
    }}))["createMailRoute"]["id"]
    used = await admin.error(UPDATE_TYPE, {"id": flow["id"], "input": {"active": False}})
    assert used["extensions"]["code"] == "CONFLICT" and used["extensions"]["addresses"] == ["payroll-changes@acme.example"]
    await admin.data("mutation($id: ID!) { deleteMailRoute(id: $id) }", {"id": route})

    off = (await admin.data(UPDATE_TYPE, {"id": flow["id"], "input": {"active": False}}))["updateCaseType"]
    assert off["active"] is False
    refused = await lena.error(CREATE_ITEM, {"input": {"type": "CASE", "title": "April change", "caseTypeId": flow["id"]}})
    assert _fields(refused) == {"caseTypeId": "the case type Payroll change is inactive: it starts no new cases"}
    mail = await admin.error("mutation($input: MailRouteInput!) { createMailRoute(input: $input) { id } }", {"input": {
        "address": "payroll-changes@acme.example", "departmentId": str(department.id), "creates": "CASE", "caseTypeId": flow["id"],
    }})
    assert set(_fields(mail)) == {"caseTypeId"}
    active = [t["node"]["name"] for t in (await lena.data("{ caseTypes(active: true, first: 100) { edges { node { name } } } }"))["caseTypes"]["edges"]]
    assert "Payroll change" not in active and "Client onboarding" in active

    await lena.data(COMPLETE, {"ref": case["actions"][0]["ref"]})  # the running case goes on to its next step
    assert (await lena.data(CASE, {"ref": case["ref"]}))["workItem"]["currentStep"] == 2

    on = (await admin.data(UPDATE_TYPE, {"id": flow["id"], "input": {"active": True}}))["updateCaseType"]
    assert on["active"] is True
    assert (await lena.data(CREATE_ITEM, {"input": {"type": "CASE", "title": "May change", "caseTypeId": flow["id"]}}))["createWorkItem"]
    entries = [e["action"] for e in await _log(admin, "case_type", flow["id"])]
    assert entries == ["case_type.updated", "case_type.updated", "case_type.created"]


async def test_only_admins_edit_case_types(signed_in):
    admin, lena = await signed_in("admin@example.com"), await signed_in("lena@example.com")
    flow = await _three_steps(admin)
    step, action = flow["steps"][0], flow["steps"][0]["actions"][0]
    for query, variables in (
        (UPDATE_TYPE, {"id": flow["id"], "input": {"active": False}}),
        (ADD_STEP, {"id": flow["id"], "input": {"name": "Mine", "actions": [{"title": "Mine"}]}}),
        (UPDATE_STEP, {"id": step["id"], "input": {"name": "Mine"}}),
        (DELETE_STEP, {"id": flow["steps"][2]["id"]}),
        (ADD_ACTION, {"id": step["id"], "input": {"title": "Mine"}}),
        (DELETE_ACTION, {"id": flow["steps"][1]["actions"][0]["id"]}),
    ):
        assert (await lena.error(query, variables))["extensions"]["code"] == "FORBIDDEN"
    assert _steps(next(t["node"] for t in (await admin.data("{ caseTypes(first: 100) { edges { node { %s } } } }" % TYPE))["caseTypes"]["edges"] if t["node"]["id"] == flow["id"])) == _steps(flow)
    assert (await lena.error(LOG, {"t": "case_type", "id": flow["id"]}))["extensions"]["code"] == "FORBIDDEN"
    assert action["title"] == "Collect the forms"
