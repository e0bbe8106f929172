"""Bad input is refused with VALIDATION naming what is wrong: JSON that is not standard JSON,
text past its maximum, numbers past what the database holds."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest

from models.work_item import WorkItem
from tests.support.client import HttpClient, ws_session

UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref customData } }"
ITEM = '{ workItem(ref: "T-1002") { ref customData } }'


def _strict(text: str) -> dict:
    """A response body as a standard JSON parser (a browser's JSON.parse) reads it."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON in the response: {constant}")

    return json.loads(text, parse_constant=refuse)


async def _raw(client: HttpClient, body: str, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    async with httpx.AsyncClient(base_url=client.base_url) as http:
        response = await http.post("/graphql", content=body.encode(), headers=headers)
    return response.status_code, _strict(response.text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_in_json_variables_are_refused(client: HttpClient, signed_in, constant):
    jane = await signed_in("jane@example.com")
    body = '{"query": "%s", "variables": {"ref": "T-1002", "input": {"customData": {"x": %s}}}}' % (UPDATE.replace('"', '\\"'), constant)
    _status, result = await _raw(client, body, jane.token)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "customData" in error["message"] and "finite" in error["message"]
    assert error["extensions"]["field"] == "customData"
    # nothing was stored, and the item still reads as standard JSON
    _status, item = await _raw(client, json.dumps({"query": ITEM}), jane.token)
    assert item["data"]["workItem"]["customData"] == {}

    filtered = '{"query": "query($v: JSON) { workItems(filter: {customData: [{key: \\"x\\", value: $v}]}) { edges { node { ref } } } }", "variables": {"v": [1, %s]}}' % constant
    _status, result = await _raw(client, filtered, jane.token)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION", error
    assert "$v" in error["message"] and error["extensions"]["field"] == "v"


async def test_non_finite_numbers_in_json_literals_are_refused(signed_in):
    jane = await signed_in("jane@example.com")
    for literal in ("{x: 1e400}", "{x: [-1e999]}"):
        error = await jane.error('mutation { updateWorkItem(ref: "T-1002", input: {customData: %s}) { ref } }' % literal)
        assert error["extensions"]["code"] == "VALIDATION", error
        assert "finite" in error["message"]
    assert (await jane.data(ITEM))["workItem"]["customData"] == {}


async def test_a_stored_non_finite_number_is_never_written_out(client: HttpClient, signed_in, backend):
    if backend.name == "postgres":
        pytest.skip("PostgreSQL's json type refuses NaN itself: such a value cannot be stored there")
    jane = await signed_in("jane@example.com")
    await WorkItem.filter(ref="T-1002").update(custom_data={"x": float("nan")})
    _status, result = await _raw(client, json.dumps({"query": ITEM}), jane.token)
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL"


HUGE = ["1" * 30, str(2**63), str(2**31)]


@pytest.mark.parametrize("huge", HUGE)
async def test_ids_beyond_what_the_database_holds_are_refused(signed_in, huge):
    jane = await signed_in("jane@example.com")
    admin = await signed_in("admin@example.com")
    cases = [
        (jane, "query($id: ID!) { queueItems(queueId: $id) { edges { node { ref } } } }", "queueId"),
        (jane, "query($id: ID!) { teamItems(teamId: $id) { edges { node { ref } } } }", "teamId"),
        (jane, 'mutation($id: ID!) { assignWorkItem(ref: "T-1002", userId: $id) { workItem { ref } } }', "userId"),
        (jane, "mutation($id: ID!) { markNotificationsRead(ids: [$id]) }", "ids"),
        (jane, 'mutation($id: ID!) { shareEmail(emailId: $id, toRef: "T-1002") { workItem { ref } } }', "emailId"),
        (admin, "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", "id"),
        (admin, 'mutation($id: ID!) { moveWorkItem(ref: "T-1002", departmentId: $id) { workItem { ref } } }', "departmentId"),
    ]
    for who, query, field in cases:
        error = await who.error(query, {"id": huge})
        assert error["extensions"]["code"] == "VALIDATION", (query, error)
        assert error["extensions"]["field"] == field
        assert field in error["message"]


def _forged(payload: dict | str) -> str:
    import base64

    raw = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


async def test_cursors_carrying_huge_numbers_are_refused(signed_in):
    jane = await signed_in("jane@example.com")
    page = (await jane.data("{ workItems(first: 1, orderBy: [{field: REF}]) { pageInfo { endCursor } } }"))["workItems"]
    given = json.loads(__import__("base64").urlsafe_b64decode(page["pageInfo"]["endCursor"]))
    for value in (2**63, 2**31, -(2**63), 10**30):
        cursor = _forged({**given, "v": [value] * len(given["v"])})
        error = await jane.error(
            "query($after: String) { workItems(first: 1, orderBy: [{field: REF}], after: $after) { edges { node { ref } } } }",
            {"after": cursor},
        )
        assert error["extensions"] == {**error["extensions"], "code": "VALIDATION", "field": "after"}, error

    timeline = '{ workItem(ref: "T-1002") { timeline(first: 1) { pageInfo { endCursor } } } }'
    end = (await jane.data(timeline))["workItem"]["timeline"]["pageInfo"]["endCursor"]
    prefix, _, position = __import__("base64").urlsafe_b64decode(end).decode().partition(":")
    moment, _, _entry = position.partition("|")
    for value in (2**63, 10**30):
        cursor = _forged(f"{prefix}:{moment}|{value}")
        error = await jane.error(
            'query($after: String) { workItem(ref: "T-1002") { timeline(first: 1, after: $after) { edges { cursor } } } }',
            {"after": cursor},
        )
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "after", error


async def test_page_sizes_beyond_graphql_int_are_refused(signed_in):
    jane = await signed_in("jane@example.com")
    error = await jane.error("query($first: Int!) { workItems(first: $first) { edges { cursor } } }", {"first": 2**31})
    assert error["extensions"]["code"] == "VALIDATION" and "$first" in error["message"]
    for first in (2**31 - 1, -(2**31)):
        error = await jane.error("query($first: Int!) { workItems(first: $first) { edges { cursor } } }", {"first": first})
        assert error["extensions"] == {**error["extensions"], "code": "VALIDATION", "field": "first"}
    # written into the document, it makes the document invalid
    error = await jane.error("{ workItems(first: 2147483648) { edges { cursor } } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


UPDATE_TEXT = "mutation($input: WorkItemFieldsInput!) { updateWorkItem(ref: \"T-1002\", input: $input) { title description customData } }"


@pytest.mark.parametrize(
    "field, maximum",
    [("title", 500), ("description", 100_000)],
)
async def test_work_item_text_has_a_maximum(signed_in, field, maximum):
    jane = await signed_in("jane@example.com")
    at_most = "x" * maximum
    assert (await jane.data(UPDATE_TEXT, {"input": {field: at_most}}))["updateWorkItem"][field] == at_most
    error = await jane.error(UPDATE_TEXT, {"input": {field: at_most + "x"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == field
    assert f"{field} must be at most {maximum} characters" in error["message"]
    assert (await jane.data(ITEM.replace("customData", field)))["workItem"][field] == at_most


async def test_custom_data_has_a_maximum_encoded_size(signed_in):
    jane = await signed_in("jane@example.com")
    envelope = len(json.dumps({"k": ""}, separators=(",", ":")))
    fits = {"k": "x" * (64 * 1024 - envelope)}
    assert (await jane.data(UPDATE_TEXT, {"input": {"customData": fits}}))["updateWorkItem"]["customData"] == fits
    error = await jane.error(UPDATE_TEXT, {"input": {"customData": {"k": fits["k"] + "x"}}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "customData"
    assert "65536 bytes" in error["message"]


async def test_a_note_has_a_maximum(signed_in):
    jane = await signed_in("jane@example.com")
    note = 'mutation($body: String!) { addNote(ref: "T-1002", input: {body: $body}) { workItem { ref } } }'
    error = await jane.error(note, {"body": "n" * 100_001})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "body"
    await jane.data(note, {"body": "n" * 100_000})


async def test_a_department_name_has_a_maximum(signed_in):
    admin = await signed_in("admin@example.com")
    department = (await admin.data("{ departments(first: 1) { edges { node { id name } } } }"))["departments"]["edges"][0]["node"]
    rename = "mutation($id: ID!, $name: String) { updateDepartment(id: $id, input: {name: $name}) { name } }"
    error = await admin.error(rename, {"id": department["id"], "name": "D" * 201})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "name"
    assert (await admin.data(rename, {"id": department["id"], "name": "D" * 200}))["updateDepartment"]["name"] == "D" * 200


async def test_a_filter_text_has_a_maximum(signed_in):
    jane = await signed_in("jane@example.com")
    search = "query($text: String) { workItems(filter: {text: $text}) { edges { node { ref } } } }"
    error = await jane.error(search, {"text": "t" * 501})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "text"
    assert (await jane.data(search, {"text": "t" * 500}))["workItems"]["edges"] == []


async def test_sign_in_with_an_oversized_password_is_refused_before_hashing(client: HttpClient, demo):
    error = await client.error("mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", {"e": "jane@example.com", "p": "p" * 1025})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "password"


def test_every_text_input_of_the_schema_has_a_documented_maximum():
    from graphql import GraphQLInputObjectType, GraphQLObjectType, get_named_type

    from server.domain import limits
    from server.schema import build_schema

    schema = build_schema()._schema
    names: set[str] = set()
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLInputObjectType):
            fields = type_.fields.items()
        elif isinstance(type_, GraphQLObjectType):
            fields = [(a, arg) for f in type_.fields.values() for a, arg in f.args.items()]
        else:
            continue
        for name, field in fields:
            if get_named_type(field.type).name == "String":
                names.add(name)
            if get_named_type(field.type).name == "JSON":
                assert name in limits.JSON_FIELDS, name
    assert names - set(limits.TEXT_MAXIMA) == set(), "give these a maximum in server/domain/limits.py"


async def test_one_operation_lists_a_bounded_number_of_items(signed_in):
    jane = await signed_in("jane@example.com")
    page = "workItems(first: 100) { edges { node { ref description } } }"
    three = await jane.post("{ a: %s b: %s c: %s }" % (page, page, page))
    assert "errors" not in three and len(three["data"]["a"]["edges"]) > 0
    four = await jane.post("{ a: %s b: %s c: %s d: %s }" % (page, page, page, page))
    assert [e["extensions"]["code"] for e in four["errors"]] == ["LIMIT_EXCEEDED"]
    assert four["errors"][0]["path"] == ["d"] and four["errors"][0]["extensions"]["field"] == "first"
    assert four["data"] is None  # the lists are non-null: the operation fails as a whole

    # a list inside each item of a list is counted for every item
    assert len(three["data"]["a"]["edges"]) >= 3
    nested = await jane.post("{ workItems(first: 20) { edges { node { ref timeline(first: 100) { edges { cursor } } } } } }")
    assert nested["data"] is None
    assert {e["extensions"]["code"] for e in nested["errors"]} == {"LIMIT_EXCEEDED"}
    assert all(e["path"][-1] == "timeline" for e in nested["errors"])
    fits = await jane.post("{ workItems(first: 20) { edges { node { ref timeline(first: 10) { edges { cursor } } } } } }")
    assert "errors" not in fits


LONG_REF = "T-" + "1" * 31  # one character longer than any reference
REF_ARGUMENTS = {
    "workItem": ("query($r: String!) { workItem(ref: $r) { ref } }", {}),
    "updateWorkItem": ('mutation($r: String!) { updateWorkItem(ref: $r, input: {title: "x"}) { ref } }', {}),
    "startWork": ("mutation($r: String!) { startWork(ref: $r) { workItem { ref } } }", {}),
    "markWorkItemRead": ("mutation($r: String!) { markWorkItemRead(ref: $r) { workItem { ref } } }", {}),
    "mergeTicket(into)": ('mutation($r: String!) { mergeTicket(ref: "T-1002", into: $r) { workItem { ref } } }', {}),
    "createWorkItem(linkTo)": ('mutation($r: String) { createWorkItem(input: {title: "x", linkTo: $r}) { ref } }', {}),
}


@pytest.mark.parametrize("query", [q for q, _ in REF_ARGUMENTS.values()], ids=REF_ARGUMENTS.keys())
@pytest.mark.parametrize("ref", [LONG_REF, "T-" + "9" * 500_000], ids=["33-chars", "500k-chars"])
async def test_a_reference_longer_than_any_is_answered_like_a_missing_one(signed_in, caplog, query: str, ref: str):
    jane = await signed_in("jane@example.com")
    with caplog.at_level(logging.ERROR):
        error = await jane.error(query, {"r": ref})
    assert error["extensions"]["code"] in ("NOT_FOUND", "VALIDATION"), error
    assert len(error["message"]) < 200, error["message"][:200]
    assert "Traceback" not in caplog.text and len(caplog.text) < 10_000


async def test_a_reference_longer_than_any_is_not_found_over_websocket(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe("subscription($r: String!) { workItemUpdated(ref: $r) { kind } }", {"r": LONG_REF})
        message = await session.next_for(op)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND", errors
    assert (await jane.error("query($r: String!) { workItem(ref: $r) { ref } }", {"r": LONG_REF}))["extensions"]["code"] == "NOT_FOUND"


async def test_notifications_take_at_most_a_page(signed_in):
    jane = await signed_in("jane@example.com")
    for first in (100_000, 101, 0, -1):
        error = await jane.error("query($f: Int!) { notifications(first: $f) { id } }", {"f": first})
        assert error["extensions"] == {**error["extensions"], "code": "VALIDATION", "field": "first"}, error
        assert "first" in error["message"]
    assert isinstance((await jane.data("{ notifications(first: 100) { id } }"))["notifications"], list)


async def test_a_deeply_nested_cursor_is_refused(signed_in):
    jane = await signed_in("jane@example.com")
    for payload in (b"[" * 5000, b'{"o": ' * 5000, b"[" * 5000 + b"]" * 5000, b'{"v": [' + b"1" + b"0" * 5000 + b"]}"):
        cursor = base64.urlsafe_b64encode(payload).decode()
        error = await jane.error("query($a: String) { workItems(first: 2, after: $a) { edges { cursor } } }", {"a": cursor})
        assert error["extensions"] == {**error["extensions"], "code": "VALIDATION", "field": "after"}, error
