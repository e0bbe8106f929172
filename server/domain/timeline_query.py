"""Reading a work item's timeline (SPEC §4, §2.2 rule 8): whose entries are in scope, the kind
filter and its counts, and keyset pages newest first.

Which items' entries a timeline shows — the one rule:
- the item itself;
- with "include related items" (on by default for cases and for tickets merged into another
  item, off otherwise), for every type of item: every entry of its related items, which are its
  linked group (SPEC §3, `links.linked_group`): a case's actions and sub-cases, an action's case
  and sibling actions, a sub-case's parent, the ticket a case came from and the case it became,
  split parts and their source, the item a ticket was merged into and the tickets merged into it.
  Person-made links are not related items (their emails reach a timeline by being shared);
- always, the communications of the tickets merged into this item ("its emails and notes are
  visible on the target").
Items the viewer may not see (`visibility.can_see`) contribute nothing, and a portal contact reads
only public entries. A fixed number of statements whatever the page size and the number of
related items: the related items (one per level of the structure, or one for the merged tickets
without related items), one per page and one for the kind counts (asked for only when wanted,
then kept).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from models.enums import TimelineKind, WorkItemType
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import links, visibility
from server.domain.viewer import Viewer

COMMUNICATIONS = frozenset(
    {
        TimelineKind.NOTE,
        TimelineKind.EMAIL_IN,
        TimelineKind.EMAIL_OUT,
        TimelineKind.INITIAL_DESCRIPTION,
        TimelineKind.PORTAL_MESSAGE,
        TimelineKind.PHONE_CALL,
        TimelineKind.LETTER,
    }
)

# where a page ends: the (created_at, id) of its last entry
Position = tuple[datetime, int]


def position_of(entry: TimelineEntry) -> Position:
    return entry.created_at, entry.id


def includes_related_by_default(item: WorkItem) -> bool:
    """On for cases (their actions' entries) and for merged tickets (their target's entries)."""
    return item.type is WorkItemType.CASE or item.merged_into_id is not None


@dataclass(frozen=True)
class KindCount:
    kind: TimelineKind
    count: int


@dataclass(frozen=True)
class KindTally:
    """The kinds among the entries in scope (before the kind filter), for a client's filter chips."""

    counts: list[KindCount]  # in the vocabulary's order, only kinds that occur
    shown: int  # how many of them the kind filter lets through
    total: int


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    has_next: bool


class Timeline:
    """One work item's timeline as one viewer may read it, with the options chosen."""

    def __init__(
        self,
        items: dict[int, WorkItem],
        full_ids: Iterable[int],
        communication_ids: Iterable[int],
        *,
        kinds: frozenset[TimelineKind],
        public_only: bool,
        show_system_generated: bool,
    ) -> None:
        self.items = items
        self.full_ids = sorted(set(full_ids))
        self.communication_ids = sorted(set(communication_ids) - set(self.full_ids))
        self.kinds = kinds
        self.public_only = public_only
        self.show_system_generated = show_system_generated
        self._tally: asyncio.Future[KindTally] | None = None

    def ref_of(self, entry: TimelineEntry) -> str:
        return self.items[entry.work_item_id].ref

    def _in_scope(self) -> QuerySet[TimelineEntry]:
        scope = Q(work_item_id__in=self.full_ids)
        if self.communication_ids:
            scope |= Q(work_item_id__in=self.communication_ids, kind__in=sorted(COMMUNICATIONS))
        query = TimelineEntry.filter(scope)
        if not self.show_system_generated:
            query = query.filter(system_generated=False)
        if self.public_only:
            query = query.filter(is_public=True)
        return query

    async def page(self, first: int, after: Position | None = None) -> TimelinePage:
        """Up to `first` entries after `after`, newest first (created_at, then id, descending)."""
        query = self._in_scope()
        if self.kinds:
            query = query.filter(kind__in=sorted(self.kinds))
        if after is not None:
            created_at, entry_id = after
            query = query.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=entry_id))
        rows = await query.order_by("-created_at", "-id").limit(first + 1)
        return TimelinePage(entries=rows[:first], has_next=len(rows) > first)

    async def tally(self) -> KindTally:
        """Counted once per timeline, however many fields ask."""
        if self._tally is None:
            self._tally = asyncio.ensure_future(self._count())
        return await asyncio.shield(self._tally)

    async def _count(self) -> KindTally:
        rows = await self._in_scope().annotate(count=Count("id")).group_by("kind").values("kind", "count")
        found = {TimelineKind(row["kind"]): int(row["count"]) for row in rows}
        counts = [KindCount(kind, found[kind]) for kind in TimelineKind if kind in found]
        shown = len(found.keys() & self.kinds) if self.kinds else len(found)
        return KindTally(counts=counts, shown=shown, total=len(found))


async def timeline_of(
    viewer: Viewer,
    item: WorkItem,
    *,
    kinds: Iterable[TimelineKind] = (),
    include_related: bool | None = None,
    show_system_generated: bool = False,
) -> Timeline:
    """`item`'s timeline for `viewer`; `include_related` None means the item's default; no kinds
    means every kind."""
    if include_related is None:
        include_related = includes_related_by_default(item)
    if include_related:
        related = await links.linked_group(item)
    else:
        related = await WorkItem.filter(merged_into_id=item.id)
    items = {row.id: row for row in [item, *related] if visibility.can_see(viewer, row)}
    merged_sources = {i for i, row in items.items() if row.merged_into_id == item.id}
    full = set(items) if include_related else {item.id}
    return Timeline(
        items,
        full,
        merged_sources,
        kinds=frozenset(kinds),
        public_only=viewer.is_contact,
        show_system_generated=show_system_generated,
    )
