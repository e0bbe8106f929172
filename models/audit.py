"""The audit log: every administrative change, who made it and what it changed (SPEC §1, issue 12)."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AuditEntry(Model):
    # One administrative change, written in the transaction that made it. `action` is
    # "<target type>.<verb>" ("user.created", "team.updated", "session.revoked"); `changes` maps each
    # changed field to {"from": old, "to": new} (a creation lists only "to", a deletion only "from").
    # The actor and target names are copied so that the entry still reads after they are deleted.

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor_kind = fields.CharField(max_length=16)  # USER, API_KEY, CONTACT or SYSTEM
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=200)
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=64)
    target_name = fields.CharField(max_length=320, default="")
    changes = fields.JSONField(default=dict)

    class Meta:
        table = "audit_entry"
        indexes = (
            Index(fields=("target_type", "target_id", "id"), name="audit_entry_target"),
            Index(fields=("actor_id", "id"), name="audit_entry_actor"),
        )
