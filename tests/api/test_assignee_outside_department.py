"""An employee assigned an item of a department they have no access to (the department does not
take assignees only from its staff) sees and works that item — only it, only while they hold it —
and nobody is ever notified about an item they may not read."""

from __future__ import annotations

from datetime import timedelta

from models.notification import Notification
from models.org import Department, Team, User
from server.domain import clock, scheduler

ITEM = 'query($ref: String!) { workItem(ref: $ref) { ref title status assignee { email } } }'
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref status assignee { email } } } }"
INBOX = "{ inbox(first: 100) { edges { node { ref } } } }"
ALL = "{ workItems(first: 100) { edges { node { ref } } } }"
NOTIFICATIONS = "{ notifications { kind text workItemRef } }"
PL_REFS = {"T-1007", "T-1008", "T-1009", "C-1002", "T-1010", "T-1011"}
NOTE = "mutation($ref: String!, $users: [ID!]!) { addNote(ref: $ref, input: {body: \"see this\", mentionUserIds: $users}) { workItem { ref } } }"


def _refs(data: dict, field: str) -> set[str]:
    return {e["node"]["ref"] for e in data[field]["edges"]}


async def _user_id(email: str) -> str:
    return str((await User.get(email=email)).id)


async def test_an_assignee_from_another_department_sees_and_works_the_item_they_hold(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    karina_id = await _user_id("karina@example.com")
    assert (await karina.error(ITEM, {"ref": "T-1003"}))["extensions"]["code"] == "NOT_FOUND"

    # UK does not take assignees only from its staff: jane may hand T-1003 to karina of PL
    assigned = (await jane.data(ASSIGN, {"ref": "T-1003", "user": karina_id}))["assignWorkItem"]["workItem"]
    assert assigned == {"ref": "T-1003", "status": "TO_DO", "assignee": {"email": "karina@example.com"}}

    seen = (await karina.data(ITEM, {"ref": "T-1003"}))["workItem"]
    assert seen["title"] == "Payslip shows the wrong tax code"
    assert "T-1003" in _refs(await karina.data(INBOX), "inbox")
    everything = _refs(await karina.data(ALL), "workItems")
    assert "T-1003" in everything and not everything & {"T-1001", "T-1002", "T-1004", "C-1001"}  # only that item
    started = await karina.data('mutation { startWork(ref: "T-1003") { workItem { status assignee { email } } } }')
    assert started["startWork"]["workItem"] == {"status": "IN_PROGRESS", "assignee": {"email": "karina@example.com"}}
    notes = (await karina.data(NOTIFICATIONS))["notifications"]
    assert [n["kind"] for n in notes if n["workItemRef"] == "T-1003"] == ["ASSIGNED"]

    # once it is no longer hers, it answers like a missing item again (the leader of the item's
    # team takes it: karina's work in progress is not jane's to hand on)
    lena = await signed_in("lena@example.com")
    await lena.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("lena@example.com")})
    hidden, missing = await karina.post(ITEM, {"ref": "T-1003"}), await karina.post(ITEM, {"ref": "T-9999"})
    assert hidden["errors"][0]["message"].replace("T-1003", "T-9999") == missing["errors"][0]["message"]
    assert hidden["errors"][0]["extensions"] == missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "ref"}
    assert "T-1003" not in _refs(await karina.data(ALL), "workItems")


async def test_with_assignees_only_from_staff_the_assignment_is_refused(signed_in):
    admin, jane = await signed_in("admin@example.com"), await signed_in("jane@example.com")
    uk = await Department.get(name="UK Operations")
    await admin.data('mutation($id: ID!) { updateDepartment(id: $id, input: {assigneesOnlyFromStaff: true}) { name } }', {"id": str(uk.id)})
    before = await Notification.filter().count()
    error = await jane.error(ASSIGN, {"ref": "T-1003", "user": await _user_id("karina@example.com")})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "userId"
    assert "userId" in error["message"] or "staff" in error["message"]
    assert (await jane.data(ITEM, {"ref": "T-1003"}))["workItem"]["assignee"] == {"email": "jane@example.com"}
    assert await Notification.filter().count() == before


async def test_no_notification_reaches_someone_who_may_not_read_the_item(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    karina_id = await _user_id("karina@example.com")
    # a mention of someone without access tells them nothing
    await jane.data(NOTE, {"ref": "T-1003", "users": [karina_id]})
    assert (await karina.data(NOTIFICATIONS))["notifications"] == []
    # nor a missed due date of an unassigned item, told to the leaders of its team: karina leads
    # Team A (UK) without access to UK; lena, who has it, is told
    team_a = await Team.get(name="Team A")
    await team_a.leaders.add(await User.get(id=int(karina_id)))
    with clock.frozen() as frozen:
        frozen.advance(timedelta(days=3))
        await scheduler.run_due()
    lena = await signed_in("lena@example.com")
    assert {"DUE_MISSED"} <= {n["kind"] for n in (await lena.data(NOTIFICATIONS))["notifications"] if n["workItemRef"] == "T-1002"}
    told = {n["workItemRef"] for n in (await karina.data(NOTIFICATIONS))["notifications"]}
    assert told and all(ref in PL_REFS for ref in told), told  # her own PL work only
