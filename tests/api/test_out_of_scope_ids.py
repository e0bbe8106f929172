"""Ids the viewer may not see answer exactly like ids that do not exist (same code, same field,
same message but for the id itself), for every kind of id an argument takes: contacts, queues,
departments, teams, users, emails, categories, case types, work item references."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from models.contact import Contact
from models.org import Department, Queue, Team
from server.domain import api_keys
from tests.support.client import HttpClient

MISSING_ID = "987654"
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref } }"
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref } }"
QUEUE_ITEMS = "query($id: ID!) { queueItems(queueId: $id) { edges { node { ref } } } }"
TEAM_ITEMS = "query($id: ID!) { teamItems(teamId: $id) { edges { node { ref } } } }"
MOVE = "mutation($id: ID!) { moveWorkItem(ref: \"T-1002\", departmentId: $id) { workItem { ref } } }"
MOVE_QUEUE = "mutation($d: ID!, $id: ID!) { moveWorkItem(ref: \"T-1002\", departmentId: $d, queueId: $id) { workItem { ref } } }"


def _errors(result: dict[str, Any], hidden_id: str) -> list[dict[str, Any]]:
    """The errors, with the id asked for written as the missing one, and nothing else."""
    assert result.get("errors"), result
    shown = [{"message": e["message"], "extensions": e.get("extensions"), "path": e.get("path")} for e in result["errors"]]
    return json.loads(re.sub(rf"(?<![\w-]){re.escape(hidden_id)}(?![\w-])", MISSING_ID, json.dumps(shown)))


async def _same_as_missing(client: HttpClient, document: str, variables: Any, hidden_id: str) -> list[dict[str, Any]]:
    """Ask with `hidden_id` and with MISSING_ID in its place; the answers must not differ."""
    def with_id(value: Any, wanted: str) -> Any:
        if isinstance(value, dict):
            return {k: with_id(v, wanted) for k, v in value.items()}
        if isinstance(value, list):
            return [with_id(v, wanted) for v in value]
        return wanted if value == "<id>" else value

    hidden = await client.post(document, with_id(variables, hidden_id))
    missing = await client.post(document, with_id(variables, MISSING_ID))
    assert _errors(hidden, hidden_id) == _errors(missing, MISSING_ID), (document, variables, hidden, missing)
    assert hidden.get("data") == missing.get("data")
    return hidden["errors"]


async def _id(model: Any, **where: Any) -> str:
    return str((await model.get(**where)).id)


@pytest.fixture
async def ids(demo) -> dict[str, str]:
    return {
        "alice": await _id(Contact, email="alice@globex.example"),  # Globex; T-1002 is Acme's (bob)
        "pl": await _id(Department, name="PL Operations"),
        "uk": await _id(Department, name="UK Operations"),
        "queue_b": await _id(Queue, name="Team B queue"),
        "queue_a": await _id(Queue, name="Team A queue"),
        "team_b": await _id(Team, name="Team B"),
    }


async def test_a_contact_of_another_company_answers_like_a_missing_contact(signed_in, ids):
    jane = await signed_in("jane@example.com")
    for field in ("requesterId", "primaryContactId"):
        errors = await _same_as_missing(jane, UPDATE, {"ref": "T-1002", "input": {field: "<id>"}}, ids["alice"])
        assert errors[0]["extensions"]["code"] == "VALIDATION"
        assert errors[0]["extensions"]["fields"][0]["field"] == field
        assert "alice" not in str(errors) and "globex" not in str(errors).lower()
    await _same_as_missing(jane, UPDATE, {"ref": "T-1002", "input": {"contactIds": ["<id>"]}}, ids["alice"])
    await _same_as_missing(
        jane, CREATE, {"input": {"title": "x", "primaryContactId": await _id(Contact, email="bob@client.example"),
                                 "requesterId": "<id>"}},
        ids["alice"],
    )


async def test_a_queue_of_a_department_one_cannot_see_answers_like_a_missing_queue(signed_in, client, ids):
    jane = await signed_in("jane@example.com")
    errors = await _same_as_missing(jane, QUEUE_ITEMS, {"id": "<id>"}, ids["queue_b"])
    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "field": "queueId"}
    assert (await jane.data(QUEUE_ITEMS, {"id": ids["queue_a"]}))["queueItems"]["edges"]
    # a queue of the viewer's department, but named with another department
    await _same_as_missing(jane, MOVE_QUEUE, {"d": ids["uk"], "id": "<id>"}, ids["queue_b"])
    await _same_as_missing(jane, UPDATE, {"ref": "T-1002", "input": {"queueId": "<id>"}}, ids["queue_b"])

    pl = await Department.get(name="PL Operations")
    partner = HttpClient(client.base_url, (await api_keys.create_api_key("ERP", [pl.id], can_write=True, created_by=None)).token)
    try:
        await _same_as_missing(partner, QUEUE_ITEMS, {"id": "<id>"}, ids["queue_a"])
        assert (await partner.data(QUEUE_ITEMS, {"id": ids["queue_b"]}))["queueItems"]["edges"]
    finally:
        await partner.aclose()
    bob = HttpClient(client.base_url, await client.login("bob@client.example"))
    try:
        await _same_as_missing(bob, QUEUE_ITEMS, {"id": "<id>"}, ids["queue_a"])
    finally:
        await bob.aclose()


async def test_a_department_one_cannot_see_answers_like_a_missing_department(signed_in, ids):
    jane = await signed_in("jane@example.com")
    errors = await _same_as_missing(jane, MOVE, {"id": "<id>"}, ids["pl"])
    assert errors[0]["extensions"]["code"] in ("VALIDATION", "NOT_FOUND", "FORBIDDEN")
    await _same_as_missing(jane, CREATE, {"input": {"title": "x", "departmentId": "<id>"}}, ids["pl"])


async def test_a_team_one_is_not_on_answers_like_a_missing_team(signed_in, ids):
    jane = await signed_in("jane@example.com")
    await _same_as_missing(jane, TEAM_ITEMS, {"id": "<id>"}, ids["team_b"])


async def test_admin_only_ids_answer_alike_for_others(signed_in, ids):
    jane = await signed_in("jane@example.com")
    await _same_as_missing(
        jane, "mutation($id: ID!) { updateDepartment(id: $id, input: {name: \"x\"}) { name } }", {"id": "<id>"}, ids["uk"]
    )
    await _same_as_missing(
        jane, "mutation($id: ID!) { setUserDepartments(userId: $id, departmentIds: []) { user { name } } }",
        {"id": "<id>"}, await _id_of_user("karina@example.com"),
    )


async def _id_of_user(email: str) -> str:
    from models.org import User

    return await _id(User, email=email)


async def test_items_reached_through_another_argument_answer_like_missing_ones(signed_in):
    jane = await signed_in("jane@example.com")
    for document in (
        'mutation($r: String!) { mergeTicket(ref: "T-1002", into: $r) { workItem { ref } } }',
        'mutation($r: String!) { linkWorkItems(ref: "T-1002", otherRef: $r) { workItem { ref } } }',
        'mutation($r: String!) { createWorkItem(input: {title: "x", linkTo: $r}) { ref } }',
        'mutation($r: String!) { startAction(ref: "C-1001", input: {title: "x", copyOf: $r}) { workItem { ref } } }',
    ):
        hidden = await jane.post(document, {"r": "T-1007"})
        missing = await jane.post(document, {"r": "T-9999"})
        assert _errors(hidden, "T-1007") == _errors(missing, "T-9999"), (document, hidden, missing)
