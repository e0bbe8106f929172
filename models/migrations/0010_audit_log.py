from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0009_mail_outbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_name', fields.CharField(max_length=200)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(max_length=32)),
                ('target_id', fields.CharField(max_length=64)),
                ('target_name', fields.CharField(default='', max_length=320)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'switchboard', 'indexes': [Index(fields=['target_type', 'target_id', 'id'], name='audit_entry_target'), Index(fields=['actor_id', 'id'], name='audit_entry_actor')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
