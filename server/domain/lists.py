"""Lists of work items (SPEC §2.2 rule 4, §8): my inbox, my owned work, a queue, a team, and the
filtered, sorted grid — with keyset pagination that stays correct for any order.

Every list starts from `visibility.visible_work_items(viewer)`, then adds the list's own condition
and the caller's `Criteria`. Sorting: the requested keys in order, nulls last in both directions,
and the item id as the final tie-breaker. A cursor carries the list, the order and the sort values
of the last row it was made from; the next page is every row after those values.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Sequence

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Term, ValueWrapper
from pypika_tortoise.utils import format_alias_sql
from tortoise.expressions import F, Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from models.enums import Status, WorkItemType
from models.org import Department, Queue, Team
from models.work_item import WorkItem
from server.domain import clock, limits, visibility, workflow
from server.domain.errors import Forbidden, NotFound, ValidationError
from server.domain.criteria import MAX_CUSTOM_DATA_KEY, Criteria
from server.domain.search import advanced
from server.domain.viewer import Viewer

OPEN = sorted(workflow.OPEN)
INBOX = (Status.TO_DO, Status.IN_PROGRESS)
_TABLE = '"work_item"'


class SortField(str, Enum):
    DUE_AT = "DUE_AT"
    PRIORITY = "PRIORITY"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    STATUS = "STATUS"  # the life-cycle order: DRAFT, TO_DO, IN_PROGRESS, WAITING, RESOLVED, CLOSED
    TYPE = "TYPE"  # TICKET, CASE, ACTION
    REF = "REF"  # the order references were handed out in (the item id)
    TITLE = "TITLE"  # case-insensitive
    WAIT_UNTIL = "WAIT_UNTIL"  # the follow-up time or the end of the days to wait


class Direction(str, Enum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class SortKey:
    field: SortField
    direction: Direction = Direction.ASC


NEWEST_FIRST = (SortKey(SortField.REF, Direction.DESC),)
EARLIEST_DUE = (SortKey(SortField.DUE_AT),)
OWNED_WORK_ORDER = (SortKey(SortField.WAIT_UNTIL), SortKey(SortField.DUE_AT))


@dataclass(frozen=True)
class Page:
    items: list[WorkItem]
    cursors: list[str]
    has_next: bool


# --- the lists -----------------------------------------------------------------------------------


async def work_items(viewer: Viewer, criteria: Criteria, order: Sequence[SortKey], first: int, after: str | None) -> Page:
    """Every item the viewer may see; newest first unless ordered otherwise."""
    return await _page("workItems", visibility.visible_work_items(viewer), viewer, criteria, order or NEWEST_FIRST, first, after)


async def inbox(viewer: Viewer, criteria: Criteria, order: Sequence[SortKey], first: int, after: str | None) -> Page:
    """Items assigned to me, TO_DO or IN_PROGRESS; the earliest due first."""
    query = visibility.visible_work_items(viewer).filter(assignee_id=_person(viewer, "an inbox"), status__in=INBOX)
    return await _page("inbox", query, viewer, criteria, order or EARLIEST_DUE, first, after)


async def owned_work(viewer: Viewer, criteria: Criteria, order: Sequence[SortKey], first: int, after: str | None) -> Page:
    """Items assigned to me that wait (any wait type); the earliest follow-up first, then due."""
    query = visibility.visible_work_items(viewer).filter(assignee_id=_person(viewer, "owned work"), status=Status.WAITING)
    return await _page("ownedWork", query, viewer, criteria, order or OWNED_WORK_ORDER, first, after)


async def queue_items(
    viewer: Viewer, queue_id: int, criteria: Criteria, order: Sequence[SortKey], first: int, after: str | None
) -> Page:
    """A queue's items: TO_DO unless the criteria name statuses; the earliest due first."""
    queue = await Queue.get_or_none(id=queue_id)
    if queue is None or not visibility.sees_department(viewer, queue.department_id):
        raise NotFound(f"No queue {queue_id} exists.", field="queueId")  # the same for another department's
    query = visibility.visible_work_items(viewer).filter(queue_id=queue_id)
    if not criteria.statuses:
        query = query.filter(status=Status.TO_DO)
    return await _page(f"queueItems:{queue_id}", query, viewer, criteria, order or EARLIEST_DUE, first, after)


