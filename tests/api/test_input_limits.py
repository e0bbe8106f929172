"""Bad input is refused with VALIDATION naming what is wrong: JSON that is not standard JSON,
text past its maximum, numbers past what the database holds."""

from __future__ import annotations

import json

import httpx
import pytest

from models.work_item import WorkItem
from tests.support.client import HttpClient

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
    # nothing was stored, and the item still reads as standard JSON
    _status, item = await _raw(client, json.dumps({"query": ITEM}), jane.token)
    assert item["data"]["workItem"]["customData"] == {}

    filtered = '{"query": "query($v: JSON) { workItems(filter: {customData: [{key: \\"x\\", value: $v}]}) { edges { node { ref } } } }", "variables": {"v": [1, %s]}}' % constant
    _status, result = await _raw(client, filtered, jane.token)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION", error
    assert "$v" in error["message"]


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
