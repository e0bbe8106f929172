"""Limits (depth, aliases, tokens, operations per connection) and error masking, over HTTP,
WebSocket and inside subscriptions; every error carries a code."""

from __future__ import annotations

import logging

import pytest

from server.resolvers import work_items as work_item_resolvers
from server.schema import MAX_ALIASES, MAX_DEPTH, MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_TOKENS
from server.subscriptions import work_item as work_item_subscription
from tests.support.client import HttpClient, ws_session

DEEP = "{ workItem(ref: \"T-1002\") { " + "parent { " * MAX_DEPTH + "ref" + " }" * MAX_DEPTH + " } }"
MANY_ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"
MANY_TOKENS = "{ " + " ".join("__typename" for _ in range(MAX_TOKENS)) + " }"
SUBSCRIBE = 'subscription { workItemUpdated(ref: "T-1002") { kind workItem { ref status } } }'


def _codes(result: dict) -> set[str]:
    return {e["extensions"]["code"] for e in result["errors"]}


@pytest.fixture
async def jane(signed_in) -> HttpClient:
    return await signed_in("jane@example.com")


async def test_limits_over_http(jane: HttpClient):
    assert (await jane.data("{ workItem(ref: \"T-1002\") { parent { parent { ref } } } }"))["workItem"]["parent"] is None
    for query in (DEEP, MANY_ALIASES, MANY_TOKENS):
        result = await jane.post(query)
        assert result.get("data") is None
        assert _codes(result) == {"LIMIT_EXCEEDED"}, result


async def test_limits_over_websocket(live_server, jane: HttpClient):
    async with ws_session(live_server.url, jane.token) as session:
        for query in (DEEP, MANY_ALIASES):
            result = await session.execute(query)
            assert _codes(result) == {"LIMIT_EXCEEDED"}, result
        # the connection is still usable afterwards
        assert (await session.execute("{ viewer { name } }"))["data"]["viewer"]["name"] == "Jane Cooper"
    # a document that cannot be parsed ends the connection (graphql-transport-ws: 4400 Bad Request)
    async with ws_session(live_server.url, jane.token) as session:
        await session.subscribe(MANY_TOKENS)
        code, reason = await session.closed()
        assert code == 4400 and "more than 2000 tokens" in reason


async def test_operations_per_connection_are_limited(live_server, jane: HttpClient):
    async with ws_session(live_server.url, jane.token) as session:
        for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            op = await session.subscribe(SUBSCRIBE)
            assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"
        over = await session.subscribe(SUBSCRIBE)
        message = await session.next_for(over)
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_documents_that_do_not_parse_or_validate_get_codes(jane: HttpClient):
    assert _codes(await jane.post("{ workItems {")) == {"GRAPHQL_PARSE_FAILED"}
    assert _codes(await jane.post("{ workItems { nope } }")) == {"GRAPHQL_VALIDATION_FAILED"}
    result = await jane.post("query($f: Int!) { workItems(first: $f) { edges { cursor } } }", {"f": "many"})
    assert _codes(result) == {"VALIDATION"} and "$f" in result["errors"][0]["message"]


@pytest.fixture
def broken_work_item_query(monkeypatch):
    async def explode(*args, **kwargs):
        raise RuntimeError("password=hunter2 leaked by a bug")

    monkeypatch.setattr(work_item_resolvers.visibility, "get_work_item", explode)


async def test_unexpected_errors_are_masked_over_http_and_logged(jane: HttpClient, broken_work_item_query, caplog):
    with caplog.at_level(logging.ERROR, logger="switchboard.graphql"):
        result = await jane.post('{ workItem(ref: "T-1002") { ref } }')
    assert result["errors"] == [
        {"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}], "path": ["workItem"], "extensions": {"code": "INTERNAL"}}
    ]
    assert "hunter2" in caplog.text and "Traceback" in caplog.text


async def test_unexpected_errors_are_masked_over_websocket(live_server, jane: HttpClient, broken_work_item_query):
    async with ws_session(live_server.url, jane.token) as session:
        result = await session.execute('{ workItem(ref: "T-1002") { ref } }')
    assert result["errors"][0]["message"] == "Unexpected error."
    assert result["errors"][0]["extensions"] == {"code": "INTERNAL"}
    assert "hunter2" not in str(result)


async def test_unexpected_errors_inside_a_subscription_are_masked(live_server, jane: HttpClient, monkeypatch, caplog):
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE)
        assert (await session.next_for(op))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"

        def explode(*args, **kwargs):
            raise RuntimeError("password=hunter2 leaked by a bug")

        monkeypatch.setattr(work_item_subscription, "_update", explode)
        with caplog.at_level(logging.ERROR):
            await jane.data('mutation { updateWorkItem(ref: "T-1002", input: {title: "x"}) { ref } }')
            message = await session.next_for(op)
        assert "hunter2" not in str(message)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["message"] == "Unexpected error."
        assert errors[0]["extensions"] == {"code": "INTERNAL"}
    assert "hunter2" in caplog.text
