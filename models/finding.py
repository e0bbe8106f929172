"""Finding work (SPEC §8): the items an employee follows and the ones they opened last.

`WorkItemFollower`: one row per employee following an item (their watch list); they are notified
when it changes. `RecentWorkItem`: when an employee last opened an item, kept to the last 50 each.
`SavedView`: a named filter and order an employee keeps (as many as they like).
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


class SavedView(Model):
    # An employee's saved search: a work item filter and sort order under a name of their own.
    # `criteria` and `order` are the list's conditions in the domain's terms
    # (server/domain/search/saved_views.py writes and reads them).

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("switchboard.User", related_name="saved_views", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    criteria = fields.JSONField(default=dict)
    order = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "saved_view"
        unique_together = (("user_id", "name"),)
