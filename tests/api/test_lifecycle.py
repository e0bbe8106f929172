"""SPEC §2.2 rules 2–10 and 15 for tickets, through GraphQL (cases and actions: test_cases.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from models.email import Email
from models.event import EventRecord
from models.enums import EmailStatus, Role, TimelineKind
from models.notification import Notification
from models.org import Department, Team, User, UserGroup
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import api_keys, auth, clock, scheduler
from server.domain.organisation import sessions
from server.domain.tokens import TokenSigner
from tests.support.client import HttpClient
from tests.support.footprint import footprint

ITEM = """query($ref: String!) { workItem(ref: $ref) {
  ref status waitType resolutionMethod version hasNewInfo humanOnly dueAt overdue dueMissed
  waitUntil daysToWait closeIfNoResponse feedbackUntil assignee { email } mergedInto { ref } origin { ref }
  slaPause { remainingMinutes beforeDue label }
} }"""
CHANGE = "workItem { ref status waitType resolutionMethod version assignee { email } feedbackUntil } notices created { ref status type origin { ref } }"
START = f"mutation($ref: String!, $v: Int) {{ startWork(ref: $ref, version: $v) {{ {CHANGE} }} }}"
RETURN = f"mutation($ref: String!) {{ returnToQueue(ref: $ref) {{ {CHANGE} }} }}"
ASSIGN = f"mutation($ref: String!, $user: ID) {{ assignWorkItem(ref: $ref, userId: $user) {{ {CHANGE} }} }}"
WAIT = f"mutation($ref: String!, $input: WaitInput!, $v: Int) {{ waitWorkItem(ref: $ref, input: $input, version: $v) {{ {CHANGE} }} }}"
RESOLVE = f"mutation($ref: String!, $input: ResolveInput!) {{ resolveWorkItem(ref: $ref, input: $input) {{ {CHANGE} }} }}"
REOPEN = f"mutation($ref: String!) {{ reopenWorkItem(ref: $ref) {{ {CHANGE} }} }}"
NOTE = "mutation($ref: String!, $input: NoteInput!) { addNote(ref: $ref, input: $input) { workItem { status assignee { email } } entry { id kind body isResolution actor { kind name } } } }"
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { status version assignee { email } } }"
NEXT = "mutation { getNextWork { ref status priority dueAt assignee { email } } }"
MERGE = f"mutation($ref: String!, $into: String!) {{ mergeTicket(ref: $ref, into: $into) {{ {CHANGE} }} }}"
SPLIT = f"mutation($ref: String!, $parts: [SplitPartInput!]!) {{ splitTicket(ref: $ref, parts: $parts) {{ {CHANGE} }} }}"
CONVERT = f"mutation($ref: String!) {{ convertTicketToCase(ref: $ref, input: {{title: \"Investigate\"}}) {{ {CHANGE} }} }}"


async def _item(client: HttpClient, ref: str) -> dict:
    return (await client.data(ITEM, {"ref": ref}))["workItem"]


async def _user_id(email: str) -> str:
    return str((await User.get(email=email)).id)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
async def jane(signed_in) -> HttpClient:
    return await signed_in("jane@example.com")


# ------------------------------------------------------------------------------ rule 2: taking work


async def test_updating_a_to_do_item_takes_it(jane):
    result = (await jane.data(UPDATE, {"ref": "T-1002", "input": {"title": "Missing invoice INV-2231 (Feb)"}}))["updateWorkItem"]
    assert result["status"] == "IN_PROGRESS" and result["assignee"] == {"email": "jane@example.com"}


async def test_a_note_on_a_to_do_item_takes_it(signed_in):
    lena = await signed_in("lena@example.com")
    result = (await lena.data(NOTE, {"ref": "T-1002", "input": {"body": "Chasing the supplier"}}))["addNote"]
    assert result["workItem"] == {"status": "IN_PROGRESS", "assignee": {"email": "lena@example.com"}}
    assert result["entry"]["kind"] == "NOTE" and result["entry"]["actor"] == {"kind": "USER", "name": "Lena Fischer"}


async def test_start_work_and_undo_the_pick_up(jane):
    started = (await jane.data(START, {"ref": "T-1002"}))["startWork"]["workItem"]
    assert started["status"] == "IN_PROGRESS" and started["assignee"] == {"email": "jane@example.com"}
    back = (await jane.data(RETURN, {"ref": "T-1002"}))["returnToQueue"]["workItem"]
    assert back["status"] == "TO_DO" and back["assignee"] is None
    entries = await TimelineEntry.filter(work_item__ref="T-1002", kind=TimelineKind.STATUS_CHANGED).order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in entries] == [("TO_DO", "IN_PROGRESS"), ("IN_PROGRESS", "TO_DO")]


async def test_only_the_assignee_or_a_team_leader_returns_in_progress_work(jane, signed_in):
    lena = await signed_in("lena@example.com")
    karina = await signed_in("karina@example.com")
    before = await footprint()
    # lena's IN_PROGRESS case is not jane's to hand back
    error = await jane.error(RETURN, {"ref": "C-1001"})
    assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["field"] == "ref"
    assert "C-1001" in error["message"]
    # only IN_PROGRESS work goes back: not a WAITING ticket, not one already TO_DO
    for ref, status in (("T-1004", "WAITING"), ("T-1002", "TO_DO")):
        error = await jane.error(RETURN, {"ref": ref})
        assert error["extensions"] == {"code": "INVALID_TRANSITION", "field": "ref", "from": status, "to": "TO_DO"}, ref
    assert await footprint() == before
    assert (await _item(jane, "T-1004"))["status"] == "WAITING"
    # karina leads no team of UK's: jane's T-1003 is not hers to return either (she cannot see it at all)
    assert (await karina.error(RETURN, {"ref": "T-1003"}))["extensions"]["code"] == "NOT_FOUND"
    # lena leads Team A, whose queue holds jane's T-1003
    back = (await lena.data(RETURN, {"ref": "T-1003"}))["returnToQueue"]["workItem"]
    assert back["status"] == "TO_DO" and back["assignee"] is None
    # and the assignee returns her own
    await jane.data(START, {"ref": "T-1002"})
    assert (await jane.data(RETURN, {"ref": "T-1002"}))["returnToQueue"]["workItem"]["status"] == "TO_DO"


async def test_assigning_follows_the_return_to_queue_rule(jane, signed_in):
    """Unassigning is handing back: the same rule as returnToQueue. Someone else's work in progress
    is not jane's to send to the queue, to hand to someone else or to take herself."""
    lena = await signed_in("lena@example.com")
    [ticket] = await _fresh_tickets(lena, 1)
    await lena.data(START, {"ref": ticket})
    jane_id, karina_id = await _user_id("jane@example.com"), await _user_id("karina@example.com")
    before = await footprint()
    for ref, user in (("C-1001", None), (ticket, None), (ticket, karina_id), (ticket, jane_id), ("C-1001", jane_id)):
        error = await jane.error(ASSIGN, {"ref": ref, "user": user})
        assert error["extensions"] == {"code": "FORBIDDEN", "field": "ref"}, (ref, user, error)
        assert ref in error["message"]
    for ref in ("C-1001", ticket):  # nor may she take it with startWork
        assert (await jane.error(START, {"ref": ref}))["extensions"] == {"code": "FORBIDDEN", "field": "ref"}
    # only work in progress goes back to the queue: not a WAITING ticket (jane's own), not a queued one
    for ref, status in (("T-1004", "WAITING"), ("T-1002", "TO_DO")):
        error = await jane.error(ASSIGN, {"ref": ref, "user": None})
        assert error["extensions"] == {"code": "INVALID_TRANSITION", "field": "ref", "from": status, "to": "TO_DO"}, ref
        assert error["extensions"] == (await jane.error(RETURN, {"ref": ref}))["extensions"]
    assert await footprint() == before
    for ref in ("C-1001", ticket):
        assert (await _item(lena, ref))["status"] == "IN_PROGRESS" and (await _item(lena, ref))["assignee"] == {"email": "lena@example.com"}
    assert (await _item(jane, "T-1004"))["status"] == "WAITING"
    # a queued item is anyone's to assign; the holder hands on her own; the team's leader anyone's
    queued = (await jane.data(ASSIGN, {"ref": "T-1002", "user": karina_id}))["assignWorkItem"]["workItem"]
    assert queued["status"] == "TO_DO" and queued["assignee"] == {"email": "karina@example.com"}
    released = (await jane.data(ASSIGN, {"ref": "T-1002", "user": None}))["assignWorkItem"]["workItem"]
    assert released["status"] == "TO_DO" and released["assignee"] is None
    handed = (await lena.data(ASSIGN, {"ref": ticket, "user": jane_id}))["assignWorkItem"]["workItem"]
    assert handed["status"] == "TO_DO" and handed["assignee"] == {"email": "jane@example.com"}
    await jane.data(START, {"ref": ticket})
    back = (await lena.data(ASSIGN, {"ref": ticket, "user": None}))["assignWorkItem"]["workItem"]
    assert back["status"] == "TO_DO" and back["assignee"] is None


