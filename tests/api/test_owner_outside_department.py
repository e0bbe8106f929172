"""A case's owner follows the assignee's rule: where the department takes assignees only from its
staff, only its staff may own its cases; elsewhere an owner from another department sees and
works the case they own — only it, only while they own it. Only an active person owns a case."""

from __future__ import annotations

from models.enums import Role
from models.org import Department, User
from models.work_item import WorkItem

ITEM = 'query($ref: String!) { workItem(ref: $ref) { ref title status owner { email } assignee { email } } }'
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref owner { email } } }"
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref owner { email } } }"
PAUSE = 'mutation { waitWorkItem(ref: "C-1001", input: {waitType: PAUSE}) { workItem { ref status waitType } } }'
ALL = "{ workItems(first: 100) { edges { node { ref } } } }"
OWNED_WORK = "{ ownedWork(first: 100) { edges { node { ref } } } }"


def _refs(data: dict, field: str) -> set[str]:
    return {e["node"]["ref"] for e in data[field]["edges"]}


async def _user_id(email: str) -> str:
    return str((await User.get(email=email)).id)


async def _only_from_staff(admin) -> int:
    uk = await Department.get(name="UK Operations")
    await admin.data('mutation($id: ID!) { updateDepartment(id: $id, input: {assigneesOnlyFromStaff: true}) { name } }', {"id": str(uk.id)})
    return uk.id


async def test_with_assignees_only_from_staff_an_outsider_cannot_become_owner(signed_in):
    admin, lena, jane = await signed_in("admin@example.com"), await signed_in("lena@example.com"), await signed_in("jane@example.com")
    uk = await _only_from_staff(admin)
    karina = await _user_id("karina@example.com")

    error = await lena.error(UPDATE, {"ref": "C-1001", "input": {"ownerId": karina}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "ownerId", error
    assert "ownerId" in error["message"] and "Karina Nowak" in error["message"], error
    assert (await lena.data(ITEM, {"ref": "C-1001"}))["workItem"]["owner"] == {"email": "lena@example.com"}

    cases = await WorkItem.filter(type="CASE").count()
    error = await jane.error(CREATE, {"input": {"type": "CASE", "departmentId": str(uk), "ownerId": karina, "title": "x"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "ownerId", error
    assert await WorkItem.filter(type="CASE").count() == cases

    # the department's own staff still may
    created = await jane.data(CREATE, {"input": {"type": "CASE", "departmentId": str(uk), "ownerId": await _user_id("lena@example.com")}})
    assert created["createWorkItem"]["owner"] == {"email": "lena@example.com"}


async def test_only_an_active_person_owns_a_case(signed_in):
    lena = await signed_in("lena@example.com")
    robot = await User.create(email="robot@example.com", name="Sorting Robot", role=Role.ROBOT)
    gone = await User.create(email="gone@example.com", name="Gone Away", is_active=False)
    for user, words in ((robot, "robot"), (gone, "no active user")):
        error = await lena.error(UPDATE, {"ref": "C-1001", "input": {"ownerId": str(user.id)}})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "ownerId", error
        assert words in error["message"] and "ownerId" in error["message"], error
        error = await lena.error(CREATE, {"input": {"type": "CASE", "ownerId": str(user.id), "title": "x"}})
        assert error["extensions"]["field"] == "ownerId", error
    assert (await lena.data(ITEM, {"ref": "C-1001"}))["workItem"]["owner"] == {"email": "lena@example.com"}


async def test_an_owner_from_another_department_sees_and_works_the_case_they_own(signed_in):
    lena, karina = await signed_in("lena@example.com"), await signed_in("karina@example.com")
    karina_id, lena_id = await _user_id("karina@example.com"), await _user_id("lena@example.com")
    assert (await karina.error(ITEM, {"ref": "C-1001"}))["extensions"]["code"] == "NOT_FOUND"

    # UK does not take assignees (nor owners) only from its staff: lena may hand C-1001 to karina of PL
    handed = await lena.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": karina_id}})
    assert handed["updateWorkItem"]["owner"] == {"email": "karina@example.com"}

    seen = (await karina.data(ITEM, {"ref": "C-1001"}))["workItem"]
    assert seen["title"] == "Onboard Globex payroll" and seen["owner"] == {"email": "karina@example.com"}
    everything = _refs(await karina.data(ALL), "workItems")
    assert "C-1001" in everything and not everything & {"T-1001", "T-1002", "T-1003", "A-1001"}  # only the case
    paused = (await karina.data(PAUSE))["waitWorkItem"]["workItem"]
    assert paused == {"ref": "C-1001", "status": "WAITING", "waitType": "PAUSE"}
    # the case waits on its assignee (lena): it is in her owned work, and in karina's lists as hers to manage
    assert "C-1001" in _refs(await lena.data(OWNED_WORK), "ownedWork")
    filtered = await karina.data('{ workItems(first: 100, filter: {statuses: [WAITING]}) { edges { node { ref } } } }')
    assert "C-1001" in _refs(filtered, "workItems")
    resumed = (await karina.data(PAUSE))["waitWorkItem"]["workItem"]
    assert resumed["status"] == "IN_PROGRESS"

    # once it is no longer hers, it answers like a missing case again
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": lena_id}})
    hidden, missing = await karina.post(ITEM, {"ref": "C-1001"}), await karina.post(ITEM, {"ref": "C-9999"})
    assert hidden["errors"][0]["message"].replace("C-1001", "C-9999") == missing["errors"][0]["message"]
    assert hidden["errors"][0]["extensions"] == missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "ref"}
    assert "C-1001" not in _refs(await karina.data(ALL), "workItems")
    again = await karina.post(PAUSE)
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND" and again["data"] is None
