"""The authorisation matrix, pushed: the personal and team streams (`notifications`,
`newInfoFlags`, `sharedEmails(teamId)`, `outboxUpdated`, `teamBar(teamId)`) for every kind of
viewer of tests/api/test_authorization_matrix.py.

Each viewer subscribes to every stream (and to both teams' streams): it gets its snapshot, or the
refusal its kind is due — FORBIDDEN for portal requesters and API keys (staff-only streams),
NOT_FOUND on `teamId` for an employee outside the team. Then writers (an API key with every
department, and the admin) make changes in both departments that push on every stream: items
assigned (a notification for the assignee), flags set and cleared, emails shared to a UK and a PL
item, resolution emails queued. Every message must name only work items the viewer's own
`workItems` query returns, each viewer must get the pushes meant for it, and a viewer meant none
gets none.

On top of the matrix's world Olga (PL staff, holding the UK ticket T-1002) joins Team A (UK): her
team-mates then follow her assignee channel, which carries PL items Jane may not see, and she
follows Team A's streams, which carry UK items she may not see.
"""

from __future__ import annotations

import asyncio

import pytest

from models.org import Department, Team, User
from server.domain import api_keys
from tests.support.client import HttpClient, WsSession, ws_session
from tests.support.matrix_world import VIEWERS, World, oracle, work_item_refs

NOTIFICATIONS = "subscription { notifications { kind unreadCount notifications { id workItemRef text } } }"
FLAGS = "subscription { newInfoFlags { snapshot flags { hasNewInfo workItem { ref } } } }"
OUTBOX = "subscription { outboxUpdated { snapshot emails { id status workItemRef } } }"
SHARED = "subscription($team: ID!) { sharedEmails(teamId: $team) { snapshot emails { subject sharedFrom workItem { ref } } } }"
BAR = """subscription($team: ID!) { teamBar(teamId: $team) { cursor bar {
  team { name } members { user { name } currentItem { ref } inbox inProgress waiting } } } }"""
STREAMS = {"notifications": (NOTIFICATIONS, False), "newInfoFlags": (FLAGS, False), "outboxUpdated": (OUTBOX, False),
           "sharedEmails": (SHARED, True), "teamBar": (BAR, True)}
TEAMS = ("Team A", "Team B")

ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref } } }"
MARK_READ = "mutation($ref: String!) { markWorkItemRead(ref: $ref) { workItem { ref } } }"
MARK_NEW = "mutation($ref: String!) { markWorkItemNew(ref: $ref) { workItem { ref } } }"
SHARE = "mutation($email: ID!, $ref: String!) { shareEmail(emailId: $email, toRef: $ref) { workItem { ref } } }"
RESOLVE = """mutation($ref: String!) { resolveWorkItem(ref: $ref, input: {method: WITH_CUSTOMER_RESPONSE,
  email: {to: ["someone@client.example"], subject: "Done", body: "probe"}}) { workItem { ref status } } }"""
QUIET = 1.5  # no message for this long: everything has arrived (the hub polls the log every second)

STAFF_TEAMS = {  # the teams whose streams a viewer may follow (a member, a leader or an admin)
    "uk_agent": {"Team A"}, "pl_agent": {"Team B"}, "outside_assignee": {"Team A"}, "admin": {"Team A", "Team B"},
    "public_member": set(), "outside_owner": set(),
}
# the pushes each viewer must get (work items named), beyond which nothing out of its scope
MUST = {
    # her own T-1003 handed back to her; T-1002 and T-1003 flagged (Olga's PL items are not hers to see)
    "uk_agent": {"notifications": {"T-1003"}, "newInfoFlags": {"T-1002", "T-1003"},
                 "sharedEmails:Team A": {"T-1002", "C-1001"}},
    "pl_agent": {"notifications": {"T-1009"}, "newInfoFlags": {"T-1009"}, "sharedEmails:Team B": {"T-1007"}},
    # T-1007 assigned to her and an email shared to T-1002 (hers); Jane's T-1003 is not hers to see
    "outside_assignee": {"notifications": {"T-1007", "T-1002"}, "newInfoFlags": {"T-1002", "T-1007"},
                         "sharedEmails:Team A": {"T-1002"}},
    # resolving T-1003 and T-1009 makes them the admin's, flags and all
    "admin": {"outboxUpdated": {"T-1003", "T-1009"}, "newInfoFlags": {"T-1003", "T-1009"}, "sharedEmails:Team A": {"T-1002", "C-1001"},
              "sharedEmails:Team B": {"T-1007"}},
}