async def test_api_keys_and_portal_contacts_do_not_take_work(signed_in, client: HttpClient):
    uk = await Department.get(name="UK Operations")
    key = (await api_keys.create_api_key("ERP", [uk.id], can_write=True, created_by=None)).token
    result = await client.data(UPDATE, {"ref": "T-1002", "input": {"title": "From the ERP"}}, token=key)
    assert result["updateWorkItem"]["status"] == "TO_DO" and result["updateWorkItem"]["assignee"] is None
    assert (await client.error(START, {"ref": "T-1002"}, token=key))["extensions"]["code"] == "FORBIDDEN"


# ----------------------------------------------------------------------- rule 3: unassign, reassign


async def test_reassigning_or_unassigning_sets_to_do(jane, signed_in):
    lena_id = await _user_id("lena@example.com")
    reassigned = (await jane.data(ASSIGN, {"ref": "T-1003", "user": lena_id}))["assignWorkItem"]["workItem"]
    assert reassigned["status"] == "TO_DO" and reassigned["assignee"] == {"email": "lena@example.com"}
    assert await Notification.filter(user_id=int(lena_id), kind="ASSIGNED", work_item__ref="T-1003").count() == 1
    unassigned = (await jane.data(ASSIGN, {"ref": "T-1003", "user": None}))["assignWorkItem"]["workItem"]
    assert unassigned["status"] == "TO_DO" and unassigned["assignee"] is None
    mine = (await jane.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("jane@example.com")}))["assignWorkItem"]["workItem"]
    assert mine["status"] == "IN_PROGRESS" and mine["assignee"] == {"email": "jane@example.com"}
    # a waiting item reassigned stops waiting
    waiting = (await jane.data(ASSIGN, {"ref": "T-1004", "user": lena_id}))["assignWorkItem"]["workItem"]
    assert waiting["status"] == "TO_DO" and waiting["waitType"] is None


