from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0006_event_cursors')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PresenceConnection',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField()),
                ('process_id', fields.CharField(max_length=32)),
                ('connection_id', fields.CharField(max_length=64)),
                ('away', fields.BooleanField(default=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                'table': 'presence_connection', 'app': 'switchboard',
                'unique_together': (('process_id', 'connection_id'),),
                'indexes': [Index(fields=['user_id'], name='presence_connection_user'), Index(fields=['seen_at'], name='presence_connection_seen')],
                'pk_attr': 'id',
            },
            bases=['Model'],
        ),
    ]