def _codes(message: dict) -> set[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors") or []
    return {e.get("extensions", {}).get("code") for e in errors}


def _expected_refusal(viewer: str, stream: str, team: str | None) -> str | None:
    if viewer in ("requester", "partner_key"):
        return "FORBIDDEN"
    if team is not None and team not in STAFF_TEAMS[viewer]:
        return "NOT_FOUND"
    return None


async def _drain(session: WsSession, ops: dict[str, str]) -> dict[str, list[dict]]:
    """Every message until none came for QUIET seconds, by stream."""
    pushed: dict[str, list[dict]] = {}
    while True:
        try:
            message = await session.receive(timeout=QUIET)
        except (asyncio.TimeoutError, TimeoutError):
            return pushed
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        stream = ops[message["id"]]
        pushed.setdefault(stream, []).append(message["payload"]["data"][stream.split(":")[0]])


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_every_push_of_the_personal_and_team_streams_stays_in_scope(world: World, viewer: str, live_server):
    team_ids = {name: (await Team.get(name=name)).id for name in TEAMS}
    olga = await User.get(email="olga@example.com")
    await (await Team.get(name="Team A")).members.add(olga)
    visible = world.visible[viewer]
    client = world.clients[viewer]
    listed = await client.data("{ workItems(first: 100) { edges { node { ref } } } }")
    assert {e["node"]["ref"] for e in listed["workItems"]["edges"]} == visible == (await oracle())[viewer]

    everywhere = await api_keys.create_api_key("Probe", [d.id for d in await Department.all()], can_write=True, created_by=None)
    writer = HttpClient(client.base_url, everywhere.token)
    admin = world.clients["admin"]
    users = {u.email.split("@")[0]: str(u.id) for u in await User.all()}
    try:
        async with ws_session(live_server.url, client.token) as session:
            ops: dict[str, str] = {}
            for stream, (document, per_team) in STREAMS.items():
                for team in (TEAMS if per_team else (None,)):
                    label = f"{stream}:{team}" if team else stream
                    op = await session.subscribe(document, {"team": str(team_ids[team])} if team else None)
                    first = await session.next_for(op)
                    refusal = _expected_refusal(viewer, stream, team)
                    if refusal is None:
                        assert first["type"] == "next" and not first["payload"].get("errors"), (viewer, label, first)
                        snapshot = first["payload"]["data"][stream]
                        assert work_item_refs(snapshot) <= visible, (viewer, label, snapshot)
                        ops[op] = label
                    else:
                        assert _codes(first) == {refusal}, (viewer, label, first)
                        if first["type"] == "next":
                            assert (await session.next_for(op))["type"] == "complete"

            # the admin hands work on in both departments (each notifies its assignee), PL items to Olga among them
            for ref, user in (("T-1007", "olga"), ("T-1009", "olga"), ("T-1009", "karina"), ("T-1003", "lena"), ("T-1003", "jane")):
                await admin.data(ASSIGN, {"ref": ref, "user": users[user]})
            # flags cleared and set on items held in Team A (Jane's, Olga's UK and PL ones) and Team B
            for ref in ("T-1002", "T-1003", "T-1007", "T-1009"):
                await admin.data(MARK_READ, {"ref": ref})
                await admin.data(MARK_NEW, {"ref": ref})
            # emails shared each way across the UK–PL links (to Team A's and Team B's items)
            for source, target in (("T-1007", "T-1002"), ("T-1002", "T-1007"), (world.ref("PUBLIC"), "C-1001"), ("C-1001", world.ref("PUBLIC"))):
                await writer.data(SHARE, {"email": world.emails[source], "ref": target})
            # the admin's outbox: a resolution email on a UK and on a PL item
            for ref in ("T-1003", "T-1009"):
                await admin.data(RESOLVE, {"ref": ref})

            pushed = await _drain(session, ops)
    finally:
        await writer.aclose()

    for label, messages in pushed.items():
        for message in messages:
            assert work_item_refs(message) <= visible, f"{viewer} was pushed {work_item_refs(message) - visible} on {label}: {message}"
    named = {label: set().union(*(work_item_refs(m) for m in messages)) for label, messages in pushed.items()}
    for label, refs in MUST.get(viewer, {}).items():
        assert refs <= named.get(label, set()), (viewer, label, named)
    if viewer in ("public_member", "outside_owner", "requester", "partner_key"):
        assert not pushed, (viewer, pushed)
    else:
        # nothing but what is meant for it: no notification, flag or outbox push of another's
        for label in ("notifications", "newInfoFlags", "outboxUpdated", "sharedEmails:Team A", "sharedEmails:Team B"):
            if label not in MUST.get(viewer, {}):
                assert label not in pushed, (viewer, label, pushed.get(label))
        for team in STAFF_TEAMS[viewer]:
            assert pushed.get(f"teamBar:{team}"), (viewer, team, "the bar changed but nothing was pushed")
