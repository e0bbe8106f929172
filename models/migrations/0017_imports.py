from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ImportStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0016_search_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('created_by', fields.ForeignKeyField('switchboard.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='import_jobs', on_delete=OnDelete.SET_NULL)),
                ('api_key', fields.ForeignKeyField('switchboard.ApiKey', source_field='api_key_id', null=True, db_constraint=True, to_field='id', related_name='import_jobs', on_delete=OnDelete.SET_NULL)),
                ('department', fields.ForeignKeyField('switchboard.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='import_jobs', on_delete=OnDelete.SET_NULL)),
                ('test_mode', fields.BooleanField(default=False)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('options', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_rows', fields.IntField(default=0)),
                ('done_rows', fields.IntField(default=0)),
                ('imported', fields.IntField(default=0)),
                ('updated', fields.IntField(default=0)),
                ('failed', fields.IntField(default=0)),
                ('error', fields.CharField(null=True, max_length=500)),
                ('process_id', fields.CharField(default='', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_job', 'app': 'switchboard', 'indexes': [Index(fields=['created_by_id', 'id'], name='import_job_creator'), Index(fields=['status'], name='import_job_status')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('switchboard.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='failures', on_delete=OnDelete.CASCADE)),
                ('row', fields.IntField()),
                ('field', fields.CharField(null=True, max_length=64)),
                ('reason', fields.CharField(max_length=1000)),
            ],
            options={'table': 'import_failure', 'app': 'switchboard', 'indexes': [Index(fields=['job_id', 'row'], name='import_failure_job_row')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
