"""Departments administration and moving work between departments (SPEC §1, seed 003), through
GraphQL: admins manage departments, groups and grants; everyone else is refused and nothing is
written; access changes take effect on the next request; a moved item leaves its old viewers."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from models.enums import Status, TimelineKind
from models.event import EventRecord
from models.org import ContactGroup, Department, DepartmentAlias, Queue, Team, User, UserGroup
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import api_keys
from tests.support.client import HttpClient
from tests.support.footprint import footprint

SETTINGS = """id name slaHours language notifyStaffOfNewTickets assigneesOnlyFromStaff clientViewInPublic aliases
  senderName signature feedbackWindowHours addWaitingTimeToDue resolutionNoteRequired defaultContactGroupId smtpConnectorId"""
GROUP = "id name defaultDepartment { name } departments { name } publicDepartments { name } members { email }"
CREATE_DEPARTMENT = f"mutation($input: DepartmentSettingsInput!) {{ createDepartment(input: $input) {{ {SETTINGS} }} }}"
UPDATE_DEPARTMENT = f"mutation($id: ID!, $input: DepartmentSettingsInput!) {{ updateDepartment(id: $id, input: $input) {{ {SETTINGS} }} }}"
DEPARTMENT_SETTINGS = f"{{ departmentSettings {{ {SETTINGS} }} }}"
SET_USER_DEPARTMENTS = """mutation($user: ID!, $departments: [ID!]!) { setUserDepartments(userId: $user, departmentIds: $departments) {
  user { email } departments { name } grantedDepartments { name } publicDepartments { name } } }"""
CREATE_GROUP = f"mutation($name: String!, $default: ID) {{ createUserGroup(name: $name, defaultDepartmentId: $default) {{ {GROUP} }} }}"
UPDATE_GROUP = f"mutation($id: ID!, $input: UserGroupInput!) {{ updateUserGroup(id: $id, input: $input) {{ {GROUP} }} }}"
USER_GROUPS = f"{{ userGroups {{ {GROUP} }} }}"
MOVE = """mutation($ref: String!, $department: ID!, $queue: ID, $v: Int) {
  moveWorkItem(ref: $ref, departmentId: $department, queueId: $queue, version: $v) {
    workItem { ref status version department { name } queue { name } team { name } assignee { email } waitType }
    notices entry { kind actor { name } }
  } }"""
ITEM = "query($ref: String!) { workItem(ref: $ref) { ref status department { name } queue { name } assignee { email } } }"
LIST = "{ workItems(first: 100) { edges { node { ref } } } }"
CREATE_ITEM = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref department { name } } }"

UK_REFS = {"T-1001", "T-1002", "T-1003", "T-1004", "T-1005", "T-1006", "C-1001", "A-1001", "A-1002"}
PL_REFS = {"T-1007", "T-1008", "T-1009", "C-1002", "T-1010", "T-1011"}


async def _department(name: str) -> str:
    return str((await Department.get(name=name)).id)


async def _group(name: str) -> str:
    return str((await UserGroup.get(name=name)).id)


async def _user(email: str) -> str:
    return str((await User.get(email=email)).id)


async def _refs(client: HttpClient) -> set[str]:
    return {e["node"]["ref"] for e in (await client.data(LIST))["workItems"]["edges"]}


@pytest.fixture
async def admin(signed_in) -> HttpClient:
    return await signed_in("admin@example.com")


# ---------------------------------------------------------------------------------- departments


async def test_admin_creates_a_department_with_every_setting(admin):
    group = await ContactGroup.get(name="Customers")
    connector = (await Department.get(name="UK Operations")).smtp_connector_id
    created = (await admin.data(CREATE_DEPARTMENT, {"input": {
        "name": "  DE Operations ", "slaHours": 12, "language": "DE", "notifyStaffOfNewTickets": True,
        "assigneesOnlyFromStaff": True, "clientViewInPublic": True,
        "aliases": [" Rechnungen@ACME.example ", "Support DE <support-de@acme.example>", "rechnungen@acme.example"],
        "senderName": " Team Deutschland ", "signature": "Mit freundlichen Grüßen", "feedbackWindowHours": 72,
        "addWaitingTimeToDue": False, "resolutionNoteRequired": True,
        "defaultContactGroupId": str(group.id), "smtpConnectorId": str(connector),
    }}))["createDepartment"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "name": "DE Operations", "slaHours": 12, "language": "de", "notifyStaffOfNewTickets": True,
        "assigneesOnlyFromStaff": True, "clientViewInPublic": True,
        "aliases": ["rechnungen@acme.example", "support-de@acme.example"],
        "senderName": "Team Deutschland", "signature": "Mit freundlichen Grüßen", "feedbackWindowHours": 72,
        "addWaitingTimeToDue": False, "resolutionNoteRequired": True,
        "defaultContactGroupId": str(group.id), "smtpConnectorId": str(connector),
    }
    stored = await Department.get(id=int(created["id"]))
    assert (stored.name, stored.sla_hours, stored.feedback_window_hours, stored.client_view_in_public) == ("DE Operations", 12, 72, True)
    listed = (await admin.data(DEPARTMENT_SETTINGS))["departmentSettings"]
    assert [d["name"] for d in listed] == ["DE Operations", "PL Operations", "UK Operations"]
    assert listed[0] == created
    # the everyday list is unchanged in shape and now holds it
    assert "DE Operations" in [d["node"]["name"] for d in (await admin.data("{ departments { edges { node { name } } } }"))["departments"]["edges"]]

    minimal = (await admin.data(CREATE_DEPARTMENT, {"input": {"name": "FR Operations"}}))["createDepartment"]
    assert (minimal["slaHours"], minimal["language"], minimal["aliases"], minimal["feedbackWindowHours"]) == (24, "en", [], None)


async def test_admin_updates_a_department_and_replaces_its_aliases(admin):
    uk = await _department("UK Operations")
    first = (await admin.data(UPDATE_DEPARTMENT, {"id": uk, "input": {
        "aliases": ["Billing@Acme.example", "Payroll <payroll@ACME.example>"], "slaHours": 8,
    }}))["updateDepartment"]
    assert first["aliases"] == ["billing@acme.example", "payroll@acme.example"]
    assert first["slaHours"] == 8 and first["name"] == "UK Operations" and first["feedbackWindowHours"] == 48

    second = (await admin.data(UPDATE_DEPARTMENT, {"id": uk, "input": {
        "aliases": ["payroll@acme.example", " HR@acme.example"], "feedbackWindowHours": None, "senderName": "",
        "name": " UK Ops ", "assigneesOnlyFromStaff": True, "language": "en-GB", "smtpConnectorId": None,
    }}))["updateDepartment"]
    assert second["aliases"] == ["hr@acme.example", "payroll@acme.example"]
    assert (second["name"], second["feedbackWindowHours"], second["senderName"], second["language"]) == ("UK Ops", None, None, "en-GB")
    assert second["assigneesOnlyFromStaff"] is True and second["smtpConnectorId"] is None and second["slaHours"] == 8
    rows = await DepartmentAlias.filter(department_id=int(uk)).order_by("address").values_list("address", flat=True)
    assert list(rows) == ["hr@acme.example", "payroll@acme.example"]

    # an address the UK department gave up is free for another one
    pl = await _department("PL Operations")
    taken = (await admin.data(UPDATE_DEPARTMENT, {"id": pl, "input": {"aliases": ["billing@acme.example"]}}))["updateDepartment"]
    assert taken["aliases"] == ["billing@acme.example"]
    # leaving aliases out keeps them; an empty list clears them
    kept = (await admin.data(UPDATE_DEPARTMENT, {"id": pl, "input": {"slaHours": 36}}))["updateDepartment"]
    assert kept["aliases"] == ["billing@acme.example"]
    cleared = (await admin.data(UPDATE_DEPARTMENT, {"id": pl, "input": {"aliases": []}}))["updateDepartment"]
    assert cleared["aliases"] == [] and not await DepartmentAlias.filter(department_id=int(pl)).exists()


# ------------------------------------------------------------------------- only admins administer


async def _admin_operations() -> list[tuple[str, str, dict[str, Any]]]:
    uk, pl = await _department("UK Operations"), await _department("PL Operations")
    return [
        ("createDepartment", CREATE_DEPARTMENT, {"input": {"name": "DE Operations"}}),
        ("updateDepartment", UPDATE_DEPARTMENT, {"id": uk, "input": {"slaHours": 1, "aliases": ["x@acme.example"]}}),
        ("setUserDepartments", SET_USER_DEPARTMENTS, {"user": await _user("jane@example.com"), "departments": [uk, pl]}),
        ("createUserGroup", CREATE_GROUP, {"name": "Finance", "default": pl}),
        ("updateUserGroup", UPDATE_GROUP, {"id": await _group("UK staff"), "input": {"departmentIds": [uk, pl]}}),
        ("departmentSettings", DEPARTMENT_SETTINGS, {}),
        ("userGroups", USER_GROUPS, {}),
    ]


async def test_admin_operations_work_for_admins(admin):
    for name, query, variables in await _admin_operations():
        assert (await admin.data(query, variables))[name] is not None, name


@pytest.mark.parametrize("who", ["jane", "portal contact", "api key"])
async def test_everyone_else_is_forbidden_and_nothing_is_written(signed_in, client: HttpClient, who):
    if who == "jane":
        caller, token = await signed_in("jane@example.com"), None
    elif who == "portal contact":
        caller, token = await signed_in("bob@client.example"), None
    else:
        departments = [int(await _department("UK Operations")), int(await _department("PL Operations"))]
        caller, token = client, (await api_keys.create_api_key("ERP", departments, can_write=True, created_by=None)).token
    before = await footprint()
    for name, query, variables in await _admin_operations():
        error = await caller.error(query, variables, token=token)
        assert error["extensions"]["code"] == "FORBIDDEN", (name, error)
    # bad input does not tell a non-admin anything either
    assert (await caller.error(UPDATE_DEPARTMENT, {"id": "999999", "input": {"slaHours": 0}}, token=token))["extensions"]["code"] == "FORBIDDEN"
    assert await footprint() == before


async def test_signing_in_is_needed(client: HttpClient, demo):
    assert (await client.error(DEPARTMENT_SETTINGS))["extensions"]["code"] == "UNAUTHENTICATED"


# ------------------------------------------------------------------------------------ validation


Ids = dict[str, str]
CASES: list[tuple[str, Callable[[Ids], tuple[str, dict[str, Any]]], str, str]] = [
    ("name missing", lambda i: (CREATE_DEPARTMENT, {"input": {"slaHours": 4}}), "name", "required"),
    ("name blank", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "   "}}), "name", "required"),
    ("name taken", lambda i: (CREATE_DEPARTMENT, {"input": {"name": " UK Operations "}}), "name", "UK Operations"),
    ("name taken, other case", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "pl operations"}}), "name", "already exists"),
    ("rename onto another", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"name": "PL Operations"}}), "name", "already exists"),
    ("sla too small", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "X", "slaHours": 0}}), "slaHours", "8760"),
    ("sla too large", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"slaHours": 8761}}), "slaHours", "8760"),
    ("sla null", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"slaHours": None}}), "slaHours", "8760"),
    ("language", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "X", "language": "english"}}), "language", "short"),
    ("feedback window", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"feedbackWindowHours": 0}}), "feedbackWindowHours", "8760"),
    ("flag null", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"notifyStaffOfNewTickets": None}}), "notifyStaffOfNewTickets", "true or false"),
    ("alias not an address", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "X", "aliases": ["not-an-address"]}}), "aliases", "not-an-address"),
    ("alias of another department", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "X", "aliases": ["ok@acme.example", "Invoices@ACME.example"]}}), "aliases", "invoices@acme.example"),
    ("alias of another department on update", lambda i: (UPDATE_DEPARTMENT, {"id": i["pl"], "input": {"aliases": ["invoices@acme.example"]}}), "aliases", "UK Operations"),
    ("alias is a mailbox", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"aliases": ["PL-OPS@acme.example"]}}), "aliases", "pl-ops@acme.example"),
    ("unknown contact group", lambda i: (CREATE_DEPARTMENT, {"input": {"name": "X", "defaultContactGroupId": "999999"}}), "defaultContactGroupId", "999999"),
    ("unknown connector", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"smtpConnectorId": "999999"}}), "smtpConnectorId", "999999"),
    ("malformed id", lambda i: (UPDATE_DEPARTMENT, {"id": i["uk"], "input": {"smtpConnectorId": "abc"}}), "smtpConnectorId", "numeric"),
    ("unknown user", lambda i: (SET_USER_DEPARTMENTS, {"user": "999999", "departments": [i["uk"]]}), "userId", "999999"),
    ("unknown department grant", lambda i: (SET_USER_DEPARTMENTS, {"user": i["jane"], "departments": [i["uk"], "999999"]}), "departmentIds", "999999"),
    ("group name taken", lambda i: (CREATE_GROUP, {"name": " uk staff", "default": None}), "name", "already exists"),
    ("group name blank", lambda i: (UPDATE_GROUP, {"id": i["uk_staff"], "input": {"name": " "}}), "name", "required"),
    ("unknown default department", lambda i: (CREATE_GROUP, {"name": "Finance", "default": "999999"}), "defaultDepartmentId", "999999"),
    ("unknown group department", lambda i: (UPDATE_GROUP, {"id": i["uk_staff"], "input": {"departmentIds": ["999999"]}}), "departmentIds", "999999"),
    ("unknown public department", lambda i: (UPDATE_GROUP, {"id": i["uk_staff"], "input": {"publicDepartmentIds": ["999999"]}}), "publicDepartmentIds", "999999"),
    ("unknown member", lambda i: (UPDATE_GROUP, {"id": i["uk_staff"], "input": {"memberIds": [i["jane"], "999999"]}}), "memberIds", "999999"),
    ("move to an unknown department", lambda i: (MOVE, {"ref": "T-1002", "department": "999999"}), "departmentId", "999999"),
    ("move to a queue of another department", lambda i: (MOVE, {"ref": "T-1002", "department": i["pl"], "queue": i["queue_a"]}), "queueId", "PL Operations"),
    ("move to a department without queues", lambda i: (MOVE, {"ref": "T-1002", "department": i["empty"]}), "queueId", "no queue"),
    ("move to where it is", lambda i: (MOVE, {"ref": "T-1002", "department": i["uk"]}), "departmentId", "already"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_a_validation_error_naming_the_field(admin, case):
    _, build, field, text = case
    uk = await Department.get(name="UK Operations")
    await DepartmentAlias.create(address="invoices@acme.example", department=uk)
    empty = await Department.create(name="Empty department")
    ids = {
        "uk": str(uk.id), "pl": await _department("PL Operations"), "empty": str(empty.id),
        "jane": await _user("jane@example.com"), "uk_staff": await _group("UK staff"),
        "queue_a": str((await Queue.get(name="Team A queue")).id),
    }
    query, variables = build(ids)
    before = await footprint()
    error = await admin.error(query, variables)
    assert error["extensions"]["code"] == "VALIDATION", error
    assert error["extensions"]["field"] == field, error
    assert text in error["message"], error
    assert await footprint() == before


async def test_updating_what_does_not_exist_is_not_found(admin):
    for query, variables in (
        (UPDATE_DEPARTMENT, {"id": "999999", "input": {"slaHours": 4}}),
        (UPDATE_GROUP, {"id": "999999", "input": {"name": "Nobody"}}),
    ):
        error = await admin.error(query, variables)
        assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}


# ------------------------------------------------------------------------------------ user access


async def test_a_personal_grant_takes_effect_at_once(admin, signed_in):
    jane = await signed_in("jane@example.com")
    assert await _refs(jane) == UK_REFS
    pl = await _department("PL Operations")
    access = (await admin.data(SET_USER_DEPARTMENTS, {"user": await _user("jane@example.com"), "departments": [pl]}))["setUserDepartments"]
    assert access == {
        "user": {"email": "jane@example.com"}, "departments": [{"name": "PL Operations"}],
        "grantedDepartments": [{"name": "PL Operations"}, {"name": "UK Operations"}], "publicDepartments": [],
    }
    # the same token, no new sign-in
    assert await _refs(jane) == UK_REFS | PL_REFS
    assert (await jane.data(ITEM, {"ref": "T-1007"}))["workItem"]["department"]["name"] == "PL Operations"
    # replacing the grants takes it away again
    access = (await admin.data(SET_USER_DEPARTMENTS, {"user": await _user("jane@example.com"), "departments": []}))["setUserDepartments"]
    assert access["departments"] == [] and access["grantedDepartments"] == [{"name": "UK Operations"}]
    assert await _refs(jane) == UK_REFS
    assert (await jane.error(ITEM, {"ref": "T-1007"}))["extensions"]["code"] == "NOT_FOUND"


async def test_groups_are_listed_with_their_access_and_members(admin):
    groups = (await admin.data(USER_GROUPS))["userGroups"]
    assert [{k: v for k, v in g.items() if k != "id"} for g in groups] == [
        {"name": "PL staff", "defaultDepartment": {"name": "PL Operations"}, "departments": [{"name": "PL Operations"}],
         "publicDepartments": [], "members": [{"email": "karina@example.com"}]},
        {"name": "UK staff", "defaultDepartment": {"name": "UK Operations"}, "departments": [{"name": "UK Operations"}],
         "publicDepartments": [], "members": [{"email": "jane@example.com"}, {"email": "lena@example.com"}]},
    ]


async def test_a_new_group_gives_its_members_access(admin, signed_in):
    lena = await signed_in("lena@example.com")
    pl = await _department("PL Operations")
    created = (await admin.data(CREATE_GROUP, {"name": "  Shared services ", "default": pl}))["createUserGroup"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "name": "Shared services", "defaultDepartment": {"name": "PL Operations"}, "departments": [],
        "publicDepartments": [], "members": [],
    }
    updated = (await admin.data(UPDATE_GROUP, {"id": created["id"], "input": {
        "departmentIds": [pl], "memberIds": [await _user("lena@example.com"), await _user("karina@example.com")],
    }}))["updateUserGroup"]
    assert updated["departments"] == [{"name": "PL Operations"}]
    assert updated["members"] == [{"email": "karina@example.com"}, {"email": "lena@example.com"}]
    assert updated["defaultDepartment"] == {"name": "PL Operations"} and updated["name"] == "Shared services"
    assert await _refs(lena) == UK_REFS | PL_REFS
    # lists left out stay; a list given replaces
    renamed = (await admin.data(UPDATE_GROUP, {"id": created["id"], "input": {"name": "Shared", "memberIds": []}}))["updateUserGroup"]
    assert renamed["name"] == "Shared" and renamed["members"] == [] and renamed["departments"] == [{"name": "PL Operations"}]
    assert await _refs(lena) == UK_REFS


async def test_a_public_department_lets_members_create_there_and_see_only_their_own(admin, signed_in):
    pl = await _department("PL Operations")
    group = (await admin.data(UPDATE_GROUP, {"id": await _group("UK staff"), "input": {"publicDepartmentIds": [pl]}}))["updateUserGroup"]
    assert group["publicDepartments"] == [{"name": "PL Operations"}] and group["departments"] == [{"name": "UK Operations"}]
    jane = await signed_in("jane@example.com")
    created = (await jane.data(CREATE_ITEM, {"input": {"departmentId": pl, "title": "Pay the Polish supplier"}}))["createWorkItem"]
    assert created["department"] == {"name": "PL Operations"}
    assert await _refs(jane) == UK_REFS | {created["ref"]}
    assert (await jane.error(ITEM, {"ref": "T-1007"}))["extensions"]["code"] == "NOT_FOUND"
    # lena is in the same group but did not create it
    lena = await signed_in("lena@example.com")
    assert (await lena.error(ITEM, {"ref": created["ref"]}))["extensions"]["code"] == "NOT_FOUND"
    karina = await signed_in("karina@example.com")
    assert created["ref"] in await _refs(karina)


async def test_the_group_default_department_is_used_when_none_is_given(admin, signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    made = (await jane.data(CREATE_ITEM, {"input": {"title": "Where does this go?"}}))["createWorkItem"]
    assert made["department"] == {"name": "UK Operations"}
    assert (await karina.data(CREATE_ITEM, {"input": {"title": "A tu?"}}))["createWorkItem"]["department"] == {"name": "PL Operations"}
    uk, pl = await _department("UK Operations"), await _department("PL Operations")
    await admin.data(UPDATE_GROUP, {"id": await _group("UK staff"), "input": {"defaultDepartmentId": pl, "departmentIds": [uk, pl]}})
    made = (await jane.data(CREATE_ITEM, {"input": {"title": "And now?"}}))["createWorkItem"]
    assert made["department"] == {"name": "PL Operations"}


# --------------------------------------------------------------------------------- moving work items


async def _grant(admin: HttpClient, email: str, *departments: str) -> None:
    ids = [await _department(d) for d in departments]
    await admin.data(SET_USER_DEPARTMENTS, {"user": await _user(email), "departments": ids})


def _without_ref(error: dict, ref: str) -> dict:
    return {**error, "message": error["message"].replace(ref, "<ref>")}


async def test_moving_an_item_moves_who_sees_it(admin, signed_in):
    await _grant(admin, "lena@example.com", "PL Operations")
    lena, jane, karina = await signed_in("lena@example.com"), await signed_in("jane@example.com"), await signed_in("karina@example.com")
    assert (await karina.error(ITEM, {"ref": "T-1003"}))["extensions"]["code"] == "NOT_FOUND"
    version = (await WorkItem.get(ref="T-1003")).version

    moved = (await lena.data(MOVE, {"ref": "T-1003", "department": await _department("PL Operations"), "v": version}))["moveWorkItem"]
    assert moved["workItem"] == {
        "ref": "T-1003", "status": "IN_PROGRESS", "version": version + 1, "department": {"name": "PL Operations"},
        "queue": {"name": "Team B queue"}, "team": {"name": "Team B"}, "assignee": {"email": "jane@example.com"},
        "waitType": None,
    }
    assert moved["notices"] == [] and moved["entry"] == {"kind": "DEPARTMENT_CHANGED", "actor": {"name": "Lena Fischer"}}

    # jane (UK only) still holds it (PL does not take assignees only from its staff): she keeps
    # seeing that item, and only it; karina (PL) sees it
    assert (await jane.data(ITEM, {"ref": "T-1003"}))["workItem"]["department"] == {"name": "PL Operations"}
    assert "T-1003" in await _refs(jane)
    assert (await karina.data(ITEM, {"ref": "T-1003"}))["workItem"]["queue"] == {"name": "Team B queue"}
    assert "T-1003" in await _refs(karina)

    item = await WorkItem.get(ref="T-1003")
    uk, pl = await Department.get(name="UK Operations"), await Department.get(name="PL Operations")
    queue_a, queue_b = await Queue.get(name="Team A queue"), await Queue.get(name="Team B queue")
    assert (item.department_id, item.queue_id, item.team_id) == (pl.id, queue_b.id, (await Team.get(name="Team B")).id)
    entry = await TimelineEntry.get(work_item_id=item.id, kind=TimelineKind.DEPARTMENT_CHANGED)
    assert entry.data == {
        "fromDepartmentId": str(uk.id), "fromDepartmentName": "UK Operations", "toDepartmentId": str(pl.id), "toDepartmentName": "PL Operations",
        "fromQueueId": str(queue_a.id), "fromQueueName": "Team A queue", "toQueueId": str(queue_b.id), "toQueueName": "Team B queue",
    }
    assert entry.actor_user_id == int(await _user("lena@example.com"))
    events = await EventRecord.filter(work_item_id=item.id, id__gt=0).order_by("-id").limit(2)
    assert {e.type for e in events} == {"work_item.updated", "work_item.timeline_entry_added"}
    updated = next(e for e in events if e.type == "work_item.updated")
    assert updated.payload["fields"] == ["departmentId", "queueId"] and updated.department_id == pl.id

    # once it is no longer hers, jane loses it at once, exactly like a missing item (an admin hands
    # it back: lena leads no team of PL's, so jane's work in progress there is not hers to return)
    await admin.data('mutation { assignWorkItem(ref: "T-1003", userId: null) { workItem { ref } } }')
    hidden, missing = await jane.post(ITEM, {"ref": "T-1003"}), await jane.post(ITEM, {"ref": "T-9999"})
    assert [_without_ref(e, "T-1003") for e in hidden["errors"]] == [_without_ref(e, "T-9999") for e in missing["errors"]]
    assert "T-1003" not in await _refs(jane)


async def test_an_assignee_who_is_not_staff_of_the_target_is_dropped(admin, signed_in):
    pl = await _department("PL Operations")
    await admin.data(UPDATE_DEPARTMENT, {"id": pl, "input": {"assigneesOnlyFromStaff": True}})
    await _grant(admin, "lena@example.com", "PL Operations")
    lena = await signed_in("lena@example.com")
    moved = (await lena.data(MOVE, {"ref": "T-1004", "department": pl}))["moveWorkItem"]
    assert moved["workItem"]["status"] == "TO_DO" and moved["workItem"]["assignee"] is None
    assert moved["workItem"]["waitType"] is None and moved["workItem"]["department"] == {"name": "PL Operations"}
    assert len(moved["notices"]) == 1 and "PL Operations" in moved["notices"][0]
    kinds = await TimelineEntry.filter(work_item__ref="T-1004").order_by("-id").limit(3).values_list("kind", flat=True)
    assert set(kinds) == {TimelineKind.DEPARTMENT_CHANGED, TimelineKind.ASSIGNED, TimelineKind.STATUS_CHANGED}

    # an assignee with access to the target keeps the item
    await _grant(admin, "jane@example.com", "PL Operations")
    kept = (await lena.data(MOVE, {"ref": "T-1003", "department": pl}))["moveWorkItem"]["workItem"]
    assert kept["status"] == "IN_PROGRESS" and kept["assignee"] == {"email": "jane@example.com"}


async def test_a_draft_keeps_its_status_and_closed_work_does_not_move(admin, signed_in):
    pl = await _department("PL Operations")
    await admin.data(UPDATE_GROUP, {"id": await _group("UK staff"), "input": {"publicDepartmentIds": [pl]}})
    jane = await signed_in("jane@example.com")
    # jane created the draft T-1001: a public grant lets her move it, and she keeps seeing it
    moved = (await jane.data(MOVE, {"ref": "T-1001", "department": pl}))["moveWorkItem"]["workItem"]
    assert moved["status"] == "DRAFT" and moved["department"] == {"name": "PL Operations"} and moved["queue"] == {"name": "Team B queue"}
    assert (await jane.data(ITEM, {"ref": "T-1001"}))["workItem"]["department"] == {"name": "PL Operations"}

    before = await footprint()
    closed = await admin.error(MOVE, {"ref": "T-1006", "department": pl})
    assert closed["extensions"]["code"] == "INVALID_TRANSITION"
    # a public grant covers only the mover's own items: lena created the case
    public_only = await jane.error(MOVE, {"ref": "C-1001", "department": pl})
    assert public_only["extensions"] == {"code": "FORBIDDEN", "field": "departmentId"}
    assert await footprint() == before


async def test_a_mover_without_access_to_the_target_is_refused(signed_in, client: HttpClient):
    """A department the mover may not see answers like one that does not exist."""
    jane = await signed_in("jane@example.com")
    pl = await _department("PL Operations")
    before = await footprint()
    error = await jane.error(MOVE, {"ref": "T-1002", "department": pl})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "departmentId"
    assert error["message"] == (await jane.error(MOVE, {"ref": "T-1002", "department": "999999"}))["message"].replace("999999", pl)
    assert await footprint() == before
    # an API key scoped to UK only, and a portal contact
    key = (await api_keys.create_api_key("ERP", [int(await _department("UK Operations"))], can_write=True, created_by=None)).token
    before = await footprint()
    assert (await client.error(MOVE, {"ref": "T-1002", "department": pl}, token=key))["extensions"]["field"] == "departmentId"
    bob = await signed_in("bob@client.example")
    assert (await bob.error(MOVE, {"ref": "T-1002", "department": pl}))["extensions"]["code"] == "NOT_FOUND"  # not there for a contact
    assert await footprint() == before
    item = await WorkItem.get(ref="T-1002")
    assert item.department_id == int(await _department("UK Operations")) and item.status is Status.TO_DO


async def test_an_item_one_cannot_see_cannot_be_moved(signed_in):
    karina = await signed_in("karina@example.com")
    hidden = await karina.error(MOVE, {"ref": "T-1002", "department": await _department("PL Operations")})
    assert hidden["extensions"] == {"code": "NOT_FOUND", "field": "ref"}


async def test_the_client_view_in_a_public_department_may_not_move_work(admin, signed_in):
    uk, pl = await _department("UK Operations"), await _department("PL Operations")
    await admin.data(UPDATE_DEPARTMENT, {"id": uk, "input": {"clientViewInPublic": True}})
    await admin.data(UPDATE_GROUP, {"id": await _group("PL staff"), "input": {"publicDepartmentIds": [uk]}})
    karina = await signed_in("karina@example.com")
    created = (await karina.data(CREATE_ITEM, {"input": {"departmentId": uk, "title": "For the UK team"}}))["createWorkItem"]
    before = await footprint()
    error = await karina.error(MOVE, {"ref": created["ref"], "department": pl})
    assert error["extensions"] == {"code": "FORBIDDEN", "field": "ref"}
    assert await footprint() == before


async def test_a_stale_version_is_a_conflict(admin):
    item = await WorkItem.get(ref="T-1002")
    before = await footprint()
    error = await admin.error(MOVE, {"ref": "T-1002", "department": await _department("PL Operations"), "v": item.version - 1})
    assert error["extensions"]["code"] == "CONFLICT" and error["extensions"]["field"] == "version"
    assert await footprint() == before


async def test_a_chosen_queue_of_the_target_is_used(admin):
    pl = await Department.get(name="PL Operations")
    team_a = await Team.get(name="Team A")
    second = await Queue.create(name="PL escalations", team=team_a, department=pl)
    moved = (await admin.data(MOVE, {"ref": "T-1002", "department": str(pl.id), "queue": str(second.id)}))["moveWorkItem"]["workItem"]
    assert moved["queue"] == {"name": "PL escalations"} and moved["team"] == {"name": "Team A"}
    assert moved["status"] == "TO_DO" and moved["department"] == {"name": "PL Operations"}