async def team_items(
    viewer: Viewer, team_id: int, criteria: Criteria, order: Sequence[SortKey], first: int, after: str | None
) -> Page:
    """A team's items, for its members and leaders (admins: any team): open ones unless the
    criteria name statuses; the earliest due first."""
    if viewer.is_admin:
        if not await Team.exists(id=team_id):
            raise NotFound(f"No team {team_id} exists.", field="teamId")
    elif team_id not in viewer.team_ids | viewer.led_team_ids:
        raise Forbidden("Only the team's members and leaders see its items.", field="teamId")
    query = visibility.visible_work_items(viewer).filter(team_id=team_id)
    if not criteria.statuses:
        query = query.filter(status__in=OPEN)
    return await _page(f"teamItems:{team_id}", query, viewer, criteria, order or EARLIEST_DUE, first, after)


def _person(viewer: Viewer, what: str) -> int:
    if viewer.user_id is None:
        raise Forbidden(f"Only employees have {what}.")
    return viewer.user_id


# --- criteria ------------------------------------------------------------------------------------


def check_criteria(criteria: Criteria) -> None:
    """Conditions a list can apply: bounded texts, well-formed custom data conditions, ranges that
    can hold something (an "after" no later than its "before")."""
    conditions = criteria.custom_data or ()
    limits.check({"refs": criteria.refs, "text": criteria.text, "key": [k for k, _ in conditions], "value": [v for _, v in conditions]})
    for key, value in conditions:
        _check_custom_data_condition(key, value)
    advanced.check(criteria)


def apply_criteria(query: QuerySet[WorkItem], viewer: Viewer, criteria: Criteria) -> QuerySet[WorkItem]:
    c = criteria
    check_criteria(c)
    for field, values in (
        ("type", c.types), ("status", c.statuses), ("department_id", c.department_ids), ("team_id", c.team_ids),
        ("queue_id", c.queue_ids), ("assignee_id", c.assignee_ids), ("priority", c.priorities),
        ("wait_type", c.wait_types),
    ):
        if values:
            query = query.filter(**{f"{field}__in": list(values)})
    if c.refs:
        query = query.filter(ref__in=[visibility.normalise_ref(r) for r in c.refs])
    if c.my_teams:
        query = query.filter(team_id__in=sorted(viewer.team_ids))
    if c.assigned_to_me:
        # nobody is assigned to a contact or an API key: for them the list is empty
        query = query.filter(assignee_id=viewer.user_id) if viewer.user_id is not None else query.filter(id__in=[])
    if c.due_before is not None:
        query = query.filter(due_at__lt=_utc(c.due_before))
    if c.due_after is not None:
        query = query.filter(due_at__gt=_utc(c.due_after))
    if c.overdue is not None:
        query = query.filter(overdue_condition() if c.overdue else ~overdue_condition())
    if c.has_new_info is not None:
        query = query.filter(has_new_info=c.has_new_info)
    if c.needs_attention is not None:
        query = query.filter(needs_attention=c.needs_attention)
    if c.text and c.text.strip():
        query = query.filter(title__icontains=c.text.strip())
    for index, (key, value) in enumerate(c.custom_data or ()):
        name = f"custom_data_{index}"
        query = query.annotate(**{name: _CustomDataEquals(key, value)}).filter(**{name: 1})
    return advanced.apply(query, c)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def overdue_condition() -> Q:
    """Past its due date while its SLA clock runs — `sla.is_overdue` as a query: open, due before
    now, and not paused before the due date (WAITING since before it in a department that adds
    waiting time to the due date)."""
    paused_in_time = Q(
        Q(status=Status.WAITING),
        Q(wait_started_at__not_isnull=True),
        Q(wait_started_at__lte=F("due_at")),
        Q(department_id__in=Subquery(Department.filter(add_waiting_time_to_due=True).values("id"))),
    )
    # due_at IS NOT NULL keeps the negation (not overdue) free of SQL NULLs
    return Q(Q(status__in=OPEN), Q(due_at__not_isnull=True), Q(due_at__lt=clock.now()), ~paused_in_time)