async def test_assignees_only_from_department_staff(jane):
    await Department.filter(name="UK Operations").update(assignees_only_from_staff=True)
    before = await footprint()
    error = await jane.error(ASSIGN, {"ref": "T-1003", "user": await _user_id("karina@example.com")})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "userId"
    assert await footprint() == before


async def _robot(team: str = "Team A", group: str = "UK staff") -> User:
    robot = await User.create(email="robot@example.com", name="Invoice robot", role=Role.ROBOT)
    await (await UserGroup.get(name=group)).members.add(robot)
    await (await Team.get(name=team)).members.add(robot)
    return robot


async def _robot_client(client: HttpClient, settings, robot: User) -> HttpClient:
    """A robot signs in with a token an admin issued it (robots have no password)."""
    issued = await sessions.start(TokenSigner(settings.secret_key, settings.token_ttl_seconds), "user", robot.id)
    return HttpClient(client.base_url, issued.token)


async def test_a_robot_rejecting_work_leaves_it_for_a_person(jane, client: HttpClient, settings):
    robot = await _robot_client(client, settings, await _robot())
    taken = (await robot.data(NEXT))["getNextWork"]
    assert taken["ref"] == "T-1002" and taken["assignee"] == {"email": "robot@example.com"}
    assert (await jane.error(RETURN.replace("returnToQueue", "rejectWork"), {"ref": "T-1002"}))["extensions"]["code"] == "FORBIDDEN"
    rejected = (await robot.data(RETURN.replace("returnToQueue", "rejectWork"), {"ref": "T-1002"}))["rejectWork"]["workItem"]
    assert rejected["status"] == "TO_DO" and rejected["assignee"] is None
    assert (await _item(jane, "T-1002"))["humanOnly"] is True
    # the robot is not offered it again (the case's actions are the only other TO_DO work there)
    again = (await robot.data(NEXT))["getNextWork"]
    assert again is None or again["ref"] != "T-1002"
    assert (await jane.data(NEXT))["getNextWork"]["ref"] in {"T-1002", "A-1001", "A-1002"}
    await robot.aclose()


