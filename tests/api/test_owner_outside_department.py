"""A case's owner follows the assignee's rule: where the department takes assignees only from its
staff, only its staff may own its cases; elsewhere an owner from another department sees and
works the case they own — only it, only while they own it. Only an active person owns a case.

And a notification read later tells its reader nothing about an item they can no longer see."""

from __future__ import annotations

from models.enums import Role
from models.org import Department, User
from models.work_item import WorkItem
from tests.support.queries import recorded_queries

ITEM = 'query($ref: String!) { workItem(ref: $ref) { ref title status owner { email } assignee { email } } }'
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref owner { email } } }"
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref owner { email } } }"
PAUSE = 'mutation { waitWorkItem(ref: "C-1001", input: {waitType: PAUSE}) { workItem { ref status waitType } } }'
ALL = "{ workItems(first: 100) { edges { node { ref } } } }"
OWNED_WORK = "{ ownedWork(first: 100) { edges { node { ref } } } }"
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref } } }"
NOTIFICATIONS = "{ notifications { kind text workItemRef read } unreadNotificationCount }"


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


async def test_a_notification_about_an_item_no_longer_readable_is_not_shown(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    before = await karina.data(NOTIFICATIONS)
    await jane.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("karina@example.com")})
    told = await karina.data(NOTIFICATIONS)
    assigned = [n for n in told["notifications"] if n["workItemRef"] == "T-1003"]
    assert [n["kind"] for n in assigned] == ["ASSIGNED"] and "Payslip shows the wrong tax code" in assigned[0]["text"]
    assert told["unreadNotificationCount"] == before["unreadNotificationCount"] + 1

    # handed on to lena: karina may no longer read T-1003, nor anything told of it
    await jane.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("lena@example.com")})
    assert (await karina.error(ITEM, {"ref": "T-1003"}))["extensions"]["code"] == "NOT_FOUND"
    now = await karina.data(NOTIFICATIONS)
    assert now == before, now
    assert "Payslip" not in str(now) and "T-1003" not in str(now)
    unread_only = await karina.data("{ notifications(unreadOnly: true) { workItemRef } }")
    assert "T-1003" not in str(unread_only)
    # marking everything read counts (and marks) only what she may read
    assert (await karina.data("mutation { markNotificationsRead }"))["markNotificationsRead"] == before["unreadNotificationCount"]
    assert (await karina.data(NOTIFICATIONS))["unreadNotificationCount"] == 0

    # given back to her, it is hers to read again, still unread
    await jane.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("karina@example.com")})
    back = await karina.data(NOTIFICATIONS)
    assert [(n["kind"], n["read"]) for n in back["notifications"] if n["workItemRef"] == "T-1003"] == [("ASSIGNED", False)] * 2
    assert back["unreadNotificationCount"] == 2


async def test_listing_notifications_costs_a_fixed_number_of_queries(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    karina_id, lena_id = await _user_id("karina@example.com"), await _user_id("lena@example.com")
    for ref in ("T-1002", "T-1003", "T-1004"):
        await jane.data(ASSIGN, {"ref": ref, "user": karina_id})
    with recorded_queries() as few:
        few_notes = (await karina.data(NOTIFICATIONS))["notifications"]
    assert {n["workItemRef"] for n in few_notes} >= {"T-1002", "T-1003", "T-1004"}
    for ref in ("T-1003", "T-1004"):  # taken away again: those two are no longer hers to read
        await jane.data(ASSIGN, {"ref": ref, "user": lena_id})
    for _ in range(3):
        await jane.data(ASSIGN, {"ref": "T-1002", "user": lena_id})
        await jane.data(ASSIGN, {"ref": "T-1002", "user": karina_id})
    with recorded_queries() as many:
        many_notes = (await karina.data(NOTIFICATIONS))["notifications"]
    assert {n["workItemRef"] for n in many_notes} & {"T-1003", "T-1004"} == set()
    assert len([n for n in many_notes if n["workItemRef"] == "T-1002"]) == 4
    assert len(many) == len(few), "\n".join(many)


async def test_a_case_does_not_move_where_its_owner_may_not_hold_work(signed_in):
    admin = await signed_in("admin@example.com")
    pl = await Department.get(name="PL Operations")
    await admin.data('mutation($id: ID!) { updateDepartment(id: $id, input: {assigneesOnlyFromStaff: true}) { name } }', {"id": str(pl.id)})
    move = "mutation($ref: String!, $d: ID!) { moveWorkItem(ref: $ref, departmentId: $d) { workItem { ref } } }"
    # lena (UK staff) owns C-1001: PL takes holders only from its staff, so she may not own it there
    error = await admin.error(move, {"ref": "C-1001", "d": str(pl.id)})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "departmentId", error
    assert "owner" in error["message"] and "Lena" in error["message"], error
    item = await WorkItem.get(ref="C-1001")
    assert item.department_id != pl.id and item.owner_id == (await User.get(email="lena@example.com")).id