def _check_custom_data_condition(key: str, value: Any) -> None:
    if not key or len(key) > MAX_CUSTOM_DATA_KEY:
        raise ValidationError.single("customData", f"customData keys are 1 to {MAX_CUSTOM_DATA_KEY} characters")
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise ValidationError.single("customData", f"customData.{key}: compare with a string, number, boolean or null")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ValidationError.single("customData", f"customData.{key}: the number is too large")


class _CustomDataEquals(Term):
    """1 when `custom_data[key]` equals `value` with its JSON type ("1" is not 1, true is not 1;
    1 equals 1.0), else 0; a null value matches a missing key or a null. Key and value are bound
    parameters. PostgreSQL: jsonb containment; SQLite: json_each, which takes any key as it is."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__()
        self.key = key
        self.value = value

    def get_sql(self, ctx: Any) -> str:
        def param(v: Any) -> str:
            return ValueWrapper(v).get_sql(ctx.copy(with_alias=False))

        column, value = f"{_TABLE}.\"custom_data\"", self.value
        if ctx.dialect is Dialects.POSTGRESQL:
            if value is None:
                condition = f"COALESCE({column} -> CAST({param(self.key)} AS text), 'null'::jsonb) = 'null'::jsonb"
            else:
                condition = f"{column} @> CAST({param(json.dumps({self.key: value}))} AS jsonb)"
        else:
            entry = f"SELECT 1 FROM json_each({column}) AS e WHERE e.key = {param(self.key)}"
            if value is None:
                condition = f"NOT EXISTS ({entry} AND e.type <> 'null')"
            elif isinstance(value, bool):
                condition = f"EXISTS ({entry} AND e.type = '{'true' if value else 'false'}')"
            elif isinstance(value, (int, float)):
                condition = f"EXISTS ({entry} AND e.type IN ('integer', 'real') AND e.atom = {param(value)})"
            else:
                condition = f"EXISTS ({entry} AND e.type = 'text' AND e.atom = {param(value)})"
        sql = f"CASE WHEN {condition} THEN 1 ELSE 0 END"
        return format_alias_sql(sql, self.alias, ctx) if ctx.with_alias else sql


# --- order and keyset pagination -----------------------------------------------------------------


def _rank(column: str, members: type[Enum]) -> str:
    whens = " ".join(f"WHEN '{m.value}' THEN {i}" for i, m in enumerate(members))
    return f"CASE {_TABLE}.\"{column}\" {whens} END"


@dataclass(frozen=True)
class _Column:
    sql: str
    kind: str  # "int", "text" or "time": what a cursor holds for it
    nullable: bool = False


_COLUMNS = {
    SortField.DUE_AT: _Column(f'{_TABLE}."due_at"', "time", nullable=True),
    SortField.WAIT_UNTIL: _Column(f'{_TABLE}."wait_until"', "time", nullable=True),
    SortField.PRIORITY: _Column(f'{_TABLE}."priority"', "int"),
    SortField.CREATED_AT: _Column(f'{_TABLE}."created_at"', "time"),
    SortField.UPDATED_AT: _Column(f'{_TABLE}."updated_at"', "time"),
    SortField.STATUS: _Column(_rank("status", Status), "int"),
    SortField.TYPE: _Column(_rank("type", WorkItemType), "int"),
    SortField.REF: _Column(f'{_TABLE}."id"', "int"),
    SortField.TITLE: _Column(f'LOWER({_TABLE}."title")', "text", nullable=True),
}


@dataclass(frozen=True)
class _Part:
    """One ORDER BY term: a sort value, or the 0/1 "is null" flag that puts nulls last."""

    name: str
    sql: str
    kind: str
    descending: bool = False
    null_flag: bool = False


def _parts(order: Sequence[SortKey]) -> list[_Part]:
    parts: list[_Part] = []
    seen: set[SortField] = set()
    for index, key in enumerate(order):
        if key.field in seen:
            raise ValidationError.single("orderBy", f"orderBy names {key.field.value} more than once")
        seen.add(key.field)
        column = _COLUMNS[key.field]
        if column.nullable:
            flag = f"CASE WHEN {column.sql} IS NULL THEN 1 ELSE 0 END"
            parts.append(_Part(f"sort_{index}_null", flag, "int", null_flag=True))
        parts.append(_Part(f"sort_{index}", column.sql, column.kind, descending=key.direction is Direction.DESC))
    if SortField.REF not in seen:  # the id tie-breaker makes the order total
        parts.append(_Part("sort_id", _COLUMNS[SortField.REF].sql, "int"))
    return parts


def _signature(list_name: str, order: Sequence[SortKey]) -> str:
    return list_name + "|" + ",".join(f"{k.field.value} {k.direction.value}" for k in order)


async def _page(
    list_name: str, query: QuerySet[WorkItem], viewer: Viewer, criteria: Criteria,
    order: Sequence[SortKey], first: int, after: str | None,
) -> Page:
    parts = _parts(order)
    signature = _signature(list_name, order)
    query = apply_criteria(query, viewer, criteria).annotate(**{p.name: RawSQL(p.sql) for p in parts})
    if after is not None:
        query = query.filter(_after(parts, _decode(after, signature, parts)))
    rows = await query.order_by(*(("-" if p.descending else "") + p.name for p in parts)).limit(first + 1)
    items = list(rows[:first])
    return Page(items=items, cursors=[_encode(signature, parts, row) for row in items], has_next=len(rows) > first)


def _after(parts: list[_Part], values: list[Any]) -> Q:
    """Rows strictly after the cursor's sort values: (a > x) or (a = x and b > y) or ..."""
    alternatives: list[Q] = []
    equal: list[Q] = []
    for part, value in zip(parts, values):
        if value is None:  # a null sort value: the rows left in this null block are all equal here
            continue
        operator = "lt" if part.descending else "gt"
        alternatives.append(Q(*equal, Q(**{f"{part.name}__{operator}": value})))
        equal.append(Q(**{part.name: value}))
    return Q(*alternatives, join_type=Q.OR)