# ---------------------------------------------------------------------------------- rule 4: waiting


async def test_waits_need_a_wait_type_fit_for_the_item(jane):
    before = await footprint()
    for input_value, field in [
        ({"waitType": "PAUSE"}, "waitType"),
        ({"waitType": "SPLIT"}, "waitType"),
        ({"waitType": "FOLLOW_UP"}, "until"),
        ({"waitType": "FOLLOW_UP", "until": _iso(clock.now() - timedelta(hours=1))}, "until"),
        ({"waitType": "MORE_INFO", "closeIfNoResponse": True}, "daysToWait"),
        ({"waitType": "MORE_INFO", "daysToWait": 0}, "daysToWait"),
    ]:
        error = await jane.error(WAIT, {"ref": "T-1003", "input": input_value})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == field, input_value
    missing = await jane.error("mutation { waitWorkItem(ref: \"T-1003\", input: {}) { notices } }")
    assert missing["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "waitType" in missing["message"]
    assert await footprint() == before


async def test_choosing_the_wait_again_ends_it(jane):
    until = clock.now() + timedelta(days=2)
    waiting = (await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "FOLLOW_UP", "until": _iso(until)}}))["waitWorkItem"]
    assert waiting["workItem"]["status"] == "WAITING" and waiting["workItem"]["waitType"] == "FOLLOW_UP"
    ended = (await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "FOLLOW_UP", "until": _iso(until)}}))["waitWorkItem"]
    assert ended["workItem"]["status"] == "IN_PROGRESS" and ended["workItem"]["waitType"] is None
    assert ended["workItem"]["assignee"] == {"email": "jane@example.com"}


async def test_follow_up_brings_the_item_back_highlighted(jane):
    with clock.frozen() as frozen:
        until = frozen.current + timedelta(hours=5)
        await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "FOLLOW_UP", "until": _iso(until)}})
        frozen.advance(timedelta(hours=5, seconds=1))
        report = await scheduler.run_due()
        item = await _item(jane, "T-1003")
    assert report.back_from_waiting == 1
    assert item["status"] == "IN_PROGRESS" and item["assignee"] == {"email": "jane@example.com"} and item["hasNewInfo"]


async def test_days_to_wait_with_close_if_no_response(jane):
    with clock.frozen() as frozen:
        await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "MORE_INFO", "daysToWait": 2, "closeIfNoResponse": True}})
        frozen.advance(timedelta(days=2, minutes=1))
        await scheduler.run_due()
        item = await _item(jane, "T-1003")
    assert item["status"] == "CLOSED" and item["resolutionMethod"] == "NO_CUSTOMER_RESPONSE" and item["feedbackUntil"] is None


# ------------------------------------------------------------------------------ rule 5: the SLA clock


async def test_waiting_stops_the_clock_and_the_due_date_moves_on(jane):
    with clock.frozen() as frozen:
        due = datetime.fromisoformat((await _item(jane, "T-1003"))["dueAt"])
        frozen.current = due - timedelta(hours=3, minutes=20)
        await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "MORE_INFO"}})
        frozen.advance(timedelta(hours=10))
        paused = await _item(jane, "T-1003")
        assert paused["slaPause"] == {"remainingMinutes": 200, "beforeDue": True, "label": "paused 3 h 20 m before due"}
        assert paused["overdue"] is False
        await scheduler.run_due()  # not missed: the clock stands still
        assert (await _item(jane, "T-1003"))["dueMissed"] is False
        await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "MORE_INFO"}})
        resumed = await _item(jane, "T-1003")
        assert datetime.fromisoformat(resumed["dueAt"]) == due + timedelta(hours=10)
        assert resumed["slaPause"] is None
        frozen.current = due + timedelta(hours=10, seconds=1)
        assert (await _item(jane, "T-1003"))["overdue"] is True
        for _ in range(3):
            await scheduler.run_due()
    assert (await _item(jane, "T-1003"))["dueMissed"] is True
    assert await TimelineEntry.filter(work_item__ref="T-1003", kind=TimelineKind.DUE_MISSED).count() == 1
    assert await Notification.filter(work_item__ref="T-1003", kind="DUE_MISSED").count() == 1


