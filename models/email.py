"""Mail: outbound connectors, inbound mailboxes, emails and their attachments (SPEC §5)."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import EmailDirection, EmailStatus, Importance, RecipientKind, RecipientStatus, SmtpSecurity, WorkItemType


class SmtpConnector(Model):
    # An outbound SMTP server; one connector may serve many departments.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    host = fields.CharField(max_length=255)
    port = fields.IntField(default=587)
    security = fields.CharEnumField(SmtpSecurity, max_length=16, default=SmtpSecurity.STARTTLS)
    username = fields.CharField(max_length=320, null=True)
    # the password, sealed with a key derived from the server's secret (server/mail/secrets.py);
    # never returned by the API
    password_sealed = fields.TextField(null=True)
    from_address = fields.CharField(max_length=320)
    enabled = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "smtp_connector"


class Mailbox(Model):
    # A department's inbound address, optionally collected over IMAP.

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=320, unique=True)
    department = fields.ForeignKeyField("switchboard.Department", related_name="mailboxes", on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="mailboxes", null=True, on_delete=fields.SET_NULL)
    # what a new message creates: a ticket by default, or a case of `case_type`
    creates = fields.CharEnumField(WorkItemType, max_length=8, default=WorkItemType.TICKET)
    case_type = fields.ForeignKeyField("switchboard.CaseType", related_name="mailboxes", null=True, on_delete=fields.SET_NULL)
    imap_host = fields.CharField(max_length=255, null=True)
    imap_port = fields.IntField(null=True)
    imap_username = fields.CharField(max_length=320, null=True)
    imap_password_sealed = fields.TextField(null=True)  # sealed like SmtpConnector.password_sealed
    imap_security = fields.CharEnumField(SmtpSecurity, max_length=16, default=SmtpSecurity.TLS, db_default="TLS")
    imap_folder = fields.CharField(max_length=200, default="INBOX")
    enabled = fields.BooleanField(default=True)
    # the collection cursor: none yet = the first collection (the newest 100, no notifications)
    uid_validity = fields.BigIntField(null=True)
    last_uid = fields.BigIntField(null=True)
    last_connected_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mailbox"


class Email(Model):
    id = fields.IntField(primary_key=True)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="emails", null=True, on_delete=fields.SET_NULL)
    direction = fields.CharEnumField(EmailDirection, max_length=8)
    status = fields.CharEnumField(EmailStatus, max_length=24)
    message_id = fields.CharField(max_length=998, null=True)
    in_reply_to = fields.CharField(max_length=998, null=True)
    references = fields.TextField(null=True)
    subject = fields.TextField(default="")
    from_address = fields.CharField(max_length=320, null=True)
    from_name = fields.CharField(max_length=320, null=True)
    to_addresses = fields.JSONField(default=list)
    cc_addresses = fields.JSONField(default=list)
    bcc_addresses = fields.JSONField(default=list)
    reply_to = fields.CharField(max_length=320, null=True)
    text_body = fields.TextField(null=True)
    html_body = fields.TextField(null=True)
    importance = fields.CharEnumField(Importance, max_length=8, default=Importance.NORMAL)
    system_generated = fields.BooleanField(default=False)
    is_auto_reply = fields.BooleanField(default=False)
    auto_reply_reason = fields.TextField(null=True)  # why inbound mail counts as automatic
    created_by = fields.ForeignKeyField("switchboard.User", related_name="emails", null=True, on_delete=fields.SET_NULL)
    # inbound: the contact it came from, when one has its address
    contact = fields.ForeignKeyField("switchboard.Contact", related_name="emails", null=True, on_delete=fields.SET_NULL)
    template = fields.ForeignKeyField("switchboard.EmailTemplate", related_name="emails", null=True, on_delete=fields.SET_NULL)
    mailbox = fields.ForeignKeyField("switchboard.Mailbox", related_name="emails", null=True, on_delete=fields.SET_NULL)
    connector = fields.ForeignKeyField(
        "switchboard.SmtpConnector", related_name="emails", null=True, on_delete=fields.SET_NULL
    )
    # outbound delivery
    scheduled_for = fields.DatetimeField(null=True)
    scheduled_by = fields.ForeignKeyField(
        "switchboard.User", related_name="emails_scheduled", null=True, on_delete=fields.SET_NULL
    )
    # set in its own committed step before the SMTP transaction: an email found SENDING after a
    # crash may have been accepted, and is surfaced instead of being sent again blindly
    sending_started_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by = fields.ForeignKeyField(
        "switchboard.User", related_name="emails_cancelled", null=True, on_delete=fields.SET_NULL
    )
    attempts = fields.IntField(default=0)
    last_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    first_failed_at = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    # inbound: the message exactly as received, and why it could not be parsed (if it could not)
    received_at = fields.DatetimeField(null=True)
    raw_message = fields.BinaryField(null=True)
    parse_error = fields.TextField(null=True)
    imap_uid_validity = fields.BigIntField(null=True)
    imap_uid = fields.BigIntField(null=True)
    # the recipient address that decided where it went (or that no route matched)
    routed_by = fields.CharField(max_length=320, null=True)
    deleted_at = fields.DatetimeField(null=True)  # from a blocked sender: kept, listable, restorable
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email"
        indexes = (
            Index(fields=("work_item_id",), name="email_work_item"),
            Index(fields=("status", "next_attempt_at"), name="email_status_next_attempt"),
            Index(fields=("message_id",), name="email_message_id"),
            Index(fields=("direction", "status"), name="email_direction_status"),
            Index(fields=("mailbox_id", "imap_uid_validity", "imap_uid"), name="email_mailbox_uid"),
        )


class EmailRecipient(Model):
    # one envelope recipient of an outgoing email and what the SMTP server said for it
    id = fields.IntField(primary_key=True)
    email = fields.ForeignKeyField("switchboard.Email", related_name="recipients", on_delete=fields.CASCADE)
    address = fields.CharField(max_length=320)
    kind = fields.CharEnumField(RecipientKind, max_length=4)
    status = fields.CharEnumField(RecipientStatus, max_length=16, default=RecipientStatus.PENDING)
    code = fields.IntField(null=True)
    message = fields.TextField(null=True)
    accepted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_recipient"
        unique_together = (("email", "address"),)


class EmailTemplate(Model):
    # admin-managed text with {placeholders} for composing and for case actions that send mail
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    subject = fields.TextField(default="")
    text_body = fields.TextField(default="")
    html_body = fields.TextField(null=True)
    department = fields.ForeignKeyField("switchboard.Department", related_name="email_templates", null=True, on_delete=fields.CASCADE)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "email_template"


class MailRoute(Model):
    # a recipient address that is no mailbox or alias → the department and queue its mail goes to
    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=320, unique=True)
    department = fields.ForeignKeyField("switchboard.Department", related_name="mail_routes", on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField("switchboard.Queue", related_name="mail_routes", null=True, on_delete=fields.SET_NULL)
    creates = fields.CharEnumField(WorkItemType, max_length=8, default=WorkItemType.TICKET)
    case_type = fields.ForeignKeyField("switchboard.CaseType", related_name="mail_routes", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mail_route"


class BlockedAddress(Model):
    # mail from this address (or from any address at "@domain") is stored as deleted
    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=320, unique=True)
    reason = fields.TextField(null=True)
    created_by = fields.ForeignKeyField("switchboard.User", related_name="addresses_blocked", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocked_address"


def default_retry_pattern() -> list[int]:
    return [60, 300, 900, 3600]


class MailSettings(Model):
    # the system-wide mail settings: one row (id 1)
    id = fields.IntField(primary_key=True)
    plus_addressing = fields.BooleanField(default=False)
    retry_pattern = fields.JSONField(default=default_retry_pattern)  # seconds before retry 1, 2, ...
    max_retries = fields.IntField(default=4)

    class Meta:
        table = "mail_settings"


class EmailAttachment(Model):
    id = fields.IntField(primary_key=True)
    email = fields.ForeignKeyField("switchboard.Email", related_name="attachments", on_delete=fields.CASCADE)
    filename = fields.CharField(max_length=500)
    content_type = fields.CharField(max_length=200, default="application/octet-stream")
    content_id = fields.CharField(max_length=998, null=True)
    size = fields.IntField()
    content = fields.BinaryField()

    class Meta:
        table = "email_attachment"


class EmailShare(Model):
    # an email of one work item shared to a linked work item: it shows on that item's timeline too
    id = fields.IntField(primary_key=True)
    email = fields.ForeignKeyField("switchboard.Email", related_name="shares", on_delete=fields.CASCADE)
    work_item = fields.ForeignKeyField("switchboard.WorkItem", related_name="shared_emails", on_delete=fields.CASCADE)
    shared_by = fields.ForeignKeyField("switchboard.User", related_name="emails_shared", null=True, on_delete=fields.SET_NULL)
    shared_by_api_key = fields.ForeignKeyField(
        "switchboard.ApiKey", related_name="emails_shared", null=True, on_delete=fields.SET_NULL
    )
    timeline_entry = fields.ForeignKeyField(
        "switchboard.TimelineEntry", related_name="email_shares", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "email_share"
        unique_together = (("email", "work_item"),)
        indexes = (Index(fields=("work_item_id",), name="email_share_work_item"),)
