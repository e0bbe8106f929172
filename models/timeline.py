"""Timeline entries: the history of a work item, communications and activity (SPEC §4)."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import TimelineKind


class TimelineEntry(Model):
    id = fields.IntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="timeline", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(TimelineKind, max_length=32)
    # who: a user, a contact, a partner system, or the system itself (all null)
    actor_user = fields.ForeignKeyField("switchboard.User", related_name="timeline_entries", null=True, on_delete=fields.SET_NULL)
    actor_contact = fields.ForeignKeyField(
        "switchboard.Contact", related_name="timeline_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_api_key = fields.ForeignKeyField(
        "switchboard.ApiKey", related_name="timeline_entries", null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField(null=True)
    # kind-specific details: from/to status, wait type, resolution method, reason, ...
    data = fields.JSONField(default=dict)
    # public entries are shown to the requester on the portal; notes default to internal
    is_public = fields.BooleanField(default=False)
    system_generated = fields.BooleanField(default=False)
    is_resolution = fields.BooleanField(default=False)
    email = fields.ForeignKeyField("switchboard.Email", related_name="timeline_entries", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()

    class Meta:
        table = "timeline_entry"
        indexes = (Index(fields=("work_item_id", "created_at"), name="timeline_entry_item_created"),)
