"""The team bar (SPEC §6): each member of a team with what they work on now, their presence and
the counts of their inbox, in-progress, waiting and overdue items — for the team's members, its
leaders and admins only; a fixed number of SQL statements however many members."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.enums import Role, Status
from models.org import Team, User, UserGroup
from models.work_item import WorkItem
from server.domain import api_keys, clock, team_bar
from server.domain.team_bar import Presence
from tests.support.client import HttpClient
from tests.support.queries import recorded_queries

MEMBER = "user { id name role } leader currentItem { ref status title } inbox inProgress waiting overdue presence"
BAR = "query($id: ID!) { teamBar(teamId: $id) { team { id name } members { %s } } }" % MEMBER
MINE = "{ myTeamBars { team { id name } members { %s } } }" % MEMBER
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref status } } }"
START = "mutation($ref: String!) { startWork(ref: $ref) { workItem { ref status } } }"
WAIT = "mutation($ref: String!, $input: WaitInput!) { waitWorkItem(ref: $ref, input: $input) { workItem { ref status } } }"
RESOLVE = "mutation($ref: String!, $input: ResolveInput!) { resolveWorkItem(ref: $ref, input: $input) { workItem { status } } }"
OVERDUE_GRID = "query($ids: [ID!]) { workItems(first: 100, filter: {overdue: true, assigneeIds: $ids}) { edges { node { ref } } } }"


async def _team_id(name: str) -> str:
    return str((await Team.get(name=name)).id)


async def _bar(client: HttpClient, team: str) -> dict[str, dict[str, Any]]:
    """The bar of a team by member name."""
    data = await client.data(BAR, {"id": await _team_id(team)})
    assert data["teamBar"]["team"]["name"] == team
    return {m["user"]["name"]: m for m in data["teamBar"]["members"]}


def _counts(member: dict[str, Any]) -> tuple[int, int, int, int]:
    return member["inbox"], member["inProgress"], member["waiting"], member["overdue"]


async def test_the_bar_shows_each_member_with_their_work(signed_in):
    lena = await signed_in("lena@example.com")
    bar = await _bar(lena, "Team A")
    assert list(bar) == ["Jane Cooper", "Lena Fischer"]
    jane, leader = bar["Jane Cooper"], bar["Lena Fischer"]
    # jane: T-1003 in progress, T-1004 waiting; T-1005/T-1006 are finished and not counted
    assert _counts(jane) == (0, 1, 1, 0)
    assert jane["currentItem"] == {"ref": "T-1003", "status": "IN_PROGRESS", "title": "Payslip shows the wrong tax code"}
    assert jane["user"]["role"] == "AGENT" and jane["leader"] is False and jane["presence"] == "OFFLINE"
    assert _counts(leader) == (0, 1, 0, 0) and leader["currentItem"]["ref"] == "C-1001"
    assert leader["user"]["role"] == "TEAM_LEADER" and leader["leader"] is True


async def test_counts_follow_assigning_starting_and_waiting(signed_in):
    lena, jane = await signed_in("lena@example.com"), await signed_in("jane@example.com")
    jane_id = str((await User.get(email="jane@example.com")).id)

    await lena.data(ASSIGN, {"ref": "T-1002", "user": jane_id})
    member = (await _bar(lena, "Team A"))["Jane Cooper"]
    assert _counts(member) == (1, 1, 1, 0) and member["currentItem"]["ref"] == "T-1003"

    await jane.data(START, {"ref": "T-1002"})
    member = (await _bar(lena, "Team A"))["Jane Cooper"]
    assert _counts(member) == (0, 2, 1, 0)
    assert member["currentItem"]["ref"] == "T-1002", "the item started last is the one worked on now"

    await jane.data(WAIT, {"ref": "T-1002", "input": {"waitType": "MORE_INFO", "daysToWait": 2}})
    member = (await _bar(lena, "Team A"))["Jane Cooper"]
    assert _counts(member) == (0, 1, 2, 0) and member["currentItem"]["ref"] == "T-1003"

    await jane.data(RESOLVE, {"ref": "T-1003", "input": {"method": "WITH_CUSTOMER_RESPONSE"}})
    member = (await _bar(lena, "Team A"))["Jane Cooper"]
    assert _counts(member) == (0, 0, 2, 0) and member["currentItem"] is None
    # jane's own view of her team agrees with her leader's
    assert (await _bar(jane, "Team A"))["Jane Cooper"] == member


async def test_overdue_counts_open_items_past_due_while_the_clock_runs(signed_in):
    lena = await signed_in("lena@example.com")
    jane = await User.get(email="jane@example.com")
    with clock.frozen(clock.now() + timedelta(days=3)):
        member = (await _bar(lena, "Team A"))["Jane Cooper"]
        # T-1003 (in progress) is past due; T-1004 waits on a paused clock, stopped before its due date
        assert _counts(member) == (0, 1, 1, 1)
        assert (await _bar(lena, "Team A"))["Lena Fischer"]["overdue"] == 1  # C-1001
        grid = await lena.data(OVERDUE_GRID, {"ids": [str(jane.id)]})
        assert [e["node"]["ref"] for e in grid["workItems"]["edges"]] == ["T-1003"]
    # a waiting item whose clock does not stop, and a finished one, past due
    await WorkItem.filter(ref="T-1004").update(wait_started_at=clock.now() + timedelta(days=2))
    await WorkItem.filter(ref="T-1005").update(due_at=clock.now() - timedelta(days=1))
    with clock.frozen(clock.now() + timedelta(days=3)):
        assert _counts((await _bar(lena, "Team A"))["Jane Cooper"]) == (0, 1, 1, 2)
    assert _counts((await _bar(lena, "Team A"))["Jane Cooper"]) == (0, 1, 1, 0)


async def test_outsiders_get_not_found_like_a_missing_team(signed_in):
    karina, jane = await signed_in("karina@example.com"), await signed_in("jane@example.com")
    admin = await signed_in("admin@example.com")
    team_a, team_b = await _team_id("Team A"), await _team_id("Team B")

    hidden = await karina.error(BAR, {"id": team_a})
    missing = await karina.error(BAR, {"id": "987654"})
    assert hidden["extensions"] == missing["extensions"] == {"code": "NOT_FOUND", "field": "teamId"}
    assert hidden["message"].replace(team_a, "987654") == missing["message"]
    assert (await jane.error(BAR, {"id": team_b}))["extensions"]["code"] == "NOT_FOUND"
    assert "Team A" not in str(hidden) and "Jane" not in str(hidden)

    # members and admins read it; an admin too gets NOT_FOUND for a missing team
    assert list(await _bar(karina, "Team B")) == ["Karina Nowak"]
    assert list(await _bar(admin, "Team B")) == ["Karina Nowak"]
    assert (await admin.error(BAR, {"id": "987654"}))["extensions"]["code"] == "NOT_FOUND"
    assert (await admin.error(BAR, {"id": "x"}))["extensions"]["code"] == "VALIDATION"
    # the bars of my teams: a member's one team; an admin in no team has none
    assert [b["team"]["name"] for b in (await karina.data(MINE))["myTeamBars"]] == ["Team B"]
    assert (await admin.data(MINE))["myTeamBars"] == []


async def test_a_leader_watches_every_team_they_lead_and_sees_no_hidden_item(signed_in):
    karina = await User.get(email="karina@example.com")
    lena_user = await User.get(email="lena@example.com")
    team_c = await Team.create(name="Team C")
    await team_c.members.add(karina)
    await team_c.leaders.add(lena_user)  # leads it without being a member
    lena = await signed_in("lena@example.com")

    bars = (await lena.data(MINE))["myTeamBars"]
    assert [b["team"]["name"] for b in bars] == ["Team A", "Team C"]
    members = {m["user"]["name"]: m for m in bars[1]["members"]}
    assert list(members) == ["Karina Nowak", "Lena Fischer"]
    assert members["Lena Fischer"]["leader"] is True and members["Karina Nowak"]["leader"] is False
    # karina works on T-1008 in PL Operations, which lena may not see: hidden, the counts stay
    assert members["Karina Nowak"]["currentItem"] is None
    assert _counts(members["Karina Nowak"]) == (0, 1, 1, 0)
    assert (await _bar(lena, "Team C"))["Karina Nowak"] == members["Karina Nowak"]
    # karina, a member, sees her own item on the same bar
    assert (await _bar(await signed_in("karina@example.com"), "Team C"))["Karina Nowak"]["currentItem"]["ref"] == "T-1008"


async def test_portal_contacts_api_keys_and_anonymous_callers_are_refused(signed_in, client, settings):
    from models.contact import Contact
    from models.org import Department
    from server.domain.organisation import sessions
    from server.domain.tokens import TokenSigner

    signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
    bob = await Contact.get(email="bob@client.example")
    key = await api_keys.create_api_key("Partner", [d.id for d in await Department.all()], can_write=True, created_by=None)
    team_a = await _team_id("Team A")
    for token in ((await sessions.start(signer, "contact", bob.id)).token, key.token):
        for document, variables in ((BAR, {"id": team_a}), (MINE, None)):
            error = await client.error(document, variables, token=token)
            assert error["extensions"]["code"] == "FORBIDDEN", error
            assert "Jane" not in str(error)
    assert (await client.error(BAR, {"id": team_a}))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_presence_comes_from_the_installed_provider_once_per_bar(signed_in):
    jane = await User.get(email="jane@example.com")
    asked: list[list[int]] = []

    async def provider(user_ids):
        asked.append(sorted(user_ids))
        return {jane.id: Presence.ONLINE}

    lena = await signed_in("lena@example.com")
    previous = team_bar.use_presence(provider)
    try:
        bar = await _bar(lena, "Team A")
    finally:
        team_bar.use_presence(previous)  # the live server's provider
    assert bar["Jane Cooper"]["presence"] == "ONLINE" and bar["Lena Fischer"]["presence"] == "OFFLINE"
    assert asked == [sorted([jane.id, (await User.get(email="lena@example.com")).id])]
    assert (await _bar(lena, "Team A"))["Jane Cooper"]["presence"] == "OFFLINE"


@pytest.mark.parametrize("extra_members", [0, 6])
async def test_a_bar_costs_a_fixed_number_of_statements(signed_in, extra_members):
    team_a = await Team.get(name="Team A")
    uk_staff = await UserGroup.get(name="UK staff")
    for n in range(extra_members):
        user = await User.create(email=f"member{n}@example.com", name=f"Member {n}", role=Role.AGENT)
        await team_a.members.add(user)
        await uk_staff.members.add(user)
        item = await WorkItem.get(ref=("T-1002", "A-1001", "A-1002")[n % 3])
        if n < 3:
            await WorkItem.filter(id=item.id).update(assignee_id=user.id, status=Status.IN_PROGRESS)
    lena = await signed_in("lena@example.com")
    await (await Team.create(name="Team C")).leaders.add(await User.get(email="lena@example.com"))

    with recorded_queries() as statements:
        data = await lena.data(BAR, {"id": str(team_a.id)})
    bar = {m["user"]["name"]: m for m in data["teamBar"]["members"]}
    assert len(bar) == 2 + extra_members
    assert sum(1 for m in bar.values() if m["currentItem"]) == 2 + min(extra_members, 3)
    # viewer (user + scope), the team, its members, the counts, the current items, the presence
    # of all members (the live server installs server/domain/presence.statuses)
    assert len(statements) == 2 + 5, "\n".join(statements)

    with recorded_queries() as statements:
        bars = (await lena.data(MINE))["myTeamBars"]
    assert [len(b["members"]) for b in bars] == [2 + extra_members, 1]
    assert len(statements) == 2 + 5, "\n".join(statements)
