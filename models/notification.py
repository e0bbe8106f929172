"""Notifications for a user (SPEC §6)."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import NotificationKind


class Notification(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("switchboard.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    work_item = fields.ForeignKeyField(
        "switchboard.WorkItem", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    text = fields.TextField()
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (Index(fields=("user_id", "read_at"), name="notification_user_read"),)
