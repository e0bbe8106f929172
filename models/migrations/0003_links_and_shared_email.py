from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import TimelineKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0002_lifecycle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EmailShare',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.ForeignKeyField('switchboard.Email', source_field='email_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('work_item', fields.ForeignKeyField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='shared_emails', on_delete=OnDelete.CASCADE)),
                ('shared_by', fields.ForeignKeyField('switchboard.User', source_field='shared_by_id', null=True, db_constraint=True, to_field='id', related_name='emails_shared', on_delete=OnDelete.SET_NULL)),
                ('shared_by_api_key', fields.ForeignKeyField('switchboard.ApiKey', source_field='shared_by_api_key_id', null=True, db_constraint=True, to_field='id', related_name='emails_shared', on_delete=OnDelete.SET_NULL)),
                ('timeline_entry', fields.ForeignKeyField('switchboard.TimelineEntry', source_field='timeline_entry_id', null=True, db_constraint=True, to_field='id', related_name='email_shares', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_share', 'app': 'switchboard', 'unique_together': (('email', 'work_item'),), 'indexes': [Index(fields=['work_item_id'], name='email_share_work_item')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='TimelineEntry',
            name='kind',
            field=fields.CharEnumField(description='INITIAL_DESCRIPTION: INITIAL_DESCRIPTION\nNOTE: NOTE\nEMAIL_IN: EMAIL_IN\nEMAIL_OUT: EMAIL_OUT\nEMAIL_SCHEDULED: EMAIL_SCHEDULED\nEMAIL_CANCELLED: EMAIL_CANCELLED\nEMAIL_FAILED: EMAIL_FAILED\nPHONE_CALL: PHONE_CALL\nLETTER: LETTER\nPORTAL_MESSAGE: PORTAL_MESSAGE\nCREATED: CREATED\nSUBMITTED: SUBMITTED\nSTATUS_CHANGED: STATUS_CHANGED\nASSIGNED: ASSIGNED\nQUEUE_CHANGED: QUEUE_CHANGED\nDEPARTMENT_CHANGED: DEPARTMENT_CHANGED\nDUE_MISSED: DUE_MISSED\nPEER_REVIEW: PEER_REVIEW\nCASE_PROBLEM: CASE_PROBLEM\nLINKED: LINKED\nUNLINKED: UNLINKED\nMERGED: MERGED\nSPLIT: SPLIT\nCASE_STARTED: CASE_STARTED\nACTION_STARTED: ACTION_STARTED\nCASE_REWORKED: CASE_REWORKED\nFIELDS_CHANGED: FIELDS_CHANGED\nEMAIL_SHARED: EMAIL_SHARED', enum_type=TimelineKind, max_length=32),
        ),
    ]
