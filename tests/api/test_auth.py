"""Signing in, tokens, API keys and sign-in throttling, through GraphQL over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.auth import ApiKey, SignInThrottle
from models.org import Department, User
from server.domain import api_keys, auth, clock
from tests.support.client import HttpClient, ws_session

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt viewer { kind name } } }"
VIEWER = "{ viewer { kind id name email role canWrite departments { name } teams { name } ledTeams { name } company { name } } }"


async def test_employee_signs_in_and_sees_who_they_are(client: HttpClient, demo):
    data = await client.data(LOGIN, {"e": "Jane@Example.com ", "p": "demo"})
    assert data["login"]["viewer"] == {"kind": "USER", "name": "Jane Cooper"}
    viewer = (await client.data(VIEWER, token=data["login"]["token"]))["viewer"]
    assert viewer["email"] == "jane@example.com"
    assert viewer["role"] == "AGENT"
    assert viewer["departments"] == [{"name": "UK Operations"}]
    assert viewer["teams"] == [{"name": "Team A"}]
    assert viewer["ledTeams"] == []


async def test_a_hash_of_another_cost_is_redone_at_the_next_sign_in(client: HttpClient, demo):
    from argon2 import PasswordHasher

    from models.contact import Contact

    older = PasswordHasher(time_cost=2, memory_cost=64)  # as if hashed before the cost was changed
    await User.filter(email="jane@example.com").update(password_hash=older.hash("demo"))
    await Contact.filter(email="bob@client.example").update(portal_password_hash=older.hash("demo"))
    for email, stored in (("jane@example.com", User), ("bob@client.example", Contact)):
        await client.data(LOGIN, {"e": email, "p": "demo"})
        row = await stored.get(email=email)
        redone = row.password_hash if stored is User else row.portal_password_hash
        assert not auth.needs_rehash(redone) and auth.verify_password(redone, "demo")
        await client.data(LOGIN, {"e": email, "p": "demo"})  # still signs in with the new hash


async def test_team_leader_and_admin_scopes(signed_in):
    lena = (await (await signed_in("lena@example.com")).data(VIEWER))["viewer"]
    assert lena["role"] == "TEAM_LEADER" and lena["ledTeams"] == [{"name": "Team A"}]
    admin = (await (await signed_in("admin@example.com")).data(VIEWER))["viewer"]
    assert admin["role"] == "ADMIN"
    assert {d["name"] for d in admin["departments"]} == {"UK Operations", "PL Operations"}


async def test_portal_contact_signs_in(client: HttpClient, demo):
    data = await client.data(LOGIN, {"e": "bob@client.example", "p": "demo"})
    viewer = (await client.data(VIEWER, token=data["login"]["token"]))["viewer"]
    assert viewer["kind"] == "CONTACT"
    assert viewer["company"] == {"name": "Acme Corp"}
    assert viewer["departments"] == []


async def test_wrong_password_and_unknown_address_look_the_same(client: HttpClient, demo):
    wrong_password = await client.error(LOGIN, {"e": "jane@example.com", "p": "nope"})
    unknown = await client.error(LOGIN, {"e": "nobody@example.com", "p": "nope"})
    contact_without_portal = await client.error(LOGIN, {"e": "alice@globex.example", "p": "demo"})
    assert wrong_password == unknown == contact_without_portal
    assert wrong_password["message"] == "Wrong email or password."
    assert wrong_password["extensions"] == {"code": "INVALID_CREDENTIALS"}


@pytest.mark.parametrize("email", ["jane@example.com", "nobody@example.com"])
async def test_repeated_failures_are_slowed_down(client: HttpClient, demo, email):
    with clock.frozen() as frozen:
        for _ in range(auth.FREE_FAILURES + 1):
            error = await client.error(LOGIN, {"e": email, "p": "wrong"})
            assert error["extensions"]["code"] == "INVALID_CREDENTIALS"
        blocked = await client.error(LOGIN, {"e": email, "p": "demo"})
        assert blocked["extensions"]["code"] == "RATE_LIMITED"
        assert blocked["extensions"]["field"] == "email"
        assert blocked["extensions"]["retryAfter"] >= 1
        # the wait doubles with every further failure
        frozen.advance(timedelta(seconds=2))
        await client.error(LOGIN, {"e": email, "p": "wrong"})
        second = await client.error(LOGIN, {"e": email, "p": "demo"})
        assert second["extensions"]["code"] == "RATE_LIMITED"
        assert second["extensions"]["retryAfter"] >= 2
        frozen.advance(timedelta(seconds=3))
        if email == "jane@example.com":
            await client.data(LOGIN, {"e": email, "p": "demo"})
            # success resets the count: one more failure is not blocked
            error = await client.error(LOGIN, {"e": email, "p": "wrong"})
            assert error["extensions"]["code"] == "INVALID_CREDENTIALS"


async def test_expired_and_tampered_tokens_are_refused(client: HttpClient, demo, settings):
    with clock.frozen() as frozen:
        token = await client.login("jane@example.com")
        assert (await client.data("{ viewer { name } }", token=token))["viewer"]["name"] == "Jane Cooper"
        frozen.advance(timedelta(seconds=settings.token_ttl_seconds + 1))
        expired = await client.error("{ viewer { name } }", token=token)
    assert expired["extensions"]["code"] == "UNAUTHENTICATED"
    head, payload, signature = token.split(".")
    tampered = await client.error("{ viewer { name } }", token=f"{head}.{payload}x.{signature}")
    assert tampered["extensions"]["code"] == "UNAUTHENTICATED"


async def test_deactivated_user_token_stops_working(client: HttpClient, demo):
    token = await client.login("jane@example.com")
    await User.filter(email="jane@example.com").update(is_active=False)
    error = await client.error("{ workItems { edges { node { ref } } } }", token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_malformed_header_and_missing_token(client: HttpClient, demo):
    result = await client.post("{ viewer { name } }", headers={"Authorization": "Basic amFuZTpkZW1v"})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.data("{ viewer { name } }"))["viewer"] is None
    error = await client.error("{ workItems { edges { node { ref } } } }")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization" in error["message"]


async def test_api_key_is_a_bearer_token_and_revocation_is_immediate(client: HttpClient, demo):
    pl = await Department.get(name="PL Operations")
    issued = await api_keys.create_api_key("ERP", [pl.id], can_write=False, created_by=None)
    stored = await ApiKey.get(id=issued.key.id)
    assert issued.token.split("_")[-1] not in stored.secret_hash, "only a digest of the secret is stored"
    viewer = (await client.data(VIEWER, token=issued.token))["viewer"]
    assert viewer["kind"] == "API_KEY"
    assert viewer["canWrite"] is False
    assert viewer["departments"] == [{"name": "PL Operations"}]
    wrong_secret = issued.token[:-4] + "AAAA"
    assert (await client.error(VIEWER, token=wrong_secret))["extensions"]["code"] == "UNAUTHENTICATED"
    await ApiKey.filter(id=issued.key.id).update(revoked_at=clock.now())
    assert (await client.error(VIEWER, token=issued.token))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_websocket_authenticates_in_connection_init(live_server, client: HttpClient, demo):
    token = await client.login("jane@example.com")
    async with ws_session(live_server.url, token) as session:
        assert session.ack_payload == {"viewer": {"kind": "USER", "id": "1", "name": "Jane Cooper"}}
        result = await session.execute("{ viewer { name } }")
        assert result == {"data": {"viewer": {"name": "Jane Cooper"}}}

    for payload in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": token}):
        async with ws_session(live_server.url, init=False) as session:
            await session.send({"type": "connection_init", "payload": payload})
            code, _reason = await session.closed()
            assert code == 4403, payload


async def test_websocket_operations_see_access_changes_at_once(live_server, client: HttpClient, demo):
    token = await client.login("jane@example.com")
    async with ws_session(live_server.url, token) as session:
        assert (await session.execute('{ workItem(ref: "T-1002") { ref } }'))["data"]["workItem"]["ref"] == "T-1002"
        await User.filter(email="jane@example.com").update(is_active=False)
        result = await session.execute('{ workItem(ref: "T-1002") { ref } }')
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _from(client_address: str) -> dict[str, str]:
    # the test server runs uvicorn with its defaults, which take the client address from
    # X-Forwarded-For when the peer is 127.0.0.1 (uvicorn's --forwarded-allow-ips)
    return {"X-Forwarded-For": client_address}


async def _attempts(client: HttpClient, tries: list[tuple[str, str]], client_address: str) -> list[dict]:
    """The logins sent at once; each response body, in order."""
    return await asyncio.gather(
        *(client.post(LOGIN, {"e": email, "p": password}, headers=_from(client_address)) for email, password in tries)
    )


async def _failures_of(email: str) -> int:
    row = await SignInThrottle.get_or_none(key=auth.email_key(email))
    return 0 if row is None else row.failures


def _codes(results: list[dict]) -> list[str]:
    return ["TOKEN" if r.get("data") else r["errors"][0]["extensions"]["code"] for r in results]


async def test_concurrent_guesses_at_one_address_pass_the_gate_one_at_a_time(client: HttpClient, demo):
    with clock.frozen() as frozen:
        for _ in range(7):
            assert _codes(await _attempts(client, [("jane@example.com", "wrong")], "198.51.100.1")) == ["INVALID_CREDENTIALS"]
            frozen.advance(timedelta(seconds=5))  # longer than the block of up to 4 s after each
        tries = [("jane@example.com", f"wrong-{i}") for i in range(39)] + [("jane@example.com", "demo")]
        codes = _codes(await _attempts(client, tries, "198.51.100.1"))
    # the block is decided before the password is checked: one guess gets through, the rest wait
    assert codes.count("INVALID_CREDENTIALS") == 1, codes
    assert codes.count("RATE_LIMITED") == 39, codes
    assert codes[-1] == "RATE_LIMITED"
    assert await _failures_of("jane@example.com") == 8


async def test_concurrent_failures_are_all_counted(client: HttpClient, demo):
    with clock.frozen():
        codes = _codes(await _attempts(client, [("nobody@example.com", "wrong")] * 30, "198.51.100.2"))
    assert codes.count("INVALID_CREDENTIALS") == auth.FREE_FAILURES + 1, codes
    assert codes.count("RATE_LIMITED") == 30 - auth.FREE_FAILURES - 1, codes
    assert await _failures_of("nobody@example.com") == auth.FREE_FAILURES + 1


async def test_password_spraying_from_one_client_is_slowed_down(client: HttpClient, demo):
    with clock.frozen() as frozen:
        tries = [(f"user{i}@example.com", "Summer2026!") for i in range(39)]
        codes = _codes(await _attempts(client, tries, "203.0.113.7"))
        assert codes.count("INVALID_CREDENTIALS") == auth.CLIENT_FREE_FAILURES + 1, codes
        assert codes.count("RATE_LIMITED") == 39 - auth.CLIENT_FREE_FAILURES - 1, codes
        # then the right password from that client is refused too (sent after the 39: sent among
        # them it may arrive first and rightly get through)
        assert _codes(await _attempts(client, [("jane@example.com", "demo")], "203.0.113.7")) == ["RATE_LIMITED"]
        refused = (await _attempts(client, [("lena@example.com", "demo")], "203.0.113.7"))[0]["errors"][0]
        assert refused["extensions"]["code"] == "RATE_LIMITED" and refused["extensions"]["retryAfter"] >= 1
        assert "this client" in refused["message"]
        # the addresses guessed at were not charged for the refused attempts
        refused_addresses = [email for (email, _), code in zip(tries, codes) if code == "RATE_LIMITED"]
        assert [await _failures_of(email) for email in refused_addresses] == [0] * len(refused_addresses)
        # another client is not affected, nor is jane's own address
        assert _codes(await _attempts(client, [("jane@example.com", "demo")], "203.0.113.8")) == ["TOKEN"]
        frozen.advance(timedelta(seconds=2))
        assert _codes(await _attempts(client, [("lena@example.com", "demo")], "203.0.113.7")) == ["TOKEN"]
