"""Advanced search (SPEC §8): the lists' conditions on the remaining standard columns — people,
contacts, company, category, case type, resolution method, action kind, the times an item was
created, changed, resolved and closed, test mode, left for a person — and custom data values that
contain a text.

`lists.check_criteria` and `lists.apply_criteria` call `check` and `apply` with the caller's
`criteria.Criteria`; the list has already narrowed its query to the viewer's own items, so a
condition here only ever narrows it further (an id of something the viewer cannot see finds
nothing). Every condition is part of the list's one statement.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Term, ValueWrapper
from pypika_tortoise.utils import format_alias_sql
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from models.work_item import WorkItem
from server.domain import limits
from server.domain.criteria import MAX_CUSTOM_DATA_KEY, Criteria
from server.domain.errors import ValidationError


# column → the Criteria field whose values it must be one of
_ONE_OF = (
    ("owner_id", "owner_ids"),
    ("requester_id", "requester_ids"),
    ("primary_contact_id", "primary_contact_ids"),
    ("company_id", "company_ids"),
    ("category_id", "category_ids"),
    ("case_type_id", "case_type_ids"),
    ("created_by_id", "created_by_ids"),
    ("resolution_method", "resolution_methods"),
    ("action_kind", "action_kinds"),
)
# column → the Criteria fields of its range: strictly after, strictly before (API names alike)
RANGES = (
    ("due_at", "due_after", "due_before"),
    ("created_at", "created_after", "created_before"),
    ("updated_at", "updated_after", "updated_before"),
    ("resolved_at", "resolved_after", "resolved_before"),
    ("closed_at", "closed_after", "closed_before"),
)
_FLAGS = (("test_mode", "test_mode"), ("human_only", "human_only"))


def _api_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def check(criteria: Criteria) -> None:
    """Ranges that can hold something, and bounded, well-formed custom data "contains" conditions."""
    for _, after_field, before_field in RANGES:
        after, before = getattr(criteria, after_field), getattr(criteria, before_field)
        if after is not None and before is not None and utc(after) > utc(before):
            name = _api_name(after_field)
            raise ValidationError.single(name, f"{name} is later than {_api_name(before_field)}: nothing lies between them")
    conditions = criteria.custom_data_contains or ()
    limits.check({"customDataContains": [{"key": key, "text": text} for key, text in conditions]})
    for key, _ in conditions:
        if not key or len(key) > MAX_CUSTOM_DATA_KEY:
            raise ValidationError.single("customDataContains", f"customDataContains keys are 1 to {MAX_CUSTOM_DATA_KEY} characters")


def apply(query: QuerySet[WorkItem], criteria: Criteria) -> QuerySet[WorkItem]:
    """`query` narrowed by the advanced search conditions that are set (`check` them first)."""
    c = criteria
    for column, field in _ONE_OF:
        values = getattr(c, field)
        if values:
            query = query.filter(**{f"{column}__in": list(values)})
    if c.contact_ids:
        ids = sorted({int(i) for i in c.contact_ids})
        listed = ", ".join(str(i) for i in ids)  # whole numbers: written into the statement as they are
        others = RawSQL(f'(SELECT "work_item_id" FROM "work_item_contact" WHERE "contact_id" IN ({listed}))')
        query = query.filter(Q(requester_id__in=ids) | Q(primary_contact_id__in=ids) | Q(id__in=others))
    for column, after_field, before_field in RANGES[1:]:  # the due range is the lists' own
        after, before = getattr(c, after_field), getattr(c, before_field)
        if after is not None:
            query = query.filter(**{f"{column}__gt": utc(after)})
        if before is not None:
            query = query.filter(**{f"{column}__lt": utc(before)})
    for column, field in _FLAGS:
        value = getattr(c, field)
        if value is not None:
            query = query.filter(**{column: value})
    for index, (key, text) in enumerate(c.custom_data_contains or ()):
        if text.strip():  # a blank text sets no condition, as the title's
            name = f"custom_data_contains_{index}"
            query = query.annotate(**{name: _CustomDataContains(key, text.strip())}).filter(**{name: 1})
    return query


class _CustomDataContains(Term):
    """1 when `custom_data[key]` is a text or a number whose text contains `text`, ignoring case
    (as the title filter: SQLite folds the case of ASCII letters only), else 0. Key and text are
    bound parameters, and no character of the text is a wildcard."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__()
        self.key = key
        self.text = text

    def get_sql(self, ctx: Any) -> str:
        def param(v: Any) -> str:
            return ValueWrapper(v).get_sql(ctx.copy(with_alias=False))

        column = '"work_item"."custom_data"'
        if ctx.dialect is Dialects.POSTGRESQL:
            key = f"CAST({param(self.key)} AS text)"
            condition = (
                f"jsonb_typeof({column} -> {key}) IN ('string', 'number') "
                f"AND strpos(lower({column} ->> {key}), lower(CAST({param(self.text)} AS text))) > 0"
            )
        else:
            condition = (
                f"EXISTS (SELECT 1 FROM json_each({column}) AS e WHERE e.key = {param(self.key)} "
                f"AND e.type IN ('text', 'integer', 'real') AND instr(lower(e.atom), lower({param(self.text)})) > 0)"
            )
        sql = f"CASE WHEN {condition} THEN 1 ELSE 0 END"
        return format_alias_sql(sql, self.alias, ctx) if ctx.with_alias else sql
