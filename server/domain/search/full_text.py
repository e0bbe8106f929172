"""Full-text matching of work items by the words of their title and custom data values (quick
find, SPEC §8), on the index of each database: `work_item.search_text` (models/search_text.py)
through a GIN index on `to_tsvector('simple', search_text)` in PostgreSQL, through the FTS5 table
`work_item_fts` in SQLite (both made by migration 0018).

Every word given must begin a word of the item (prefix matching: "invoi" finds "invoice", as one
types). The words come from `search_text.words`, so they are letters and digits only, and they go
into the statement as one bound parameter: nothing a user types is query syntax on either side.
"""

from __future__ import annotations

from typing import Any, Sequence

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Criterion, Term, ValueWrapper
from tortoise.expressions import Q
from tortoise.query_utils import QueryModifier
from tortoise.queryset import QuerySet

from models.search_text import words as split
from models.work_item import WorkItem
from server.domain.search.stop_words import STOP_WORDS


def query_words(text: str) -> list[str]:
    """The words of `text` that count, as the index holds them (letters and digits, case-folded),
    each once, in order: stop words dropped."""
    return [w for w in dict.fromkeys(split(text)) if w.isalnum() and w not in _STOP_WORDS]


_STOP_WORDS = frozenset(w for stop_word in STOP_WORDS for w in split(stop_word))  # "że" as "ze"


class MatchingIds(Term):
    """SELECT the ids of the items that have a word beginning with each of `words` (one part of
    `any_of`). `words` must be non-empty and made by `query_words`."""

    def __init__(self, words: Sequence[str]) -> None:
        super().__init__()
        self.words = tuple(words)

    def get_sql(self, ctx: Any) -> str:
        if ctx.dialect is Dialects.POSTGRESQL:
            query = ValueWrapper(" & ".join(f"{w}:*" for w in self.words)).get_sql(ctx.copy(with_alias=False))
            return f"SELECT \"id\" FROM \"work_item\" WHERE to_tsvector('simple', \"search_text\") @@ to_tsquery('simple', {query})"
        match = ValueWrapper(" AND ".join(f'"{w}"*' for w in self.words)).get_sql(ctx.copy(with_alias=False))
        return f'SELECT "rowid" FROM "work_item_fts" WHERE "work_item_fts" MATCH {match}'


def any_of(query: QuerySet[WorkItem], parts: Sequence[Term]) -> QuerySet[WorkItem]:
    """`query`'s items whose id one of `parts` selects (each a Term rendering one SELECT of ids:
    `MatchingIds`, a tortoise `Subquery`).

    The parts are a UNION of selects that each use their own index, rather than OR-ed conditions:
    an OR over an index and a full-text match leaves a database nothing better than reading the
    whole table. PostgreSQL gets them as `id = ANY(ARRAY(…))`, planned on their own: as a
    subquery it cannot estimate how many items a word's beginning matches (it assumes 2% of the
    table), and for few it would rather read the table backwards testing every item's words
    than ask the index (150 ms instead of 0.1 ms over 100,000 items, bench/search.py)."""
    return query.filter(_Where(_IdIsAnyOf(tuple(parts))))


class _IdIsAnyOf(Criterion):
    def __init__(self, parts: tuple[Term, ...]) -> None:
        super().__init__()
        self.parts = parts

    def get_sql(self, ctx: Any) -> str:
        inner = ctx.copy(subquery=False, with_alias=False)
        union = " UNION ".join(part.get_sql(inner) for part in self.parts)
        if ctx.dialect is Dialects.POSTGRESQL:
            return f'"work_item"."id" = ANY(ARRAY({union}))'
        return f'"work_item"."id" IN ({union})'


class _Where(Q):
    """A condition tortoise's filters cannot spell, as a Q: `QueryModifier` is how a Q hands
    tortoise its WHERE criterion (tortoise.query_utils; no public way to add raw criteria)."""

    def __init__(self, criterion: Criterion) -> None:
        super().__init__()
        self.criterion = criterion

    def resolve(self, resolve_context: Any) -> QueryModifier:
        return QueryModifier(where_criterion=self.criterion)
