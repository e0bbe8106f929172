"""GraphQL over HTTP at the transport: media types and status codes, JSON error bodies, the
request size bounds, and slow or vanishing clients — against the live server, with httpx and with
raw sockets where a well-behaved client cannot show the case."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from server.http.server import HEADER_ALLOWANCE
from server.settings import Settings
from tests.conftest import LiveServer

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEADLINE = 0.5  # seconds, the header and body deadline of the short-deadline server
WAIT = DEADLINE + 5  # how long a test waits for the server to act before failing


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def impatient_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A live server with short header, body and keep-alive deadlines."""
    short = dataclasses.replace(settings, header_timeout=DEADLINE, body_timeout=DEADLINE, keep_alive_timeout=DEADLINE)
    async with LiveServer(short) as server:
        yield server


async def open_socket(server: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = urlsplit(server.url)
    return await asyncio.open_connection(url.hostname, url.port)


def request_head(method: str, headers: dict[str, str], target: str = "/graphql") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines if line)
    headers = {k.lower(): v for k, v in headers.items()}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), WAIT)
    return int(status_line.split()[1]), headers, body


async def closed_within(reader: asyncio.StreamReader, timeout: float) -> float:
    """Seconds until the server closes the connection (everything it sent before is discarded)."""
    started = time.monotonic()
    await asyncio.wait_for(reader.read(), timeout)
    assert reader.at_eof()
    return time.monotonic() - started


def the_error(body: bytes) -> dict:
    payload = json.loads(body)
    assert "data" not in payload, payload
    (error,) = payload["errors"]
    return error


# ------------------------------------------------------------------------------ media types, codes


async def test_graphql_response_json_when_the_client_asks_for_it(http: httpx.AsyncClient) -> None:
    accept = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await http.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"] == GRAPHQL_RESPONSE
    assert ok.json() == {"data": {"__typename": "Query"}}

    cases = {
        "{ __typename": "GRAPHQL_PARSE_FAILED",
        "{ noSuchField }": "GRAPHQL_VALIDATION_FAILED",
        "query($ref: String!) { workItem(ref: $ref) { ref } }": "VALIDATION",  # $ref not provided
    }
    for query, code in cases.items():
        response = await http.post("/graphql", json={"query": query}, headers=accept)
        assert response.status_code == 400, (query, response.text)
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
        assert the_error(response.content)["extensions"]["code"] == code


async def test_application_json_keeps_200_for_request_errors(http: httpx.AsyncClient) -> None:
    for accept in ({"Accept": "application/json"}, {}, {"Accept": "*/*"}):
        response = await http.post("/graphql", json={"query": "{ noSuchField }"}, headers=accept)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert the_error(response.content)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_several_operations_without_an_operation_name_are_a_request_error(http: httpx.AsyncClient) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
        response = await http.post("/graphql", json={"query": query}, headers={"Accept": accept})
        assert response.status_code == status
        error = the_error(response.content)
        assert error["message"] == "Must provide operation name if query contains multiple operations."
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    response = await http.post("/graphql", json={"query": query, "operationName": "B"})
    assert response.json() == {"data": {"b": "Query"}}


