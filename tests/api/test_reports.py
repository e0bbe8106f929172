"""Reports (SPEC §8): the team overview and the user overview — counts by status, overdue,
resolved in a period, average time to resolve and SLA met — over a known set of items, checked
against figures worked out by hand; scoped by what the viewer may see; one grouped statement."""

from __future__ import annotations

from datetime import timedelta

from models.enums import Status
from models.org import Department, Team, User
from models.work_item import WorkItem
from server.domain import clock
from tests.support.queries import recorded_queries

FIGURES = "total open overdue resolvedInPeriod averageResolveSeconds slaMetPercent byStatus { status count }"
TEAM = """query($id: ID!, $from: DateTime, $to: DateTime) { teamOverview(teamId: $id, from: $from, to: $to) {
    team { name } from to overview { %s } members { user { name } overview { %s } } unassigned { %s } } }""" % (FIGURES, FIGURES, FIGURES)
USER = """query($id: ID!, $from: DateTime, $to: DateTime) { userOverview(userId: $id, from: $from, to: $to) {
    user { name } overview { %s } } }""" % FIGURES
DAY = 86400


async def _known_items() -> dict[str, object]:
    """Every demo item moved out of the way, then seven of them set by hand in Team A:
    UK items 1–6 (lena, Team A's leader, sees them), and one PL item only admins see here."""
    now = clock.now()
    team_a, team_b = await Team.get(name="Team A"), await Team.get(name="Team B")
    uk, pl = await Department.get(name="UK Operations"), await Department.get(name="PL Operations")
    jane, lena = await User.get(email="jane@example.com"), await User.get(email="lena@example.com")
    await WorkItem.all().update(team_id=team_b.id, assignee_id=None, last_assignee_id=None, owner_id=None, wait_started_at=None)
    refs = [i.ref for i in await WorkItem.all().order_by("id").limit(7)]
    assert len(refs) == 7
    day = timedelta(days=1)
    common = {"team_id": team_a.id, "department_id": uk.id, "wait_started_at": None}
    rows = [
        # held by jane: open and past due
        dict(status=Status.IN_PROGRESS, assignee_id=jane.id, submitted_at=now - 3 * day, due_at=now - day, resolved_at=None),
        # jane resolved in 3 days, before its due date
        dict(status=Status.RESOLVED, assignee_id=jane.id, submitted_at=now - 5 * day, resolved_at=now - 2 * day, due_at=now - day),
        # jane resolved in 5 days, 2 days late
        dict(status=Status.CLOSED, assignee_id=jane.id, submitted_at=now - 6 * day, resolved_at=now - day, due_at=now - 3 * day),
        # lena: in progress, not due yet
        dict(status=Status.IN_PROGRESS, assignee_id=lena.id, submitted_at=now - day, due_at=now + 2 * day, resolved_at=None),
        # nobody: waiting in the queue, past due
        dict(status=Status.TO_DO, assignee_id=None, submitted_at=now - 4 * day, due_at=now - 2 * day, resolved_at=None),
        # last held by jane, resolved before the period
        dict(status=Status.CLOSED, assignee_id=None, last_assignee_id=jane.id, submitted_at=now - 30 * day,
             resolved_at=now - 20 * day, due_at=now - 25 * day),
        # jane's, in PL Operations: Team A's leader does not see it
        dict(status=Status.TO_DO, assignee_id=jane.id, submitted_at=now - day, due_at=now + day, resolved_at=None, department_id=pl.id),
    ]
    for ref, row in zip(refs, rows):
        await WorkItem.filter(ref=ref).update(**{**common, **row})
    return {"team_a": str(team_a.id), "jane": str(jane.id), "lena": str(lena.id),
            "from": (now - 10 * day).isoformat(), "to": (now + timedelta(seconds=1)).isoformat()}


def _statuses(figures: dict) -> dict[str, int]:
    counts = {c["status"]: c["count"] for c in figures["byStatus"]}
    assert list(counts) == [s.value for s in Status], "every status, in the machine's order"
    return {status: n for status, n in counts.items() if n}


async def test_team_overview_counts_what_the_leader_sees(signed_in):
    known = await _known_items()
    lena = await signed_in("lena@example.com")
    report = (await lena.data(TEAM, {"id": known["team_a"], "from": known["from"], "to": known["to"]}))["teamOverview"]
    assert report["team"]["name"] == "Team A"
    team = report["overview"]
    assert _statuses(team) == {"TO_DO": 1, "IN_PROGRESS": 2, "RESOLVED": 1, "CLOSED": 2}
    assert (team["total"], team["open"], team["overdue"], team["resolvedInPeriod"]) == (6, 3, 2, 2)
    assert team["averageResolveSeconds"] == (3 * DAY + 5 * DAY) / 2
    assert team["slaMetPercent"] == 50.0

    members = {m["user"]["name"]: m["overview"] for m in report["members"]}
    assert list(members) == ["Jane Cooper", "Lena Fischer"]
    jane = members["Jane Cooper"]
    assert _statuses(jane) == {"IN_PROGRESS": 1, "RESOLVED": 1, "CLOSED": 2}
    assert (jane["total"], jane["overdue"], jane["resolvedInPeriod"], jane["slaMetPercent"]) == (4, 1, 2, 50.0)
    lena_figures = members["Lena Fischer"]
    assert _statuses(lena_figures) == {"IN_PROGRESS": 1}
    assert (lena_figures["overdue"], lena_figures["averageResolveSeconds"], lena_figures["slaMetPercent"]) == (0, None, None)
    unassigned = report["unassigned"]
    assert _statuses(unassigned) == {"TO_DO": 1} and unassigned["overdue"] == 1


