"""In production no error suggests a name ("Did you mean …?"): not for fields, arguments, input
fields, enum values or types, in the document or in variables, over HTTP or WebSocket. The
development server keeps its suggestions."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from server.settings import Settings
from tests.conftest import LiveServer
from tests.support.client import HttpClient, ws_session

CREATE = "mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ref } }"

# kind: (query, variables, the production message, its code)
MISTAKES = {
    "field": ('{ workItem(ref: "T-1") { titel } }', None, "Cannot query field 'titel' on type 'WorkItem'.", "GRAPHQL_VALIDATION_FAILED"),
    "argument": ('{ workItem(reff: "T-1") { title } }', None, "Unknown argument 'reff' on field 'Query.workItem'.", "GRAPHQL_VALIDATION_FAILED"),
    "input field": (
        'mutation { createWorkItem(input: {titel: "x"}) { ref } }',
        None,
        "Expected value of type 'CreateWorkItemInput' not to include unknown field 'titel'. Found: { titel: \"x\" }.",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "input field in a variable": (
        CREATE,
        {"i": {"titel": "x"}},
        "Variable '$i' has invalid value: Expected value of type 'CreateWorkItemInput' not to include unknown field 'titel'."
        " Found: {'titel': 'x'}.",
        "VALIDATION",
    ),
    "enum value": (
        'mutation { createWorkItem(input: {title: "x", priority: HIGHH}) { ref } }',
        None,
        "Value 'HIGHH' does not exist in 'Priority' enum.",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "enum value in a variable": (
        CREATE,
        {"i": {"title": "x", "priority": "HIGHH"}},
        "Variable '$i' has invalid value at .priority: Value 'HIGHH' does not exist in 'Priority' enum.",
        "VALIDATION",
    ),
    "type of a variable": (
        "query($f: WorkItemFiltr) { workItems(filter: $f) { edges { cursor } } }",
        None,
        "Unknown type 'WorkItemFiltr'.",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "subfields": (
        '{ workItem(ref: "T-1") { parent } }',
        None,
        "Field 'parent' of type 'WorkItem' must have a selection of subfields.",
        "GRAPHQL_VALIDATION_FAILED",
    ),
}


@pytest.fixture(scope="module")
async def production_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async with LiveServer(Settings(**{**settings.__dict__, "production": True})) as server:
        yield server


@pytest.fixture
async def production(production_server: LiveServer) -> AsyncIterator[HttpClient]:
    http = HttpClient(production_server.url)
    yield http
    await http.aclose()


@pytest.mark.parametrize("kind", MISTAKES)
async def test_production_suggests_no_names(production: HttpClient, client: HttpClient, kind: str):
    query, variables, message, code = MISTAKES[kind]
    suggested = (await client.post(query, variables))["errors"][0]
    assert "Did you mean" in suggested["message"], suggested  # the development server does

    errors = (await production.post(query, variables))["errors"]
    assert not any("did you mean" in e["message"].lower() for e in errors), errors
    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == (message, code)


async def test_production_suggests_no_names_over_websocket(production_server: LiveServer, production: HttpClient, demo):
    async with ws_session(production_server.url, await production.login("jane@example.com")) as session:
        result = await session.execute('subscription { workItemUpdated(reff: "T-1") { kind } }')
    messages = [e["message"] for e in result["errors"]]
    assert "Unknown argument 'reff' on field 'Subscription.workItemUpdated'." in messages
    assert not any("Did you mean" in m for m in messages), messages
