"""Work lists (SPEC §2.2 rule 4: inbox and owned work; queue and team contents) and the grid's
filters and sorting (SPEC §8), with keyset pagination that stays correct for any order."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from models.contact import Contact
from models.enums import Priority
from models.org import Category, Department, Queue, Team, User
from models.work_item import WorkItem
from server.schema import build_schema
from tests.support.client import HttpClient
from tests.support.queries import recorded_queries

NODE = "ref type status priority title dueAt waitUntil createdAt updatedAt overdue"
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref } }"
SUBMIT = "mutation($ref: String!) { submitWorkItem(ref: $ref) { ref dueAt } }"
START = "mutation($ref: String!) { startWork(ref: $ref) { workItem { ref status } } }"
WAIT = "mutation($ref: String!, $input: WaitInput!) { waitWorkItem(ref: $ref, input: $input) { workItem { ref status } } }"
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref status } } }"
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref } }"

STATUS_ORDER = ["DRAFT", "TO_DO", "IN_PROGRESS", "WAITING", "RESOLVED", "CLOSED"]
TYPE_ORDER = ["TICKET", "CASE", "ACTION"]
SORT_FIELDS = ["DUE_AT", "PRIORITY", "CREATED_AT", "UPDATED_AT", "STATUS", "TYPE", "REF", "TITLE", "WAIT_UNTIL"]
ALL_STATUSES = STATUS_ORDER
TEAM_A_OPEN = {"T-1002", "T-1003", "T-1004", "C-1001", "A-1001", "A-1002"}


def list_query(field: str, scope: str | None = None, *, ordered: bool = True) -> str:
    """A query of one list; `scope` is its id argument (queueId, teamId), bound to $scope."""
    variables = (", $scope: ID!" if scope else "") + (", $orderBy: [WorkItemOrder!]" if ordered else "")
    arguments = (f"{scope}: $scope, " if scope else "") + ("orderBy: $orderBy, " if ordered else "")
    return f"""query($filter: WorkItemFilter, $first: Int! = 100, $after: String{variables}) {{
  {field}({arguments}filter: $filter, first: $first, after: $after) {{
    edges {{ cursor node {{ {NODE} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


def _work_items_takes_order_by() -> bool:
    query_type = build_schema().get_type_by_name("Query")
    return any(a.python_name == "order_by" for f in query_type.fields if f.name == "work_items" for a in f.arguments)


INBOX = list_query("inbox")
OWNED = list_query("ownedWork")
QUEUE = list_query("queueItems", "queueId")
TEAM = list_query("teamItems", "teamId")
ALL = list_query("workItems", ordered=_work_items_takes_order_by())
FIELD = {INBOX: "inbox", OWNED: "ownedWork", QUEUE: "queueItems", TEAM: "teamItems", ALL: "workItems"}


async def nodes(client: HttpClient, query: str, **variables: Any) -> list[dict[str, Any]]:
    connection = (await client.data(query, variables))[FIELD[query]]
    return [e["node"] for e in connection["edges"]]


async def refs(client: HttpClient, query: str, **variables: Any) -> list[str]:
    return [n["ref"] for n in await nodes(client, query, **variables)]


async def paged_refs(client: HttpClient, query: str, first: int, **variables: Any) -> list[str]:
    """Every page of a list, `first` at a time, following endCursor."""
    seen: list[str] = []
    after = None
    while True:
        connection = (await client.data(query, {**variables, "first": first, "after": after}))[FIELD[query]]
        seen += [e["node"]["ref"] for e in connection["edges"]]
        assert len(connection["edges"]) <= first
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        after = connection["pageInfo"]["endCursor"]


async def ids() -> dict[str, str]:
    return {
        "team_a": str((await Team.get(name="Team A")).id),
        "team_b": str((await Team.get(name="Team B")).id),
        "queue_a": str((await Queue.get(name="Team A queue")).id),
        "queue_b": str((await Queue.get(name="Team B queue")).id),
        "jane": str((await User.get(email="jane@example.com")).id),
        "payroll": str((await Category.get(name="Payroll")).id),
        "bob": str((await Contact.get(email="bob@client.example")).id),
    }


async def new_ticket(client: HttpClient, title: str, *, sla_hours: int | None = None, priority: str | None = None) -> str:
    """A submitted ticket (TO_DO in the creator's team queue)."""
    known = await ids()
    fields: dict[str, Any] = {
        "title": title, "description": "Made by a test.", "categoryId": known["payroll"],
        "primaryContactId": known["bob"], "requesterId": known["bob"],
    }
    if sla_hours is not None:
        fields["slaHours"] = sla_hours
    if priority is not None:
        fields["priority"] = priority
    ref = (await client.data(CREATE, {"input": fields}))["createWorkItem"]["ref"]
    await client.data(SUBMIT, {"ref": ref})
    return ref


async def item_ids() -> dict[str, int]:
    return {ref: pk for ref, pk in await WorkItem.all().values_list("ref", "id")}


def sort_value(node: dict[str, Any], field: str, pk: dict[str, int]) -> Any:
    def moment(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return {
        "DUE_AT": lambda: moment(node["dueAt"]),
        "WAIT_UNTIL": lambda: moment(node["waitUntil"]),
        "CREATED_AT": lambda: moment(node["createdAt"]),
        "UPDATED_AT": lambda: moment(node["updatedAt"]),
        "PRIORITY": lambda: Priority[node["priority"]].value,
        "STATUS": lambda: STATUS_ORDER.index(node["status"]),
        "TYPE": lambda: TYPE_ORDER.index(node["type"]),
        "REF": lambda: pk[node["ref"]],
        "TITLE": lambda: None if node["title"] is None else node["title"].lower(),
    }[field]()


def expected_order(found: list[dict[str, Any]], order: list[dict[str, str]], pk: dict[str, int]) -> list[str]:
    """The order the spec promises: each key in turn, nulls last either way, then the item id."""
    rows = sorted(found, key=lambda n: pk[n["ref"]])
    for key in reversed(order):
        field, descending = key["field"], key.get("direction") == "DESC"
        present = [n for n in rows if sort_value(n, field, pk) is not None]
        missing = [n for n in rows if sort_value(n, field, pk) is None]
        rows = sorted(present, key=lambda n: sort_value(n, field, pk), reverse=descending) + missing
    return [n["ref"] for n in rows]


# --- the lists -----------------------------------------------------------------------------------


async def test_inbox_holds_my_to_do_and_in_progress_items_earliest_due_first(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    karina = await signed_in("karina@example.com")
    assert await refs(jane, INBOX) == ["T-1003"]  # T-1004 waits, T-1005/T-1006 are done
    assert await refs(lena, INBOX) == ["C-1001"]
    assert await refs(karina, INBOX) == ["T-1008"]

    later = await new_ticket(jane, "Later", sla_hours=30)
    sooner = await new_ticket(jane, "Sooner", sla_hours=2)
    handed = await new_ticket(lena, "Handed over", sla_hours=5)
    queued = await new_ticket(jane, "Left in the queue", sla_hours=1)
    for ref in (later, sooner):
        await jane.data(START, {"ref": ref})
    # assigned to jane by lena: TO_DO and in jane's inbox
    assert (await lena.data(ASSIGN, {"ref": handed, "user": (await ids())["jane"]}))["assignWorkItem"]["workItem"]["status"] == "TO_DO"

    inbox = await nodes(jane, INBOX)
    assert [n["ref"] for n in inbox] == [sooner, handed, "T-1003", later]
    assert queued not in {n["ref"] for n in inbox}
    assert {n["status"] for n in inbox} == {"TO_DO", "IN_PROGRESS"}
    due = [datetime.fromisoformat(n["dueAt"]) for n in inbox]
    assert due == sorted(due)

    # waiting moves an item from the inbox to owned work
    until = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    await jane.data(WAIT, {"ref": sooner, "input": {"waitType": "FOLLOW_UP", "until": until}})
    assert await refs(jane, INBOX) == [handed, "T-1003", later]
    assert await refs(jane, OWNED) == [sooner, "T-1004"]


async def test_owned_work_holds_every_wait_type_earliest_follow_up_first_then_due(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    assert [(n["ref"], n["status"]) for n in await nodes(jane, OWNED)] == [("T-1004", "WAITING")]  # MORE_INFO, 3 days

    now = datetime.now(timezone.utc)
    tomorrow = await new_ticket(jane, "Follow up tomorrow", sla_hours=40)
    open_ended = await new_ticket(jane, "More info, no deadline", sla_hours=3)
    open_ended_later = await new_ticket(jane, "More info, due later", sla_hours=9)
    for ref in (tomorrow, open_ended, open_ended_later):
        await jane.data(START, {"ref": ref})
    await jane.data(WAIT, {"ref": tomorrow, "input": {"waitType": "FOLLOW_UP", "until": (now + timedelta(days=1)).isoformat()}})
    await jane.data(WAIT, {"ref": open_ended_later, "input": {"waitType": "MORE_INFO"}})
    await jane.data(WAIT, {"ref": open_ended, "input": {"waitType": "MORE_INFO"}})
    # lena's paused case is in her owned work, not in jane's
    await lena.data(WAIT, {"ref": "C-1001", "input": {"waitType": "PAUSE"}})

    owned = await nodes(jane, OWNED)
    # the follow-up time first (nulls last), then the due date
    assert [n["ref"] for n in owned] == [tomorrow, "T-1004", open_ended, open_ended_later]
    assert [n["waitUntil"] is None for n in owned] == [False, False, True, True]
    assert await refs(lena, OWNED) == ["C-1001"]
    assert await refs(jane, OWNED, filter={"waitTypes": ["MORE_INFO"]}) == ["T-1004", open_ended, open_ended_later]
    assert await refs(jane, INBOX) == ["T-1003"]


async def test_queue_items_are_to_do_unless_statuses_are_given(signed_in):
    known = await ids()
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    urgent = await new_ticket(jane, "Urgent one", sla_hours=1)
    assert await refs(jane, QUEUE, scope=known["queue_a"]) == [urgent, "T-1002", "A-1001", "A-1002"]
    assert set(await refs(jane, QUEUE, scope=known["queue_a"], filter={"statuses": ["IN_PROGRESS", "WAITING"]})) == {
        "T-1003", "T-1004", "C-1001"
    }
    assert await refs(admin, QUEUE, scope=known["queue_b"]) == ["T-1007"]
    # a queue of a department karina may not see answers like a missing one
    hidden = await karina.error(QUEUE, {"scope": known["queue_a"]})
    assert hidden == {**await karina.error(QUEUE, {"scope": "424242"}), "message": f"No queue {known['queue_a']} exists."}
    for scope, code in (("424242", "NOT_FOUND"), ("abc", "VALIDATION")):
        error = await jane.error(QUEUE, {"scope": scope})
        assert error["extensions"]["code"] == code and error["extensions"]["field"] == "queueId"


async def test_team_items_are_open_items_for_members_and_leaders(signed_in):
    known = await ids()
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    lenas = await nodes(lena, TEAM, scope=known["team_a"])
    assert {n["ref"] for n in lenas} == TEAM_A_OPEN
    due = [datetime.fromisoformat(n["dueAt"]) for n in lenas]
    assert due == sorted(due)
    assert set(await refs(jane, TEAM, scope=known["team_a"])) == TEAM_A_OPEN
    assert set(await refs(lena, TEAM, scope=known["team_a"], filter={"statuses": ["RESOLVED", "CLOSED"]})) == {
        "T-1005", "T-1006"
    }
    assert set(await refs(admin, TEAM, scope=known["team_b"])) == {"T-1007", "T-1008", "T-1009"}
    assert set(await refs(karina, TEAM, scope=known["team_b"])) == {"T-1007", "T-1008", "T-1009"}

    for client, scope in ((karina, known["team_a"]), (jane, known["team_b"]), (jane, "424242")):
        error = await client.error(TEAM, {"scope": scope})
        assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["field"] == "teamId"
    error = await admin.error(TEAM, {"scope": "424242"})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "teamId"}


async def test_only_employees_have_an_inbox_and_owned_work(signed_in, client):
    bob = await client.as_user("bob@client.example")
    try:
        for query in (INBOX, OWNED):
            assert (await bob.error(query))["extensions"]["code"] == "FORBIDDEN"
        # and "assigned to me" means nothing for a contact
        assert await refs(bob, ALL, filter={"assignedToMe": True}) == []
    finally:
        await bob.aclose()


# --- sorting and paging --------------------------------------------------------------------------


async def _varied_team_a(jane: HttpClient) -> None:
    """Team A's items with nulls, ties and several values in every sort column."""
    until = (datetime.now(timezone.utc) + timedelta(hours=7)).isoformat()
    await jane.data(WAIT, {"ref": "T-1003", "input": {"waitType": "FOLLOW_UP", "until": until}})
    await WorkItem.filter(ref="T-1002").update(due_at=None)  # e.g. an item imported without an SLA
    await WorkItem.filter(ref="A-1001").update(title=None)
    await WorkItem.filter(ref="A-1002").update(priority=Priority.URGENT)
    await WorkItem.filter(ref="T-1005").update(priority=Priority.LOW)


async def test_every_sort_field_in_both_directions_with_nulls_last(signed_in):
    known = await ids()
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _varied_team_a(jane)
    pk = await item_ids()
    variables = {"scope": known["team_a"], "filter": {"statuses": ALL_STATUSES}}
    everything = await nodes(lena, TEAM, **variables)
    assert len(everything) == 8
    for field in SORT_FIELDS:
        for direction in ("ASC", "DESC"):
            order = [{"field": field, "direction": direction}]
            expected = expected_order(everything, order, pk)
            found = await nodes(lena, TEAM, **variables, orderBy=order)
            assert [n["ref"] for n in found] == expected, (field, direction)
            assert await paged_refs(lena, TEAM, 2, **variables, orderBy=order) == expected, (field, direction)
    # nulls last both ways
    for direction in ("ASC", "DESC"):
        assert (await refs(lena, TEAM, **variables, orderBy=[{"field": "DUE_AT", "direction": direction}]))[-1] == "T-1002"
        assert (await refs(lena, TEAM, **variables, orderBy=[{"field": "TITLE", "direction": direction}]))[-1] == "A-1001"
    # direction defaults to ascending (explicit null too)
    ascending = await refs(lena, TEAM, **variables, orderBy=[{"field": "PRIORITY", "direction": "ASC"}])
    assert await refs(lena, TEAM, **variables, orderBy=[{"field": "PRIORITY"}]) == ascending
    assert await refs(lena, TEAM, **variables, orderBy=[{"field": "PRIORITY", "direction": None}]) == ascending
    # several keys apply in turn
    order = [{"field": "STATUS"}, {"field": "PRIORITY", "direction": "DESC"}, {"field": "DUE_AT", "direction": "DESC"}]
    assert await refs(lena, TEAM, **variables, orderBy=order) == expected_order(everything, order, pk)


async def test_paging_through_a_sorted_list_returns_every_item_exactly_once(signed_in):
    known = await ids()
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    priorities = ["LOW", "NORMAL", "HIGH", "URGENT"]
    made = []
    for i in range(30):
        ref = await new_ticket(
            jane, f"Batch {chr(ord('a') + i % 7)} item", sla_hours=(i * 37) % 50 + 1, priority=priorities[(i * 3) % 4]
        )
        if i % 3 == 0:
            await jane.data(START, {"ref": ref})
        made.append(ref)
    pk = await item_ids()
    variables = {"scope": known["team_a"], "filter": {"text": "batch"}}
    everything = await nodes(lena, TEAM, **variables)
    assert sorted(n["ref"] for n in everything) == sorted(made)
    orders = [
        [{"field": "PRIORITY", "direction": "DESC"}, {"field": "DUE_AT"}],
        [{"field": "STATUS"}, {"field": "TITLE", "direction": "DESC"}],
        [{"field": "TITLE"}, {"field": "PRIORITY"}],
        [{"field": "DUE_AT", "direction": "DESC"}],
        [{"field": "UPDATED_AT", "direction": "DESC"}],
        [{"field": "REF", "direction": "DESC"}],
        [],
    ]
    for order in orders:
        expected = expected_order(everything, order or [{"field": "DUE_AT"}], pk)
        for first in (4, 7):
            seen = await paged_refs(lena, TEAM, first, **variables, orderBy=order)
            assert seen == expected, order
            assert len(seen) == len(set(seen)) == 30


@pytest.mark.skipif(
    not _work_items_takes_order_by(),
    reason="workItems(orderBy:) needs CoreQuery.work_items in server/schema/__init__.py to pass orderBy through",
)
async def test_work_items_sort_and_keep_newest_first_by_default(signed_in):
    admin = await signed_in("admin@example.com")
    pk = await item_ids()
    everything = await nodes(admin, ALL)
    assert [n["ref"] for n in everything] == sorted(pk, key=pk.get, reverse=True)  # newest first
    for direction in ("ASC", "DESC"):
        order = [{"field": "DUE_AT", "direction": direction}]
        found = await refs(admin, ALL, orderBy=order)
        assert found == expected_order(everything, order, pk)
        assert found[-2:] == ["T-1001", "C-1002"]  # the drafts have no due date: last, oldest first
        assert await paged_refs(admin, ALL, 4, orderBy=order) == found


async def test_cursors_of_another_list_or_order_are_rejected(signed_in):
    known = await ids()
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    by_due = [{"field": "DUE_AT"}]
    page = (await lena.data(TEAM, {"scope": known["team_a"], "first": 2, "orderBy": by_due}))["teamItems"]
    cursor = page["pageInfo"]["endCursor"]
    rejected = [
        (lena, TEAM, {"scope": known["team_a"], "orderBy": [{"field": "DUE_AT", "direction": "DESC"}]}),
        (lena, TEAM, {"scope": known["team_a"], "orderBy": [{"field": "PRIORITY"}]}),
        (admin, TEAM, {"scope": known["team_b"], "orderBy": by_due}),
        (lena, INBOX, {"orderBy": by_due}),
        (lena, QUEUE, {"scope": known["queue_a"], "orderBy": by_due}),
    ]
    for client, query, variables in rejected:
        error = await client.error(query, {**variables, "after": cursor})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "after", (query, variables)

    payload = json.loads(base64.urlsafe_b64decode(cursor))
    forged = [
        "bm90IGEgY3Vyc29y",
        "%%%",
        base64.urlsafe_b64encode(json.dumps({**payload, "v": ["x"] * len(payload["v"])}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({**payload, "v": payload["v"][:-1]}).encode()).decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ]
    for after in forged:
        error = await lena.error(TEAM, {"scope": known["team_a"], "orderBy": by_due, "after": after})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "after", after
    # the same list and order accept it; the default order of team items is the same order
    rest = await refs(lena, TEAM, scope=known["team_a"], orderBy=by_due, after=cursor)
    assert [e["node"]["ref"] for e in page["edges"]] + rest == await refs(lena, TEAM, scope=known["team_a"])
    assert await refs(lena, TEAM, scope=known["team_a"], after=cursor) == rest
    assert await refs(lena, TEAM, scope=known["team_a"], orderBy=[], after=cursor) == rest


async def test_a_cursor_stays_valid_when_its_item_leaves_the_list(signed_in):
    jane = await signed_in("jane@example.com")
    made = [await new_ticket(jane, f"Stale {i}", sla_hours=10 + i) for i in range(5)]
    for ref in made:
        await jane.data(START, {"ref": ref})
    expected = await refs(jane, INBOX)
    page = (await jane.data(INBOX, {"first": 2}))["inbox"]
    assert [e["node"]["ref"] for e in page["edges"]] == expected[:2]
    # the item the cursor points at waits now: it left the inbox, the cursor still marks the place
    until = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    await jane.data(WAIT, {"ref": expected[1], "input": {"waitType": "FOLLOW_UP", "until": until}})
    assert await refs(jane, INBOX, after=page["pageInfo"]["endCursor"]) == expected[2:]


# --- filters -------------------------------------------------------------------------------------


async def test_custom_data_equality_with_json_types(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    odd_key = 'odd "key".$[0] \'x\''
    await admin.data(UPDATE, {"ref": "T-1002", "input": {"customData": {
        "employeeId": "E-77", "hours": 37.5, "urgent": True, "code": "1", odd_key: "yes",
    }}})
    await admin.data(UPDATE, {"ref": "T-1003", "input": {"customData": {"employeeId": "E-78", "hours": 37.5, "code": 1, "urgent": False}}})
    await admin.data(UPDATE, {"ref": "T-1004", "input": {"customData": {"employeeId": "E-77", "hours": 40, "empty": None}}})
    await admin.data(UPDATE, {"ref": "T-1007", "input": {"customData": {"employeeId": "E-77"}}})
    every = set(await refs(admin, ALL))

    async def matching(client: HttpClient, *conditions: tuple[str, Any]) -> set[str]:
        return set(await refs(client, ALL, filter={"customData": [{"key": k, "value": v} for k, v in conditions]}))

    assert await matching(admin, ("employeeId", "E-77")) == {"T-1002", "T-1004", "T-1007"}
    assert await matching(admin, ("employeeId", "E-77"), ("hours", 37.5)) == {"T-1002"}
    assert await matching(admin, ("hours", 37.5)) == {"T-1002", "T-1003"}
    assert await matching(admin, ("hours", 40)) == await matching(admin, ("hours", 40.0)) == {"T-1004"}
    assert await matching(admin, ("code", "1")) == {"T-1002"}
    assert await matching(admin, ("code", 1)) == {"T-1003"}
    assert await matching(admin, ("urgent", True)) == {"T-1002"}
    assert await matching(admin, ("urgent", False)) == {"T-1003"}
    assert await matching(admin, ("urgent", 1)) == set()
    assert await matching(admin, ("employeeId", "e-77")) == set()
    assert await matching(admin, (odd_key, "yes")) == {"T-1002"}
    # null: the key is missing or null
    assert await matching(admin, ("employeeId", None)) == every - {"T-1002", "T-1003", "T-1004", "T-1007"}
    assert await matching(admin, ("empty", None)) == every
    assert await matching(admin, ("hours", None), ("urgent", None)) == every - {"T-1002", "T-1003", "T-1004"}
    # visibility first
    assert await matching(jane, ("employeeId", "E-77")) == {"T-1002", "T-1004"}

    for condition in ({"key": "", "value": 1}, {"key": "k" * 101, "value": 1}, {"key": "a", "value": {"b": 1}},
                      {"key": "a", "value": [1]}, {"key": "a", "value": 2**70}):
        error = await admin.error(ALL, {"filter": {"customData": [condition]}})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "customData", condition


async def test_due_date_priority_wait_type_flag_and_text_filters(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    uk = {"T-1002", "T-1003", "T-1004", "T-1005", "T-1006", "C-1001", "A-1001", "A-1002"}
    pl = {"T-1007", "T-1008", "T-1009", "T-1010", "T-1011"}
    between = datetime.now(timezone.utc) + timedelta(hours=36)  # UK items are due in 24 h, PL ones in 48 h

    async def matching(client: HttpClient = admin, **f: Any) -> set[str]:
        return set(await refs(client, ALL, filter=f))

    assert await matching(dueBefore=between.isoformat()) == uk
    assert await matching(dueAfter=between.isoformat()) == pl
    assert await matching(dueBefore=between.astimezone(timezone(timedelta(hours=-5))).isoformat()) == uk
    assert await matching(dueAfter=between.isoformat(), dueBefore=between.isoformat()) == set()
    assert await matching(jane, dueAfter=between.isoformat()) == set()

    await WorkItem.filter(ref="A-1002").update(priority=Priority.URGENT)
    assert await matching(priorities=["HIGH", "URGENT"]) == {"T-1003", "A-1002"}
    assert await matching(priorities=["LOW"]) == set()
    assert await matching(waitTypes=["MORE_INFO"]) == {"T-1004"}
    assert await matching(waitTypes=["FOLLOW_UP", "MORE_INFO"], statuses=["WAITING"]) == {"T-1004", "T-1009"}

    every = await matching()
    assert await matching(hasNewInfo=True) == {"T-1008"}
    assert await matching(hasNewInfo=False) == every - {"T-1008"}
    await WorkItem.filter(ref="C-1001").update(needs_attention=True, problem="An action could not be completed")
    assert await matching(needsAttention=True) == {"C-1001"}
    assert await matching(needsAttention=False) == every - {"C-1001"}

    titles = dict(await WorkItem.all().values_list("ref", "title"))
    for text in ("payroll", "PAYROLL", " Payroll ", "inv-2231", "%", "_", "ł"):
        expected = {r for r, t in titles.items() if t and text.strip().lower() in t.lower()}
        assert await matching(text=text) == expected, text
    assert await matching(text="inv-2231") == {"T-1002"}
    assert await matching(text="%") == set()
    assert await matching(text="payroll", types=["ACTION"]) == set()
    assert await matching(text="") == every


async def test_overdue_follows_the_sla_clock(signed_in):
    admin = await signed_in("admin@example.com")
    now = datetime.now(timezone.utc)
    an_hour_ago = now - timedelta(hours=1)
    # open and late
    await WorkItem.filter(ref="T-1002").update(due_at=an_hour_ago)
    # waiting since after its due date: the clock stopped late, still overdue
    await WorkItem.filter(ref="T-1004").update(due_at=an_hour_ago, wait_started_at=now - timedelta(minutes=10))
    # waiting since before its due date: the clock stands still in time
    await WorkItem.filter(ref="T-1009").update(due_at=an_hour_ago, wait_started_at=now - timedelta(hours=2))
    # done items are never overdue
    await WorkItem.filter(ref="T-1005").update(due_at=an_hour_ago)

    async def matching(**f: Any) -> set[str]:
        return set(await refs(admin, ALL, filter=f))

    everything = await nodes(admin, ALL)
    every = {n["ref"] for n in everything}
    assert await matching(overdue=True) == {"T-1002", "T-1004"}
    assert await matching(overdue=False) == every - {"T-1002", "T-1004"}
    # the filter agrees with each item's own `overdue`
    assert {n["ref"] for n in everything if n["overdue"]} == {"T-1002", "T-1004"}
    # a department that does not add waiting time to the due date: its waiting items run late
    await Department.filter(name="PL Operations").update(add_waiting_time_to_due=False)
    assert await matching(overdue=True) == {"T-1002", "T-1004", "T-1009"}
    assert {n["ref"] for n in await nodes(admin, ALL) if n["overdue"]} == {"T-1002", "T-1004", "T-1009"}
    assert await matching(overdue=True, statuses=["WAITING"]) == {"T-1004", "T-1009"}


async def test_bad_sort_and_page_input_names_the_field(signed_in):
    lena = await signed_in("lena@example.com")
    error = await lena.error(INBOX, {"orderBy": [{"field": "DUE_AT"}, {"field": "DUE_AT", "direction": "DESC"}]})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "orderBy"
    for first in (0, 101):
        error = await lena.error(INBOX, {"first": first})
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "first"
    error = await lena.error(INBOX, {"orderBy": [{"field": "COLOUR"}]})
    assert error["extensions"]["code"] == "VALIDATION"


# --- cost ----------------------------------------------------------------------------------------

SCREEN = """{ inbox(first: 100) { edges { node {
  ref title status priority dueAt department { name } team { name } queue { name }
  assignee { name } owner { name } requester { email } primaryContact { email } company { name } category { name }
} } } }"""


async def test_a_50_row_inbox_costs_a_fixed_number_of_queries(signed_in):
    jane = await signed_in("jane@example.com")
    # viewer (user + scope), the page, then one batch per related kind
    # (department, team, queue, users, contacts, company, category)
    cost = 2 + 1 + 7
    with recorded_queries() as statements:
        assert len((await jane.data(SCREEN))["inbox"]["edges"]) == 1
    assert len(statements) == cost, "\n".join(statements)
    for i in range(50):
        ref = await new_ticket(jane, f"Inbox row {i}", sla_hours=i % 12 + 1)
        await jane.data(START, {"ref": ref})
    with recorded_queries() as statements:
        data = await jane.data(SCREEN)
    assert len(data["inbox"]["edges"]) == 51
    assert len(statements) == cost, "\n".join(statements)
