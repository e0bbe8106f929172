"""Sign-in sessions and invitations (SPEC §1, issue 12)."""

from tortoise import fields
from tortoise.models import Model


class Session(Model):
    # One sign-in of a user (a robot's issued token is one too) or a portal contact. Its id is in the
    # signed token: a token works while its session is neither revoked nor expired
    # (server/domain/viewer.authenticate checks it in the same statement as the user or contact).
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("switchboard.User", related_name="sessions", null=True, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("switchboard.Contact", related_name="sessions", null=True, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "auth_session"


class Invitation(Model):
    # A one-time invitation to set a password: only the token's SHA-256 is stored.
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("switchboard.User", related_name="invitations", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_invitation"
