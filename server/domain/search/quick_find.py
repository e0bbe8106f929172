"""Quick find (SPEC §8): one box that finds an item by its reference (T-1042, t1042), the words of
its title and custom data values (stop words ignored; each word given begins a word of the item,
through the full-text index of search/full_text.py), or its requester's or primary contact's email.

The item whose reference is the text comes first (on the first page); the rest follow newest
first, with the lists' keyset cursors. A match is always within the viewer's own items.
"""

from __future__ import annotations

import re
from pypika_tortoise.terms import Term
from tortoise.expressions import Subquery

from models.contact import Contact
from models.work_item import WorkItem
from server.domain import limits, lists, refs, visibility
from server.domain.search import full_text
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
    exact = None
    if ref is not None and after is None:  # the reference match leads the first page
        exact = await query.filter(ref=ref).first()
    if after == AFTER_REFERENCE:  # the page after the reference match: the rest from its start
        after = None
    parts: list[Term] = []
    found_words = full_text.query_words(text)
    if found_words:  # the title's and the custom data values' words (search/full_text.py)
        parts.append(full_text.MatchingIds(found_words))
    if "@" in text:
        contacts = Subquery(Contact.filter(email__iexact=text).values("id"))
        parts.append(Subquery(WorkItem.filter(requester_id__in=contacts).values("id")))
        parts.append(Subquery(WorkItem.filter(primary_contact_id__in=contacts).values("id")))
    if not parts:
        page = lists.Page(items=[], cursors=[], has_next=False)
    else:  # the other matches, newest first, without the reference match
        query = full_text.any_of(query, parts)
        if ref is not None:
            query = query.exclude(ref=ref)
        page = await lists._page(f"search:{text}", query, viewer, lists.Criteria(), lists.NEWEST_FIRST, first, after)
    if exact is None:
        return page
    items, cursors = [exact] + page.items, [AFTER_REFERENCE] + page.cursors
    return lists.Page(items=items[:first], cursors=cursors[:first], has_next=page.has_next or len(items) > first)


# the cursor of the reference match: what follows it is the first page of the other matches
AFTER_REFERENCE = "cmVmZXJlbmNl"
