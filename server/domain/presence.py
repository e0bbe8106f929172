"""Presence (SPEC §6 team bar): whether a user is ONLINE, AWAY or OFFLINE, over all their live
connections in every server process.

Each live connection of a user is one `presence_connection` row, held by the server process it
is connected to (`process_id`, random per process). A user is ONLINE while any of their
connections is active, AWAY while all of them are away, OFFLINE with none. Every process moves
`seen_at` of its own rows on (`heartbeat`) and deletes the rows of any process that stopped doing
so (`sweep`): a process that dies stops showing its users within the timeout.

Every change of a user's presence emits `PresenceChanged` in the same unit of work. The presence
before and after is read inside the transaction, after taking a per-user lock on PostgreSQL (an
advisory transaction lock: two processes changing one user's connections at once are ordered, so
the last event tells the presence that stands); SQLite runs one write transaction at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Sequence

from tortoise import Tortoise
from tortoise.expressions import Case, RawSQL, When
from tortoise.functions import Count, Sum

from models.presence import PresenceConnection
from server.domain import clock
from server.domain.events import PresenceChanged
from server.domain.team_bar import Presence
from server.domain.uow import UnitOfWork, unit_of_work

DEFAULT_TIMEOUT = timedelta(seconds=60)
_LOCK_SPACE = 7007  # the first key of presence's advisory locks (the second: the user id)


def aggregate(connections: int, active: int) -> Presence:
    """A user's presence from their number of live connections and of those not away."""
    if connections <= 0:
        return Presence.OFFLINE
    return Presence.ONLINE if active > 0 else Presence.AWAY


async def statuses(user_ids: Sequence[int]) -> dict[int, Presence]:
    """Every given user's presence, from one statement (a user without connections: OFFLINE)."""
    wanted = sorted({int(u) for u in user_ids})
    if not wanted:
        return {}
    rows = await (
        PresenceConnection.filter(user_id__in=wanted)
        # literal 1 and 0: bound parameters would reach PostgreSQL's SUM as text
        .annotate(n=Count("id"), active=Sum(Case(When(away=False, then=RawSQL("1")), default=RawSQL("0"))))
        .group_by("user_id")
        .values("user_id", "n", "active")
    )
    found = {int(r["user_id"]): aggregate(int(r["n"] or 0), int(r["active"] or 0)) for r in rows}
    return {u: found.get(u, Presence.OFFLINE) for u in wanted}


async def _lock(user_ids: Iterable[int]) -> None:
    """Order this transaction after any other changing these users' presence (PostgreSQL)."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect != "postgres":
        return
    for user_id in sorted(set(user_ids)):  # always in the same order: no deadlock between two sweeps
        await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [_LOCK_SPACE, int(user_id)])


def _emit_changes(uow: UnitOfWork, before: dict[int, Presence], after: dict[int, Presence]) -> None:
    for user_id in sorted(before):
        if after.get(user_id, Presence.OFFLINE) != before[user_id]:
            uow.emit(PresenceChanged(user_id=user_id, presence=after[user_id].value))


async def connected(user_id: int, process_id: str, connection_id: str, *, away: bool = False) -> Presence:
    """A connection of the user opened on the process (again: its row is written anew)."""
    async with unit_of_work() as uow:
        await _lock([user_id])
        before = await statuses([user_id])
        await PresenceConnection.filter(process_id=process_id, connection_id=connection_id).delete()
        await PresenceConnection.create(user_id=user_id, process_id=process_id, connection_id=connection_id, away=away, seen_at=clock.now())
        after = await statuses([user_id])
        _emit_changes(uow, before, after)
    return after[user_id]


async def disconnected(user_id: int, process_id: str, connection_id: str) -> Presence:
    """The connection ended."""
    async with unit_of_work() as uow:
        await _lock([user_id])
        before = await statuses([user_id])
        await PresenceConnection.filter(user_id=user_id, process_id=process_id, connection_id=connection_id).delete()
        after = await statuses([user_id])
        _emit_changes(uow, before, after)
    return after[user_id]


async def set_away(user_id: int, process_id: str, connection_id: str, away: bool) -> Presence:
    """The connection's client says its user is away (or back); also a sign the connection lives."""
    async with unit_of_work() as uow:
        await _lock([user_id])
        before = await statuses([user_id])
        await PresenceConnection.filter(user_id=user_id, process_id=process_id, connection_id=connection_id).update(away=away, seen_at=clock.now())
        after = await statuses([user_id])
        _emit_changes(uow, before, after)
    return after[user_id]


async def heartbeat(process_id: str) -> int:
    """The process still holds its connections: one UPDATE of all its rows; how many it holds."""
    return await PresenceConnection.filter(process_id=process_id).update(seen_at=clock.now())


async def sweep(stale_after: timedelta = DEFAULT_TIMEOUT) -> int:
    """Delete the connections not seen for `stale_after` (their process stopped): how many."""
    cutoff: datetime = clock.now() - stale_after
    async with unit_of_work() as uow:
        users = sorted({int(u) for u in await PresenceConnection.filter(seen_at__lt=cutoff).distinct().values_list("user_id", flat=True)})
        if not users:
            return 0
        await _lock(users)
        before = await statuses(users)
        deleted = await PresenceConnection.filter(user_id__in=users, seen_at__lt=cutoff).delete()
        after = await statuses(users)
        _emit_changes(uow, before, after)
    return deleted
