"""Finding work (SPEC §8): the items an employee follows and the ones they opened last.

`WorkItemFollower`: one row per employee following an item (their watch list); they are notified
when it changes. `RecentWorkItem`: when an employee last opened an item, kept to the last 50 each.
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class WorkItemFollower(Model):
    id = fields.BigIntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="followers", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("switchboard.User", related_name="followed_items", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()

    class Meta:
        table = "work_item_follower"
        unique_together = (("user_id", "work_item_id"),)
        indexes = (Index(fields=("work_item_id",), name="work_item_follower_item"),)


class RecentWorkItem(Model):
    id = fields.BigIntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="recent_by", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("switchboard.User", related_name="recent_items", on_delete=fields.CASCADE)
    opened_at = fields.DatetimeField()

    class Meta:
        table = "recent_work_item"
        unique_together = (("user_id", "work_item_id"),)
        indexes = (Index(fields=("user_id", "opened_at"), name="recent_work_item_user_opened"),)