async def test_a_mutation_over_get_is_405_with_allow_post(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert the_error(response.content)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_other_methods_are_405_with_a_json_body(http: httpx.AsyncClient) -> None:
    response = await http.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert the_error(response.content)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_subscription_over_http_is_a_request_error(http: httpx.AsyncClient) -> None:
    query = 'subscription { workItemUpdated(ref: "T-1001") { kind } }'
    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
        response = await http.post("/graphql", json={"query": query}, headers={"Accept": accept})
        assert response.status_code == status
        error = the_error(response.content)
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "WebSocket" in error["message"]


DEEP = 100_000

MALFORMED = {
    "not JSON": b'{"query": ',
    "a batch": json.dumps([{"query": "{ __typename }"}, {"query": "{ __typename }"}]).encode(),
    "invalid UTF-8": b'{"query": "{ __typename }", "operationName": "\xff\xfe"}',
    "a 100k-deep array": b"[" * DEEP + b"]" * DEEP,
    "100k-deep variables": (
        b'{"query": "query($d: JSON) { __typename }", "variables": {"d": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}}"
    ),
    "variables 101 levels deep": (
        b'{"query": "{ __typename }", "variables": {"d": ' + b"[" * 100 + b"]" * 100 + b"}}"
    ),
    "no query": b'{"variables": {}}',
    "an integer of 5001 digits": b'{"query": "{ __typename }", "variables": {"c": 1' + b"0" * 5000 + b"}}",
    "a lone surrogate in a variable": b'{"query": "query($r: String!) { workItem(ref: $r) { ref } }", "variables": {"r": "\\ud800"}}',
    "a lone surrogate in the query": b'{"query": "mutation { createWorkItem(input: {title: \\"a\\udc00b\\"}) { ref } }"}',
    "a lone surrogate in a key": b'{"query": "{ __typename }", "variables": {"\\udfff": 1}}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_requests_are_400_with_a_json_body(http: httpx.AsyncClient, body: bytes) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json", "Accept": accept}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == accept
        error = the_error(response.content)
        assert error["extensions"]["code"] == "BAD_REQUEST" and error["message"]


async def test_long_integers_and_surrogate_pairs_within_the_bounds_are_accepted(http: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "variables": {"d": [1' + b"0" * 4299 + b', "\\ud83d\\ude00"]}}'
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_json_nested_up_to_the_limit_is_accepted(http: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "variables": {"d": ' + b"[" * 98 + b"]" * 98 + b"}}"
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


# ------------------------------------------------------------------------------------- size limits


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(live_server: LiveServer, settings: Settings) -> None:
    # 20 MB of unknown variables and no token: the 413 comes back while the body is still being
    # sent (only its first 64 KiB are), so it was neither read to the end nor parsed
    reader, writer = await open_socket(live_server)
    try:
        writer.write(request_head("POST", {"Content-Type": "application/json", "Content-Length": str(20_000_000)}))
        writer.write(b'{"query": "{ __typename }", "variables": {"unknown": "' + b"x" * 65536)
        await writer.drain()
        status, headers, body = await read_response(reader)
    finally:
        writer.close()
    assert status == 413 and headers["connection"] == "close"
    error = the_error(body)
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED" and str(settings.max_body_bytes) in error["message"]


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(live_server: LiveServer, settings: Settings) -> None:
    reader, writer = await open_socket(live_server)
    try:
        writer.write(request_head("POST", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
        chunk = b"x" * 65536
        sent = 0
        while sent <= settings.max_body_bytes:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        await writer.drain()
        status, headers, body = await read_response(reader)  # the final chunk is never sent
    finally:
        writer.close()
    assert status == 413 and the_error(body)["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_a_body_at_the_limit_is_served(http: httpx.AsyncClient, settings: Settings) -> None:
    prefix = b'{"query": "{ __typename }", "extensions": {"pad": "'
    body = prefix + b"x" * (settings.max_body_bytes - len(prefix) - 3) + b'"}}'
    assert len(body) == settings.max_body_bytes
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_query_string_over_the_limit_is_414(live_server: LiveServer, settings: Settings) -> None:
    query = "%7B__typename%7D" + "+" * settings.max_query_string_bytes
    reader, writer = await open_socket(live_server)
    try:
        writer.write(request_head("GET", {"Accept": "application/json"}, target=f"/graphql?query={query}"))
        await writer.drain()
        status, headers, body = await read_response(reader)
    finally:
        writer.close()
    assert status == 414 and the_error(body)["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_headers_over_the_limit_are_431(live_server: LiveServer, settings: Settings) -> None:
    reader, writer = await open_socket(live_server)
    try:
        writer.write(b"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        filler = b"X-Filler: " + b"y" * 1000 + b"\r\n"
        # just past the limit, and no more: the server reads all that was sent before it answers
        for _ in range((settings.max_query_string_bytes + HEADER_ALLOWANCE) // len(filler) + 1):
            writer.write(filler)
        await writer.drain()
        status, headers, body = await read_response(reader)
    finally:
        writer.close()
    assert status == 431 and the_error(body)["extensions"]["code"] == "LIMIT_EXCEEDED"


# ------------------------------------------------------------------------- slow and vanishing clients


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()


async def test_a_client_that_disconnects_mid_body_costs_one_log_line(live_server: LiveServer, http: httpx.AsyncClient) -> None:
    records = Records()
    # uvicorn's loggers do not propagate to the root logger: listen on them directly
    watched = [logging.getLogger("uvicorn"), logging.getLogger("switchboard")]
    ours = logging.getLogger("switchboard.http")
    level = ours.level
    ours.setLevel(logging.INFO)
    for logger in watched:
        logger.addHandler(records)
    try:
        reader, writer = await open_socket(live_server)
        writer.write(request_head("POST", {"Content-Type": "application/json", "Content-Length": "1000"}))
        writer.write(b'{"query": "{ __typename }", "variab')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(records.arrived.wait(), WAIT)
        # the server is still serving, and has had time to log anything else about that request
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    finally:
        for logger in watched:
            logger.removeHandler(records)
        ours.setLevel(level)
    assert len(records.records) == 1, [r.getMessage() for r in records.records]
    (record,) = records.records
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "disconnected" in record.getMessage()


async def test_a_body_that_never_completes_is_answered_408_and_closed(impatient_server: LiveServer) -> None:
    reader, writer = await open_socket(impatient_server)
    try:
        writer.write(request_head("POST", {"Content-Type": "application/json", "Content-Length": "100"}))
        writer.write(b'{"query": ')
        await writer.drain()
        started = time.monotonic()
        status, headers, body = await read_response(reader)
        await closed_within(reader, WAIT)
        elapsed = time.monotonic() - started
    finally:
        writer.close()
    assert status == 408 and the_error(body)["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert DEADLINE * 0.8 <= elapsed < WAIT


async def test_headers_that_never_complete_are_closed(impatient_server: LiveServer) -> None:
    reader, writer = await open_socket(impatient_server)
    try:
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        await writer.drain()
        elapsed = await closed_within(reader, WAIT)
    finally:
        writer.close()
    assert DEADLINE * 0.8 <= elapsed < WAIT


async def test_a_connection_that_sends_nothing_is_closed(impatient_server: LiveServer) -> None:
    reader, writer = await open_socket(impatient_server)
    try:
        assert DEADLINE * 0.8 <= await closed_within(reader, WAIT) < WAIT
    finally:
        writer.close()


async def test_keep_alive_is_bounded_and_the_next_request_has_its_own_header_deadline(impatient_server: LiveServer) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    head = request_head("POST", {"Content-Type": "application/json", "Content-Length": str(len(body))})
    # idle after a response: closed by the keep-alive timeout
    reader, writer = await open_socket(impatient_server)
    try:
        writer.write(head + body)
        status, _, _ = await read_response(reader)
        assert status == 200
        assert await closed_within(reader, WAIT) < WAIT
    finally:
        writer.close()
    # a second request that stops inside its headers: closed by the header deadline
    reader, writer = await open_socket(impatient_server)
    try:
        writer.write(head + body)
        status, _, _ = await read_response(reader)
        assert status == 200
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: 127")
        await writer.drain()
        assert DEADLINE * 0.8 <= await closed_within(reader, WAIT) < WAIT
    finally:
        writer.close()


async def test_the_live_server_runs_the_configured_limits(live_server: LiveServer, settings: Settings) -> None:
    config = live_server.server.config
    assert config.timeout_keep_alive == settings.keep_alive_timeout
    assert config.limit_concurrency == settings.limit_concurrency
    assert config.http_protocol_class.header_timeout == settings.header_timeout
