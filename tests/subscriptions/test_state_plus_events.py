"""State + events == refetch: a client that keeps the snapshot and applies every pushed message
ends with what a fresh query returns, after a random (seeded) sequence of mutations by jane, lena
and the admin on one ticket.

- workItemUpdated: each message's `workItem` replaces the item's fields;
- notifications: CREATED prepends the new ones, READ marks those read, unreadCount is replaced;
- teamBar: each message is the whole bar and replaces it;
- newInfoFlags: each flag in a message sets or clears the item's flag.

Mutations the server refuses (taking work that is already taken, say) are part of the sequence:
they push nothing and change nothing. The mail streams (sharedEmails, outboxUpdated) are in
test_state_plus_events_mail.py; the mirror and the loops feeding it in tests/support/live_mirror.py.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.support.backends import BACKEND
from tests.support.client import HttpClient, ws_session
from tests.support.live_mirror import Mirror, run_steps, take_snapshots

REF = "T-1003"
ITEM_FIELDS = "ref title description status priority version hasNewInfo assignee { id name } updatedAt"
WORK_ITEM = f"""subscription($ref: String!) {{
  workItemUpdated(ref: $ref) {{ kind cursor workItem {{ {ITEM_FIELDS} }} }}
}}"""
NOTIFICATION_FIELDS = "id kind text read workItemRef"
NOTIFICATIONS = f"subscription {{ notifications {{ kind cursor unreadCount notifications {{ {NOTIFICATION_FIELDS} }} }} }}"
BAR_FIELDS = "team { name } members { user { name } leader currentItem { ref } inbox inProgress waiting overdue presence }"
TEAM_BAR = f"subscription($team: ID!) {{ teamBar(teamId: $team) {{ cursor bar {{ {BAR_FIELDS} }} }} }}"
FLAGS = "subscription { newInfoFlags { snapshot cursor flags { hasNewInfo workItem { ref } } } }"
REFETCH = f"""query($ref: String!, $team: ID!) {{
  workItem(ref: $ref) {{ {ITEM_FIELDS} }}
  notifications(first: 100) {{ {NOTIFICATION_FIELDS} }}
  unreadNotificationCount
  teamBar(teamId: $team) {{ {BAR_FIELDS} }}
}}"""
STEPS = 20


class ItemMirror(Mirror):
    def __init__(self) -> None:
        super().__init__()
        self.item: dict | None = None
        self.notifications: list[dict] = []
        self.unread: int | None = None
        self.bar: dict | None = None
        self.flags: dict[str, bool] | None = None

    def apply(self, field: str, update: dict) -> None:
        if field == "workItemUpdated":
            self.item = update["workItem"]
            return
        if field == "teamBar":
            self.bar = update["bar"]
            return
        if field == "newInfoFlags":
            if update["snapshot"]:
                self.flags = {}
            for flag in update["flags"]:
                self.flags[flag["workItem"]["ref"]] = flag["hasNewInfo"]
            return
        kind, rows = update["kind"], update["notifications"]
        if kind == "SNAPSHOT":
            self.notifications = list(rows)
        elif kind == "CREATED":
            known = {n["id"] for n in self.notifications}
            self.notifications[:0] = [n for n in rows if n["id"] not in known]
        elif kind == "READ":
            read = {n["id"] for n in rows}
            self.notifications = [{**n, "read": True} if n["id"] in read else n for n in self.notifications]
        else:
            raise AssertionError(f"unknown notifications kind {kind}")
        self.unread = update["unreadCount"]


def _steps(rng: random.Random, ids: dict[str, str]) -> list[tuple[str, str, dict]]:
    """(actor, document, variables) for each step of the sequence."""
    update = 'mutation($r: String!, $t: String, $d: String) { updateWorkItem(ref: $r, input: {title: $t, description: $d}) { version } }'
    assign = 'mutation($r: String!, $u: ID) { assignWorkItem(ref: $r, userId: $u) { workItem { ref } } }'
    choices = [
        lambda actor: (actor, update, {"r": REF, "t": f"{actor} title {rng.randrange(1000)}"}),
        lambda actor: (actor, update, {"r": REF, "d": f"{actor} wrote {rng.randrange(1000)}"}),
        lambda actor: (actor, assign, {"r": REF, "u": ids[rng.choice(["jane", "lena"])]}),
        # handed to jane by someone else: a notification for her
        lambda actor: (rng.choice(["lena", "admin"]), assign, {"r": REF, "u": ids["jane"]}),
        lambda actor: (actor, 'mutation($r: String!) { startWork(ref: $r) { notices } }', {"r": REF}),
        lambda actor: (actor, 'mutation($r: String!, $b: String!) { addNote(ref: $r, input: {body: $b}) { entry { id } } }', {"r": REF, "b": f"note by {actor}"}),
        lambda actor: ("jane", "mutation { markNotificationsRead }", {}),
        lambda actor: (actor, 'mutation($r: String!) { markWorkItemNew(ref: $r) { workItem { ref } } }', {"r": REF}),
        lambda actor: (actor, 'mutation($r: String!) { markWorkItemRead(ref: $r) { workItem { ref } } }', {"r": REF}),
    ]
    return [rng.choice(choices)(rng.choice(["jane", "lena", "admin"])) for _ in range(STEPS)]


# two sequences on each configuration, different ones: four in all
@pytest.mark.parametrize("seed", [1, 2] if BACKEND == "sqlite" else [3, 4])
async def test_snapshot_plus_pushed_messages_equals_a_fresh_query(live_server, signed_in, seed: int):
    users = {name: await signed_in(f"{name}@example.com") for name in ("jane", "lena", "admin")}
    ids = {name: (await client.data("{ viewer { id } }"))["viewer"]["id"] for name, client in users.items()}
    jane: HttpClient = users["jane"]
    mirror = ItemMirror()
    async with ws_session(live_server.url, jane.token) as session:
        team_a = (await jane.data('{ teams(search: "Team A") { edges { node { id } } } }'))["teams"]["edges"][0]["node"]["id"]
        ops = {
            await session.subscribe(WORK_ITEM, {"ref": REF}): "workItemUpdated",
            await session.subscribe(NOTIFICATIONS): "notifications",
            await session.subscribe(TEAM_BAR, {"team": team_a}): "teamBar",
            await session.subscribe(FLAGS): "newInfoFlags",
        }
        pushed = await take_snapshots(session, ops, mirror)
        steps = iter(_steps(random.Random(seed), ids))
        succeeded, after = await run_steps(users, lambda: next(steps), STEPS, [(session, ops, mirror)])
        pushed += after
        # while the socket is open: jane is ONLINE on the bar, as in the mirror
        fresh = await jane.data(REFETCH, {"ref": REF, "team": team_a})

    assert succeeded >= STEPS // 3, f"only {succeeded} of {STEPS} mutations succeeded"
    assert pushed == len(mirror.kinds)
    # the sequence exercised both streams' kinds of change
    for kind in ("workItemUpdated.UPDATED", "workItemUpdated.ASSIGNED", "notifications.CREATED", "notifications.READ"):
        assert kind in mirror.kinds, (kind, mirror.kinds)
    assert mirror.item == fresh["workItem"]
    assert mirror.unread == fresh["unreadNotificationCount"]
    assert mirror.notifications == fresh["notifications"][: len(mirror.notifications)]
    assert mirror.bar == fresh["teamBar"], json.dumps([mirror.bar, fresh["teamBar"]])
    # the flag shows while the item is with jane or her team (lena); with anyone else (the admin
    # took it with startWork, say) it is not theirs to follow
    holder = fresh["workItem"]["assignee"]
    on_team = holder is not None and holder["id"] in (ids["jane"], ids["lena"])
    assert mirror.flags.get(REF, False) == (on_team and fresh["workItem"]["hasNewInfo"]), (mirror.flags, fresh["workItem"])
