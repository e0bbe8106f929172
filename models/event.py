"""The durable event log: every domain event, written in the transaction that caused it.

Live delivery over the broker is at-most-once; a client that reconnects catches up from this log by
cursor (the row id).
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
