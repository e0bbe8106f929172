"""The team bar (SPEC §6): per team, each member with what they work on now, their presence, and
the counts of their inbox, in-progress, waiting and overdue items.

Who reads a team bar: the team's members, its leaders and admins; for anyone else (another
employee) the team answers like one that does not exist. Portal contacts and API keys have no
team bars. The counts cover every item assigned to the member — it is the team's view of its
workload — but the item a member works on now is shown only when the viewer may see it.

A bar costs a fixed number of statements whatever the number of members or teams: the teams, their
members (and leaders), the counts grouped by member and status, the current items — one each.
Presence is not the domain's to know: it comes from a provider the live layer installs
(`use_presence`); until then everyone is OFFLINE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Awaitable, Callable, Iterable, Mapping, Sequence

from tortoise import Tortoise
from tortoise.expressions import Case, Q, RawSQL, When
from tortoise.functions import Count, Sum

from models.enums import Role, Status
from models.org import Team
from models.work_item import WorkItem
from server.domain import lists, visibility
from server.domain.errors import Forbidden, NotFound
from server.domain.viewer import Viewer


class Presence(str, Enum):
    ONLINE = "ONLINE"
    AWAY = "AWAY"
    OFFLINE = "OFFLINE"


# user ids → their presence; a user left out is OFFLINE
PresenceProvider = Callable[[Sequence[int]], Awaitable[Mapping[int, Presence]]]


async def everyone_offline(user_ids: Sequence[int]) -> Mapping[int, Presence]:
    return {}


_presence: PresenceProvider = everyone_offline


def use_presence(provider: PresenceProvider | None) -> PresenceProvider:
    """Install where presence comes from (None: everyone OFFLINE again); the one it replaces."""
    global _presence
    previous, _presence = _presence, provider or everyone_offline
    return previous


async def presence_of(user_ids: Sequence[int]) -> dict[int, Presence]:
    """Every user's presence, asked of the provider once for all of them."""
    if not user_ids:
        return {}
    known = await _presence(list(user_ids))
    return {user_id: Presence(known.get(user_id, Presence.OFFLINE)) for user_id in user_ids}


@dataclass(frozen=True)
class Counts:
    inbox: int = 0  # assigned and TO_DO: not started yet
    in_progress: int = 0
    waiting: int = 0
    overdue: int = 0  # open and past the due date while the SLA clock runs (sla.is_overdue)


@dataclass(frozen=True)
class MemberState:
    user_id: int
    name: str
    email: str
    role: Role
    leads: bool  # a leader of this team (leaders are on the bar whether members or not)
    current_item: WorkItem | None  # None also when the viewer may not see it
    counts: Counts
    presence: Presence = Presence.OFFLINE


@dataclass(frozen=True)
class TeamBarState:
    team_id: int
    team_name: str
    members: tuple[MemberState, ...] = field(default_factory=tuple)


def member_ids(state: TeamBarState) -> frozenset[int]:
    """The users a bar covers: an event about any of them may change it."""
    return frozenset(m.user_id for m in state.members)


def watched_team_ids(viewer: Viewer) -> frozenset[int]:
    """The teams whose bars the viewer watches: those they are a member of, and every team they lead."""
    return viewer.team_ids | viewer.led_team_ids


def may_read(viewer: Viewer, team_id: int) -> bool:
    """Members, leaders and admins read a team's bar (admins: provided the team exists)."""
    return viewer.is_user and (viewer.is_admin or team_id in watched_team_ids(viewer))


def no_such_team(team_id: int) -> NotFound:
    return NotFound(f"No team {team_id} exists.", field="teamId")


def _check_employee(viewer: Viewer) -> None:
    if not viewer.is_user:
        raise Forbidden("Only employees have team bars.")


async def team_bar(viewer: Viewer, team_id: int) -> TeamBarState:
    """The bar of one team; NOT_FOUND when it does not exist or is not the viewer's to read."""
    _check_employee(viewer)
    if not may_read(viewer, team_id):
        raise no_such_team(team_id)
    bars = await team_bars(viewer, [team_id])
    if not bars:
        raise no_such_team(team_id)
    return bars[0]


async def my_team_bars(viewer: Viewer) -> list[TeamBarState]:
    """The bars of the teams the viewer is a member of or leads, by team name."""
    _check_employee(viewer)
    return await team_bars(viewer, sorted(watched_team_ids(viewer)))