async def test_paused_after_due_shows_after(jane):
    with clock.frozen() as frozen:
        due = datetime.fromisoformat((await _item(jane, "T-1003"))["dueAt"])
        frozen.current = due + timedelta(minutes=90)
        await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "MORE_INFO"}})
        item = await _item(jane, "T-1003")
    assert item["slaPause"] == {"remainingMinutes": -90, "beforeDue": False, "label": "paused 1 h 30 m after due"}
    assert item["overdue"] is True


# --------------------------------------------------------------------- rules 6 and 7: resolve, window


async def test_resolution_note_or_email_is_required_where_configured(jane):
    await Department.filter(name="UK Operations").update(resolution_note_required=True)
    before = await footprint()
    error = await jane.error(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "note"
    assert await footprint() == before
    # a note just added counts and is marked as the resolution
    await jane.data(NOTE, {"ref": "T-1003", "input": {"body": "Tax code corrected to 1257L."}})
    resolved = (await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE"}}))["resolveWorkItem"]
    assert resolved["workItem"]["status"] == "RESOLVED"
    note = await TimelineEntry.get(work_item__ref="T-1003", kind=TimelineKind.NOTE)
    assert note.is_resolution
    # an internal resolution note given with the resolve
    done = await jane.data(RESOLVE, {"ref": "T-1002", "input": {"method": "REJECTED", "note": "Not ours: supplier issue."}})
    assert done["resolveWorkItem"]["workItem"]["status"] == "RESOLVED"
    assert (await TimelineEntry.get(work_item__ref="T-1002", kind=TimelineKind.NOTE)).is_resolution


async def test_send_and_resolve_queues_the_resolution_email(jane):
    email = {"to": ["bob@client.example"], "subject": "Your tax code", "body": "It is 1257L again."}
    resolved = (await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE", "email": email}}))
    assert resolved["resolveWorkItem"]["workItem"]["status"] == "RESOLVED"
    queued = await Email.get(work_item__ref="T-1003")
    assert queued.status is EmailStatus.QUEUED and queued.to_addresses == ["bob@client.example"] and not queued.system_generated
    entry = await TimelineEntry.get(work_item__ref="T-1003", kind=TimelineKind.EMAIL_OUT)
    assert entry.is_resolution and entry.email_id == queued.id
    bad = await jane.error(RESOLVE, {"ref": "T-1002", "input": {"method": "REJECTED", "email": {**email, "to": ["nope"]}}})
    assert bad["extensions"]["code"] == "VALIDATION" and bad["extensions"]["field"] == "to"


async def test_feedback_window_reopen_and_close(jane):
    with clock.frozen() as frozen:
        resolved = (await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE"}}))["resolveWorkItem"]
        assert resolved["workItem"]["status"] == "RESOLVED"
        assert datetime.fromisoformat(resolved["workItem"]["feedbackUntil"]) == frozen.current + timedelta(hours=48)
        reopened = (await jane.data(REOPEN, {"ref": "T-1003"}))["reopenWorkItem"]["workItem"]
        assert reopened["status"] == "IN_PROGRESS" and reopened["assignee"] == {"email": "jane@example.com"}
        assert reopened["resolutionMethod"] is None
        await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE"}})
        frozen.advance(timedelta(hours=47))
        await scheduler.run_due()
        assert (await _item(jane, "T-1003"))["status"] == "RESOLVED"
        frozen.advance(timedelta(hours=1, seconds=1))
        assert (await scheduler.run_due()).feedback_closed >= 1  # the demo's resolved tickets close too
        assert (await _item(jane, "T-1003"))["status"] == "CLOSED"
        error = await jane.error(REOPEN, {"ref": "T-1003"})
    assert error["extensions"]["code"] == "INVALID_TRANSITION" and error["extensions"]["from"] == "CLOSED"


async def test_without_a_feedback_window_resolving_closes_at_once(jane):
    await Department.filter(name="UK Operations").update(feedback_window_hours=None)
    item = (await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "REJECTED"}}))["resolveWorkItem"]["workItem"]
    assert item["status"] == "CLOSED" and item["resolutionMethod"] == "REJECTED"


async def test_spam_closes_and_methods_are_checked(jane):
    assert (await jane.data(RESOLVE, {"ref": "T-1002", "input": {"method": "REJECTED_SPAM"}}))["resolveWorkItem"]["workItem"]["status"] == "CLOSED"
    for method in ("MERGED", "COMPLETE", "REJECTED_UNKNOWN_ADDRESS"):
        error = await jane.error(RESOLVE, {"ref": "T-1003", "input": {"method": method}})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "method", method


async def test_a_draft_may_be_resolved_at_first_contact(jane):
    await jane.data(UPDATE, {"ref": "T-1001", "input": {"description": "New IBAN attached."}})
    item = (await jane.data(RESOLVE, {"ref": "T-1001", "input": {"method": "WITH_CUSTOMER_RESPONSE"}}))["resolveWorkItem"]["workItem"]
    assert item["status"] == "RESOLVED"
    stored = await WorkItem.get(ref="T-1001")
    assert stored.submitted_at is not None and stored.due_at is not None


# ---------------------------------------------------------------------- rules 8–10: merge, split, convert


async def test_merge_a_ticket_into_another(jane):
    merged = (await jane.data(MERGE, {"ref": "T-1002", "into": "T-1003"}))["mergeTicket"]["workItem"]
    assert merged["status"] == "CLOSED" and merged["resolutionMethod"] == "MERGED"
    source = await _item(jane, "T-1002")
    assert source["mergedInto"] == {"ref": "T-1003"}
    notice = await Email.get(work_item__ref="T-1002")
    assert notice.system_generated and notice.status is EmailStatus.QUEUED and notice.to_addresses == ["bob@client.example"]
    assert (await _item(jane, "T-1003"))["hasNewInfo"] is True
    kinds = await TimelineEntry.filter(work_item__ref="T-1003", kind=TimelineKind.MERGED).values_list("data", flat=True)
    assert kinds == [{"from": "T-1002", "role": "target"}]


async def test_merge_refusals(jane):
    before = await footprint()
    for variables, field in [
        ({"ref": "T-1002", "into": "T-1002"}, "into"),
        ({"ref": "T-1002", "into": "T-1006"}, "into"),
        ({"ref": "T-1002", "into": "T-1007"}, "into"),
        ({"ref": "C-1001", "into": "T-1002"}, "ref"),
    ]:
        error = await jane.error(MERGE, variables)
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == field, variables
    assert (await jane.error(MERGE, {"ref": "T-1006", "into": "T-1002"}))["extensions"]["code"] == "INVALID_TRANSITION"
    assert await footprint() == before


async def test_split_waits_until_every_part_is_resolved(jane):
    parts = [{"title": "Refund February"}, {"title": "Refund March", "description": "Second refund."}]
    change = (await jane.data(SPLIT, {"ref": "T-1003", "parts": parts}))["splitTicket"]
    assert change["workItem"]["status"] == "WAITING" and change["workItem"]["waitType"] == "SPLIT"
    refs = [p["ref"] for p in change["created"]]
    assert [p["status"] for p in change["created"]] == ["TO_DO", "TO_DO"]
    assert all(p["origin"] == {"ref": "T-1003"} for p in change["created"])
    assert await Email.filter(work_item__ref="T-1003", system_generated=True).count() == 1
    await jane.data(RESOLVE, {"ref": refs[0], "input": {"method": "WITH_CUSTOMER_RESPONSE"}})
    assert (await _item(jane, "T-1003"))["status"] == "WAITING"
    await jane.data(RESOLVE, {"ref": refs[1], "input": {"method": "WITH_CUSTOMER_RESPONSE"}})
    assert (await _item(jane, "T-1003"))["status"] == "RESOLVED"
    error = await jane.error(SPLIT, {"ref": "T-1002", "parts": [{"title": "only one"}]})
    assert error["extensions"]["field"] == "parts"


async def test_convert_to_case_and_resolve_when_the_case_completes(jane, signed_in):
    change = (await jane.data(CONVERT, {"ref": "T-1003"}))["convertTicketToCase"]
    assert change["workItem"]["status"] == "WAITING" and change["workItem"]["waitType"] == "CASE_STARTED"
    case = change["created"][0]
    assert case["type"] == "CASE" and case["status"] == "TO_DO" and case["origin"] == {"ref": "T-1003"}
    await jane.data(RESOLVE, {"ref": case["ref"], "input": {"method": "COMPLETE"}})
    assert (await _item(jane, "T-1003"))["status"] == "RESOLVED"


async def test_abandoning_the_started_case_returns_the_ticket(jane):
    case = (await jane.data(CONVERT, {"ref": "T-1003"}))["convertTicketToCase"]["created"][0]
    await jane.data(RESOLVE, {"ref": case["ref"], "input": {"method": "ABANDONED"}})
    ticket = await _item(jane, "T-1003")
    assert ticket["status"] == "IN_PROGRESS" and ticket["hasNewInfo"] and ticket["assignee"] == {"email": "jane@example.com"}


# -------------------------------------------------------------------------------- rule 15: next work


async def _fresh_tickets(client: HttpClient, count: int, **fields) -> list[str]:
    from tests.api.test_work_items import _ids

    ids = await _ids()
    refs = []
    for i in range(count):
        draft = await client.data(
            "mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ref } }",
            {"i": {"title": f"Work {i}", "description": "d", "categoryId": ids["payroll"], "primaryContactId": ids["bob"],
                   "requesterId": ids["bob"], **fields}},
        )
        ref = draft["createWorkItem"]["ref"]
        await client.data("mutation($r: String!) { submitWorkItem(ref: $r) { ref } }", {"r": ref})
        refs.append(ref)
    return refs


async def test_next_work_is_the_most_urgent_in_my_queues(jane, signed_in):
    # only the items made here compete in UK Operations
    await WorkItem.filter(status="TO_DO", department__name="UK Operations").update(status="CLOSED")
    low_soon = (await _fresh_tickets(jane, 1, slaHours=2, priority="LOW"))[0]
    urgent_later = (await _fresh_tickets(jane, 1, slaHours=8, priority="URGENT"))[0]
    high_later = (await _fresh_tickets(jane, 1, slaHours=8, priority="HIGH"))[0]
    same_as_high = (await _fresh_tickets(jane, 1, slaHours=8, priority="HIGH"))[0]
    await WorkItem.filter(ref=same_as_high).update(due_at=(await WorkItem.get(ref=high_later)).due_at)
    await WorkItem.filter(ref=urgent_later).update(due_at=(await WorkItem.get(ref=high_later)).due_at)
    order = [(await jane.data(NEXT))["getNextWork"]["ref"] for _ in range(4)]
    assert order == [low_soon, urgent_later, high_later, same_as_high]  # due, then priority, then age
    assert (await jane.data(NEXT))["getNextWork"] is None
    karina = await signed_in("karina@example.com")
    assert (await karina.data(NEXT))["getNextWork"]["ref"] == "T-1007"  # Team B's queue only


async def test_concurrent_next_work_never_hands_out_an_item_twice(jane, client: HttpClient):
    await WorkItem.filter(status="TO_DO").update(status="CLOSED")
    refs = await _fresh_tickets(jane, 20)
    agents = []
    for i in range(20):
        user = await User.create(email=f"agent{i}@example.com", name=f"Agent {i}", password_hash=auth.hash_password("demo"))
        await (await UserGroup.get(name="UK staff")).members.add(user)
        await (await Team.get(name="Team A")).members.add(user)
        agents.append(await client.as_user(user.email))
    results = await asyncio.gather(*(agent.data(NEXT) for agent in agents))
    taken = [r["getNextWork"]["ref"] for r in results]
    assert sorted(taken) == sorted(refs)
    holders = {r["getNextWork"]["ref"]: r["getNextWork"]["assignee"]["email"] for r in results}
    assert len(set(holders.values())) == 20
    for agent in agents:
        await agent.aclose()


# ---------------------------------------------------------------------------- cross-cutting rules


async def test_lifecycle_mutations_check_the_version(jane):
    version = (await _item(jane, "T-1002"))["version"]
    await jane.data(UPDATE, {"ref": "T-1002", "input": {"title": "changed"}})
    before = await footprint()
    error = await jane.error(START, {"ref": "T-1002", "v": version})
    assert error["extensions"]["code"] == "CONFLICT" and error["extensions"]["currentVersion"] > version
    error = await jane.error(WAIT, {"ref": "T-1002", "input": {"waitType": "MORE_INFO"}, "v": version})
    assert error["extensions"]["code"] == "CONFLICT"
    assert await footprint() == before


async def test_client_view_in_a_public_department_allows_replies_and_fields_only(signed_in):
    pl = await Department.get(name="PL Operations")
    await Department.filter(id=pl.id).update(client_view_in_public=True)
    await (await UserGroup.get(name="UK staff")).public_departments.add(pl)
    jane = await signed_in("jane@example.com")
    created = await jane.data("mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ref } }",
                              {"i": {"type": "CASE", "title": "Move my invoice", "departmentId": str(pl.id)}})
    ref = created["createWorkItem"]["ref"]
    karina = await signed_in("karina@example.com")
    await karina.data("mutation($r: String!) { submitWorkItem(ref: $r) { ref } }", {"r": ref})
    before = await footprint()
    for mutation in (START, RETURN):
        assert (await jane.error(mutation, {"ref": ref}))["extensions"]["code"] == "FORBIDDEN"
    assert (await jane.error(ASSIGN, {"ref": ref, "user": None}))["extensions"]["code"] == "FORBIDDEN"
    assert await footprint() == before
    edited = (await jane.data(UPDATE, {"ref": ref, "input": {"title": "Move my invoice, please"}}))["updateWorkItem"]
    assert edited["status"] == "TO_DO"  # an edit, but no pick-up: that would change its status
    assert (await jane.data(NOTE, {"ref": ref, "input": {"body": "Any news?"}}))["addNote"]["entry"]["kind"] == "NOTE"


async def test_notifications_list_and_mark_read(jane, signed_in):
    lena = await signed_in("lena@example.com")
    await jane.data(NOTE, {"ref": "T-1003", "input": {"body": "@Lena please check", "mentionUserIds": [await _user_id("lena@example.com")]}})
    await jane.data(ASSIGN, {"ref": "T-1003", "user": await _user_id("lena@example.com")})
    listed = (await lena.data("{ notifications { kind text read workItemRef } unreadNotificationCount }"))
    assert [n["kind"] for n in listed["notifications"]] == ["ASSIGNED", "MENTION"]
    assert listed["unreadNotificationCount"] == 2 and all(n["workItemRef"] == "T-1003" for n in listed["notifications"])
    lena_id = int(await _user_id("lena@example.com"))
    events = await EventRecord.filter(type="notification.created").values_list("payload", flat=True)
    assert sorted(e["kind"] for e in events if e["user_id"] == lena_id) == ["ASSIGNED", "MENTION"]
    assert (await lena.data("mutation { markNotificationsRead }"))["markNotificationsRead"] == 2
    assert (await lena.data("{ unreadNotificationCount }"))["unreadNotificationCount"] == 0
    # mentioning someone who may not see the item notifies nobody
    await jane.data(NOTE, {"ref": "T-1003", "input": {"body": "fyi", "mentionUserIds": [await _user_id("karina@example.com")]}})
    assert await Notification.filter(user__email="karina@example.com").count() == 0


async def test_mark_read_and_new(jane):
    assert (await jane.data('mutation { markWorkItemNew(ref: "T-1003") { workItem { hasNewInfo } } }'))["markWorkItemNew"]["workItem"]["hasNewInfo"]
    assert not (await jane.data('mutation { markWorkItemRead(ref: "T-1003") { workItem { hasNewInfo } } }'))["markWorkItemRead"]["workItem"]["hasNewInfo"]


async def test_follow_up_times_in_any_offset_are_stored_in_utc(jane):
    from datetime import timezone as tz

    later = (clock.now() + timedelta(hours=2)).astimezone(tz(timedelta(hours=5)))
    await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "FOLLOW_UP", "until": later.isoformat()}})
    stored = (await WorkItem.get(ref="T-1003")).wait_until
    assert stored == later and stored.utcoffset() == timedelta(0)
    # and the scheduler finds it at the right moment, not hours off
    with clock.frozen(later + timedelta(seconds=1)):
        assert (await scheduler.run_due()).back_from_waiting == 1
