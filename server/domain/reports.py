"""Reports (SPEC §8): the team overview and the user overview.

Counts by status, overdue, resolved in a period, the average time to resolve and the share of
those resolved by their due date — over the work items the viewer may see (visibility's own scope),
computed by the database: one grouped statement per report, never by loading items.

Who may read which:
- a team's overview: its members, its leaders and admins (anyone else: NOT_FOUND, as for a team
  that does not exist);
- a user's overview: the user themself, the leaders of a team they belong to, and admins.

Whose items: a team's are those in its queues or held by it (`work_item.team_id`); a user's are
those assigned to them, and those last assigned to them that are no longer held (a ticket resolved
and closed keeps being theirs). "Resolved in the period" counts items whose resolution time falls
in [from, to); the average time to resolve runs from submission to resolution; SLA met is the
percentage of those resolved in the period (with a due date) resolved no later than it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Case, F, Q, RawSQL, When
from tortoise.functions import Count, Sum

from models.enums import Status
from models.org import Team, User
from server.domain import clock, lists
from server.domain.errors import Forbidden, NotFound, ValidationError
from server.domain.sql import seconds_between
from server.domain.viewer import Viewer
from server.domain.visibility import visible_work_items

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Overview:
    by_status: dict[Status, int]
    overdue: int
    resolved: int  # in the period
    resolve_seconds_total: float  # over those resolved in the period that had been submitted
    resolve_timed: int
    due_resolved: int  # resolved in the period with a due date
    met_due: int  # ... of which no later than it

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def open(self) -> int:
        return sum(n for status, n in self.by_status.items() if status in lists.OPEN)

    @property
    def average_resolve_seconds(self) -> float | None:
        return self.resolve_seconds_total / self.resolve_timed if self.resolve_timed else None

    @property
    def sla_met_percent(self) -> float | None:
        return round(100.0 * self.met_due / self.due_resolved, 1) if self.due_resolved else None


@dataclass(frozen=True)
class MemberOverview:
    user: User
    overview: Overview


@dataclass(frozen=True)
class TeamReport:
    team: Team
    period: Period
    overview: Overview
    members: list[MemberOverview]  # every member, by name: the team's items they hold or last held
    unassigned: Overview  # the team's items nobody holds or held


@dataclass(frozen=True)
class UserReport:
    user: User
    period: Period
    overview: Overview


def period(start: datetime | None, end: datetime | None) -> Period:
    """[start, end): by default the 30 days up to now; at most MAX_PERIOD long."""
    end = end or clock.now()
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise ValidationError.single("from", "from must be before to")
    if end - start > MAX_PERIOD:
        raise ValidationError.single("from", f"a report covers at most {MAX_PERIOD.days} days")
    return Period(start, end)


def _empty() -> dict:
    return {"n": 0, "overdue": 0, "resolved": 0, "seconds": 0.0, "timed": 0, "due": 0, "met": 0}


def _overview(by_status: dict[Status, int], sums: dict) -> Overview:
    return Overview(
        by_status={status: by_status.get(status, 0) for status in Status},
        overdue=sums["overdue"], resolved=sums["resolved"], resolve_seconds_total=sums["seconds"],
        resolve_timed=sums["timed"], due_resolved=sums["due"], met_due=sums["met"],
    )


def _one(condition: Q, then: str = "1") -> Sum:
    # literal 1 and 0: bound parameters would reach PostgreSQL's SUM as text
    return Sum(Case(When(condition, then=RawSQL(then)), default=RawSQL("0")))


async def _grouped(query, p: Period, by: tuple[str, ...]) -> dict[tuple, tuple[dict[Status, int], dict]]:
    """One statement: the items of `query` counted by `by` + status, with the period's figures."""
    in_period = Q(resolved_at__gte=p.start, resolved_at__lt=p.end)
    rows = await (
        query.annotate(
            n=Count("id"),
            overdue=_one(lists.overdue_condition()),
            resolved=_one(in_period),
            seconds=_one(in_period & Q(submitted_at__not_isnull=True), seconds_between("submitted_at", "resolved_at")),
            timed=_one(in_period & Q(submitted_at__not_isnull=True)),
            due=_one(in_period & Q(due_at__not_isnull=True)),
            met=_one(in_period & Q(due_at__not_isnull=True) & Q(resolved_at__lte=F("due_at"))),
        )
        .group_by(*by, "status")
        .values(*by, "status", "n", "overdue", "resolved", "seconds", "timed", "due", "met")
    )
    groups: dict[tuple, tuple[dict[Status, int], dict]] = {}
    for row in rows:
        key = tuple(row[name] for name in by)
        by_status, sums = groups.setdefault(key, ({}, _empty()))
        by_status[Status(row["status"])] = int(row["n"] or 0)
        sums["n"] += int(row["n"] or 0)
        for name in ("overdue", "resolved", "timed", "due", "met"):
            sums[name] += int(row[name] or 0)
        sums["seconds"] += float(row["seconds"] or 0)
    return groups


def _combined(groups) -> Overview:
    by_status: dict[Status, int] = {}
    sums = _empty()
    for counts, values in groups:
        for status, n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
        for name in sums:
            sums[name] += values[name]
    return _overview(by_status, sums)


# whose an item is: its assignee, or the one who last held it when nobody holds it now
_HOLDER = 'COALESCE("assignee_id", "last_assignee_id")'


def _employee(viewer: Viewer) -> None:
    if not viewer.is_user:
        raise Forbidden("Only employees read team and user overviews.")


def no_such_team(team_id: int) -> NotFound:
    return NotFound(f"No team {team_id} exists.", field="teamId")


def no_such_user(user_id: int) -> NotFound:
    return NotFound(f"No user {user_id} exists.", field="userId")


async def team_overview(viewer: Viewer, team_id: int, start: datetime | None = None, end: datetime | None = None) -> TeamReport:
    _employee(viewer)
    p = period(start, end)
    if not (viewer.is_admin or team_id in viewer.team_ids or team_id in viewer.led_team_ids):
        raise no_such_team(team_id)
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise no_such_team(team_id)
    members = await team.members.all().order_by("name", "id")
    team_items = visible_work_items(viewer).filter(team_id=team_id).annotate(holder=RawSQL(_HOLDER))
    groups = await _grouped(team_items, p, ("holder",))
    empty = ({}, _empty())
    return TeamReport(
        team=team,
        period=p,
        overview=_combined(groups.values()),
        members=[MemberOverview(m, _overview(*groups.get((m.id,), empty))) for m in members],
        # items held (or last held) by someone no longer in the team count for the team only
        unassigned=_overview(*groups.get((None,), empty)),
    )


async def _may_read_user(viewer: Viewer, user_id: int) -> bool:
    if viewer.is_admin or viewer.id == user_id:
        return True
    if not viewer.led_team_ids:
        return False
    return await Team.filter(id__in=sorted(viewer.led_team_ids), members__id=user_id).exists()


async def user_overview(viewer: Viewer, user_id: int, start: datetime | None = None, end: datetime | None = None) -> UserReport:
    _employee(viewer)
    p = period(start, end)
    if not await _may_read_user(viewer, user_id):
        raise no_such_user(user_id)
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise no_such_user(user_id)
    theirs = Q(assignee_id=user_id) | Q(assignee_id=None, last_assignee_id=user_id)  # _HOLDER, indexable
    groups = await _grouped(visible_work_items(viewer).filter(theirs), p, ())
    return UserReport(user=user, period=p, overview=_combined(groups.values()))