def _encode(signature: str, parts: list[_Part], row: WorkItem) -> str:
    values = [getattr(row, p.name) for p in parts]
    values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    payload = json.dumps({"o": signature, "v": values}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _decode(cursor: str, signature: str, parts: list[_Part]) -> list[Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
            raise ValueError
    except (ValueError, UnicodeError, RecursionError):  # RecursionError: nested deeper than json reads
        raise ValidationError.single("after", "after is not a cursor this list gave out") from None
    if payload.get("o") != signature:
        raise ValidationError.single("after", "after was made for another list or order; start again without it")
    values = payload["v"]
    if len(values) != len(parts):
        raise ValidationError.single("after", "after is not a cursor this list gave out")
    parsed: list[Any] = []
    is_null = False
    for part, value in zip(parts, values):
        parsed.append(_cursor_value(part, value, is_null))
        is_null = part.null_flag and value == 1
    return parsed


def _cursor_value(part: _Part, value: Any, after_null_flag: bool) -> Any:
    """A sort value from a cursor, checked against the type its column holds."""
    if after_null_flag:
        if value is not None:
            raise ValidationError.single("after", "after is not a cursor this list gave out")
        return None
    if part.kind == "int" and type(value) is int and limits.fits_db_int(value) and (not part.null_flag or value in (0, 1)):
        return value
    if part.kind == "text" and isinstance(value, str):
        return value
    if part.kind == "time" and isinstance(value, str):
        # SQLite keeps times as text and compares the stored text; PostgreSQL compares timestamps
        if WorkItem._meta.db.capabilities.dialect != "postgres":
            return value
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError.single("after", "after is not a cursor this list gave out")
