"""Typed events: strict parsing, logged in commit order, published only after the transaction
commits, and delivered by every process's hub in cursor order with nothing missing."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from tortoise.transactions import in_transaction

from models.enums import WorkItemType
from models.event import EventRecord
from server.domain import event_log
from server.domain.events import (
    EVENT_TYPES,
    Envelope,
    EventFormatError,
    ItemHeader,
    NotificationsRead,
    WorkItemEvent,
    WorkItemFieldsChanged,
    from_dict,
    work_item_channel,
)
from server.domain.uow import unit_of_work
from server.subscriptions import bus

HEADER = ItemHeader(type=WorkItemType.TICKET, status="TO_DO", title="t")


def _sample(cls):
    values = {}
    for field in msgspec.structs.fields(cls):
        if field.required:
            hint = str(field.type)
            if field.name == "item":
                values[field.name] = HEADER
            elif "tuple" in hint:
                values[field.name] = (7,) if "int" in hint else ("title",)
            elif "int" in hint:
                values[field.name] = 7
            else:
                values[field.name] = "x"
    return cls(**values)


def _changed(work_item_id: int, version: int) -> WorkItemFieldsChanged:
    return WorkItemFieldsChanged(work_item_id=work_item_id, ref=f"T-{work_item_id}", department_id=1, version=version, item=HEADER, fields=("title",))


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_event_type_round_trips(type_name):
    event = _sample(EVENT_TYPES[type_name])
    envelope = Envelope(12, "2026-01-01T00:00:00+00:00", event)
    assert Envelope.from_json(envelope.to_json()) == envelope
    assert from_dict(event.to_dict()) == event


def test_every_work_item_event_is_pushed_as_its_own_kind():
    """A new work item event type fails here until workItemUpdated names it (instead of passing
    silently as UPDATED), and every kind of the schema comes from an event or the snapshot."""
    from server.schema.live.work_item import KINDS
    from server.schema.work_items import WorkItemEventKindEnum

    pushed = {cls for cls in EVENT_TYPES.values() if issubclass(cls, WorkItemEvent) or cls.type == "work_item.viewers_changed"}
    assert pushed == set(KINDS)
    assert len(set(KINDS.values())) == len(KINDS)
    assert set(KINDS.values()) | {WorkItemEventKindEnum.SNAPSHOT} == set(WorkItemEventKindEnum)


def test_parsing_is_strict():
    good = _changed(1, 3).to_dict()
    assert from_dict(good).fields == ("title",)
    for broken in (
        {**good, "type": "work_item.nope"},
        {**good, "surprise": 1},
        {k: v for k, v in good.items() if k != "ref"},
        {**good, "version": "3"},
        {**good, "version": True},
        {**good, "fields": "title"},
        {**good, "item": {**good["item"], "type": "PARCEL"}},
    ):
        with pytest.raises(EventFormatError):
            from_dict(broken)


async def _first(channel: str, action) -> Envelope:
    hub = bus.current()
    async with hub.listening([channel]) as listener:
        await action()
        return await asyncio.wait_for(listener.get(), 5)


async def test_events_are_logged_and_published_only_after_commit(settings):
    async def rolled_back_then_committed():
        with pytest.raises(RuntimeError):
            async with unit_of_work() as uow:
                uow.emit(_changed(424242, 1))
                raise RuntimeError("rolled back")
        async with unit_of_work() as uow:
            uow.emit(_changed(424242, 2))

    envelope = await _first(work_item_channel(424242), rolled_back_then_committed)
    assert envelope.event.version == 2  # the rolled-back event never left
    records = await EventRecord.filter(work_item_id=424242)
    assert [r.payload["version"] for r in records] == [2]
    assert envelope.cursor == records[0].id


async def test_nested_units_of_work_publish_once_at_the_outer_commit(settings):
    async def nested():
        async with unit_of_work() as outer:
            async with unit_of_work() as inner:
                assert inner is outer
                inner.emit(_changed(515151, 1))
            assert await EventRecord.filter(work_item_id=515151).count() == 0  # not before the outer commit

    envelope = await _first(work_item_channel(515151), nested)
    assert envelope.event.ref == "T-515151"


async def test_cursors_follow_commit_order_not_start_order(settings):
    """The transaction that started first but commits last gets the later cursor: a second
    transaction logging events waits for the first one's commit, so no reader can see a cursor
    while a lower one is still to come."""
    from tortoise import Tortoise

    first_logged, release = asyncio.Event(), asyncio.Event()
    cursors: dict[str, int] = {}
    # SQLite runs one transaction at a time (the second waits at BEGIN), so only PostgreSQL can
    # interleave two of them; the waiting below holds on both
    concurrent = Tortoise.get_connection("default").capabilities.dialect == "postgres"

    async def slow() -> None:
        async with in_transaction():
            await EventRecord.filter(id=-1).count()  # started, doing its work
            first_logged.set()
            await release.wait()
            cursors["slow"] = (await event_log.append([_changed(616161, 1)]))[0].cursor

    async def quick() -> None:
        await first_logged.wait()
        async with in_transaction():
            cursors["quick"] = (await event_log.append([_changed(616161, 2)]))[0].cursor
        release.set()

    if concurrent:
        await asyncio.wait_for(asyncio.gather(slow(), quick()), 10)
        assert cursors["quick"] < cursors["slow"]

    # and while one transaction holds its cursors uncommitted, another one's logging waits for it
    holding, done = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with in_transaction():
            await event_log.append([_changed(616161, 3)])
            holding.set()
            await asyncio.sleep(0.3)
            order.append("holder commits")

    async def waiter() -> None:
        await holding.wait()
        async with in_transaction():
            await event_log.append([_changed(616161, 4)])
        order.append("waiter logged")
        done.set()

    await asyncio.wait_for(asyncio.gather(holder(), waiter()), 10)
    assert order == ["holder commits", "waiter logged"]
    logged = await EventRecord.filter(work_item_id=616161).order_by("id").values_list("id", flat=True)
    assert logged == list(range(logged[0], logged[0] + (4 if concurrent else 2)))  # dense


async def test_the_hub_reads_from_the_log_what_the_broker_never_brought(settings):
    """A process killed between its commit and its publish: another process's hub delivers the
    events from the log within its poll interval, in order, once each."""
    hub = bus.current()
    channel = work_item_channel(717171)
    async with hub.listening([channel]) as listener:
        async with in_transaction():  # committed, never published
            await event_log.append([_changed(717171, 1), _changed(717171, 2)])
        async with unit_of_work() as uow:  # published: the hub fills the gap before it
            uow.emit(_changed(717171, 3))
        got = [await asyncio.wait_for(listener.get(), hub.poll_interval + 5) for _ in range(3)]
    assert [e.event.version for e in got] == [1, 2, 3]
    assert [e.cursor for e in got] == sorted({e.cursor for e in got})


async def test_the_hub_delivers_a_transaction_read_from_the_log_at_once(settings, monkeypatch):
    """Read from the log a page at a time (one event a page here, each page slow to come), a
    transaction's events still reach a listener together: when it takes the first, the rest of its
    transaction is queued already (a cohort folds an edit and its timeline entry into one push by
    that)."""
    read = event_log.read

    async def slow_pages(*args, **kwargs):
        async for envelope in read(*args, **kwargs):
            yield envelope
            await asyncio.sleep(0.05)  # the next page's query

    monkeypatch.setattr(event_log, "READ_PAGE", 1)
    monkeypatch.setattr(event_log, "read", slow_pages)
    hub = bus.current()
    async with hub.listening([work_item_channel(727272)]) as listener:
        async with in_transaction():  # committed, never published: the hub reads them from the log
            await event_log.append([_changed(727272, 1), _changed(727272, 2)])
        async with unit_of_work() as uow:  # published: the hub fills the gap before it
            uow.emit(_changed(727272, 3))
        first = await asyncio.wait_for(listener.get(), hub.poll_interval + 5)
        queued = listener.peek()
        assert queued is not None and (first.event.version, queued.event.version) == (1, 2)
        assert listener.take() is queued and listener.position == queued.cursor
        last = await asyncio.wait_for(listener.get(), hub.poll_interval + 5)
    assert last.event.version == 3 and listener.peek() is None


async def test_replay_by_channel_and_retention(settings):
    start = await event_log.last_cursor()
    async with unit_of_work() as uow:
        uow.emit(_changed(818181, 1))
        uow.emit(NotificationsRead(user_id=818181, notification_ids=(1,)))
        uow.emit(_changed(818182, 1))
        uow.emit(_changed(818181, 2))
    last = await event_log.last_cursor()
    replayed = [e async for e in event_log.read(start, last, [work_item_channel(818181)])]
    assert [e.event.version for e in replayed] == [1, 2]
    assert await event_log.check_cursor(start) == last

    from server.domain import clock
    from datetime import timedelta

    assert await event_log.prune(clock.now() + timedelta(seconds=1)) >= 4
    with pytest.raises(event_log.ResyncRequired):
        await event_log.check_cursor(start)
    with pytest.raises(event_log.ResyncRequired):
        await event_log.check_cursor(last + 1000)
    assert await event_log.check_cursor(last) == last  # nothing after it was lost


async def test_the_scheduler_prunes_events_past_the_retention(settings):
    from server.worker import prune_forever

    async with unit_of_work() as uow:
        uow.emit(_changed(919191, 1))
    logged = await event_log.last_cursor()
    pruner = asyncio.create_task(prune_forever(retention_days=-1, every=0.05))  # everything is past it
    try:
        for _ in range(100):
            if not await EventRecord.filter(id=logged).exists():
                break
            await asyncio.sleep(0.05)
    finally:
        pruner.cancel()
        await asyncio.gather(pruner, return_exceptions=True)
    assert not await EventRecord.filter(id=logged).exists()
    with pytest.raises(event_log.ResyncRequired):
        await event_log.check_cursor(logged - 1)
