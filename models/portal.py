"""The self-service portal: where requesters' tickets go, their files and their feedback (SPEC §7)."""

from tortoise import fields
from tortoise.models import Model


class PortalRoute(Model):
    # The queue (and so the department) a ticket submitted on the portal goes to: the route of the
    # requester's company, else the system-wide route (no company). Without either, the portal
    # refuses to submit.

    id = fields.IntField(primary_key=True)
    company = fields.ForeignKeyField("switchboard.Company", related_name="portal_routes", null=True, unique=True, on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="portal_routes", on_delete=fields.RESTRICT)

    class Meta:
        table = "portal_route"


class PortalAttachment(Model):
    # A file a requester sent with a submission or a portal message (its timeline entry).

    id = fields.IntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="portal_attachments", on_delete=fields.CASCADE)
    timeline_entry = fields.ForeignKeyField("switchboard.TimelineEntry", related_name="portal_attachments", on_delete=fields.CASCADE)
    filename = fields.CharField(max_length=500)
    content_type = fields.CharField(max_length=200, default="application/octet-stream")
    size = fields.IntField()
    content = fields.BinaryField()

    class Meta:
        table = "portal_attachment"


class PortalFeedback(Model):
    # The requester's rating (1 to 5) and comment on a resolved ticket: one per ticket.

    id = fields.IntField(primary_key=True)
    work_item = fields.OneToOneField("switchboard.WorkItem", related_name="portal_feedback", on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("switchboard.Contact", related_name="portal_feedback", null=True, on_delete=fields.SET_NULL)
    rating = fields.SmallIntField()
    comment = fields.TextField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "portal_feedback"