async def test_an_admin_counts_every_department_and_a_wider_period_counts_more(signed_in):
    known = await _known_items()
    admin = await signed_in("admin@example.com")
    team = (await admin.data(TEAM, {"id": known["team_a"], "from": known["from"], "to": known["to"]}))["teamOverview"]["overview"]
    assert (team["total"], team["open"]) == (7, 4), "the PL item too"
    month = (await admin.data(TEAM, {"id": known["team_a"], "from": (clock.now() - timedelta(days=40)).isoformat(), "to": known["to"]}))
    figures = month["teamOverview"]["overview"]
    # the item resolved 20 days ago in 10 days, 5 days late, now counts
    assert figures["resolvedInPeriod"] == 3
    assert figures["averageResolveSeconds"] == (3 * DAY + 5 * DAY + 10 * DAY) / 3
    assert figures["slaMetPercent"] == round(100 / 3, 1)


async def test_user_overview_for_the_user_their_leader_and_admins(signed_in):
    known = await _known_items()
    jane = await signed_in("jane@example.com")
    own = (await jane.data(USER, {"id": known["jane"], "from": known["from"], "to": known["to"]}))["userOverview"]
    assert own["user"]["name"] == "Jane Cooper"
    # the items she holds or last held: the PL one too, which she sees because she holds it
    assert _statuses(own["overview"]) == {"TO_DO": 1, "IN_PROGRESS": 1, "RESOLVED": 1, "CLOSED": 2}
    assert own["overview"]["resolvedInPeriod"] == 2
    lena = await signed_in("lena@example.com")
    assert (await lena.data(USER, {"id": known["jane"]}))["userOverview"]["overview"]["total"] == 4, "not the PL item"
    admin = await signed_in("admin@example.com")
    assert (await admin.data(USER, {"id": known["jane"]}))["userOverview"]["overview"]["total"] == 5


async def test_outsiders_get_not_found_like_a_missing_team_or_user(signed_in, client):
    known = await _known_items()
    karina = await signed_in("karina@example.com")  # Team B, PL
    jane = await signed_in("jane@example.com")
    for reader, query, variables, field in [
        (karina, TEAM, {"id": known["team_a"]}, "teamId"),
        (karina, USER, {"id": known["jane"]}, "userId"),
        (jane, USER, {"id": known["lena"]}, "userId"),  # a member does not read her leader's
    ]:
        refused = await reader.error(query, variables)
        missing = await reader.error(query, {"id": "999999"})
        assert refused["extensions"]["code"] == missing["extensions"]["code"] == "NOT_FOUND"
        assert refused["extensions"]["field"] == field
        assert refused["message"].replace(variables["id"], "X") == missing["message"].replace("999999", "X")
    bob = await client.as_user("bob@client.example")
    assert (await bob.error(TEAM, {"id": known["team_a"]}))["extensions"]["code"] == "FORBIDDEN"
    await bob.aclose()
    assert (await client.error(TEAM, {"id": known["team_a"]}))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_period_must_be_ordered_and_bounded(signed_in):
    known = await _known_items()
    lena = await signed_in("lena@example.com")
    backwards = await lena.error(TEAM, {"id": known["team_a"], "from": known["to"], "to": known["from"]})
    assert backwards["extensions"]["code"] == "VALIDATION" and backwards["extensions"]["field"] == "from"
    long = await lena.error(TEAM, {"id": known["team_a"], "from": (clock.now() - timedelta(days=400)).isoformat()})
    assert long["extensions"]["code"] == "VALIDATION"


async def test_a_report_costs_a_fixed_number_of_statements(signed_in):
    known = await _known_items()
    lena = await signed_in("lena@example.com")
    with recorded_queries() as statements:
        await lena.data(TEAM, {"id": known["team_a"]})
    # viewer (user + scope), the team, its members, one grouped statement of the figures
    assert len(statements) == 2 + 3, "\n".join(statements)
    with recorded_queries() as statements:
        await lena.data(USER, {"id": known["jane"]})
    # viewer, may lena read jane (a team she leads), jane, the figures
    assert len(statements) == 2 + 3, "\n".join(statements)
