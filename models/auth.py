"""Partner API keys and sign-in throttling (SPEC §1, §9)."""

from tortoise import fields
from tortoise.models import Model


class ApiKey(Model):
    # A partner system's key: scoped to departments, read-only or read-write.
    #
    # The secret is shown once at creation; only its SHA-256 is kept. `prefix` is the public part
    # of the token used to find the row.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=32, unique=True)
    secret_hash = fields.CharField(max_length=64)
    can_write = fields.BooleanField(default=False)
    departments = fields.ManyToManyField(
        "switchboard.Department", related_name="api_keys", through="api_key_department"
    )
    created_by = fields.ForeignKeyField("switchboard.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class SignInThrottle(Model):
    # Sign-in attempts counted for one key: an email address ("email:jane@example.com", whether or
    # not it exists) or a client address ("client:203.0.113.7"). Times are epoch milliseconds, so
    # one SQL statement can count an attempt and decide the block on SQLite and PostgreSQL alike.

    key = fields.CharField(max_length=400, primary_key=True)
    failures = fields.IntField(default=0)
    last_attempt_ms = fields.BigIntField()
    blocked_until_ms = fields.BigIntField(default=0)

    class Meta:
        table = "sign_in_throttle"
