"""Who has a work item open right now (SPEC §6 collision warning).

One row per live `workItemUpdated` operation of an employee: the connection's operation (`key`),
the process serving it (its rows go when it stops sending heartbeats), whether the employee says
they are editing, and when the process last vouched for the row (`seen_at`).
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class ItemViewer(Model):
    id = fields.BigIntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="open_by", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("switchboard.User", related_name="open_items", on_delete=fields.CASCADE)
    process_id = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128, unique=True)  # connection id + operation id
    editing = fields.BooleanField(default=False)
    opened_at = fields.DatetimeField()
    seen_at = fields.DatetimeField()

    class Meta:
        table = "item_viewer"
        indexes = (
            Index(fields=("work_item_id", "user_id"), name="item_viewer_item_user"),
            Index(fields=("process_id",), name="item_viewer_process"),
            Index(fields=("seen_at",), name="item_viewer_seen"),
        )
