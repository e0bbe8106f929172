"""Sign-in sessions (issue 12): each login is a session whose id the token carries; `logout` ends
one's own, admins list a user's sessions and revoke them; an ended session's token is refused and
its live WebSocket connections close at once. Checking the session costs no extra statement."""

from __future__ import annotations

from contextlib import AsyncExitStack

from models.audit import AuditEntry
from models.org import User
from models.session import Session
from tests.support.client import HttpClient, ws_session
from tests.support.queries import recorded_queries

VIEWER = "{ viewer { name } }"
LOGOUT = "mutation { logout }"
SESSIONS = "query($id: ID!, $all: Boolean!) { userSessions(userId: $id, includeEnded: $all) { id createdAt expiresAt revokedAt clientAddress } }"
REVOKE = "mutation($id: ID!) { revokeUserSessions(userId: $id) }"
NOTIFICATIONS = "subscription { notifications { unreadCount } }"
CLOSE_TIMEOUT = 10.0


def _code(error: dict) -> str:
    return error["extensions"]["code"]


async def test_logout_ends_only_this_session(client: HttpClient, demo):
    first = await client.login("jane@example.com")
    second = await client.login("jane@example.com")
    assert (await client.data(LOGOUT, token=first))["logout"] is True
    assert _code(await client.error(VIEWER, token=first)) == "UNAUTHENTICATED"
    assert (await client.data(VIEWER, token=second))["viewer"]["name"] == "Jane Cooper"
    assert _code(await client.error(LOGOUT, token=first)) == "UNAUTHENTICATED"
    assert _code(await client.error(LOGOUT)) == "UNAUTHENTICATED"


async def test_a_portal_contact_logs_out_and_their_connection_closes(client: HttpClient, live_server, demo):
    token = await client.login("bob@client.example")
    other = await client.login("bob@client.example")
    async with AsyncExitStack() as stack:
        socket = await stack.enter_async_context(ws_session(live_server.url, token))
        kept = await stack.enter_async_context(ws_session(live_server.url, other))
        await client.data(LOGOUT, token=token)
        assert (await socket.closed(CLOSE_TIMEOUT))[0] == 4403
        assert (await kept.execute(VIEWER))["data"]["viewer"]["name"], "another session of the contact keeps working"
    assert _code(await client.error(VIEWER, token=token)) == "UNAUTHENTICATED"


async def test_admin_lists_and_revokes_a_users_sessions_closing_their_connections(signed_in, client: HttpClient, live_server):
    admin = await signed_in("admin@example.com")
    jane_id = str((await User.get(email="jane@example.com")).id)
    tokens = [await client.login("jane@example.com") for _ in range(2)]
    listed = (await admin.data(SESSIONS, {"id": jane_id, "all": False}))["userSessions"]
    assert len(listed) == 2 and all(s["revokedAt"] is None for s in listed)
    assert listed[0]["createdAt"] >= listed[1]["createdAt"]
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(ws_session(live_server.url, t)) for t in tokens]
        op = await sockets[0].subscribe(NOTIFICATIONS)
        assert (await sockets[0].next_for(op))["type"] == "next"
        admin_socket = await stack.enter_async_context(ws_session(live_server.url, admin.token))
        assert (await admin.data(REVOKE, {"id": jane_id}))["revokeUserSessions"] == 2
        for socket in sockets:
            assert (await socket.closed(CLOSE_TIMEOUT))[0] == 4403
        assert (await admin_socket.execute(VIEWER))["data"]["viewer"]["name"] == "Admin", "others stay connected"
    for token in tokens:
        assert _code(await client.error(VIEWER, token=token)) == "UNAUTHENTICATED"
    assert (await admin.data(SESSIONS, {"id": jane_id, "all": False}))["userSessions"] == []
    ended = (await admin.data(SESSIONS, {"id": jane_id, "all": True}))["userSessions"]
    assert len(ended) == 2 and all(s["revokedAt"] for s in ended)
    entry = await AuditEntry.get(action="session.revoked")
    assert entry.target_id == jane_id and entry.changes == {"sessions": {"from": 2, "to": 0}}
    assert await client.as_user("jane@example.com"), "signing in again works"


async def test_checking_the_session_costs_no_extra_statement(signed_in, client: HttpClient):
    jane = await signed_in("jane@example.com")
    with recorded_queries() as statements:
        await jane.data(VIEWER)
    # the user joined with their session, then their departments and teams
    assert len(statements) == 2, "\n".join(statements)
    assert "auth_session" in statements[0]
    bob = await client.login("bob@client.example")
    with recorded_queries() as statements:
        await client.data(VIEWER, token=bob)
    assert len(statements) <= 2 and "auth_session" in statements[0], "\n".join(statements)


async def test_sessions_are_stored_per_sign_in_and_tokens_without_one_are_refused(signed_in, client: HttpClient, settings):
    from server.domain.tokens import TokenSigner

    jane = await signed_in("jane@example.com")
    user = await User.get(email="jane@example.com")
    assert await Session.filter(user_id=user.id).count() == 1
    bare, _ = TokenSigner(settings.secret_key, settings.token_ttl_seconds).issue("user", user.id)
    assert _code(await client.error(VIEWER, token=bare)) == "UNAUTHENTICATED"
    forged = jane.token.split(".")
    assert _code(await client.error(VIEWER, token=".".join([forged[0], forged[1], "x" + forged[2][1:]]))) == "UNAUTHENTICATED"
