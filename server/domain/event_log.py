"""The event log: cursors in commit order, replay by channel, retention.

A transaction's events take their ids from the single `event_sequence` row, incremented as the
last thing the transaction does before it commits. The row stays locked until the commit, so a
second transaction that logs events waits there until the first has committed: ids are dense and
every id below a committed one is committed too (PostgreSQL releases row locks after the commit is
visible; SQLite runs one writer at a time). A reader that has seen cursor N therefore has nothing
below N still to come, which is what makes a cursor safe to resume from and lets every process
fill a gap in what the broker delivered by reading the log (server/subscriptions/hub.py).

    envelopes = await event_log.append(events)            # inside the unit of work's transaction
    await event_log.check_cursor(after)                    # ResyncRequired when it cannot be served
    async for envelope in event_log.read(after, upto, channels): ...
    await event_log.prune(older_than)                      # the scheduler, daily
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import AsyncIterator, Iterable

from tortoise import Tortoise

from models.event import EventChannel, EventRecord
from server.domain import clock
from server.domain.sql import placeholders
from server.domain.errors import DomainError
from server.domain.events import DomainEvent, Envelope, EventFormatError, WorkItemEvent, from_dict

log = logging.getLogger(__name__)

READ_PAGE = 500
PRUNE_BATCH = 5000


class ResyncRequired(DomainError):
    code = "RESYNC_REQUIRED"


def _connection():
    return Tortoise.get_connection("default")


async def _take_ids(count: int) -> int:
    """Reserve `count` ids; the last one. Locks the sequence row until the transaction ends."""
    p = placeholders(2)
    rows = await _connection().execute_query_dict(
        f"INSERT INTO event_sequence (id, last_id, pruned_through) VALUES (1, {p[0]}, 0) "
        f"ON CONFLICT (id) DO UPDATE SET last_id = event_sequence.last_id + {p[1]} RETURNING last_id",
        [count, count],
    )
    return int(rows[0]["last_id"])


async def append(events: list[DomainEvent]) -> list[Envelope]:
    """Log `events` in the current transaction, as its last writes; their envelopes, in order."""
    if not events:
        return []
    last = await _take_ids(len(events))
    occurred = clock.now()
    records, channels, envelopes = [], [], []
    for offset, event in enumerate(events):
        event_id = last - len(events) + 1 + offset
        work_item = isinstance(event, WorkItemEvent)
        records.append(
            EventRecord(
                id=event_id,
                type=event.type,
                work_item_id=event.work_item_id if work_item else None,
                department_id=event.department_id if work_item else None,
                payload=event.to_dict(),
                created_at=occurred,
            )
        )
        channels.extend(EventChannel(channel=name, event_id=event_id) for name in event.channels())
        envelopes.append(Envelope(event_id, occurred.isoformat(), event))
    await EventRecord.bulk_create(records)
    if channels:
        await EventChannel.bulk_create(channels)
    return envelopes


def same_transaction(earlier: Envelope, later: Envelope) -> bool:
    """`later` was logged right after `earlier`, by the same transaction: `append` gives one
    transaction's events consecutive cursors and one `occurred_at` (two transactions one after the
    other with the very same `occurred_at` would pass too; only a stopped clock makes that happen)."""
    return later.cursor == earlier.cursor + 1 and later.occurred_at == earlier.occurred_at


async def _bounds() -> tuple[int, int]:
    """The newest committed cursor and the newest pruned one (0, 0 before any event)."""
    rows = await _connection().execute_query_dict("SELECT last_id, pruned_through FROM event_sequence WHERE id = 1")
    return (int(rows[0]["last_id"]), int(rows[0]["pruned_through"])) if rows else (0, 0)


async def last_cursor() -> int:
    return (await _bounds())[0]


async def check_cursor(cursor: int, field: str = "after") -> int:
    """`cursor` if every event after it is still in the log; else ResyncRequired. The newest
    cursor, for the caller that wants to know how far there is to read."""
    last, pruned = await _bounds()
    if cursor < pruned:
        raise ResyncRequired(
            "The cursor is older than the event log keeps; load the current state again and "
            "subscribe without `after`.",
            field=field,
        )
    if cursor > last:
        raise ResyncRequired("The cursor is not one this server handed out; load the current state again.", field=field)
    return last


def _envelope(event_id: int, created_at: datetime | str, payload: dict) -> Envelope:
    occurred = created_at.isoformat() if isinstance(created_at, datetime) else str(created_at)
    return Envelope(int(event_id), occurred, from_dict(payload))


async def read(after: int, upto: int, channels: Iterable[str] | None = None) -> AsyncIterator[Envelope]:
    """Events with `after` < cursor <= `upto`, in cursor order; only those on `channels` when
    given. An event whose logged form no longer parses is skipped with a warning (replay goes on:
    one bad row must not stop every client behind it)."""
    names = sorted(set(channels)) if channels is not None else None
    if names is not None and not names:
        return
    position = after
    while position < upto:
        if names is None:
            rows = await EventRecord.filter(id__gt=position, id__lte=upto).order_by("id").limit(READ_PAGE).values_list("id", "created_at", "payload")
        else:
            ids = await (
                EventChannel.filter(channel__in=names, event_id__gt=position, event_id__lte=upto)
                .order_by("event_id").limit(READ_PAGE).values_list("event_id", flat=True)
            )
            if not ids:
                return
            rows = await EventRecord.filter(id__in=sorted(set(ids))).order_by("id").values_list("id", "created_at", "payload")
            position = max(ids)
        if not rows:
            return
        for event_id, created_at, payload in rows:
            try:
                yield _envelope(event_id, created_at, payload)
            except EventFormatError as exc:
                log.warning("Skipped logged event %s: %s", event_id, exc)
                continue
        position = max(position, rows[-1][0])


async def prune(older_than: datetime) -> int:
    """Delete events logged before `older_than`, oldest first; how many. Cursors at or below the
    newest deleted one are refused from then on (`check_cursor`)."""
    deleted = 0
    while True:
        ids = await EventRecord.filter(created_at__lt=older_than).order_by("id").limit(PRUNE_BATCH).values_list("id", flat=True)
        if not ids:
            return deleted
        through = max(ids)
        p = placeholders(2)
        await _connection().execute_query(
            f"UPDATE event_sequence SET pruned_through = {p[0]} WHERE id = 1 AND pruned_through < {p[1]}", [through, through]
        )
        await EventChannel.filter(event_id__lte=through).delete()
        deleted += await EventRecord.filter(id__lte=through).delete()
