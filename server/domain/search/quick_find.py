"""Quick find (SPEC §8): one box that finds an item by its reference (T-1042, t1042), the words of
its title (stop words ignored), its requester's or primary contact's email, or a custom data value.

The item whose reference is the text comes first (on the first page); the rest follow newest
first, with the lists' keyset cursors. A match is always within the viewer's own items.
"""

from __future__ import annotations

import re
from typing import Any

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Term, ValueWrapper
from pypika_tortoise.utils import format_alias_sql
from tortoise.expressions import Q, Subquery

from models.contact import Contact
from server.domain import limits, lists, refs, visibility
from server.domain.search.stop_words import words
from server.domain.viewer import Viewer

_REF = re.compile(r"^([TCA])-?(\d+)$")


def reference(text: str) -> str | None:
    """The reference the text names, if it looks like one: "t1042", "T-1042", " t-1042 "."""
    match = _REF.match(refs.normalise(text))
    return f"{match.group(1)}-{match.group(2)}" if match else None


async def search(viewer: Viewer, text: str, first: int, after: str | None) -> lists.Page:
    limits.check({"text": text})
    text = text.strip()
    query = visibility.visible_work_items(viewer)
    ref = reference(text)
    conditions: list[Q] = []
    if ref is not None:
        conditions.append(Q(ref=ref))
    title_words = words(text)
    if title_words:
        conditions.append(Q(*(Q(title__icontains=w) for w in title_words)))
    if "@" in text:
        contacts = Subquery(Contact.filter(email__iexact=text).values("id"))
        conditions.append(Q(requester_id__in=contacts) | Q(primary_contact_id__in=contacts))
    if text:
        query = query.annotate(custom_value_match=_CustomValueContains(text))
        conditions.append(Q(custom_value_match=1))
    if not conditions:
        return lists.Page(items=[], cursors=[], has_next=False)
    query = query.filter(Q(*conditions, join_type=Q.OR))
    exact = None
    if ref is not None:  # the reference match leads the first page and is left out of the rest
        if after is None:
            exact = await query.filter(ref=ref).first()
        query = query.exclude(ref=ref)
    if after == AFTER_REFERENCE:  # the page after the reference match: the rest from its start
        after = None
    page = await lists._page(f"search:{text}", query, viewer, lists.Criteria(), lists.NEWEST_FIRST, first, after)
    if exact is None:
        return page
    items, cursors = [exact] + page.items, [AFTER_REFERENCE] + page.cursors
    return lists.Page(items=items[:first], cursors=cursors[:first], has_next=page.has_next or len(items) > first)


# the cursor of the reference match: what follows it is the first page of the other matches
AFTER_REFERENCE = "cmVmZXJlbmNl"


class _CustomValueContains(Term):
    """1 when one of the item's custom data values (as text) contains `text`, ignoring case."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def get_sql(self, ctx: Any) -> str:
        pattern = "%" + self.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        param = ValueWrapper(pattern).get_sql(ctx.copy(with_alias=False))
        column = '"work_item"."custom_data"'
        if ctx.dialect is Dialects.POSTGRESQL:
            entry = f"SELECT 1 FROM jsonb_each_text({column}) AS e WHERE lower(e.value) LIKE {param} ESCAPE '\\'"
        else:
            entry = (
                f"SELECT 1 FROM json_each({column}) AS e WHERE e.type IN ('text', 'integer', 'real') "
                f"AND lower(e.atom) LIKE {param} ESCAPE '\\'"
            )
        sql = f"CASE WHEN EXISTS ({entry}) THEN 1 ELSE 0 END"
        return format_alias_sql(sql, self.alias, ctx) if ctx.with_alias else sql
