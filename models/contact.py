"""External people: requesters and primary contacts (SPEC §1, §7)."""

from tortoise import fields
from tortoise.models import Model


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "tag"


class Contact(Model):
    # An external person. Email is mandatory and unique; no company means World.

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200, default="")
    company = fields.ForeignKeyField("switchboard.Company", related_name="contacts", null=True, on_delete=fields.RESTRICT)
    group = fields.ForeignKeyField("switchboard.ContactGroup", related_name="contacts", null=True, on_delete=fields.SET_NULL)
    language = fields.CharField(max_length=16, default="en")
    timezone = fields.CharField(max_length=64, default="UTC")
    office = fields.CharField(max_length=200, null=True)
    phone = fields.CharField(max_length=64, null=True)
    tags = fields.ManyToManyField("switchboard.Tag", related_name="contacts", through="contact_tag")
    portal_enabled = fields.BooleanField(default=False)
    portal_password_hash = fields.CharField(max_length=200, null=True)
    test_mode = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact"
