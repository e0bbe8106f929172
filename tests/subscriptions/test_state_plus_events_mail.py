"""State + events == refetch for the mail streams, `sharedEmails(teamId)` and `outboxUpdated`
(tests/subscriptions/test_state_plus_events.py does the item, notification, flag and bar streams).

Jane and Lena (Team A, UK) and the admin, in a random (seeded) order, resolve UK tickets with an
email (queued in the resolver's outbox) or with a note only (no email), reopen them, share emails
to linked items — a PL item's to a UK one and back too — and take shares back (`unshareEmail`).
Each of them follows Team A's shared emails (the admin Team B's too) and their own outbox, and
applies every message as a client does:

- sharedEmails: the snapshot is the list, newest share first; a message's `emails` are new shares
  (put first), its `unshared` those taken back (removed), each known by emailId and workItem;
- outboxUpdated: a message's emails replace those of the same id (new ones first) and an email
  whose status has left the outbox (SENT, CANCELLED) goes.

Neither snapshot has a query of its own, so each mirror is compared with the snapshot of a fresh
subscription (order and every field), and both with the queries a client has for the same facts:
the team's items' `emails` (shared ones carry `sharedFrom`) and the viewer's items' own outgoing
emails (EmailMessage names no author: the viewer's are those with the subjects this test wrote for
them). A shared email's `workItem` is selected by `ref` only: the stream tells of shares, not of
the item's later changes. Refused mutations (resolving a resolved ticket, sharing an email one may
not see) are part of the sequence: they push nothing and change nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from models.org import User
from models.work_item import WorkItem
from server.domain import outbox
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from tests.support.backends import BACKEND
from tests.support.client import HttpClient, ws_session
from tests.support.live_mirror import Mirror, Step, run_steps, take_snapshots

SHARED_FIELDS = "emailId subject sharedFrom sharedAt workItem { ref }"
SHARED = f"""subscription($team: ID!) {{ sharedEmails(teamId: $team) {{
  snapshot cursor emails {{ {SHARED_FIELDS} }} unshared {{ {SHARED_FIELDS} }} }} }}"""
OUTBOX = "subscription { outboxUpdated { snapshot cursor emails { id status subject to workItemRef createdAt sentAt error } } }"
OUTBOX_STATUSES = {"QUEUED", "SENDING", "RETRY_PENDING", "FAILED", "CONNECTOR_DISABLED"}
ALL_STATUSES = "[DRAFT, TO_DO, IN_PROGRESS, WAITING, RESOLVED, CLOSED]"
TEAM_EMAILS = f"""query($team: ID!) {{ teamItems(teamId: $team, filter: {{statuses: {ALL_STATUSES}}}, first: 100) {{
  edges {{ node {{ ref emails {{ id subject sharedFrom }} }} }} }} }}"""
MY_EMAILS = f"""{{ workItems(filter: {{statuses: {ALL_STATUSES}}}, first: 100) {{
  edges {{ node {{ ref emails {{ id direction status subject sharedFrom }} }} }} }} }}"""
ITEM_EMAILS = "query($r: String!) { workItem(ref: $r) { emails { id subject sharedFrom } } }"

RESOLVE_WITH_EMAIL = """mutation($r: String!, $s: String!) { resolveWorkItem(ref: $r, input: {method: WITH_CUSTOMER_RESPONSE,
  email: {to: ["bob@client.example"], subject: $s, body: "Sorted."}}) { workItem { ref } } }"""
RESOLVE_WITH_NOTE = """mutation($r: String!) { resolveWorkItem(ref: $r, input: {method: NO_CUSTOMER_RESPONSE,
  note: "No answer."}) { workItem { ref } } }"""
REOPEN = "mutation($r: String!) { reopenWorkItem(ref: $r) { workItem { ref } } }"
SHARE = "mutation($e: ID!, $r: String!) { shareEmail(emailId: $e, toRef: $r) { notices } }"
UNSHARE = "mutation($e: ID!, $r: String!) { unshareEmail(emailId: $e, fromRef: $r) { notices } }"

PEOPLE = ("jane", "lena", "admin")
TICKETS = ("T-1002", "T-1003", "T-1004")  # UK, Team A: resolved and reopened
LINKS = (("T-1002", "T-1003"), ("T-1003", "T-1004"), ("T-1002", "T-1004"), ("T-1004", "C-1001"), ("T-1003", "T-1008"))
SEEDED = {"jane": "T-1003", "lena": "T-1002", "admin": "T-1004", "karina": "T-1008"}  # an email each, before
SHARED_BEFORE = (("karina", "T-1003"), ("lena", "T-1004"))  # (whose seeded email, to)
STEPS = 24


def _share_key(row: dict) -> tuple[str, str]:
    return row["emailId"], row["workItem"]["ref"]


class MailMirror(Mirror):
    def __init__(self) -> None:
        super().__init__()
        self.lists: dict[str, list[dict]] = {}  # label → what the client lists
        self.counts: Counter[str] = Counter()  # label.shared / label.unshared / label.changed: messages

    def apply(self, label: str, update: dict) -> None:
        rows = update["emails"]
        if update["snapshot"]:
            self.lists[label] = list(rows)
            return
        shown = self.lists[label]
        if label.startswith("sharedEmails"):
            gone = {_share_key(e) for e in update["unshared"]} | {_share_key(e) for e in rows}
            self.lists[label] = rows + [e for e in shown if _share_key(e) not in gone]
            self.counts.update([f"{label}.shared"] * bool(rows) + [f"{label}.unshared"] * bool(update["unshared"]))
        else:
            ids = {e["id"] for e in rows}
            kept = [e for e in shown if e["id"] not in ids] + [e for e in rows if e["status"] in OUTBOX_STATUSES]
            self.lists[label] = sorted(kept, key=lambda e: -int(e["id"]))
            self.counts[f"{label}.changed"] += 1


class World:
    """The emails and shares the sequence may act on, kept from what the mutations answered."""

    def __init__(self, rng: random.Random, emails: dict[str, str]) -> None:
        self.rng = rng
        self.emails = dict(emails)  # email id → the item it belongs to
        self.shares: set[tuple[str, str]] = set()  # (email id, item shared to)
        self.queued: Counter[str] = Counter()  # person → emails they queued during the sequence
        self.neighbours: dict[str, list[str]] = {}
        for a, b in LINKS:
            self.neighbours.setdefault(a, []).append(b)
            self.neighbours.setdefault(b, []).append(a)

    def next_step(self) -> Step:
        rng, actor = self.rng, self.rng.choice(PEOPLE)
        ref = rng.choice(TICKETS)
        roll = rng.random()
        if roll < 0.3:
            return actor, RESOLVE_WITH_EMAIL, {"r": ref, "s": f"{actor}: {ref} resolved #{rng.randrange(10**6)}"}
        if roll < 0.35:
            return actor, RESOLVE_WITH_NOTE, {"r": ref}
        if roll < 0.55:
            return actor, REOPEN, {"r": ref}
        if roll < 0.72 and self.shares:
            email, target = rng.choice(sorted(self.shares))
            return actor, UNSHARE, {"e": email, "r": target}
        email = rng.choice(sorted(self.emails, key=int))
        return actor, SHARE, {"e": email, "r": rng.choice(self.neighbours[self.emails[email]])}

    async def record(self, users: dict[str, HttpClient], step: Step, data: dict) -> None:
        actor, document, variables = step
        if document == RESOLVE_WITH_EMAIL:
            emails = (await users[actor].data(ITEM_EMAILS, {"r": variables["r"]}))["workItem"]["emails"]
            [email] = [e["id"] for e in emails if e["subject"] == variables["s"]]
            self.emails[email] = variables["r"]
            self.queued[actor] += 1
        elif document == SHARE and not data["shareEmail"]["notices"]:
            self.shares.add((variables["e"], variables["r"]))
        elif document == UNSHARE and not data["unshareEmail"]["notices"]:
            self.shares.discard((variables["e"], variables["r"]))


async def _seed(admin: HttpClient) -> dict[str, str]:
    """Links, an email in each person's outbox (and Karina's on a PL item), two shares; the ids
    of the emails by whose they are. The emails are queued by the domain action: the API queues
    mail only by resolving, which the sequence does."""
    for a, b in LINKS:
        await admin.data("mutation($a: String!, $b: String!) { linkWorkItems(ref: $a, otherRef: $b) { notices } }", {"a": a, "b": b})
    emails = {}
    async with unit_of_work() as uow:
        for name, ref in SEEDED.items():
            author = await user_viewer(await User.get(email=f"{name}@example.com"))
            email = await outbox.queue_email(uow, await WorkItem.get(ref=ref), author, to=["bob@client.example"], subject=f"{name}: about {ref}", body="Seeded.")
            emails[name] = str(email.id)
    for name, target in SHARED_BEFORE:
        assert (await admin.data(SHARE, {"e": emails[name], "r": target}))["shareEmail"]["notices"] == []
    return emails


async def _subscribe(session, teams: dict[str, str], names: list[str]) -> dict[str, str]:
    ops = {await session.subscribe(OUTBOX): "outboxUpdated"}
    for name in names:
        ops[await session.subscribe(SHARED, {"team": teams[name]})] = f"sharedEmails:{name}"
    return ops


async def _queried_shares(client: HttpClient, team: str) -> set[tuple[str, str, str, str]]:
    edges = (await client.data(TEAM_EMAILS, {"team": team}))["teamItems"]["edges"]
    return {(e["id"], n["node"]["ref"], e["sharedFrom"], e["subject"]) for n in edges for e in n["node"]["emails"] if e["sharedFrom"]}


async def _queried_outbox(client: HttpClient, name: str) -> set[tuple[str, str, str, str]]:
    edges = (await client.data(MY_EMAILS))["workItems"]["edges"]
    return {
        (e["id"], n["node"]["ref"], e["status"], e["subject"]) for n in edges for e in n["node"]["emails"]
        if e["direction"] == "OUTBOUND" and e["sharedFrom"] is None and e["status"] in OUTBOX_STATUSES and e["subject"].startswith(f"{name}:")
    }


# one sequence on SQLite, two on PostgreSQL, all different
@pytest.mark.parametrize("seed", [1] if BACKEND == "sqlite" else [2, 3])
async def test_shared_emails_and_outbox_snapshot_plus_pushes_equal_a_fresh_snapshot(live_server, signed_in, seed: int):
    users = {name: await signed_in(f"{name}@example.com") for name in PEOPLE}
    teams = {e["node"]["name"]: e["node"]["id"] for e in (await users["admin"].data("{ teams { edges { node { id name } } } }"))["teams"]["edges"]}
    follows = {"jane": ["Team A"], "lena": ["Team A"], "admin": ["Team A", "Team B"]}
    seeded = await _seed(users["admin"])
    world = World(random.Random(seed), {email: SEEDED[name] for name, email in seeded.items()})
    world.shares = {(seeded[name], target) for name, target in SHARED_BEFORE}
    mirrors = {name: MailMirror() for name in PEOPLE}
    async with ws_session(live_server.url, users["jane"].token) as jane, ws_session(live_server.url, users["lena"].token) as lena, \
            ws_session(live_server.url, users["admin"].token) as admin:
        sessions = {"jane": jane, "lena": lena, "admin": admin}
        followers = []
        for name, session in sessions.items():
            ops = await _subscribe(session, teams, follows[name])
            await take_snapshots(session, ops, mirrors[name])
            followers.append((session, ops, mirrors[name]))
        # every snapshot has something in it to keep or lose
        for name in PEOPLE:
            assert [e["subject"] for e in mirrors[name].lists["outboxUpdated"]] == [f"{name}: about {SEEDED[name]}"]
            assert {_share_key(e) for e in mirrors[name].lists["sharedEmails:Team A"]} == world.shares

        succeeded, pushed = await run_steps(
            users, world.next_step, STEPS, followers, on_result=lambda step, data: world.record(users, step, data))

        fresh = {name: MailMirror() for name in PEOPLE}

        async def refetch(name: str) -> None:
            async with ws_session(live_server.url, users[name].token) as again:
                await take_snapshots(again, await _subscribe(again, teams, follows[name]), fresh[name])

        await asyncio.gather(*(refetch(name) for name in PEOPLE))

    assert succeeded >= STEPS // 3, f"only {succeeded} of {STEPS} mutations succeeded"
    assert pushed == sum(len(m.kinds) for m in mirrors.values())
    team_a = mirrors["jane"].counts
    assert team_a["sharedEmails:Team A.shared"] >= 3 and team_a["sharedEmails:Team A.unshared"] >= 2, team_a
    assert sum(world.queued.values()) >= 3 and len(world.queued) >= 2, world.queued
    for name in PEOPLE:
        mirror = mirrors[name]
        assert mirror.lists == fresh[name].lists, (name, mirror.kinds)
        # one push per email the person queued, none for anyone else's
        assert mirror.counts["outboxUpdated.changed"] == world.queued[name], (name, mirror.counts, world.queued)
        outbox_rows = mirror.lists["outboxUpdated"]
        assert len(outbox_rows) == 1 + world.queued[name] and {e["status"] for e in outbox_rows} == {"QUEUED"}
        assert {(e["id"], e["workItemRef"], e["status"], e["subject"]) for e in outbox_rows} == await _queried_outbox(users[name], name)
        for team in follows[name]:
            rows = mirror.lists[f"sharedEmails:{team}"]
            on_team = {(e, ref) for e, ref in world.shares if (ref == "T-1008") == (team == "Team B")}
            assert len(rows) < 20, "the snapshot holds the latest 20: keep below that to compare all"
            assert {_share_key(e) for e in rows} == on_team and len(rows) == len(on_team), (name, team, rows, world.shares)
            assert {(e["emailId"], e["workItem"]["ref"], e["sharedFrom"], e["subject"]) for e in rows} == await _queried_shares(users[name], teams[team])
    # what Team A shows is the same for its member, its leader and the admin
    assert mirrors["jane"].lists["sharedEmails:Team A"] == mirrors["lena"].lists["sharedEmails:Team A"] == mirrors["admin"].lists["sharedEmails:Team A"]
