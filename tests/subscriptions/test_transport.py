"""graphql-transport-ws over a real WebSocket: malformed messages close the connection with 4400
(invalid message), and errors carry the same codes as over HTTP."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.client import HttpClient, ws_session


@pytest.fixture
async def jane(signed_in) -> HttpClient:
    return await signed_in("jane@example.com")


@pytest.mark.parametrize("raw", ["[1, 2]", "42", "null", '"subscribe"', "true"])
async def test_a_message_that_is_not_an_object_closes_with_4400(live_server, jane: HttpClient, raw: str):
    async with ws_session(live_server.url, jane.token) as session:
        await session.socket.send(raw)
        code, reason = await session.closed()
    assert code == 4400, (code, reason)
    assert "object" in reason


@pytest.mark.parametrize("raw", ["[1, 2]", "42", "null"])
async def test_a_first_message_that_is_not_an_object_closes_with_4400(live_server, raw: str):
    async with ws_session(live_server.url, init=False) as session:
        await session.socket.send(raw)
        code, _ = await session.closed()
    assert code == 4400


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "id": "1", "payload": {"query": 5}},
        {"type": "subscribe", "id": "1", "payload": {}},
        {"type": "subscribe", "id": "1", "payload": "{ __typename }"},
        {"type": "subscribe", "id": 1, "payload": {"query": "{ __typename }"}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": [1]}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "operationName": 3}},
        {"type": "complete", "id": [1]},
        {"type": 7},
    ],
    ids=["query-number", "no-query", "payload-string", "id-number", "variables-list", "operation-name-number", "complete-id-list", "type-number"],
)
async def test_a_malformed_message_closes_with_4400(live_server, jane: HttpClient, message: dict):
    async with ws_session(live_server.url, jane.token) as session:
        await session.socket.send(json.dumps(message))
        code, reason = await session.closed()
    assert code == 4400, (code, reason)


def _subscribe(variables: str, query: str = "{ __typename }") -> str:
    return '{"type": "subscribe", "id": "1", "payload": {"query": %s, "variables": %s}}' % (json.dumps(query), variables)


OUT_OF_BOUNDS = {
    "an integer of 5001 digits": (_subscribe('{"c": 1' + "0" * 5000 + "}"), "digits"),
    "variables 50000 levels deep": (_subscribe('{"d": ' + "[" * 50_000 + "]" * 50_000 + "}"), "nested"),
    "variables 101 levels deep": (_subscribe('{"d": ' + "[" * 100 + "]" * 100 + "}"), "nested"),
    "a lone surrogate in a variable": (_subscribe('{"r": "\\ud800"}', "query($r: String!) { workItem(ref: $r) { ref } }"), "surrogate"),
    "a lone surrogate in the query": (_subscribe("null", 'mutation { createWorkItem(input: {title: "a\udc00b"}) { ref } }'), "surrogate"),
}


@pytest.mark.parametrize("raw, why", OUT_OF_BOUNDS.values(), ids=OUT_OF_BOUNDS.keys())
async def test_a_message_outside_the_json_bounds_closes_with_4400(live_server, jane: HttpClient, raw: str, why: str):
    """The same bounded JSON parsing as HTTP bodies (which answer 400 for these)."""
    async with ws_session(live_server.url, jane.token) as session:
        await session.socket.send(raw)
        code, reason = await session.closed()
    assert code == 4400, (code, reason)
    assert why in reason, reason


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_are_refused_as_over_http(live_server, jane: HttpClient, constant: str):
    """Read like an HTTP body reads them, refused where coerced: VALIDATION naming the field."""
    update = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref } }"
    async with ws_session(live_server.url, jane.token) as session:
        await session.socket.send(_subscribe('{"ref": "T-1002", "input": {"customData": {"x": %s}}}' % constant, update))
        message = await session.next_for("1")
        (error,) = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "customData", error


async def test_several_operations_without_an_operation_name_are_an_error_message(live_server, jane: HttpClient):
    async with ws_session(live_server.url, jane.token) as session:
        result = await session.execute("query A { a: __typename } query B { b: __typename }")
        assert [e["message"] for e in result["errors"]] == ["Must provide operation name if query contains multiple operations."]
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in result


async def test_the_connection_serves_well_formed_messages_after_optional_fields(live_server, jane: HttpClient):
    async with ws_session(live_server.url, jane.token) as session:
        op = "op-1"
        await session.send({"type": "subscribe", "id": op, "payload": {"query": "{ __typename }", "variables": None, "operationName": None, "extensions": {}}})
        assert (await session.next_for(op))["payload"] == {"data": {"__typename": "Query"}}
        assert (await session.next_for(op))["type"] == "complete"


async def test_validation_errors_are_coded_as_over_http(live_server, jane: HttpClient):
    document = "{ workItems { nope } }"
    over_http = await jane.post(document)
    assert [e["extensions"]["code"] for e in over_http["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    async with ws_session(live_server.url, jane.token) as session:
        result = await session.execute(document)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["GRAPHQL_VALIDATION_FAILED"], result
        assert "nope" in result["errors"][0]["message"]
        # an unknown argument and a missing required one as well
        for query in (
            '{ workItem(ref: "T-1002", bogus: 1) { ref } }',
            "{ workItem { ref } }",
            "query($f: Int) { __typename }",  # a variable never used
            "{ workItems(first: $f) { edges { cursor } } }",  # a variable not defined
            "query($f: String) { workItems(first: $f) { edges { cursor } } }",  # of the wrong type for its position
        ):
            result = await session.execute(query)
            assert [e["extensions"]["code"] for e in result["errors"]] == ["GRAPHQL_VALIDATION_FAILED"], result
            over_http = await jane.post(query)
            assert [e["extensions"]["code"] for e in over_http["errors"]] == ["GRAPHQL_VALIDATION_FAILED"], over_http
        # a variable of the wrong type is the client's wrong input: VALIDATION, as over HTTP
        wrong_type = "query($f: Int!) { workItems(first: $f) { edges { cursor } } }"
        for variables in ({"f": "many"}, {}):
            result = await session.execute(wrong_type, variables)
            assert [e["extensions"]["code"] for e in result["errors"]] == ["VALIDATION"], result
            assert "$f" in result["errors"][0]["message"]
        # the connection still works
        assert (await session.execute("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_a_page_on_another_origin_is_refused_at_the_handshake(live_server):
    url = live_server.url.replace("http", "ws", 1) + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=["graphql-transport-ws"], origin="https://elsewhere.example", open_timeout=10):
            pass
    assert refused.value.response.status_code == 403
    host = live_server.url.split("//", 1)[1]
    async with connect(url, subprotocols=["graphql-transport-ws"], origin=f"http://{host}", open_timeout=10) as socket:
        assert socket.subprotocol == "graphql-transport-ws"  # the same origin is served


async def test_a_binary_message_closes_with_4400(live_server, jane: HttpClient):
    async with ws_session(live_server.url, jane.token) as session:
        await session.socket.send(b'{"type": "ping"}')
        assert await session.closed() == (4400, "WebSocket message type must be text")


async def test_other_websocket_paths_are_refused(live_server):
    url = live_server.url.replace("http", "ws", 1) + "/graphql/"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10):
            pass
    assert refused.value.response.status_code == 403
