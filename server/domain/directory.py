"""The directory: which users, teams, queues, departments, companies, categories and case types a
viewer may look up, to fill the ids of a form (issue 12). The one place that decides it.

Rules:
- admins: everything;
- employees: the departments they see (`visibility.sees_department`: granted or public), the
  queues of those departments, the teams they are a member or leader of or that own a queue in a
  department they see, and the users who are a member or leader of a team they see or have access
  (personal or through a group) to a department they see — so they can assign; nothing more;
- API keys: the departments of their scope and, by the same rule, their queues, teams and users;
- employees and API keys: every company, the active categories, every case type;
- portal contacts: the active categories only (they need them to submit); every other look-up is
  empty for them, and a single fetch answers NOT_FOUND;
- a single fetch outside the viewer's directory answers exactly like a missing id (NOT_FOUND).

A user's teams and departments, and a team's queues, are shown only as far as the viewer's
directory reaches. Lists are ordered by name (then id) and searched by a case-insensitive prefix of
the name (users: of the name or the email).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Generic, Iterable, Optional, TypeVar

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.case_flow import CaseType
from models.enums import Role
from models.org import Category, Company, Department, Queue, Team, User
from server.domain import limits, presence, visibility
from server.domain.errors import NotFound, ValidationError
from server.domain.sql import connection, placeholders
from server.domain.team_bar import Presence
from server.domain.viewer import Viewer

MAX_PAGE = 100
T = TypeVar("T")


@dataclass
class Scope:
    """What a viewer's directory holds: None for everything (admins), else ids (loaded lazily)."""

    viewer: Viewer
    department_ids: Optional[frozenset[int]]
    _team_ids: Optional[frozenset[int]] = None
    _user_ids: Optional[frozenset[int]] = None
    _loaded: set[str] = field(default_factory=set)

    @property
    def everything(self) -> bool:
        return self.department_ids is None

    @property
    def staff_visible(self) -> bool:
        """The viewer may look up staff, teams, queues and departments at all."""
        return not self.viewer.is_contact

    async def team_ids(self) -> Optional[frozenset[int]]:
        if self.everything:
            return None
        if "teams" not in self._loaded:
            ids: set[int] = set()
            if self.staff_visible:
                ids |= self.viewer.team_ids | self.viewer.led_team_ids if self.viewer.is_user else set()
                if self.department_ids:
                    ids |= set(await Queue.filter(department_id__in=sorted(self.department_ids)).values_list("team_id", flat=True))
            self._team_ids = frozenset(int(i) for i in ids)
            self._loaded.add("teams")
        return self._team_ids

    async def user_ids(self) -> Optional[frozenset[int]]:
        if self.everything:
            return None
        if "users" not in self._loaded:
            self._user_ids = frozenset(await _users_of(await self.team_ids() or frozenset(), self.department_ids or frozenset()))
            self._loaded.add("users")
        return self._user_ids


def scope(viewer: Viewer) -> Scope:
    if viewer.is_admin:
        return Scope(viewer, None)
    if viewer.is_contact:
        return Scope(viewer, frozenset())
    ids = frozenset(d for d in viewer.department_ids | viewer.public_department_ids if visibility.sees_department(viewer, d))
    return Scope(viewer, ids)


async def _users_of(team_ids: frozenset[int], department_ids: frozenset[int]) -> set[int]:
    """Members and leaders of the teams, and users with access to the departments: one statement."""
    if not team_ids and not department_ids:
        return set()
    teams, departments = sorted(team_ids) or [0], sorted(department_ids) or [0]
    p = placeholders(len(teams) * 2 + len(departments) * 2)
    t1, t2 = p[: len(teams)], p[len(teams): 2 * len(teams)]
    d1, d2 = p[2 * len(teams): 2 * len(teams) + len(departments)], p[2 * len(teams) + len(departments):]
    sql = f"""
        SELECT user_id AS u FROM team_member WHERE team_id IN ({", ".join(t1)})
        UNION SELECT user_id FROM team_leader WHERE team_id IN ({", ".join(t2)})
        UNION SELECT user_id FROM user_department WHERE department_id IN ({", ".join(d1)})
        UNION SELECT m.user_id FROM user_group_member m
            JOIN user_group_department gd ON gd.user_group_id = m.user_group_id WHERE gd.department_id IN ({", ".join(d2)})
    """
    rows = await connection().execute_query_dict(sql, teams + teams + departments + departments)
    return {int(r["u"]) for r in rows}


# ------------------------------------------------------------------------------------------ pages


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page ordered by (name, id); each row's cursor continues after it."""

    rows: list[T]
    has_next: bool

    def cursor(self, row: Any) -> str:
        return encode_cursor(row.name, row.id)


