"""Typed events: strict parsing, and publication only after the transaction commits."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from models.event import EventRecord
from server.domain.uow import unit_of_work
from server.subscriptions import bus
from server.domain.events import (
    _REGISTRY,
    Envelope,
    EventFormatError,
    WorkItemFieldsChanged,
    from_dict,
    work_item_channel,
)

SAMPLE_VALUES = {int: 7, str: "x", bool: True}


def _sample(cls):
    values = {}
    for field in dataclasses.fields(cls):
        hint = str(field.type)
        if "tuple" in hint:
            values[field.name] = ("title",)
        elif hint.startswith("int"):
            values[field.name] = 7
        else:
            values[field.name] = "x"
    return cls(**values)


@pytest.mark.parametrize("type_name", sorted(_REGISTRY))
def test_every_event_type_round_trips(type_name):
    event = _sample(_REGISTRY[type_name])
    envelope = Envelope(12, "2026-01-01T00:00:00+00:00", event)
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_every_work_item_event_is_pushed_as_its_own_kind():
    """A new work item event type fails here until workItemUpdated names it (instead of passing
    silently as UPDATED), and every kind of the schema comes from an event or the snapshot."""
    from server.schema.work_items import WorkItemEventKindEnum
    from server.domain.events import WorkItemEvent
    from server.subscriptions.work_item import KINDS

    assert {cls for cls in _REGISTRY.values() if issubclass(cls, WorkItemEvent)} == set(KINDS)
    assert len(set(KINDS.values())) == len(KINDS)
    assert set(KINDS.values()) | {WorkItemEventKindEnum.SNAPSHOT} == set(WorkItemEventKindEnum)


def test_parsing_is_strict():
    good = WorkItemFieldsChanged(work_item_id=1, ref="T-1", department_id=2, version=3, fields=("title",)).to_dict()
    assert from_dict(good).fields == ("title",)
    for broken in (
        {**good, "type": "work_item.nope"},
        {**good, "surprise": 1},
        {k: v for k, v in good.items() if k != "ref"},
        {**good, "version": "3"},
        {**good, "version": True},
        {**good, "fields": "title"},
    ):
        with pytest.raises(EventFormatError):
            from_dict(broken)


async def _first_message(channel: str, action) -> dict:
    event_bus = bus.current()
    async with event_bus.subscribe(channel) as envelopes:
        await action()
        envelope = await asyncio.wait_for(envelopes.__anext__(), 5)
    return envelope


async def test_events_are_logged_and_published_only_after_commit(settings):
    channel = work_item_channel(424242)

    def event(version: int) -> WorkItemFieldsChanged:
        return WorkItemFieldsChanged(work_item_id=424242, ref="T-424242", department_id=1, version=version, fields=("title",))

    async def rolled_back_then_committed():
        with pytest.raises(RuntimeError):
            async with unit_of_work() as uow:
                uow.emit(event(1))
                raise RuntimeError("rolled back")
        async with unit_of_work() as uow:
            uow.emit(event(2))

    envelope = await _first_message(channel, rolled_back_then_committed)
    assert envelope.event.version == 2  # the rolled-back event never left
    records = await EventRecord.filter(work_item_id=424242)
    assert [r.payload["version"] for r in records] == [2]
    assert envelope.cursor == records[0].id


async def test_nested_units_of_work_publish_once_at_the_outer_commit(settings):
    channel = work_item_channel(515151)

    async def nested():
        async with unit_of_work() as outer:
            async with unit_of_work() as inner:
                assert inner is outer
                inner.emit(WorkItemFieldsChanged(work_item_id=515151, ref="T-5", department_id=1, version=1, fields=()))
            assert await EventRecord.filter(work_item_id=515151).count() == 0  # not before the outer commit

    envelope = await _first_message(channel, nested)
    assert envelope.event.ref == "T-5"
