"""Case types: the flow a case follows, as ordered steps of actions (SPEC §2.2 rules 11–14)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import ActionKind


class CaseType(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    description = fields.TextField(null=True)
    # an inactive case type starts no new cases; the cases already running continue
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "case_type"


class CaseStep(Model):
    # one step of a case type; its actions start together when the step starts
    id = fields.IntField(primary_key=True)
    case_type = fields.ForeignKeyField("switchboard.CaseType", related_name="steps", on_delete=fields.CASCADE)
    position = fields.IntField()
    name = fields.CharField(max_length=200)

    class Meta:
        table = "case_step"
        unique_together = (("case_type", "position"),)


class ActionTemplate(Model):
    id = fields.IntField(primary_key=True)
    step = fields.ForeignKeyField("switchboard.CaseStep", related_name="actions", on_delete=fields.CASCADE)
    position = fields.IntField(default=1)
    title = fields.CharField(max_length=500)
    kind = fields.CharEnumField(ActionKind, max_length=32, default=ActionKind.MANUAL)
    # where the action waits; the case's queue when not set
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="action_templates", null=True, on_delete=fields.SET_NULL)
    # START_CASE: the case type of the sub-case it starts
    sub_case_type = fields.ForeignKeyField(
        "switchboard.CaseType", related_name="started_by_templates", null=True, on_delete=fields.SET_NULL
    )
    # SEND_EMAIL / SEND_EMAIL_AND_WAIT: the email it sends (to the case's requester), and how many
    # days SEND_EMAIL_AND_WAIT waits for the reply before it closes anyway
    email_template = fields.ForeignKeyField(
        "switchboard.EmailTemplate", related_name="action_templates", null=True, on_delete=fields.SET_NULL
    )
    reply_wait_days = fields.IntField(null=True)

    class Meta:
        table = "action_template"