def encode_cursor(name: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["dir", name, row_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        kind, name, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if kind != "dir" or not isinstance(name, str) or type(row_id) is not int or not limits.fits_db_int(row_id):
            raise ValueError
        return name, row_id
    except (ValueError, TypeError, UnicodeError):
        raise ValidationError.single("after", "after is not a cursor this list gave out") from None


@dataclass(frozen=True)
class Search:
    text: Optional[str] = None
    first: int = 20
    after: Optional[str] = None


def _check_page(search: Search) -> None:
    if not 1 <= search.first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {search.first}")
    if search.text is not None:
        limits.check({"search": search.text})
    if search.after is not None and len(search.after) > 1000:
        raise ValidationError.single("after", "after is not a cursor this list gave out")


async def _page(query: QuerySet, search: Search, *text_fields: str) -> Page:
    _check_page(search)
    text = (search.text or "").strip()
    if text:
        condition = Q()
        for i, name in enumerate(text_fields or ("name",)):
            term = Q(**{f"{name}__istartswith": text})
            condition = term if i == 0 else condition | term
        query = query.filter(condition)
    if search.after is not None:
        name, row_id = decode_cursor(search.after)
        query = query.filter(Q(name__gt=name) | Q(name=name, id__gt=row_id))
    rows = list(await query.order_by("name", "id").limit(search.first + 1))
    return Page(rows[: search.first], len(rows) > search.first)


def _none(model: type) -> QuerySet:
    return model.filter(id__in=[])


def _within(model: type, ids: Optional[Iterable[int]]) -> QuerySet:
    return model.all() if ids is None else model.filter(id__in=sorted(ids) or [0])


# -------------------------------------------------------------------------------------- look-ups


@dataclass(frozen=True)
class UserFilter:
    role: Optional[Role] = None
    team_id: Optional[int] = None
    department_id: Optional[int] = None
    active: Optional[bool] = None


async def users(s: Scope, search: Search, filters: UserFilter = UserFilter()) -> Page[User]:
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    query = _within(User, await s.user_ids())
    if filters.role is not None:
        query = query.filter(role=filters.role)
    if filters.active is not None:
        query = query.filter(is_active=filters.active)
    if filters.team_id is not None:
        ids = await _users_of(frozenset([filters.team_id]), frozenset()) if await _sees_team(s, filters.team_id) else set()
        query = query.filter(id__in=sorted(ids) or [0])
    if filters.department_id is not None:
        ids = await _users_of(frozenset(), frozenset([filters.department_id])) if _sees_department(s, filters.department_id) else set()
        query = query.filter(id__in=sorted(ids) or [0])
    return await _page(query, search, "name", "email")


async def teams(s: Scope, search: Search, member_id: Optional[int] = None) -> Page[Team]:
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    query = _within(Team, await s.team_ids())
    if member_id is not None:
        query = query.filter(Q(members__id=member_id) | Q(leaders__id=member_id)).distinct()
    return await _page(query, search)


async def queues(s: Scope, search: Search, team_id: Optional[int] = None, department_id: Optional[int] = None) -> Page[Queue]:
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    query = Queue.all() if s.everything else Queue.filter(department_id__in=sorted(s.department_ids or ()) or [0])
    if team_id is not None:
        query = query.filter(team_id=team_id)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return await _page(query, search)


async def departments(s: Scope, search: Search) -> Page[Department]:
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    return await _page(_within(Department, s.department_ids), search)


async def companies(s: Scope, search: Search) -> Page[Company]:
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    return await _page(Company.all(), search)


async def categories(s: Scope, search: Search) -> Page[Category]:
    query = Category.all() if s.everything else Category.filter(is_active=True)
    return await _page(query, search)


async def case_types(s: Scope, search: Search, active: bool | None = None) -> Page[CaseType]:
    """`active`: only the case types that start new cases (true) or only the inactive ones (false)."""
    _check_page(search)
    if not s.staff_visible:
        return Page([], False)
    return await _page(CaseType.all() if active is None else CaseType.filter(active=active), search)


# -------------------------------------------------------------------------------- single fetches


def _sees_department(s: Scope, department_id: int) -> bool:
    return s.everything or department_id in (s.department_ids or ())


async def _sees_team(s: Scope, team_id: int) -> bool:
    ids = await s.team_ids()
    return ids is None or team_id in ids


async def get_user(s: Scope, user_id: int) -> User:
    ids = await s.user_ids() if s.staff_visible else frozenset()
    row = await User.get_or_none(id=user_id) if ids is None or user_id in ids else None
    if row is None:
        raise NotFound(f"No user {user_id} exists.", field="id")
    return row


async def get_team(s: Scope, team_id: int) -> Team:
    row = await Team.get_or_none(id=team_id) if s.staff_visible and await _sees_team(s, team_id) else None
    if row is None:
        raise NotFound(f"No team {team_id} exists.", field="id")
    return row


async def get_queue(s: Scope, queue_id: int) -> Queue:
    row = await Queue.get_or_none(id=queue_id) if s.staff_visible else None
    if row is None or not _sees_department(s, row.department_id):
        raise NotFound(f"No queue {queue_id} exists.", field="id")
    return row


# ------------------------------------------------------------------------------------- relations


async def teams_of_users(s: Scope, user_ids: list[int]) -> dict[int, list[Team]]:
    """Each user's teams (member or leader) within the viewer's directory: two statements."""
    wanted = sorted(set(user_ids))
    found: dict[int, list[Team]] = {u: [] for u in wanted}
    visible = await s.team_ids()
    if not wanted or (visible is not None and not visible):
        return found
    p = placeholders(2 * len(wanted))
    sql = f"""
        SELECT user_id AS u, team_id AS t FROM team_member WHERE user_id IN ({", ".join(p[:len(wanted)])})
        UNION SELECT user_id, team_id FROM team_leader WHERE user_id IN ({", ".join(p[len(wanted):])})
    """
    pairs = [(int(r["u"]), int(r["t"])) for r in await connection().execute_query_dict(sql, wanted + wanted)]
    pairs = [(u, t) for u, t in pairs if visible is None or t in visible]
    rows = {t.id: t for t in await Team.filter(id__in=sorted({t for _, t in pairs}) or [0])}
    for u, t in pairs:
        found[u].append(rows[t])
    for u in found:
        found[u].sort(key=lambda t: (t.name, t.id))
    return found


async def departments_of_users(s: Scope, user_ids: list[int]) -> dict[int, list[Department]]:
    """Each user's departments (granted personally or through a group) within the directory."""
    wanted = sorted(set(user_ids))
    found: dict[int, list[Department]] = {u: [] for u in wanted}
    if not wanted or (s.department_ids is not None and not s.department_ids):
        return found
    p = placeholders(2 * len(wanted))
    sql = f"""
        SELECT user_id AS u, department_id AS d FROM user_department WHERE user_id IN ({", ".join(p[:len(wanted)])})
        UNION SELECT m.user_id, gd.department_id FROM user_group_member m
            JOIN user_group_department gd ON gd.user_group_id = m.user_group_id WHERE m.user_id IN ({", ".join(p[len(wanted):])})
    """
    pairs = [(int(r["u"]), int(r["d"])) for r in await connection().execute_query_dict(sql, wanted + wanted)]
    pairs = [(u, d) for u, d in pairs if _sees_department(s, d)]
    rows = {d.id: d for d in await Department.filter(id__in=sorted({d for _, d in pairs}) or [0])}
    for u, d in pairs:
        found[u].append(rows[d])
    for u in found:
        found[u].sort(key=lambda d: (d.name, d.id))
    return found


async def people_of_teams(s: Scope, team_ids: list[int]) -> dict[int, tuple[list[User], list[User]]]:
    """Each team's (members, leaders) within the viewer's directory, by name: three statements.
    (A team reached through a work item may lie outside the directory: its people are filtered.)"""
    wanted = sorted(set(team_ids))
    rows = {t.id: t for t in await Team.filter(id__in=wanted or [0]).prefetch_related("members", "leaders")}
    visible = await s.user_ids() if s.staff_visible else frozenset()

    def by_name(people: Iterable[User]) -> list[User]:
        return sorted((u for u in people if visible is None or u.id in visible), key=lambda u: (u.name, u.id))

    return {t: (by_name(rows[t].members), by_name(rows[t].leaders)) if t in rows else ([], []) for t in wanted}


async def queues_of_teams(s: Scope, team_ids: list[int]) -> dict[int, list[Queue]]:
    wanted = sorted(set(team_ids))
    query = Queue.filter(team_id__in=wanted or [0])
    if not s.everything:
        query = query.filter(department_id__in=sorted(s.department_ids or ()) or [0])
    found: dict[int, list[Queue]] = {t: [] for t in wanted}
    for q in await query.order_by("name", "id"):
        found[q.team_id].append(q)
    return found


async def presences(user_ids: list[int]) -> dict[int, Presence]:
    """Each user's presence from the live layer: one statement for them all."""
    return await presence.statuses(user_ids)
