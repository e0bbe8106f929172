from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class PresenceConnection(Model):
    # one live WebSocket connection of a user, held by one server process (process_id: random per
    # process); seen_at is moved on by the process's heartbeat, and rows of a process that stopped
    # beating are swept
    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    process_id = fields.CharField(max_length=32)
    connection_id = fields.CharField(max_length=64)
    away = fields.BooleanField(default=False)
    seen_at = fields.DatetimeField()

    class Meta:
        table = "presence_connection"
        unique_together = (("process_id", "connection_id"),)
        indexes = (
            Index(fields=("user_id",), name="presence_connection_user"),
            Index(fields=("seen_at",), name="presence_connection_seen"),
        )
