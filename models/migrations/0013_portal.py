from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import TimelineKind
from tortoise.fields.base import OnDelete
from tortoise import fields

from models.migration_ops import AlterFieldState

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0012_sessions_and_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PortalAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='portal_attachments', on_delete=OnDelete.CASCADE)),
                ('timeline_entry', fields.ForeignKeyField('switchboard.TimelineEntry', source_field='timeline_entry_id', db_constraint=True, to_field='id', related_name='portal_attachments', on_delete=OnDelete.CASCADE)),
                ('filename', fields.CharField(max_length=500)),
                ('content_type', fields.CharField(default='application/octet-stream', max_length=200)),
                ('size', fields.IntField()),
                ('content', fields.BinaryField()),
            ],
            options={'table': 'portal_attachment', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PortalFeedback',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.OneToOneField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='portal_feedback', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('switchboard.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='portal_feedback', on_delete=OnDelete.SET_NULL)),
                ('rating', fields.SmallIntField()),
                ('comment', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'portal_feedback', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PortalRoute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('company', fields.ForeignKeyField('switchboard.Company', source_field='company_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='portal_routes', on_delete=OnDelete.CASCADE)),
                ('queue', fields.ForeignKeyField('switchboard.Queue', source_field='queue_id', db_constraint=True, to_field='id', related_name='portal_routes', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'portal_route', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        AlterFieldState(
            model_name='TimelineEntry',
            name='kind',
            field=fields.CharEnumField(description='INITIAL_DESCRIPTION: INITIAL_DESCRIPTION\nNOTE: NOTE\nEMAIL_IN: EMAIL_IN\nEMAIL_OUT: EMAIL_OUT\nEMAIL_SCHEDULED: EMAIL_SCHEDULED\nEMAIL_CANCELLED: EMAIL_CANCELLED\nEMAIL_FAILED: EMAIL_FAILED\nPHONE_CALL: PHONE_CALL\nLETTER: LETTER\nPORTAL_MESSAGE: PORTAL_MESSAGE\nCREATED: CREATED\nSUBMITTED: SUBMITTED\nSTATUS_CHANGED: STATUS_CHANGED\nASSIGNED: ASSIGNED\nQUEUE_CHANGED: QUEUE_CHANGED\nDEPARTMENT_CHANGED: DEPARTMENT_CHANGED\nDUE_MISSED: DUE_MISSED\nPEER_REVIEW: PEER_REVIEW\nCASE_PROBLEM: CASE_PROBLEM\nLINKED: LINKED\nUNLINKED: UNLINKED\nMERGED: MERGED\nSPLIT: SPLIT\nCASE_STARTED: CASE_STARTED\nACTION_STARTED: ACTION_STARTED\nCASE_REWORKED: CASE_REWORKED\nFIELDS_CHANGED: FIELDS_CHANGED\nEMAIL_SHARED: EMAIL_SHARED\nFEEDBACK: FEEDBACK', enum_type=TimelineKind, max_length=32),
        ),
    ]