async def team_bars(viewer: Viewer, team_ids: Iterable[int]) -> list[TeamBarState]:
    """The bars of the given teams that exist and the viewer may read, by team name."""
    wanted = sorted({t for t in team_ids if may_read(viewer, t)})
    if not wanted:
        return []
    teams = await Team.filter(id__in=wanted).order_by("name", "id").values("id", "name")
    if not teams:
        return []
    people = await _members([t["id"] for t in teams])
    user_ids = sorted({row["user_id"] for rows in people.values() for row in rows})
    counts = await _counts(user_ids)
    current = await _current_items(user_ids)
    presence = await presence_of(user_ids)
    bars = []
    for team in teams:
        members = []
        for row in people.get(team["id"], []):
            user_id = row["user_id"]
            item = current.get(user_id)
            members.append(MemberState(
                user_id=user_id,
                name=row["name"],
                email=row["email"],
                role=Role(row["role"]),
                leads=row["leads"],
                current_item=item if item is not None and visibility.can_see(viewer, item) else None,
                counts=counts.get(user_id, Counts()),
                presence=presence.get(user_id, Presence.OFFLINE),
            ))
        bars.append(TeamBarState(team_id=team["id"], team_name=team["name"], members=tuple(members)))
    return bars


def _id_list(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


async def _members(team_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Per team, its active members and leaders (each once, leaders marked), by name: one statement."""
    ids = _id_list(team_ids)
    sql = f"""
        SELECT t.team_id AS team_id, u.id AS user_id, u.name AS name, u.email AS email, u.role AS role,
               MAX(t.leads) AS leads
        FROM (SELECT team_id, user_id, 0 AS leads FROM team_member WHERE team_id IN ({ids})
              UNION ALL SELECT team_id, user_id, 1 AS leads FROM team_leader WHERE team_id IN ({ids})) AS t
        JOIN app_user u ON u.id = t.user_id
        WHERE u.is_active
        GROUP BY t.team_id, u.id, u.name, u.email, u.role
        ORDER BY t.team_id, u.name, u.id
    """
    rows = await Tortoise.get_connection("default").execute_query_dict(sql)
    people: dict[int, list[dict]] = {}
    for row in rows:
        people.setdefault(int(row["team_id"]), []).append({**row, "user_id": int(row["user_id"]), "leads": bool(row["leads"])})
    return people


async def _counts(user_ids: Sequence[int]) -> dict[int, Counts]:
    """Every member's counts from one statement grouped by assignee and status."""
    if not user_ids:
        return {}
    rows = await (
        WorkItem.filter(assignee_id__in=list(user_ids), status__in=sorted(lists.OPEN))
        # literal 1 and 0: bound parameters would reach PostgreSQL's SUM as text
        .annotate(n=Count("id"), late=Sum(Case(When(lists.overdue_condition(), then=RawSQL("1")), default=RawSQL("0"))))
        .group_by("assignee_id", "status")
        .values("assignee_id", "status", "n", "late")
    )
    tally: dict[int, dict[str, int]] = {}
    for row in rows:
        person = tally.setdefault(int(row["assignee_id"]), {"inbox": 0, "in_progress": 0, "waiting": 0, "overdue": 0})
        status = Status(row["status"])
        key = {Status.TO_DO: "inbox", Status.IN_PROGRESS: "in_progress", Status.WAITING: "waiting"}[status]
        person[key] += int(row["n"] or 0)
        person["overdue"] += int(row["late"] or 0)
    return {user_id: Counts(**values) for user_id, values in tally.items()}


# no IN_PROGRESS item of the same assignee changed later (ties: the higher id)
_LATEST_IN_PROGRESS = """CASE WHEN NOT EXISTS (
    SELECT 1 FROM "work_item" AS later
    WHERE later."assignee_id" = "work_item"."assignee_id" AND later."status" = 'IN_PROGRESS'
      AND (later."updated_at" > "work_item"."updated_at"
           OR (later."updated_at" = "work_item"."updated_at" AND later."id" > "work_item"."id"))
) THEN 1 ELSE 0 END"""


async def _current_items(user_ids: Sequence[int]) -> dict[int, WorkItem]:
    """What each member works on now — their IN_PROGRESS item changed last — in one statement."""
    if not user_ids:
        return {}
    rows = await (
        WorkItem.filter(Q(assignee_id__in=list(user_ids)), Q(status=Status.IN_PROGRESS))
        .annotate(latest_in_progress=RawSQL(_LATEST_IN_PROGRESS))
        .filter(latest_in_progress=1)
    )
    return {row.assignee_id: row for row in rows}
