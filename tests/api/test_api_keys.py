"""Partner API keys (SPEC §1, §3): admins issue, list and revoke them; a key works as a bearer token
at once, reaches only its departments, writes only when read-write, and stops at once when revoked
— open WebSocket connections included, in every server process."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from models.auth import ApiKey
from models.event import EventRecord
from models.org import Department
from models.timeline import TimelineEntry
from server.domain.tokens import api_key_digest, split_api_key
from server.settings import Settings
from server.subscriptions import bus
from server.domain.events import ApiKeyRevoked
from tests.support.processes import two_servers
from tests.support import backends
from tests.support.client import HttpClient, ws_session
from tests.support.footprint import footprint

CLOSE_TIMEOUT = 5.0

FIELDS = "id name prefix departments { name } canWrite createdAt createdBy { email } revokedAt"
CREATE = f"mutation($input: CreateApiKeyInput!) {{ createApiKey(input: $input) {{ token apiKey {{ {FIELDS} }} }} }}"
LIST = f"{{ apiKeys {{ {FIELDS} }} }}"
REVOKE = f"mutation($id: ID!) {{ revokeApiKey(id: $id) {{ {FIELDS} }} }}"
VIEWER = "{ viewer { kind name canWrite departments { name } } }"
ITEM = "query($ref: String!) { workItem(ref: $ref) { ref title department { name } } }"
SEARCH = "query($text: String!) { workItems(first: 100, filter: {text: $text}) { edges { node { ref department { name } } } } }"
NOTE = "mutation($ref: String!, $body: String!) { addNote(ref: $ref, input: {body: $body}) { workItem { ref } entry { id } } }"

PL_PAYROLL_REFS = {"T-1008", "T-1011"}  # "Access to the payroll portal", "Cannot log in to the payroll portal"
UK_PAYROLL_REFS = {"T-1001", "C-1001"}  # "Update bank details for March payroll", "Onboard Globex payroll"


async def _department_id(name: str) -> str:
    return str((await Department.get(name=name)).id)


async def _create(admin: HttpClient, name: str, departments: list[str], *, can_write: bool = False) -> dict:
    ids = [await _department_id(d) for d in departments]
    data = await admin.data(CREATE, {"input": {"name": name, "departmentIds": ids, "canWrite": can_write}})
    return data["createApiKey"]


def _code(error: dict) -> tuple[str, str | None]:
    return error["extensions"]["code"], error["extensions"].get("field")


# ------------------------------------------------------------------------------------- administration


async def test_admin_creates_lists_and_revokes_a_key(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    created = await _create(admin, "  Client ERP  ", ["PL Operations", "UK Operations"], can_write=True)
    key, token = created["apiKey"], created["token"]
    assert key["name"] == "Client ERP"
    assert key["departments"] == [{"name": "PL Operations"}, {"name": "UK Operations"}]
    assert key["canWrite"] is True and key["revokedAt"] is None
    assert key["createdBy"] == {"email": "admin@example.com"}
    prefix, secret = split_api_key(token)
    assert prefix == key["prefix"]

    stored = await ApiKey.get(id=int(key["id"]))
    assert stored.secret_hash == api_key_digest(secret), "only the secret's SHA-256 is stored"
    assert secret not in stored.secret_hash and token not in stored.secret_hash

    listed = (await admin.data(LIST))["apiKeys"]
    assert listed == [key]
    for hidden in ("secret", "secretHash", "token"):
        error = await admin.error(f"{{ apiKeys {{ {hidden} }} }}")
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", hidden

    # the token is a bearer token at once
    viewer = (await client.data(VIEWER, token=token))["viewer"]
    assert viewer == {
        "kind": "API_KEY", "name": "Client ERP", "canWrite": True,
        "departments": [{"name": "PL Operations"}, {"name": "UK Operations"}],
    }

    revoked = (await admin.data(REVOKE, {"id": key["id"]}))["revokeApiKey"]
    assert revoked["revokedAt"] is not None
    assert {**revoked, "revokedAt": None} == key
    assert (await client.error(VIEWER, token=token))["extensions"]["code"] == "UNAUTHENTICATED"

    again = (await admin.data(REVOKE, {"id": key["id"]}))["revokeApiKey"]
    assert again["revokedAt"] == revoked["revokedAt"], "revoking twice keeps the first revokedAt"
    assert (await admin.data(LIST))["apiKeys"] == [revoked]


async def test_keys_are_listed_newest_first(signed_in):
    admin = await signed_in("admin@example.com")
    first = (await _create(admin, "First", ["UK Operations"]))["apiKey"]
    second = (await _create(admin, "Second", ["PL Operations"]))["apiKey"]
    assert [k["name"] for k in (await admin.data(LIST))["apiKeys"]] == ["Second", "First"]
    assert first["canWrite"] is False, "keys are read-only unless asked otherwise"
    assert first["prefix"] != second["prefix"]


async def test_only_admins_manage_keys_and_a_refusal_writes_nothing(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    existing = await _create(admin, "ERP", ["PL Operations"], can_write=True)
    partner = HttpClient(client.base_url, existing["token"])
    others = [await signed_in(email) for email in ("jane@example.com", "lena@example.com", "bob@client.example")]
    pl = await _department_id("PL Operations")

    before = await footprint()
    for other in [*others, partner]:
        for query, variables in (
            (CREATE, {"input": {"name": "Mine", "departmentIds": [pl], "canWrite": True}}),
            (CREATE, {"input": {"name": "", "departmentIds": []}}),  # refused before the input is looked at
            (LIST, None),
            (REVOKE, {"id": existing["apiKey"]["id"]}),
            (REVOKE, {"id": "999999"}),
        ):
            error = await other.error(query, variables)
            assert error["extensions"]["code"] == "FORBIDDEN", (other.token, query, error)
    for query, variables in ((LIST, None), (REVOKE, {"id": existing["apiKey"]["id"]})):
        assert (await client.error(query, variables))["extensions"]["code"] == "UNAUTHENTICATED"
    assert await footprint() == before
    assert (await partner.data(VIEWER))["viewer"]["kind"] == "API_KEY", "the key still works"
    await partner.aclose()


async def test_bad_input_is_refused_with_the_field_named(signed_in):
    admin = await signed_in("admin@example.com")
    pl = await _department_id("PL Operations")
    before = await footprint()
    for input_value, expected in (
        ({"name": "", "departmentIds": [pl]}, ("VALIDATION", "name")),
        ({"name": "   ", "departmentIds": [pl]}, ("VALIDATION", "name")),
        ({"name": "x" * 201, "departmentIds": [pl]}, ("VALIDATION", "name")),
        ({"name": "ERP", "departmentIds": []}, ("VALIDATION", "departmentIds")),
        ({"name": "ERP", "departmentIds": ["999999"]}, ("VALIDATION", "departmentIds")),
        ({"name": "ERP", "departmentIds": [pl, "999999"]}, ("VALIDATION", "departmentIds")),
        ({"name": "ERP", "departmentIds": ["99999999999"]}, ("VALIDATION", "departmentIds")),
        ({"name": "ERP", "departmentIds": ["PL"]}, ("VALIDATION", "departmentIds")),
    ):
        assert _code(await admin.error(CREATE, {"input": input_value})) == expected, input_value
    both = await admin.error(CREATE, {"input": {"name": "", "departmentIds": []}})
    assert both["extensions"]["code"] == "VALIDATION"
    assert {f["field"] for f in both["extensions"]["fields"]} == {"name", "departmentIds"}
    assert _code(await admin.error(REVOKE, {"id": "999999"})) == ("NOT_FOUND", "id")
    for wrong in ("abc", "99999999999"):  # not a number, beyond the database's integers
        assert _code(await admin.error(REVOKE, {"id": wrong})) == ("VALIDATION", "id")
    assert await footprint() == before


# --------------------------------------------------------------------------------- revocation, live


async def test_revoking_closes_the_keys_open_websockets_at_once(signed_in, live_server):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    revoked = await _create(admin, "ERP", ["PL Operations"])
    other = await _create(admin, "Payroll bureau", ["PL Operations"])

    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(ws_session(live_server.url, revoked["token"]))
        second = await stack.enter_async_context(ws_session(live_server.url, revoked["token"]))
        other_key = await stack.enter_async_context(ws_session(live_server.url, other["token"]))
        person = await stack.enter_async_context(ws_session(live_server.url, jane.token))
        assert first.ack_payload["viewer"]["kind"] == "API_KEY"
        # one of them is in the middle of a subscription, the other sends nothing at all
        op_id = await second.subscribe('subscription { workItemUpdated(ref: "T-1007") { kind } }')
        assert (await second.next_for(op_id))["payload"]["data"]["workItemUpdated"]["kind"] == "SNAPSHOT"

        started = time.monotonic()
        await admin.data(REVOKE, {"id": revoked["apiKey"]["id"]})
        closes = await asyncio.gather(first.closed(CLOSE_TIMEOUT), second.closed(CLOSE_TIMEOUT))
        assert closes == [(4403, "Access revoked")] * 2
        assert time.monotonic() - started < CLOSE_TIMEOUT

        # the other key and the person are still connected and served
        assert (await other_key.execute("{ viewer { name } }")) == {"data": {"viewer": {"name": "Payroll bureau"}}}
        assert (await person.execute("{ viewer { name } }")) == {"data": {"viewer": {"name": "Jane Cooper"}}}


async def test_revoking_publishes_one_typed_event_on_the_keys_access_channel(signed_in):
    admin = await signed_in("admin@example.com")
    revoked = (await _create(admin, "ERP", ["PL Operations"]))["apiKey"]
    other = (await _create(admin, "Payroll bureau", ["PL Operations"]))["apiKey"]
    hub = bus.current()
    async with hub.listening([f"access:api_key:{revoked['id']}"]) as envelopes, \
            hub.listening([f"access:api_key:{other['id']}"]) as others:
        await admin.data(REVOKE, {"id": revoked["id"]})
        envelope = await asyncio.wait_for(envelopes.get(), CLOSE_TIMEOUT)
        assert envelope.event == ApiKeyRevoked(api_key_id=int(revoked["id"]))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(others.get(), 0.2)
    logged = await EventRecord.filter(type="access.api_key_revoked").values_list("payload", flat=True)
    assert logged == [{"type": "access.api_key_revoked", "api_key_id": int(revoked["id"])}]


async def test_a_revoked_key_cannot_open_a_websocket(signed_in, live_server):
    admin = await signed_in("admin@example.com")
    created = await _create(admin, "ERP", ["PL Operations"])
    await admin.data(REVOKE, {"id": created["apiKey"]["id"]})
    async with ws_session(live_server.url, init=False) as session:
        await session.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {created['token']}"}})
        assert (await session.closed(CLOSE_TIMEOUT))[0] == 4403


async def test_revocation_through_one_process_closes_the_keys_socket_on_another(
    shared_backend: backends.TestBackend, settings: Settings, demo: None, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        server_a, server_b = await stack.enter_async_context(two_servers(shared_backend, settings, tmp_path))
        anonymous = HttpClient(server_b.url)
        stack.push_async_callback(anonymous.aclose)
        admin_b = await anonymous.as_user("admin@example.com")
        stack.push_async_callback(admin_b.aclose)
        revoked = await _create(admin_b, "ERP", ["PL Operations"])
        kept = await _create(admin_b, "Payroll bureau", ["PL Operations"])

        session = await stack.enter_async_context(ws_session(server_a.url, revoked["token"]))
        kept_session = await stack.enter_async_context(ws_session(server_a.url, kept["token"]))
        await admin_b.data(REVOKE, {"id": revoked["apiKey"]["id"]})
        assert await session.closed(CLOSE_TIMEOUT) == (4403, "Access revoked")
        assert (await kept_session.execute("{ viewer { name } }")) == {"data": {"viewer": {"name": "Payroll bureau"}}}


# ------------------------------------------------------------------------------------- partner use


async def test_a_key_reads_and_searches_only_its_departments(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    partner = HttpClient(client.base_url, (await _create(admin, "ERP", ["PL Operations"]))["token"])
    try:
        item = (await partner.data(ITEM, {"ref": "t-1007"}))["workItem"]
        assert item["ref"] == "T-1007" and item["department"]["name"] == "PL Operations"
        assert _code(await partner.error(ITEM, {"ref": "T-1002"})) == ("NOT_FOUND", "ref")

        def refs(data: dict) -> set[str]:
            return {e["node"]["ref"] for e in data["workItems"]["edges"]}

        assert refs(await admin.data(SEARCH, {"text": "PAYROLL"})) == PL_PAYROLL_REFS | UK_PAYROLL_REFS
        assert refs(await partner.data(SEARCH, {"text": "PAYROLL"})) == PL_PAYROLL_REFS
        assert refs(await partner.data(SEARCH, {"text": "bank details"})) == set()
    finally:
        await partner.aclose()


async def test_a_key_adds_notes_only_in_scope_and_only_when_read_write(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    writer = HttpClient(client.base_url, (await _create(admin, "ERP writer", ["PL Operations"], can_write=True))["token"])
    reader = HttpClient(client.base_url, (await _create(admin, "ERP reader", ["PL Operations"]))["token"])
    try:
        before = await footprint()
        assert _code(await reader.error(NOTE, {"ref": "T-1007", "body": "From the ERP"})) == ("FORBIDDEN", None)
        assert _code(await writer.error(NOTE, {"ref": "T-1002", "body": "From the ERP"})) == ("NOT_FOUND", "ref")
        assert await footprint() == before

        added = (await writer.data(NOTE, {"ref": "T-1007", "body": "Payment scheduled in the ERP."}))["addNote"]
        assert added["workItem"]["ref"] == "T-1007"
        entry = await TimelineEntry.get(id=int(added["entry"]["id"]))
        assert entry.body == "Payment scheduled in the ERP." and entry.actor_api_key_id is not None
    finally:
        await writer.aclose()
        await reader.aclose()


LINK = "mutation($ref: String!, $other: String!) { linkWorkItems(ref: $ref, otherRef: $other) { workItem { ref } } }"
LINKED = "query($ref: String!) { workItem(ref: $ref) { linkedItems { ref restricted workItem { ref } } } }"


async def test_a_key_links_items_only_in_scope_and_sees_other_departments_as_headers(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    writer = HttpClient(client.base_url, (await _create(admin, "ERP writer", ["PL Operations"], can_write=True))["token"])
    reader = HttpClient(client.base_url, (await _create(admin, "ERP reader", ["PL Operations"]))["token"])
    try:
        before = await footprint()
        assert _code(await reader.error(LINK, {"ref": "T-1007", "other": "T-1008"})) == ("FORBIDDEN", None)
        assert _code(await writer.error(LINK, {"ref": "T-1007", "other": "T-1002"})) == ("NOT_FOUND", "otherRef")
        assert _code(await writer.error(LINK, {"ref": "T-1002", "other": "T-1007"})) == ("NOT_FOUND", "ref")
        assert await footprint() == before

        assert (await writer.data(LINK, {"ref": "T-1007", "other": "T-1008"}))["linkWorkItems"]["workItem"]["ref"] == "T-1007"
        await admin.data(LINK, {"ref": "T-1007", "other": "T-1002"})  # across departments: made by an admin

        linked = (await reader.data(LINKED, {"ref": "T-1007"}))["workItem"]["linkedItems"]
        assert sorted(linked, key=lambda i: i["ref"]) == [
            {"ref": "T-1002", "restricted": True, "workItem": None},  # UK Operations: header only
            {"ref": "T-1008", "restricted": False, "workItem": {"ref": "T-1008"}},
        ]
    finally:
        await writer.aclose()
        await reader.aclose()
