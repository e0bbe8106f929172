from tortoise import migrations
from tortoise.migrations import operations as ops
from models.migration_ops import AlterFieldState, DropColumn
import functools
from json import dumps, loads
from models.email import default_retry_pattern
from models.enums import ActionKind, OutboxView, RecipientKind, RecipientStatus, SmtpSecurity, WorkItemType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0008_item_viewers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BlockedAddress',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(unique=True, max_length=320)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('created_by', fields.ForeignKeyField('switchboard.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='addresses_blocked', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blocked_address', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailRecipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.ForeignKeyField('switchboard.Email', source_field='email_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(max_length=320)),
                ('kind', fields.CharEnumField(description='TO: TO\nCC: CC\nBCC: BCC', enum_type=RecipientKind, max_length=4)),
                ('status', fields.CharEnumField(default=RecipientStatus.PENDING, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nREJECTED: REJECTED', enum_type=RecipientStatus, max_length=16)),
                ('code', fields.IntField(null=True)),
                ('message', fields.TextField(null=True, unique=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_recipient', 'app': 'switchboard', 'unique_together': (('email', 'address'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('subject', fields.TextField(default='', unique=False)),
                ('text_body', fields.TextField(default='', unique=False)),
                ('html_body', fields.TextField(null=True, unique=False)),
                ('department', fields.ForeignKeyField('switchboard.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='email_templates', on_delete=OnDelete.CASCADE)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'email_template', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailRoute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(unique=True, max_length=320)),
                ('department', fields.ForeignKeyField('switchboard.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='mail_routes', on_delete=OnDelete.CASCADE)),
                ('queue', fields.ForeignKeyField('switchboard.Queue', source_field='queue_id', null=True, db_constraint=True, to_field='id', related_name='mail_routes', on_delete=OnDelete.SET_NULL)),
                ('creates', fields.CharEnumField(default=WorkItemType.TICKET, description='TICKET: TICKET\nCASE: CASE\nACTION: ACTION', enum_type=WorkItemType, max_length=8)),
                ('case_type', fields.ForeignKeyField('switchboard.CaseType', source_field='case_type_id', null=True, db_constraint=True, to_field='id', related_name='mail_routes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mail_route', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plus_addressing', fields.BooleanField(default=False)),
                ('retry_pattern', fields.JSONField(default=default_retry_pattern, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('max_retries', fields.IntField(default=4)),
            ],
            options={'table': 'mail_settings', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        AlterFieldState(
            model_name='ActionTemplate',
            name='kind',
            field=fields.CharEnumField(default=ActionKind.MANUAL, description='MANUAL: MANUAL\nAPPROVAL: APPROVAL\nPEER_REVIEW: PEER_REVIEW\nWAIT_FOR_SUB_CASES: WAIT_FOR_SUB_CASES\nSTART_CASE: START_CASE\nSEND_EMAIL: SEND_EMAIL\nSEND_EMAIL_AND_WAIT: SEND_EMAIL_AND_WAIT', enum_type=ActionKind, max_length=32),
        ),
        ops.AddField(
            model_name='ActionTemplate',
            name='email_template',
            field=fields.ForeignKeyField('switchboard.EmailTemplate', source_field='email_template_id', null=True, db_constraint=True, to_field='id', related_name='action_templates', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ActionTemplate',
            name='reply_wait_days',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Email',
            name='auto_reply_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Email',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Email',
            name='cancelled_by',
            field=fields.ForeignKeyField('switchboard.User', source_field='cancelled_by_id', null=True, db_constraint=True, to_field='id', related_name='emails_cancelled', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Email',
            name='contact',
            field=fields.ForeignKeyField('switchboard.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='emails', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Email',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Email',
            name='imap_uid',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Email',
            name='imap_uid_validity',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Email',
            name='routed_by',
            field=fields.CharField(null=True, max_length=320),
        ),
        ops.AddField(
            model_name='Email',
            name='scheduled_by',
            field=fields.ForeignKeyField('switchboard.User', source_field='scheduled_by_id', null=True, db_constraint=True, to_field='id', related_name='emails_scheduled', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Email',
            name='sending_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Email',
            name='template',
            field=fields.ForeignKeyField('switchboard.EmailTemplate', source_field='template_id', null=True, db_constraint=True, to_field='id', related_name='emails', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Email',
            index=Index(fields=['direction', 'status'], name='email_direction_status'),
        ),
        ops.AddIndex(
            model_name='Email',
            index=Index(fields=['mailbox_id', 'imap_uid_validity', 'imap_uid'], name='email_mailbox_uid'),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='case_type',
            field=fields.ForeignKeyField('switchboard.CaseType', source_field='case_type_id', null=True, db_constraint=True, to_field='id', related_name='mailboxes', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='imap_password_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='imap_security',
            field=fields.CharEnumField(default=SmtpSecurity.TLS, description='NONE: NONE\nSTARTTLS: STARTTLS\nTLS: TLS', db_default='TLS', enum_type=SmtpSecurity, max_length=16),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='last_connected_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='last_error',
            field=fields.TextField(null=True, unique=False),
        ),
        DropColumn(model_name='Mailbox', name='imap_password'),
        DropColumn(model_name='Mailbox', name='imap_use_tls'),
        ops.AddField(
            model_name='SmtpConnector',
            name='password_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        DropColumn(model_name='SmtpConnector', name='password'),
        ops.AddField(
            model_name='User',
            name='outbox_view',
            field=fields.CharEnumField(null=True, description='MINE: MINE\nMY_TEAM: MY_TEAM\nSYSTEM: SYSTEM\nALL: ALL', enum_type=OutboxView, max_length=8),
        ),
        AlterFieldState(
            model_name='WorkItem',
            name='action_kind',
            field=fields.CharEnumField(null=True, description='MANUAL: MANUAL\nAPPROVAL: APPROVAL\nPEER_REVIEW: PEER_REVIEW\nWAIT_FOR_SUB_CASES: WAIT_FOR_SUB_CASES\nSTART_CASE: START_CASE\nSEND_EMAIL: SEND_EMAIL\nSEND_EMAIL_AND_WAIT: SEND_EMAIL_AND_WAIT', enum_type=ActionKind, max_length=32),
        ),
    ]
