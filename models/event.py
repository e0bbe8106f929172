"""The durable event log: every domain event, written in the transaction that caused it.

An event's id is its cursor: taken from `event_sequence` under that row's lock at the end of the
transaction that wrote it, so ids are dense and in commit order (server/domain/event_log.py).
`event_channel` indexes each event by the channels it was published on, for replay by cursor.
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class EventRecord(Model):
    id = fields.BigIntField(primary_key=True)
    type = fields.CharField(max_length=64)
    work_item_id = fields.IntField(null=True)
    department_id = fields.IntField(null=True)
    payload = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "event_log"
        indexes = (Index(fields=("work_item_id", "id"), name="event_log_work_item"),)


class EventSequence(Model):
    # one row (id 1): the last cursor handed out, and the last one pruned (replay from a cursor
    # below it would have a gap)
    id = fields.IntField(primary_key=True)
    last_id = fields.BigIntField()
    pruned_through = fields.BigIntField(default=0)

    class Meta:
        table = "event_sequence"


class EventChannel(Model):
    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=96)
    event_id = fields.BigIntField()

    class Meta:
        table = "event_channel"
        indexes = (Index(fields=("channel", "event_id"), name="event_channel_channel_event"),)
